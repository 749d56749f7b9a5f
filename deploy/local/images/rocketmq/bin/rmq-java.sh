# shellcheck shell=sh
# rmq-java.sh: sourced (not run) by runserver.sh, runbroker.sh and tools.sh of the local
# apache/rocketmq image (scripts/local-images.sh). Finds java like the official scripts do and
# builds the JVM options they share. Not part of the official image.
#
# Java: $JAVA_HOME/bin/java when JAVA_HOME is set and has one, else the `java` on PATH (its real
# location), else $HOME/jdk/java, else /usr/java. Needs Java 8 or later; 9+ (17 is what the project
# runs) gets the module openings RocketMQ 5.x needs (mmap cleaner, DirectBuffer access).

rmq_error_exit() {
  echo "ERROR: $1 !!" >&2
  exit 1
}

# Sets JAVA_HOME (exported), JAVA and JAVA_MAJOR_VERSION.
rmq_find_java() {
  if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ]; then
    JAVA_HOME=
    _rmq_java=$(command -v java 2>/dev/null || true)
    if [ -n "$_rmq_java" ]; then
      JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$_rmq_java")")")
    fi
    [ -x "$JAVA_HOME/bin/java" ] || JAVA_HOME=${HOME:-}/jdk/java
    [ -x "$JAVA_HOME/bin/java" ] || JAVA_HOME=/usr/java
    [ -x "$JAVA_HOME/bin/java" ] ||
      rmq_error_exit "Please set the JAVA_HOME variable in your environment, We need java(x64)!"
  fi
  export JAVA_HOME
  JAVA="$JAVA_HOME/bin/java"
  # The release file answers without starting a JVM; `java -version` is the fallback.
  JAVA_MAJOR_VERSION=
  if [ -f "$JAVA_HOME/release" ]; then
    JAVA_MAJOR_VERSION=$(sed -n 's/^JAVA_VERSION="\([0-9.]*\).*/\1/p' "$JAVA_HOME/release")
  fi
  if [ -z "$JAVA_MAJOR_VERSION" ]; then
    JAVA_MAJOR_VERSION=$("$JAVA" -version 2>&1 | sed -n 's/.* version "\([0-9.]*\).*/\1/p' | head -n 1)
  fi
  JAVA_MAJOR_VERSION=$(echo "$JAVA_MAJOR_VERSION" | sed 's/^1\.//' | cut -d . -f 1)
  case $JAVA_MAJOR_VERSION in
  '' | *[!0-9]*) rmq_error_exit "Cannot tell the version of $JAVA" ;;
  esac
  [ "$JAVA_MAJOR_VERSION" -ge 8 ] || rmq_error_exit "RocketMQ 5 needs Java 8 or later, $JAVA is $JAVA_MAJOR_VERSION"
}

# Prints the GC logging options for log file name $1 (rmq_srv_gc, rmq_broker_gc). Like the official
# scripts the log goes to /dev/shm (a container's private tmpfs); RMQ_GC_LOG_DIR (local only)
# overrides, for a process run without a private /dev/shm. Rotated, 3 files of 10 MB (the official
# scripts keep 5 of 30 MB, more than a default 64 MB container /dev/shm holds).
rmq_gc_log_opts() {
  _rmq_gc_dir=${RMQ_GC_LOG_DIR:-}
  if [ -z "$_rmq_gc_dir" ]; then
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then _rmq_gc_dir=/dev/shm; else _rmq_gc_dir=$BASE_DIR; fi
  fi
  if [ "$JAVA_MAJOR_VERSION" -ge 9 ]; then
    echo "-Xlog:gc*:file=${_rmq_gc_dir}/${1}_%p_%t.log:time,tags:filecount=3,filesize=10M"
  else
    echo "-verbose:gc -Xloggc:${_rmq_gc_dir}/${1}_%p_%t.log -XX:+PrintGCDetails -XX:+PrintGCDateStamps" \
      "-XX:+UseGCLogFileRotation -XX:NumberOfGCLogFiles=3 -XX:GCLogFileSize=10m"
  fi
}

# Prints the module openings RocketMQ 5.x needs on Java 9+ (nothing on 8).
rmq_module_opts() {
  if [ "$JAVA_MAJOR_VERSION" -ge 9 ]; then
    echo "--add-opens=java.base/java.nio=ALL-UNNAMED" \
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED" \
      "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED" \
      "--add-opens=java.base/java.lang=ALL-UNNAMED"
  fi
}

# Sets RMQ_USER_HOME to $HOME when that is a directory (else empty). The scripts pass it as
# -Duser.home, before JAVA_OPT_EXT. In the official image the process runs as user rocketmq, whose
# home in /etc/passwd (where Java takes user.home from) is also its HOME, /home/rocketmq; a local pod
# runs as root, where Java would say /root. Following HOME keeps the logs (~/logs/rocketmqlogs), the
# store (~/store) and the name server's kv config (~/namesrv) where a pod's volumes expect them.
rmq_user_home() {
  # shellcheck disable=SC2034 # read by the sourcing script
  RMQ_USER_HOME=
  if [ -n "${HOME:-}" ] && [ -d "$HOME" ]; then
    # shellcheck disable=SC2034
    RMQ_USER_HOME=$HOME
  fi
}
