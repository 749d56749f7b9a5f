#!/bin/sh
# tools.sh of the local apache/rocketmq image (scripts/local-images.sh): starts a JVM for the admin
# tool (mqadmin). Usage: tools.sh [JVM options] CLASS [ARGS]
#
# Same interface as the official tools.sh (apache/rocketmq distribution/bin/tools.sh, which the
# image keeps): JAVA_OPT (prepended), JAVA_HOME; like the official one it does not read HEAP_OPTS
# or JAVA_OPT_EXT. Differences: a 256 MB heap instead of 1 GB, C1 only (-XX:TieredStopAtLevel=1:
# a short-lived CLI starts faster), module openings on Java 9+, -Duser.home=$HOME (see
# rmq-java.sh), and `exec`, so java replaces this shell.
BASE_DIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=rmq-java.sh
. "$BASE_DIR/bin/rmq-java.sh"
rmq_find_java
rmq_user_home
CLASSPATH=".:$BASE_DIR/conf:$BASE_DIR/lib/*${CLASSPATH:+:$CLASSPATH}"
export CLASSPATH

JAVA_OPT="${JAVA_OPT:-} -server -Xms64m -Xmx256m -XX:MaxMetaspaceSize=128m -XX:TieredStopAtLevel=1"
JAVA_OPT="${JAVA_OPT} $(rmq_module_opts)"

# The option strings are split into words, as in the official scripts; no globbing.
set -f
# shellcheck disable=SC2086
exec "$JAVA" ${JAVA_OPT} ${RMQ_USER_HOME:+"-Duser.home=$RMQ_USER_HOME"} -cp "$CLASSPATH" "$@"
