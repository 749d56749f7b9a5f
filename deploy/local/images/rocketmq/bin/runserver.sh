#!/bin/sh
# runserver.sh of the local apache/rocketmq image (scripts/local-images.sh): starts a JVM for the
# name server (mqnamesrv) and the controller (mqcontroller). Usage: runserver.sh [JVM options] CLASS [ARGS]
#
# Same interface as the official image's runserver.sh (apache/rocketmq-docker
# image-build/scripts/runserver-customize.sh): JAVA_OPT (prepended), HEAP_OPTS (replaces the heap
# options), JAVA_OPT_EXT (appended last, so it wins), JAVA_HOME. Differences, for Java 9+ on a
# shared development machine: classpath conf/ + lib/* instead of -Djava.ext.dirs (Java 8 only), G1
# instead of CMS (removed in Java 14), a 256 MB heap instead of 1 GB by default, module openings,
# -Duser.home=$HOME (see rmq-java.sh), and `exec`, so java replaces this shell.
BASE_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=rmq-java.sh
. "$BASE_DIR/bin/rmq-java.sh"
rmq_find_java
rmq_user_home
CLASSPATH=".:$BASE_DIR/conf:$BASE_DIR/lib/*${CLASSPATH:+:$CLASSPATH}"
export CLASSPATH

DEFAULT_HEAP_OPTS="-Xms128m -Xmx256m"
HEAP_OPTS=${HEAP_OPTS:-$DEFAULT_HEAP_OPTS}

JAVA_OPT="${JAVA_OPT:-} -server ${HEAP_OPTS} -XX:MaxMetaspaceSize=192m"
JAVA_OPT="${JAVA_OPT} -XX:+UseG1GC -XX:SoftRefLRUPolicyMSPerMB=0"
JAVA_OPT="${JAVA_OPT} $(rmq_gc_log_opts rmq_srv_gc)"
JAVA_OPT="${JAVA_OPT} -XX:-OmitStackTraceInFastThrow -XX:-UseLargePages"
JAVA_OPT="${JAVA_OPT} $(rmq_module_opts)"

# The option strings are split into words, as in the official scripts; no globbing.
set -f
# shellcheck disable=SC2086
exec "$JAVA" ${JAVA_OPT} ${RMQ_USER_HOME:+"-Duser.home=$RMQ_USER_HOME"} ${JAVA_OPT_EXT:-} -cp "$CLASSPATH" "$@"
