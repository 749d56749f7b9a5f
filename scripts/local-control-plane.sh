#!/usr/bin/env bash
# A local Kubernetes control plane on 127.0.0.1: etcd + kube-apiserver (+ kube-controller-manager),
# built from Go modules by scripts/k8s-bins.sh, with certificates made by the openssl CLI.
#
#   local-control-plane.sh start [--dir DIR] [--with-controller-manager] [--owner-pid PID]
#                                [--api-port PORT] [--etcd-port PORT]
#       Starts the plane in the background and returns once the apiserver's /readyz (and the
#       controller manager's /healthz) answer ok. Prints the state directory on stdout.
#   local-control-plane.sh env [DIR]  prints `export KUBECONFIG=... PATH=...` lines (for eval)
#   local-control-plane.sh stop [DIR] [--keep]   (DIR defaults to $RMQ_K8S_DIR, which env sets)
#       Stops every process of the plane (controller manager, apiserver, etcd, in that order) and
#       waits for them. A state directory that start created itself (no --dir) is removed,
#       unless --keep or RMQ_KEEP_TEST_DIRS=1.
#   local-control-plane.sh run [same options as start]
#       The same plane in the foreground: Ctrl-C / SIGTERM stops it.
#
# Options (and the environment variables that set them):
#   --dir DIR                   state directory; default: a fresh temp directory.
#                               Holds pki/, kubeconfig, logs/, etcd/ (data), state.env. An existing
#                               DIR is reused: its certificates and etcd data are kept.
#   --with-controller-manager   also run kube-controller-manager (RMQ_K8S_WITH_KCM=1)
#   --owner-pid PID             stop the plane when process PID is gone (RMQ_K8S_OWNER_PID), so a
#                               test that is killed outright leaves no processes behind
#   --api-port PORT             the apiserver's port (RMQ_K8S_API_PORT); start fails if it is in use
#   --etcd-port PORT            etcd's client port (RMQ_K8S_ETCD_PORT); same
#
# Restarting on the same DIR: start writes DIR/ports (etcd, etcd peer, apiserver and controller
# manager ports). A later start on that DIR reuses each of them that nothing listens on (a busy
# one is replaced by a fresh one, with a log line); --api-port/--etcd-port override. So
#   d=$(local-control-plane.sh start); local-control-plane.sh stop "$d" --keep
#   local-control-plane.sh start --dir "$d"
# brings the plane back with the same apiserver and etcd URLs, certificates, kubeconfig and data.
#   RMQ_K8S_START_TIMEOUT       seconds to wait for readiness (default 180)
#   RMQ_K8S_BIN_DIR             use these binaries instead of scripts/k8s-bins.sh
#   RMQ_APISERVER_ARGS, RMQ_KCM_ARGS   extra flags (word-split) for kube-apiserver / the KCM
#
# Processes: start runs a supervisor (this script, mode `supervise`) in its own session; the
# supervisor starts each component with a parent-death signal (setpriv --pdeathsig KILL), so
# killing the supervisor, even with SIGKILL, takes the components with it. It stops them in order
# (SIGTERM, then SIGKILL after 15 s) on SIGTERM/SIGINT, when the owner is gone, or when any
# component dies (then the directory is kept and start/run fail with that component's log).
# New ports are free ones in 20000-32767, below the ephemeral range.
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "local-control-plane: $*" >&2
  exit 1
}
log() { echo "local-control-plane: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------------------------------------
# Options

dir=""
with_kcm=${RMQ_K8S_WITH_KCM:-0}
owner_pid=${RMQ_K8S_OWNER_PID:-}
keep=${RMQ_KEEP_TEST_DIRS:-0}
timeout=${RMQ_K8S_START_TIMEOUT:-180}
api_port_opt=${RMQ_K8S_API_PORT:-}
etcd_port_opt=${RMQ_K8S_ETCD_PORT:-}

parse_opts() {
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=${2:?--dir needs a value}; shift 2 ;;
      --dir=*) dir=${1#--dir=}; shift ;;
      --with-controller-manager) with_kcm=1; shift ;;
      --owner-pid) owner_pid=${2:?--owner-pid needs a value}; shift 2 ;;
      --owner-pid=*) owner_pid=${1#--owner-pid=}; shift ;;
      --api-port) api_port_opt=${2:?--api-port needs a value}; shift 2 ;;
      --api-port=*) api_port_opt=${1#--api-port=}; shift ;;
      --etcd-port) etcd_port_opt=${2:?--etcd-port needs a value}; shift 2 ;;
      --etcd-port=*) etcd_port_opt=${1#--etcd-port=}; shift ;;
      --keep) keep=1; shift ;;
      -h | --help) usage ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
  done
  local p
  for p in "$api_port_opt" "$etcd_port_opt"; do
    case $p in
      '') ;;
      *[!0-9]*) die "bad port '$p' (--api-port/--etcd-port take a number in 1-65535)" ;;
      *) if [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "port $p is not in 1-65535"; fi ;;
    esac
  done
  if [ -n "$api_port_opt" ] && [ "$api_port_opt" = "$etcd_port_opt" ]; then
    die "--api-port and --etcd-port are both $api_port_opt"
  fi
}

