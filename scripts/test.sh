#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs dependencies, fetches the RocketMQ jars
# (cached outside the work tree), builds the `dev` preset (Debug + ASan/UBSan, warnings as errors),
# runs every ctest label (unit, integration, e2e), checks formatting, runs clang-tidy (preset `tidy`,
# which also compiles everything with clang and -Wthread-safety), and fuzzes for a bounded time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)

scripts/setup.sh
RMQ_JARS_DIR=$(scripts/rocketmq-jars.sh)
export RMQ_JARS_DIR

scripts/format.sh --check

cmake --preset dev
cmake --build --preset dev -j "$(nproc)"
ctest --preset dev -L 'unit|integration|e2e' -j 1

cmake --preset tidy
cmake --build --preset tidy -j "$(nproc)"

scripts/fuzz.sh

echo "test.sh: all passed in $(( $(date +%s) - start ))s"
