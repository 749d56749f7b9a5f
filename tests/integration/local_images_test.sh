#!/usr/bin/env bash
# Integration test of the local apache/rocketmq image (scripts/local-images.sh, mapped by
# deploy/local/images/images.yaml): builds it (a cache hit is instant), checks its layout, then runs
# a name server, a broker and mqadmin from it the way the node agent runs containers of the image,
# on 127.0.0.1 with free ports:
#   - container mode (root, unshare and overlayfs; required under CI=true): each container gets a
#     private mount namespace with the image root laid over the host's /home (overlayfs, its own
#     writable layer), a private tmpfs on /dev/shm and its "volumes" bind-mounted at
#     /home/rocketmq/{conf,logs,store}; cwd, env, entrypoint and args as images.yaml and a pod spec
#     give them;
#   - host mode otherwise (or with RMQ_LOCAL_IMAGES_MODE=host): the image run from its host path,
#     HOME a per-container directory.
# Name server: args ["nameserver", "-c", ".../namesrv.conf"] through the entrypoint, HEAP_OPTS set.
# Broker: command ["/bin/sh", "-c", "./mqbroker -c .../broker.conf"] (as the rocketmq-docker Helm
# chart does), NAMESRV_ADDR and JAVA_OPT_EXT set. mqadmin clusterList as a Job-like container
# must list the broker. Then SIGTERM to each process group: both JVMs must shut down cleanly (the
# broker removes its store/abort file), leaving no process, no mount and no file outside the test
# directory, and nothing written into the image. Prints each JVM's time to its boot line.
# A missing java fails under CI=true and skips (exit 77) otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
checks=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() {
  checks=$((checks + 1))
  echo "ok $checks - $*"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

if ! command -v java >/dev/null 2>&1; then
  [ "${CI:-}" = true ] && fail "java is not installed (CI=true: a missing component fails the test)"
  echo "SKIP: java is not installed"
  exit 77
fi

# --- 1. build and layout -------------------------------------------------------------------------
t0=$(date +%s%N)
images=$("$root/scripts/local-images.sh") || fail "scripts/local-images.sh failed"
echo "local-images.sh: $(ms_since "$t0") ms -> $images"
t0=$(date +%s%N)
[ "$("$root/scripts/local-images.sh")" = "$images" ] || fail "a second run printed another directory"
hit_ms=$(ms_since "$t0")
pass "local-images.sh builds the images directory; a second run takes $hit_ms ms"

version=5.3.3
img=$(readlink -f "$images/rocketmq-$version")
rmq_home=/home/rocketmq/rocketmq-$version
home="$img$rmq_home"
[ -d "$home" ] || fail "no $rmq_home in the image root $img"
[ "$(find "$img" -mindepth 1 -maxdepth 1 -printf '%f\n')" = home ] ||
  fail "the image root has more than home/: $(ls -A "$img")"
for f in docker-entrypoint.sh mqnamesrv mqbroker mqadmin mqcontroller runserver.sh runbroker.sh tools.sh; do
  [ -x "$home/bin/$f" ] || fail "bin/$f missing or not executable"
done
for f in broker.conf tools.yml rmq.namesrv.logback.xml rmq.broker.logback.xml rmq.tools.logback.xml; do
  [ -s "$home/conf/$f" ] || fail "conf/$f missing"
done
jars=$("$root/scripts/rocketmq-jars.sh")
n_jars=$(find "$jars" -name '*.jar' | wc -l)
[ "$(find "$home/lib" -name '*.jar' | wc -l)" = "$n_jars" ] || fail "lib/ does not hold the $n_jars jars of $jars"
[ -z "$(find "$home/lib" -type l)" ] || fail "lib/ holds symlinks"
jar=rocketmq-broker-$version.jar
if [ "$(stat -c %d "$jars/$jar")" = "$(stat -c %d "$home/lib/$jar")" ]; then
  [ "$(stat -c %i "$jars/$jar")" = "$(stat -c %i "$home/lib/$jar")" ] || fail "lib/$jar is not a hard link"
fi
pass "image root: $rmq_home/{bin,conf,lib} with $n_jars hard-linked jars and the logback configurations"

map="$root/deploy/local/images/images.yaml"
grep -qxF -- "- image: apache/rocketmq:$version" "$map" || fail "images.yaml has no apache/rocketmq:$version"
grep -qxF "  root: \"\${RMQ_IMAGES}/rocketmq-$version\"" "$map" || fail "images.yaml: root of $version"
grep -qxF "  workingDir: $rmq_home/bin" "$map" || fail "images.yaml: workingDir of $version"
grep -qxF '  entrypoint: ["./docker-entrypoint.sh"]' "$map" || fail "images.yaml: entrypoint"
pass "images.yaml maps apache/rocketmq:$version to this root, workingDir and entrypoint"

# The entrypoint's quirks (no JVM started): they are the official image's.
rc=0
(cd "$home/bin" && env -i PATH=/usr/bin:/bin NODE_ROLE=broker ./docker-entrypoint.sh) >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || fail "NODE_ROLE=broker with no arguments: exit $rc, expected 1"
rc=0
(cd "$home/bin" && env -i PATH=/usr/bin:/bin ./docker-entrypoint.sh dummy) >/dev/null 2>&1 || rc=$?
[ $rc = 127 ] || fail "CMD dummy: exit $rc, expected 127"
out=$(cd "$home/bin" && env -i PATH=/usr/bin:/bin ./docker-entrypoint.sh broker --enable-proxy 2>&1) &&
  fail "mqbroker --enable-proxy succeeded: $out"
grep -q 'no rocketmq-proxy jar' <<<"$out" || fail "mqbroker --enable-proxy: unclear error: $out"
pass "entrypoint: NODE_ROLE without arguments exits 1, CMD dummy exits 127, --enable-proxy says there is no proxy jar"

# --- 2. containers --------------------------------------------------------------------------------
mode=host
if [ "${RMQ_LOCAL_IMAGES_MODE:-}" = host ]; then
  [ "${CI:-}" = true ] && fail "RMQ_LOCAL_IMAGES_MODE=host is for debugging, not CI"
elif [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null &&
  grep -qw overlay /proc/filesystems; then
  mode=container
elif [ "${CI:-}" = true ]; then
  fail "container mode needs root, unshare and overlayfs (CI=true)"
fi
echo "mode: $mode"

tmp=$(mktemp -d /tmp/rmq-images-test.XXXXXX)
pgids=()
cleanup() {
  local p
  [ -z "${watchdog:-}" ] || kill "$watchdog" 2>/dev/null || true
  for p in "${pgids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  if [ "${RMQ_KEEP_TEST_DIRS:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
touch "$tmp/marker" "$tmp/pgids"
# Watchdog: if this script dies without its cleanup (SIGKILL), the containers' process groups are
# killed (pdeathsig would not reach a JVM that a `sh -c` forked: dash does not exec its last command).
# shellcheck disable=SC2016 # expanded by the watchdog shell
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
  while read -r g; do kill -KILL -- "-$g" 2>/dev/null; done <"$2"; rm -rf "${2%/pgids}"' \
  watchdog $$ "$tmp/pgids" >/dev/null 2>&1 &
watchdog=$!
host_home_before=$([ -e /home/rocketmq ] && echo yes || echo no)

# port_free PORT: nothing listens on it
port_free() { [ -z "$(ss -Htln "sport = :$1")" ]; }
pick_port() { # pick_port OFFSET...: a port P in 20000-32767 with P+OFFSET free for each offset
  local p o ok
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    ok=1
    for o in "$@"; do port_free $((p + o)) || ok=0; done
    [ $ok = 1 ] && echo $p && return 0
  done
  return 1
}
ns_port=$(pick_port 0) || fail "no free port"
while :; do # the broker uses listenPort-2 (fast remoting), listenPort and listenPort+1 (HA)
  br_port=$(pick_port -2 0 1) || fail "no free ports"
  if [ "$ns_port" -lt $((br_port - 2)) ] || [ "$ns_port" -gt $((br_port + 1)) ]; then break; fi
done

# The pods' volumes: conf (a ConfigMap), logs, store.
mkdir -p "$tmp/ns/conf" "$tmp/ns/logs" "$tmp/br/conf" "$tmp/br/logs" "$tmp/br/store" "$tmp/adm/logs"
echo "listenPort=$ns_port" >"$tmp/ns/conf/namesrv.conf"
cat >"$tmp/br/conf/broker.conf" <<EOF
brokerClusterName=LocalImagesCluster
brokerName=broker-li
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=$br_port
autoCreateTopicEnable=true
mappedFileSizeCommitLog=104857600
mappedFileSizeConsumeQueue=600000
maxIndexNum=1000
maxHashSlotNum=4000
EOF

image_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/home/rocketmq
  "ROCKETMQ_VERSION=$version" "ROCKETMQ_HOME=$rmq_home")

# The launcher of container mode, run by `unshare --mount`: lays each top-level entry of the image
# root over the host's, mounts a private /dev/shm and the volumes, then runs argv in the working
# directory with exactly the given environment.
# Arguments: IMAGE_ROOT SCRATCH WORKDIR VOLUMES(src:dst,...) NAME=VALUE... ARGV...
# shellcheck disable=SC2016 # expanded by the launcher's shell
launcher='
set -e
img=$1 scratch=$2 wd=$3 vols=$4
shift 4
for e in "$img"/*; do
  x=${e##*/}
  [ -d "/$x" ] || { echo "launcher: /$x does not exist on the host (needs a new root)" >&2; exit 1; }
  mkdir -p "$scratch/upper/$x" "$scratch/work/$x"
  # The image over the host; with the image root under /$x the kernel refuses overlapping layers
  # (ELOOP) and the image alone is used (hiding the host /$x, as a real container does).
  mount -t overlay overlay -o "lowerdir=$e:/$x,upperdir=$scratch/upper/$x,workdir=$scratch/work/$x" "/$x" 2>/dev/null ||
    mount -t overlay overlay -o "lowerdir=$e,upperdir=$scratch/upper/$x,workdir=$scratch/work/$x" "/$x"
done
mount -t tmpfs -o size=64m,mode=1777 shm /dev/shm
old_ifs=$IFS
IFS=,
for v in $vols; do
  mkdir -p "${v#*:}"
  mount --bind "${v%%:*}" "${v#*:}"
done
IFS=$old_ifs
cd "$wd"
exec env -i "$@"
'

# start NAME VOLUMES(src:dst,...) NAME=VALUE... -- ARGV...: starts a container in its own process
# group (pid = pgid in $started, also listed in $tmp/pgids for the watchdog), output in
# $tmp/NAME.out.
start() {
  local name=$1 vols=$2
  shift 2
  local env=() argv
  while [ "$1" != -- ]; do
    env+=("$1")
    shift
  done
  shift
  argv=("$@")
  if [ $mode = container ]; then
    mkdir -p "$tmp/$name.scratch"
    setsid unshare --mount --propagation private -- /bin/sh -c "$launcher" launcher \
      "$img" "$tmp/$name.scratch" "$rmq_home/bin" "$vols" "${image_env[@]}" "${env[@]}" "${argv[@]}" \
      >"$tmp/$name.out" 2>&1 &
  else
    # Host mode: HOME is a per-container directory whose logs/ and store/ are the volumes, the
    # GC log goes to the test directory, ROCKETMQ_HOME (/home/rocketmq/..., absent here) is
    # replaced by the scripts' own location.
    local h="$tmp/$name.home" v
    mkdir -p "$h"
    IFS=, read -r -a v <<<"$vols"
    for v in "${v[@]}"; do ln -s "${v%%:*}" "$h/${v##*/}"; done
    (cd "$home/bin" && exec setsid env -i "${image_env[@]}" "HOME=$h" "RMQ_GC_LOG_DIR=$tmp" "${env[@]}" \
      "${argv[@]}") >"$tmp/$name.out" 2>&1 &
  fi
  started=$!
  pgids+=("$started")
  echo "$started" >>"$tmp/pgids"
}

# conf PATH-IN-POD NAME: the path a container uses for its conf volume
conf() {
  if [ $mode = container ]; then echo "/home/rocketmq/conf/$1"; else echo "$tmp/$2/conf/$1"; fi
}

# wait_line PID FILE TEXT TIMEOUT_S: waits until FILE has TEXT; fails if PID exits first
wait_line() {
  local i=0
  until grep -qF "$3" "$2" 2>/dev/null; do
    kill -0 "$1" 2>/dev/null || fail "process $1 exited before '$3':$(printf '\n')$(tail -n 30 "$2")"
    [ $i -lt $(($4 * 20)) ] || fail "no '$3' within $4 s:$(printf '\n')$(tail -n 30 "$2")"
    sleep 0.05
    i=$((i + 1))
  done
}

# java_args PGID: the command line of the java process in that group
java_args() {
  local p
  p=$(pgrep -g "$1" -x java | head -n 1)
  [ -n "$p" ] || return 1
  tr '\0' ' ' <"/proc/$p/cmdline"
}

t0=$(date +%s%N)
start ns "$tmp/ns/conf:/home/rocketmq/conf,$tmp/ns/logs:/home/rocketmq/logs" HEAP_OPTS="-Xms64m -Xmx128m" -- \
  ./docker-entrypoint.sh nameserver -c "$(conf namesrv.conf ns)"
ns_pid=$started
wait_line $ns_pid "$tmp/ns.out" "The Name Server boot success" 120
ns_ms=$(ms_since "$t0")
pass "name server up on 127.0.0.1:$ns_port in $ns_ms ms (entrypoint 'nameserver -c', HEAP_OPTS)"

args=$(java_args $ns_pid) || fail "no java process in the name server's group"
grep -q -- '-Xmx128m' <<<"$args" || fail "HEAP_OPTS not used: $args"
! grep -q -- '-Xmx256m' <<<"$args" || fail "default heap used despite HEAP_OPTS: $args"
grep -q -- "-Drmq.logback.configurationFile=$([ $mode = container ] && echo "$rmq_home" || echo "$home")/conf/rmq.namesrv.logback.xml" <<<"$args" ||
  fail "unexpected logback configuration: $args"
if [ $mode = container ]; then
  grep -q -- '-Duser.home=/home/rocketmq ' <<<"$args" || fail "user.home is not /home/rocketmq: $args"
  [ "$(readlink "/proc/$(pgrep -g $ns_pid -x java)/cwd")" = "$rmq_home/bin" ] || fail "cwd is not $rmq_home/bin"
fi
pass "name server JVM: HEAP_OPTS heap, the image's logback configuration, user.home and cwd of the image"

t0=$(date +%s%N)
start br "$tmp/br/conf:/home/rocketmq/conf,$tmp/br/logs:/home/rocketmq/logs,$tmp/br/store:/home/rocketmq/store" \
  NAMESRV_ADDR="127.0.0.1:$ns_port" JAVA_OPT_EXT="-Dlocal.images.test=ext -Xmx384m" -- \
  /bin/sh -c "./mqbroker -c $(conf broker.conf br)"
br_pid=$started
wait_line $br_pid "$tmp/br.out" "The broker[broker-li, 127.0.0.1:$br_port] boot success" 180
br_ms=$(ms_since "$t0")
pass "broker up on 127.0.0.1:$br_port in $br_ms ms (/bin/sh -c './mqbroker -c ...', NAMESRV_ADDR)"

args=$(java_args $br_pid) || fail "no java process in the broker's group"
# JAVA_OPT_EXT comes after the default heap, so its -Xmx wins.
rest=${args#*-Xmx512m}
if [ "$rest" = "$args" ] || ! grep -q -- '-Dlocal.images.test=ext -Xmx384m' <<<"$rest"; then
  fail "JAVA_OPT_EXT is not after the default options: $args"
fi
grep -q -- '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED' <<<"$args" || fail "no module openings: $args"
pass "broker JVM: default heap, then JAVA_OPT_EXT last; Java 9+ module openings"

# A 5.3.3 broker registers on the name server either right at its boot line or about 10 s later:
# the registration in BrokerController.start() goes to the "available" name servers, a list that
# a background scan fills; when the scan has not connected yet, the first registration is the
# periodic task's (initial delay 10 s).
t0=$(date +%s%N)
wait_line $br_pid "$tmp/br/logs/rocketmqlogs/broker.log" "Registering current broker to name server completed" 60
reg_ms=$(ms_since "$t0")
echo "broker registered on the name server $reg_ms ms after its boot line"

listed=""
for attempt in 1 2 3; do
  t0=$(date +%s%N)
  start "adm$attempt" "$tmp/adm/logs:/home/rocketmq/logs" -- ./docker-entrypoint.sh ./mqadmin clusterList -n "127.0.0.1:$ns_port"
  wait "$started" || true
  adm_ms=$(ms_since "$t0")
  if grep -q "broker-li .*127.0.0.1:$br_port" "$tmp/adm$attempt.out"; then
    listed=$attempt
    break
  fi
  sleep 1
done
[ -n "$listed" ] || fail "mqadmin clusterList does not list the broker:$(printf '\n')$(cat "$tmp/adm$attempt.out")"
grep -E "LocalImagesCluster +broker-li" "$tmp/adm$listed.out" | head -n 1
pass "mqadmin clusterList (through the entrypoint) lists broker-li at 127.0.0.1:$br_port (attempt $listed, $adm_ms ms)"

[ -s "$tmp/ns/logs/rocketmqlogs/namesrv.log" ] || fail "no namesrv.log in the name server's logs volume"
[ -s "$tmp/br/logs/rocketmqlogs/broker.log" ] || fail "no broker.log in the broker's logs volume"
[ -d "$tmp/br/store/commitlog" ] || fail "no commitlog in the broker's store volume (~/store)"
[ -e "$tmp/adm/logs/rocketmqlogs/tools.log" ] || fail "no tools.log in mqadmin's logs volume"
pass "logs in ~/logs/rocketmqlogs and the store in ~/store, i.e. in the pods' volumes"

# stop PID NAME: SIGTERM to the group, as at pod deletion; waits up to 30 s
stop() {
  local t0 rc=0
  t0=$(date +%s%N)
  kill -TERM -- "-$1"
  wait "$1" || rc=$?
  local i=0
  while pgrep -g "$1" >/dev/null; do
    [ $i -lt 300 ] || fail "$2: processes left in group $1 after 30 s"
    sleep 0.1
    i=$((i + 1))
  done
  echo "$2 stopped in $(ms_since "$t0") ms (exit $rc)"
  [ $rc = 143 ] || [ $rc = 0 ] || fail "$2 exited $rc after SIGTERM:$(printf '\n')$(tail -n 20 "$tmp/$2.out")"
}
stop $br_pid br
[ ! -e "$tmp/br/store/abort" ] || fail "the broker did not shut down cleanly (store/abort left)"
stop $ns_pid ns
pgids=()
pass "SIGTERM stops both JVMs cleanly (no store/abort), no process left"

if [ $mode = container ]; then
  ! grep -q " /home/rocketmq" /proc/self/mountinfo || fail "image mounts visible on the host"
  [ -z "$(find /dev/shm -maxdepth 1 -name 'rmq_*gc*' -newer "$tmp/marker" 2>/dev/null)" ] ||
    fail "GC logs were written to the host's /dev/shm"
  ls "$tmp/br.scratch/upper/home/rocketmq" >/dev/null || fail "no writable layer for the broker"
fi
[ "$host_home_before" = yes ] || [ ! -e /home/rocketmq ] || fail "/home/rocketmq was created on the host"
[ -z "$(find "$img" -newer "$tmp/marker" -print -quit)" ] || fail "something was written into the image root"
if [ $mode = container ]; then
  pass "nothing left on the host (mounts, /dev/shm, /home) and nothing written into the image root"
else
  pass "nothing left in /home and nothing written into the image root"
fi

echo "JVM start to boot line: name server $ns_ms ms, broker $br_ms ms (+ $reg_ms ms to its registration); mqadmin call $adm_ms ms ($mode mode)"
echo "$checks passed, 0 failed"
