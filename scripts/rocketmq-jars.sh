#!/usr/bin/env bash
# Prints the path of a directory holding the RocketMQ runtime jars (name server, broker, tools and
# their dependencies) from Maven Central, fetching them on first use.
# Usage: rocketmq-jars.sh [VERSION]   (default: the pom's rocketmq.version, 5.3.3)
#
# The jars live in a cache outside the work tree, keyed on the hash of deploy/local/rocketmq/pom.xml,
# so a second run on the same machine is instant and a version bump fetches anew.
# Cache root: $RMQ_CACHE_DIR, default ~/.cache/rocketmq-operator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pom="$root/deploy/local/rocketmq/pom.xml"
cache="${RMQ_CACHE_DIR:-$HOME/.cache/rocketmq-operator}"
version="${1:-}"
key=$( (cat "$pom"; echo "$version") | sha256sum | cut -c1-16)
dest="$cache/rocketmq-jars-${version:-default}-$key"
if [ -f "$dest/.complete" ]; then
  echo "$dest/lib"
  exit 0
fi
work="$cache/rocketmq-build-$key.$$"
rm -rf "$work"
mkdir -p "$work"
cp "$pom" "$work/pom.xml"
(
  cd "$work"
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$cache/m2" ${version:+-Drocketmq.version="$version"} package >&2
)
rm -rf "$dest"
mkdir -p "$dest"
mv "$work/target/lib" "$dest/lib"
rm -rf "$work"
touch "$dest/.complete"
echo "$dest/lib"
