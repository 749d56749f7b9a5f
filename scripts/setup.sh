#!/usr/bin/env bash
# Installs what building and testing this project needs on a Debian bookworm machine: compilers,
# CMake/Ninja, ccache (every preset compiles through scripts/ccache-launcher) and python3 (for
# scripts/clang-tidy-cached, the `tidy` preset's clang-tidy), the C++ libraries (all from Debian
# packages), Java 17 and Maven for the real RocketMQ used by the tests, the openssl CLI and curl
# (certificates and probes of the agent test and scripts/local-control-plane.sh), Prometheus for
# the agent's integration test (it makes certificates and runs /usr/bin/prometheus itself; the
# Debian service is not needed), and unzip, iproute2 (ss) and procps (pgrep) for
# scripts/local-images.sh and its test.
# Runs apt-get only when something is missing, so a second run is instant. Needs root (or sudo).
# Go is not installed from Debian (bookworm's golang-go 1.19 is far too old for Kubernetes 1.36):
# the machines come with Go 1.26; this script fails, saying what to install, when `go` is missing
# or older than the `go` line of deploy/local/k8s/go.mod (the local control plane's binaries).
# Usage: setup.sh [--check-go]   (--check-go: only the Go check, no packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

check_go() {
  local need have
  need=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$root/deploy/local/k8s/go.mod")
  if ! command -v go >/dev/null; then
    echo "setup: Go >= $need is needed (scripts/k8s-bins.sh builds etcd and Kubernetes from Go" >&2
    echo "setup: modules) but \`go\` is not on PATH. Install Go $need or newer from the official" >&2
    echo "setup: distribution (not Debian's golang-go, which is 1.19) and put its bin/ on PATH." >&2
    return 1
  fi
  have=$(GOTOOLCHAIN=local go env GOVERSION)
  have=${have#go}
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    echo "setup: Go >= $need is needed (deploy/local/k8s/go.mod), found $have at $(command -v go)." >&2
    echo "setup: Install Go $need or newer (not Debian's golang-go) and put it first on PATH;" >&2
    echo "setup: GOTOOLCHAIN=local is used, so the go command will not fetch one itself." >&2
    return 1
  fi
  echo "setup: go $have (>= $need)"
}

if [ "${1:-}" = "--check-go" ]; then
  check_go
  exit 0
fi
check_go

packages=(
  cmake ninja-build ccache g++ clang clang-format clang-tidy libclang-rt-14-dev pkg-config python3
  libboost-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libabsl-dev
  libgtest-dev libgmock-dev
  openjdk-17-jre-headless maven
  openssl curl prometheus
  unzip iproute2 procps
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
