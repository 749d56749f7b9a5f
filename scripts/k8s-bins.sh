#!/usr/bin/env bash
# Prints the path of a directory holding etcd, kube-apiserver, kube-controller-manager and kubectl,
# built from the Go modules pinned in deploy/local/k8s (go.mod + go.sum), building them on first use.
# Usage: k8s-bins.sh            (build if needed, print the bin directory on stdout)
#
# The binaries live in a cache outside the work tree, keyed on the hash of the wrapper module's
# go.mod, go.sum and main packages (and this script's build recipe), so a second run on the same
# machine is instant and a version bump builds anew. The Go module and build caches are kept under
# the same root (go-mod/, go-build/), so a rebuild after a small change is quick. Concurrent runs
# wait for each other (flock). Needs Go >= 1.26 (scripts/setup.sh checks); GOTOOLCHAIN=local, so
# no other toolchain is ever downloaded. Progress and timings go to stderr.
# Cache root: $RMQ_CACHE_DIR, default ~/.cache/rocketmq-operator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mod="$root/deploy/local/k8s"
cache="${RMQ_CACHE_DIR:-$HOME/.cache/rocketmq-operator}"
# Bump when the build command below changes, so old binaries are not reused.
recipe=1
key=$( (cd "$mod" && cat go.mod go.sum && find cmd -name '*.go' | LC_ALL=C sort | xargs cat
  echo "recipe=$recipe") | sha256sum | cut -c1-16)
dest="$cache/k8s-bins-$key"
if [ -f "$dest/.complete" ]; then
  echo "$dest/bin"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/k8s-bins.lock"
flock 9
if [ -f "$dest/.complete" ]; then # another run built it while we waited
  echo "$dest/bin"
  exit 0
fi

"$root/scripts/setup.sh" --check-go >&2

export GOTOOLCHAIN=local CGO_ENABLED=0
export GOMODCACHE="$cache/go-mod" GOCACHE="$cache/go-build"
export GOFLAGS="-mod=readonly -buildvcs=false"
cd "$mod"

t0=$(date +%s)
echo "k8s-bins: downloading modules into $GOMODCACHE" >&2
go mod download
t1=$(date +%s)

kv=$(go list -m -f '{{.Version}}' k8s.io/kubernetes) # v1.36.3
minor=${kv#v1.}
minor=${minor%%.*}
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kv -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
done

work="$cache/k8s-bins-build-$key.$$"
rm -rf "$work"
mkdir -p "$work/bin"
trap 'rm -rf "$work"' EXIT
echo "k8s-bins: building etcd, kube-apiserver, kube-controller-manager, kubectl ($kv) with $(go version | cut -d' ' -f3) into $work" >&2
go build -trimpath -ldflags "$ldflags" -o "$work/bin/" ./cmd/...
t2=$(date +%s)

rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
touch "$dest/.complete"
echo "k8s-bins: modules $((t1 - t0))s, build $((t2 - t1))s, total $((t2 - t0))s -> $dest/bin" >&2
echo "$dest/bin"
