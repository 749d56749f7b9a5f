#!/bin/sh
# runbroker.sh of the local apache/rocketmq image (scripts/local-images.sh): starts a JVM for the
# broker (mqbroker). Usage: runbroker.sh [JVM options] CLASS [ARGS]
#
# Same interface as the official image's runbroker.sh (apache/rocketmq-docker
# image-build/scripts/runbroker-customize.sh): JAVA_OPT (prepended), HEAP_OPTS (replaces the heap
# and direct memory options), JAVA_OPT_EXT (appended last, so it wins), JAVA_HOME, and
# `numactl --interleave=all` (or RMQ_NUMA_NODE) when numactl works. Differences, for Java 9+ on a
# shared development machine: classpath conf/ + lib/* instead of -Djava.ext.dirs (Java 8 only), a
# 512 MB heap and no -XX:+AlwaysPreTouch by default (the image: 2 GB, committed at start; put
# -XX:+AlwaysPreTouch in JAVA_OPT_EXT to get it), no G1HeapRegionSize=16m (too coarse for small
# heaps) and no -XX:-UseBiasedLocking (gone in Java 18), unified GC logging, module openings,
# -Duser.home=$HOME (see rmq-java.sh), and `exec`, so java replaces this shell.
BASE_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=rmq-java.sh
. "$BASE_DIR/bin/rmq-java.sh"
rmq_find_java
rmq_user_home
CLASSPATH=".:$BASE_DIR/conf:$BASE_DIR/lib/*${CLASSPATH:+:$CLASSPATH}"
export CLASSPATH

DEFAULT_HEAP_OPTS="-Xms256m -Xmx512m -XX:MaxDirectMemorySize=512m"
HEAP_OPTS=${HEAP_OPTS:-$DEFAULT_HEAP_OPTS}

JAVA_OPT="${JAVA_OPT:-} -server ${HEAP_OPTS} -XX:MaxMetaspaceSize=256m"
JAVA_OPT="${JAVA_OPT} -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30"
JAVA_OPT="${JAVA_OPT} -XX:SoftRefLRUPolicyMSPerMB=0 -XX:SurvivorRatio=8"
JAVA_OPT="${JAVA_OPT} $(rmq_gc_log_opts rmq_broker_gc)"
JAVA_OPT="${JAVA_OPT} -XX:-OmitStackTraceInFastThrow -XX:-UseLargePages"
JAVA_OPT="${JAVA_OPT} $(rmq_module_opts)"

NUMA=
if numactl --interleave=all pwd >/dev/null 2>&1; then
  if [ -z "${RMQ_NUMA_NODE:-}" ]; then
    NUMA="numactl --interleave=all"
  else
    NUMA="numactl --cpunodebind=$RMQ_NUMA_NODE --membind=$RMQ_NUMA_NODE"
  fi
fi

# The option strings are split into words, as in the official scripts; no globbing.
set -f
# shellcheck disable=SC2086
exec ${NUMA} "$JAVA" ${JAVA_OPT} ${RMQ_USER_HOME:+"-Duser.home=$RMQ_USER_HOME"} ${JAVA_OPT_EXT:-} -cp "$CLASSPATH" "$@"
