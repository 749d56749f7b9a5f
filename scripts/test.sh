#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs dependencies, fetches the RocketMQ jars and
# builds etcd + Kubernetes from Go modules (both cached outside the work tree), builds the `dev`
# preset (Debug + ASan/UBSan, warnings as errors), runs every ctest label (unit, integration, e2e),
# checks formatting, runs clang-tidy (preset `tidy`, which also compiles everything with clang and
# -Wthread-safety), and fuzzes for a bounded time.
# Every compile goes through ccache (scripts/ccache-launcher) and clang-tidy through
# scripts/clang-tidy-cached, both caching under $RMQ_CACHE_DIR (default ~/.cache/rocketmq-operator),
# so a repeat run, from a fresh clone too, rebuilds and re-lints only what changed.
# Prints the wall time of each step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)

step() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo "=== $name"
  "$@"
  echo "=== $name: $(($(date +%s) - t0))s"
}

fetch_jars() { scripts/rocketmq-jars.sh "$@" >/dev/null; }

step setup scripts/setup.sh
step "rocketmq 5.3.3 jars" fetch_jars
step "rocketmq 5.1.4 jars (compatibility tests)" fetch_jars 5.1.4
RMQ_JARS_DIR=$(scripts/rocketmq-jars.sh)
export RMQ_JARS_DIR
build_k8s_bins() { scripts/k8s-bins.sh >/dev/null; }
step "etcd + kubernetes 1.36.3 binaries (cached)" build_k8s_bins

step format scripts/format.sh --check

step "configure dev" cmake --preset dev
step "build dev" cmake --build --preset dev -j "$(nproc)"
step "ctest unit+integration+e2e" ctest --preset dev -L 'unit|integration|e2e' -j 1

step "configure tidy" cmake --preset tidy
step "build tidy (clang-tidy)" cmake --build --preset tidy -j "$(nproc)"

# 30 s per target keeps the whole command well inside the CI budget; run scripts/fuzz.sh with
# FUZZ_SECONDS=600 (or more) for a longer hunt.
step fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-30}" scripts/fuzz.sh

echo "test.sh: all passed in $(($(date +%s) - start))s"