# ---------------------------------------------------------------------------------------------
# Ports: pick ports in 20000-32767 (below Linux's default ephemeral range, so outgoing connections
# do not take them) that nothing listens on, per /proc/net/tcp{,6}.

listening_ports() {
  local _sl local_addr _rem st _rest
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | while read -r _sl local_addr _rem st _rest; do
    if [ "$st" = 0A ]; then echo $((16#${local_addr##*:})); fi
  done
}

# choose_ports: sets etcd_port peer_port api_port kcm_port and writes them to DIR/ports. Each is
# the explicit option (etcd, apiserver; an error if something listens on it), else the port of
# the last start in DIR/ports if nothing listens on it, else a fresh free one.
choose_ports() {
  local k v p prev_etcd="" prev_peer="" prev_api="" prev_kcm=""
  if [ -f "$dir/ports" ]; then
    while IFS='=' read -r k v; do
      case $k in
        etcd) prev_etcd=$v ;;
        etcd_peer) prev_peer=$v ;;
        apiserver) prev_api=$v ;;
        controller_manager) prev_kcm=$v ;;
      esac
    done <"$dir/ports"
  fi
  avoid=" $(listening_ports | tr '\n' ' ') " # not available: listening or already chosen
  for p in $etcd_port_opt $api_port_opt; do
    case $avoid in *" $p "*)
      failed="port $p (--etcd-port/--api-port or RMQ_K8S_ETCD_PORT/RMQ_K8S_API_PORT) is in use"
      exit 1
      ;;
    esac
  done
  avoid+="$etcd_port_opt $api_port_opt "
  etcd_port=$etcd_port_opt
  if [ -z "$etcd_port" ]; then
    pick_port etcd "$prev_etcd"
    etcd_port=$picked
  fi
  api_port=$api_port_opt
  if [ -z "$api_port" ]; then
    pick_port kube-apiserver "$prev_api"
    api_port=$picked
  fi
  pick_port "etcd peer" "$prev_peer"
  peer_port=$picked
  pick_port kube-controller-manager "$prev_kcm"
  kcm_port=$picked
  printf 'etcd=%s\netcd_peer=%s\napiserver=%s\ncontroller_manager=%s\n' \
    "$etcd_port" "$peer_port" "$api_port" "$kcm_port" >"$dir/ports.tmp"
  mv "$dir/ports.tmp" "$dir/ports"
}

# pick_port NAME PREVIOUS: sets $picked to PREVIOUS if it is not in $avoid, else to a fresh port
# in 20000-32767 that is not; adds it to $avoid.
pick_port() {
  local name=$1 prev=$2 p
  case "$prev:$avoid" in
    :*) p="" ;;
    *" $prev "*)
      log "$name port $prev of the last start is in use, picking another"
      p=""
      ;;
    *) p=$prev ;;
  esac
  while [ -z "$p" ]; do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
    case $avoid in *" $p "*) p="" ;; esac
  done
  picked=$p
  avoid+="$p "
}

# ---------------------------------------------------------------------------------------------
# Certificates (openssl CLI), all ECDSA P-256. Kept when they already exist in DIR.

make_pki() {
  local p=$dir/pki
  [ -f "$p/.complete" ] && return 0
  rm -rf "$p"
  mkdir -p "$p"
  (
    cd "$p"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 3650 -subj "/CN=rmq-local-ca" \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature
    # Serving certificate of the apiserver: loopback plus the in-cluster names and the first
    # service IP of --service-cluster-ip-range.
    cat >apiserver.ext <<'EOF'
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment
EOF
    openssl req "${ec[@]}" -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt
    # Client certificate: CN is the user, O the group; system:masters is cluster-admin.
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
      >client.ext
    openssl req "${ec[@]}" -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin"
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt
    # Service-account token signing key pair (apiserver signs and verifies, KCM signs).
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key
    openssl ec -in sa.key -pubout -out sa.pub
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key
  ) >"$dir/logs/openssl.log" 2>&1 || die "openssl failed: $(cat "$dir/logs/openssl.log")"
  touch "$p/.complete"
}

