#!/usr/bin/env bash
# Integration test of scripts/local-control-plane.sh with the real etcd, kube-apiserver,
# kube-controller-manager and kubectl from scripts/k8s-bins.sh (built by scripts/test.sh before
# ctest; a missing binary or tool fails the test, nothing skips).
#
# 1. A plane with the controller manager: /readyz, server version, namespace + ConfigMap via
#    server-side apply (a second identical apply keeps the resourceVersion, a changed one bumps
#    it), delete, namespace finalized by the controller manager, stop leaves no process and no dir.
# 2. No orphans when things are killed outright: SIGKILL of the supervisor takes etcd and the
#    apiserver with it (parent-death signal); SIGKILL of the owner process (--owner-pid) stops the
#    whole plane.
# 3. Restart: `stop --keep` then `start --dir` on the same directory brings the plane back on the
#    same apiserver and etcd URLs (DIR/ports) with its data (a ConfigMap created before is still
#    there, same resourceVersion); an explicit --api-port that is in use fails the start.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
lcp="$root/scripts/local-control-plane.sh"
checks=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() {
  checks=$((checks + 1))
  echo "ok $checks - $*"
}

dirs=()
cleanup() {
  local d
  for d in "${dirs[@]}"; do
    if [ -d "$d" ]; then "$lcp" stop "$d" >/dev/null 2>&1 || true; fi
  done
}
trap cleanup EXIT

