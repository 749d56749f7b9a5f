#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each for a bounded time
# (FUZZ_SECONDS, default 60) on a copy of its seed corpus. Fails on any crash, leak or trap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds="${FUZZ_SECONDS:-60}"
cmake --preset fuzz >/dev/null
targets="remoting agent_request watch_stream nodeagent controller"
# shellcheck disable=SC2046  # one word per target
cmake --build --preset fuzz --target $(printf '%s_fuzz ' $targets)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $targets; do
  mkdir -p "$work/$target"
  cp "tests/fuzz/corpus/$target/"* "$work/$target/"
  echo "fuzz: $target for ${seconds}s"
  "build/fuzz/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 "$work/$target" 2>"$work/$target.log" || {
    tail -50 "$work/$target.log"
    echo "fuzz: $target FAILED (artifacts above)"
    exit 1
  }
  grep -E 'stat::number_of_executed_units|Done' "$work/$target.log" || true
done
echo "fuzz: no crashes"