write_kubeconfig() { # write_kubeconfig FILE SERVER
  local b64="base64 -w0"
  cat >"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $2
    certificate-authority-data: $($b64 <"$dir/pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 <"$dir/pki/admin.crt")
    client-key-data: $($b64 <"$dir/pki/admin.key")
contexts:
- name: local
  context: {cluster: local, user: admin}
current-context: local
EOF
  chmod 600 "$1.tmp"
  mv "$1.tmp" "$1"
}

# ---------------------------------------------------------------------------------------------
# Supervisor: runs in the foreground (mode `supervise`, used by start and run).

pids=()  # component pids, in start order
names=() # their names
stopping=0
failed=""

# spawn NAME BINARY ARGS...: runs it with SIGKILL as parent-death signal, log in logs/NAME.log.
# KILL, not TERM: the parent-death signal only matters when the supervisor itself was killed
# outright, and then etcd and the apiserver get it at the same moment; an apiserver told to
# terminate gracefully while its etcd goes away hangs in its shutdown (seen: > 20 s).
spawn() {
  local name=$1
  shift
  setpriv --pdeathsig KILL -- "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  pids+=("$!")
  names+=("$name")
  log "started $name (pid $!)"
}

stop_components() {
  local i pid waited
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 150 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "${names[i]} did not stop in 15s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    log "stopped ${names[i]}"
  done
  pids=()
  names=()
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_components
  rm -f "$dir/supervisor.pid" "$dir/ready" "$dir/state.env"
  if [ -n "$failed" ] || [ "$rc" != 0 ]; then
    echo "${failed:-supervisor exited with status $rc}" >"$dir/failed"
    log "failed: ${failed:-exit status $rc}; state kept in $dir"
    exit 1
  fi
  if [ -f "$dir/.temporary" ] && [ "$keep" != 1 ]; then
    rm -rf "$dir"
  fi
  exit "$rc"
}

on_signal() {
  stopping=1
  exit 0
}

owner_gone() {
  [ -n "$owner_pid" ] && ! kill -0 "$owner_pid" 2>/dev/null
}

check_alive() { # fails (sets $failed) when a component has exited
  local i
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      failed="${names[i]} exited; last lines of $dir/logs/${names[i]}.log:
$(tail -n 20 "$dir/logs/${names[i]}.log" 2>/dev/null)"
      return 1
    fi
  done
}

wait_until() { # wait_until DEADLINE DESCRIPTION COMMAND...: polls every 0.2 s
  local deadline=$1 what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    check_alive || exit 1
    if owner_gone; then
      log "owner process $owner_pid is gone, stopping"
      exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      failed="$what not ready after ${timeout}s"
      exit 1
    fi
    sleep 0.2
  done
}

elapsed() { # elapsed T0_NANOSECONDS -> seconds with 2 decimals
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}

curl_ok() { # curl_ok URL CURL-ARGS...: the body is exactly "ok"
  local url=$1
  shift
  [ "$(curl -sS --max-time 5 "$@" "$url")" = ok ]
}

supervise() {
  [ -n "$dir" ] || die "supervise needs --dir"
  mkdir -p "$dir/logs"
  echo $$ >"$dir/supervisor.pid"
  rm -f "$dir/failed" "$dir/ready"
  trap on_exit EXIT
  trap on_signal INT TERM HUP
  set -E # say which command failed, not just the exit status
  trap 'failed=${failed:-"line $LINENO: $BASH_COMMAND failed"}' ERR

  local bin
  if [ -n "${RMQ_K8S_BIN_DIR:-}" ]; then
    bin=$RMQ_K8S_BIN_DIR
  else
    bin=$("$root/scripts/k8s-bins.sh") || {
      failed="scripts/k8s-bins.sh failed"
      exit 1
    }
  fi
  local b
  for b in etcd kube-apiserver kubectl $([ "$with_kcm" = 1 ] && echo kube-controller-manager); do
    [ -x "$bin/$b" ] || {
      failed="$bin/$b is missing"
      exit 1
    }
  done
  for b in openssl curl setpriv; do
    command -v $b >/dev/null || {
      failed="$b is not installed (scripts/setup.sh installs it)"
      exit 1
    }
  done

  local t0 deadline
  t0=$(date +%s%N)
  deadline=$(($(date +%s) + timeout))
  make_pki
  local p=$dir/pki
  local etcd_port peer_port api_port kcm_port
  choose_ports
  local etcd_url=http://127.0.0.1:$etcd_port server=https://127.0.0.1:$api_port
  write_kubeconfig "$dir/kubeconfig" "$server"

  mkdir -p "$dir/etcd"
  chmod 700 "$dir/etcd"
  spawn etcd "$bin/etcd" --name=local --data-dir="$dir/etcd" \
    --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="local=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync --log-level=warn
  wait_until "$deadline" etcd curl_ok "$etcd_url/readyz"

  # --shutdown-watch-termination-grace-period: without it, a SIGTERM with a client's watch open
  # leaves the apiserver waiting for that watch until the 15 s SIGKILL (seen: stop took 17 s
  # instead of 3 s); with it, open watches are ended cleanly and stop takes ~3 s.
  # shellcheck disable=SC2086 # RMQ_APISERVER_ARGS is a word list on purpose
  spawn kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers="$etcd_url" \
    --bind-address=127.0.0.1 --secure-port="$api_port" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" \
    --service-account-signing-key-file="$p/sa.key" \
    --authorization-mode=Node,RBAC \
    --disable-admission-plugins=ServiceAccount \
    --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --shutdown-watch-termination-grace-period=1s \
    ${RMQ_APISERVER_ARGS:-}
  local auth=(--cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key")
  wait_until "$deadline" kube-apiserver curl_ok "$server/readyz" "${auth[@]}"
  wait_until "$deadline" "namespace default" \
    curl -sSf --max-time 5 "${auth[@]}" "$server/api/v1/namespaces/default"
  local t_api
  t_api=$(elapsed "$t0")

  local kcm_url=""
  if [ "$with_kcm" = 1 ]; then
    kcm_url=https://127.0.0.1:$kcm_port
    # shellcheck disable=SC2086
    spawn kube-controller-manager "$bin/kube-controller-manager" \
      --kubeconfig="$dir/kubeconfig" \
      --authentication-kubeconfig="$dir/kubeconfig" \
      --authorization-kubeconfig="$dir/kubeconfig" \
      --leader-elect=false \
      --bind-address=127.0.0.1 --secure-port="$kcm_port" \
      --root-ca-file="$p/ca.crt" \
      --service-account-private-key-file="$p/sa.key" \
      --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
      --kube-api-qps=1000 --kube-api-burst=2000 \
      --profiling=false \
      ${RMQ_KCM_ARGS:-}
    wait_until "$deadline" kube-controller-manager curl_ok "$kcm_url/healthz" --insecure
  fi
  local t_all
  t_all=$(elapsed "$t0")

  cat >"$dir/state.env.tmp" <<EOF
RMQ_K8S_DIR=$dir
KUBECONFIG=$dir/kubeconfig
RMQ_K8S_BIN_DIR=$bin
RMQ_K8S_APISERVER=$server
RMQ_K8S_ETCD=$etcd_url
RMQ_K8S_KCM=$kcm_url
RMQ_K8S_READY_SECONDS=$t_all
RMQ_K8S_SUPERVISOR_PID=$$
RMQ_K8S_PIDS=${pids[*]}
EOF
  mv "$dir/state.env.tmp" "$dir/state.env"
  touch "$dir/ready"
  log "ready in ${t_all}s (apiserver ready ${t_api}s after start): $server, kubeconfig $dir/kubeconfig"

  # Watch: a component exiting is a failure; the owner exiting is a stop.
  while :; do
    sleep 1 &
    wait -n "$!" "${pids[@]}" || true
    [ $stopping = 1 ] && exit 0
    check_alive || exit 1
    if owner_gone; then
      log "owner process $owner_pid is gone, stopping"
      exit 0
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Client side: start / stop / env / run

new_dir() {
  if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/rmq-k8s.XXXXXX")
    touch "$dir/.temporary"
  else
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
  fi
  if [ -f "$dir/supervisor.pid" ] && kill -0 "$(cat "$dir/supervisor.pid")" 2>/dev/null; then
    die "a plane is already running in $dir (stop it first)"
  fi
  mkdir -p "$dir/logs"
}

supervisor_args() {
  local a=(supervise --dir "$dir")
  [ "$with_kcm" = 1 ] && a+=(--with-controller-manager)
  [ -n "$owner_pid" ] && a+=(--owner-pid "$owner_pid")
  [ "$keep" = 1 ] && a+=(--keep)
  [ -n "$api_port_opt" ] && a+=(--api-port "$api_port_opt")
  [ -n "$etcd_port_opt" ] && a+=(--etcd-port "$etcd_port_opt")
  echo "${a[@]}"
}

report_failure() {
  [ -f "$dir/failed" ] && cat "$dir/failed" >&2
  echo "local-control-plane: supervisor log: $dir/logs/supervisor.log" >&2
  tail -n 5 "$dir/logs/supervisor.log" >&2 || true
}

launch_supervisor() { # sets $sup: the supervisor in its own session, log in logs/supervisor.log
  # shellcheck disable=SC2046
  setsid bash "$self" $(supervisor_args) >"$dir/logs/supervisor.log" 2>&1 </dev/null &
  sup=$!
}

cmd_start() {
  parse_opts "$@"
  new_dir
  launch_supervisor
  # If start itself is interrupted before the plane is ready, take the plane down with it.
  trap 'kill -TERM $sup 2>/dev/null; wait $sup 2>/dev/null; exit 1' INT TERM HUP
  while [ ! -f "$dir/ready" ]; do
    if ! kill -0 "$sup" 2>/dev/null; then
      wait "$sup" 2>/dev/null || true
      echo "local-control-plane: start failed" >&2
      report_failure
      exit 1
    fi
    sleep 0.2
  done
  trap - INT TERM HUP
  grep -h 'ready in' "$dir/logs/supervisor.log" >&2 || true
  echo "$dir"
}

cmd_run() {
  parse_opts "$@"
  new_dir
  # The supervisor runs in its own session (Ctrl-C reaches only this process, which stops the
  # components in order) and stops by itself if this process is killed outright.
  [ -n "$owner_pid" ] || owner_pid=$$
  log "state directory $dir (logs in $dir/logs); Ctrl-C stops"
  launch_supervisor
  trap 'kill -TERM $sup 2>/dev/null' INT TERM HUP
  tail -n +1 -F --pid="$sup" "$dir/logs/supervisor.log" >&2 2>/dev/null &
  local rc=0
  while :; do # wait returns early when a trapped signal arrives
    wait "$sup" && rc=0 || rc=$?
    kill -0 "$sup" 2>/dev/null || break
  done
  sleep 0.3 # let tail print the last lines
  [ -f "$dir/failed" ] && rc=1
  exit "$rc"
}

state_dir_arg() {
  if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
    dir=$1
    shift
  fi
  rest=("$@")
  dir=${dir:-${RMQ_K8S_DIR:-}}
  [ -n "$dir" ] || die "which state directory? (argument or RMQ_K8S_DIR)"
  [ -d "$dir" ] || die "$dir does not exist"
}

cmd_stop() {
  local rest
  state_dir_arg "$@"
  parse_opts "${rest[@]}"
  local pid
  if [ ! -f "$dir/supervisor.pid" ]; then
    log "nothing running in $dir"
  else
    pid=$(cat "$dir/supervisor.pid")
    if kill -0 "$pid" 2>/dev/null; then
      # A stop asked for with --keep must not remove the directory: tell the supervisor.
      [ "$keep" = 1 ] && rm -f "$dir/.temporary"
      kill -TERM "$pid"
      local i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do # 60 s
        sleep 0.1
        i=$((i + 1))
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "supervisor $pid did not stop in 60s, killing its process group"
        kill -KILL -- "-$pid" 2>/dev/null || true
      fi
    fi
  fi
  # A supervisor that already cleaned up removed a temporary directory itself.
  if [ -d "$dir" ] && [ -f "$dir/.temporary" ] && [ "$keep" != 1 ]; then
    rm -rf "$dir"
  fi
  log "stopped"
}

cmd_env() {
  local rest
  state_dir_arg "$@"
  [ -f "$dir/state.env" ] || die "$dir has no running plane (no state.env)"
  local k v
  while IFS='=' read -r k v; do
    printf 'export %s=%q\n' "$k" "$v"
  done <"$dir/state.env"
  # shellcheck disable=SC2016
  printf 'export PATH=%q:"$PATH"\n' "$(sed -n 's/^RMQ_K8S_BIN_DIR=//p' "$dir/state.env")"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  env) shift; cmd_env "$@" ;;
  run) shift; cmd_run "$@" ;;
  supervise) shift; parse_opts "$@"; supervise ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