# alive PID...: succeeds when any of them still runs
alive() {
  local p
  for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

# gone_within SECONDS PID...: waits until none of the pids runs
gone_within() {
  local limit=$(($1 * 10)) i=0
  shift
  while alive "$@"; do
    [ $i -lt $limit ] || return 1
    sleep 0.1
    i=$((i + 1))
  done
}

state() { sed -n "s/^$2=//p" "$1/state.env"; }

# --- 1. full plane ------------------------------------------------------------------------------
t0=$(date +%s%N)
dir=$("$lcp" start --with-controller-manager --owner-pid $$) || fail "start failed"
dirs+=("$dir")
echo "plane up in $((($(date +%s%N) - t0) / 1000000)) ms (script reports $(state "$dir" RMQ_K8S_READY_SECONDS)s): $dir"
eval "$("$lcp" env "$dir")"
[ "$KUBECONFIG" = "$dir/kubeconfig" ] || fail "env did not export KUBECONFIG"
[ "$(command -v kubectl)" = "$RMQ_K8S_BIN_DIR/kubectl" ] || fail "env did not put kubectl on PATH"
sup=$(state "$dir" RMQ_K8S_SUPERVISOR_PID)
read -r -a pids <<<"$(state "$dir" RMQ_K8S_PIDS)"
[ ${#pids[@]} -eq 3 ] || fail "expected 3 components (etcd, apiserver, KCM), got ${pids[*]}"
pass "start with --with-controller-manager: 3 components running"

[ "$(kubectl get --raw /readyz)" = ok ] || fail "/readyz is not ok"
pass "kubectl get --raw /readyz = ok"

ver=$(kubectl version -o json)
[ "$(grep -c '"gitVersion": "v1.36.3"' <<<"$ver")" = 2 ] || fail "unexpected versions: $ver"
pass "server and kubectl report v1.36.3"

[ "$(curl -sS --insecure "$RMQ_K8S_KCM/healthz")" = ok ] || fail "KCM /healthz is not ok"
pass "kube-controller-manager /healthz = ok"

kubectl get ns default -o name | grep -qx namespace/default || fail "no default namespace"
kubectl create namespace rmq-lcp-test >/dev/null
pass "namespace created"

cm() { # cm VALUE: a ConfigMap manifest
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: rmq-lcp-test\ndata:\n  brokerRole: %s\n' "$1"
}
rv() { kubectl -n rmq-lcp-test get configmap settings -o jsonpath='{.metadata.resourceVersion}'; }
cm ASYNC_MASTER | kubectl apply --server-side --field-manager=rmq-test -f - >/dev/null
rv1=$(rv)
[ -n "$rv1" ] || fail "ConfigMap has no resourceVersion"
pass "ConfigMap created by server-side apply (resourceVersion $rv1)"

cm ASYNC_MASTER | kubectl apply --server-side --field-manager=rmq-test -f - >/dev/null
rv2=$(rv)
[ "$rv2" = "$rv1" ] || fail "identical server-side apply changed resourceVersion $rv1 -> $rv2"
pass "identical server-side apply keeps resourceVersion $rv2"

cm SLAVE | kubectl apply --server-side --field-manager=rmq-test -f - >/dev/null
rv3=$(rv)
role=$(kubectl -n rmq-lcp-test get configmap settings -o jsonpath='{.data.brokerRole}')
if [ "$rv3" = "$rv2" ] || [ "$role" != SLAVE ]; then
  fail "changed apply: resourceVersion $rv3 (was $rv2), brokerRole $role"
fi
pass "changed server-side apply updates data and resourceVersion ($rv2 -> $rv3)"

kubectl -n rmq-lcp-test delete configmap settings >/dev/null
out=$(kubectl -n rmq-lcp-test get configmap settings 2>&1) && fail "ConfigMap still there: $out"
grep -q NotFound <<<"$out" || fail "unexpected error after delete: $out"
pass "ConfigMap deleted (NotFound)"

# The namespace controller (in KCM) removes the 'kubernetes' finalizer; without KCM this hangs.
kubectl delete namespace rmq-lcp-test --wait=false >/dev/null
kubectl wait --for=delete namespace/rmq-lcp-test --timeout=90s >/dev/null ||
  fail "namespace not finalized (is the controller manager working?)"
pass "namespace deleted and finalized by the controller manager"

"$lcp" stop "$dir"
gone_within 5 "$sup" "${pids[@]}" || fail "processes left after stop: $(ps -o pid,args -p "$sup,$(
  IFS=,
  echo "${pids[*]}"
)" || true)"
[ ! -e "$dir" ] || fail "stop left the temporary directory $dir"
pass "stop ends supervisor, KCM, apiserver and etcd and removes the temporary directory"

# --- 2. killed outright -------------------------------------------------------------------------
unset KUBECONFIG
dir=$("$lcp" start --owner-pid $$) || fail "second start failed"
dirs+=("$dir")
sup=$(state "$dir" RMQ_K8S_SUPERVISOR_PID)
read -r -a pids <<<"$(state "$dir" RMQ_K8S_PIDS)"
[ ${#pids[@]} -eq 2 ] || fail "expected 2 components (etcd, apiserver), got ${pids[*]}"
kill -KILL "$sup"
gone_within 10 "${pids[@]}" || fail "components survived SIGKILL of the supervisor: ${pids[*]}"
"$lcp" stop "$dir" >/dev/null # only removes the directory now
[ ! -e "$dir" ] || fail "stop after a killed supervisor left $dir"
pass "SIGKILL of the supervisor takes etcd and the apiserver with it; stop then cleans up"

sleep 3600 &
owner=$!
dir=$("$lcp" start --owner-pid $owner) || fail "third start failed"
dirs+=("$dir")
sup=$(state "$dir" RMQ_K8S_SUPERVISOR_PID)
read -r -a pids <<<"$(state "$dir" RMQ_K8S_PIDS)"
kill -KILL $owner
wait $owner 2>/dev/null || true
gone_within 30 "$sup" "${pids[@]}" || fail "plane still running after its owner was killed"
[ ! -e "$dir" ] || fail "owner-triggered stop left the temporary directory $dir"
pass "SIGKILL of the --owner-pid process stops the plane and removes its directory"

# --- 3. restart on the same directory ------------------------------------------------------------
dir=$("$lcp" start --owner-pid $$) || fail "start for the restart failed"
dirs+=("$dir")
server=$(state "$dir" RMQ_K8S_APISERVER)
etcd=$(state "$dir" RMQ_K8S_ETCD)
kubectl=$(state "$dir" RMQ_K8S_BIN_DIR)/kubectl
k() { "$kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
k create configmap survivor --from-literal=kept=yes >/dev/null
rv1=$(k get configmap survivor -o jsonpath='{.metadata.resourceVersion}')
read -r -a pids <<<"$(state "$dir" RMQ_K8S_PIDS)"
"$lcp" stop "$dir" --keep 2>/dev/null
gone_within 5 "${pids[@]}" || fail "processes left after stop --keep"
{ [ -f "$dir/ports" ] && [ -d "$dir/etcd" ]; } || fail "stop --keep did not keep $dir/ports and etcd/"
pass "stop --keep stops the plane and keeps the directory ($(tr '\n' ' ' <"$dir/ports"))"

t0=$(date +%s%N)
"$lcp" start --dir "$dir" --owner-pid $$ >/dev/null || fail "restart on $dir failed"
echo "restarted in $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(state "$dir" RMQ_K8S_APISERVER)" = "$server" ] ||
  fail "apiserver URL changed on restart: $server -> $(state "$dir" RMQ_K8S_APISERVER)"
[ "$(state "$dir" RMQ_K8S_ETCD)" = "$etcd" ] ||
  fail "etcd URL changed on restart: $etcd -> $(state "$dir" RMQ_K8S_ETCD)"
grep -q "server: $server\$" "$dir/kubeconfig" || fail "kubeconfig does not point at $server"
pass "restart on the same directory keeps the apiserver URL $server and etcd URL $etcd"

[ "$(k get configmap survivor -o jsonpath='{.data.kept}')" = yes ] ||
  fail "ConfigMap created before the restart is gone"
rv2=$(k get configmap survivor -o jsonpath='{.metadata.resourceVersion}')
[ "$rv2" = "$rv1" ] || fail "ConfigMap resourceVersion changed over the restart: $rv1 -> $rv2"
pass "data kept over the restart (ConfigMap survivor, resourceVersion $rv2)"

api_port=${server##*:}
out=$("$lcp" start --api-port "$api_port" 2>&1) && fail "start on a busy --api-port succeeded: $out"
grep -q "port $api_port .* is in use" <<<"$out" || fail "unclear error for a busy --api-port: $out"
busy_dir=$(grep -o '/[^ ]*rmq-k8s\.[A-Za-z0-9]*' <<<"$out" | head -n 1)
[ -n "$busy_dir" ] && rm -rf "$busy_dir"
pass "an explicit --api-port that is in use fails the start, saying so"

"$lcp" stop "$dir" 2>/dev/null
[ -d "$dir/etcd" ] || fail "stop removed $dir, which start was given with --dir"
rm -rf "$dir"

echo "$checks passed, 0 failed"
