#!/usr/bin/env bash
# The demo: the operator (rocketmq-operator) runs a RocketMQ name server and a broker group of a
# master and a slave from custom resources (deploy/examples/), on a local Kubernetes control plane
# (etcd + kube-apiserver + kube-controller-manager built from the official Go modules) and our node
# agent (rmq-node-agent), which runs pods as processes. No Docker. Needs root.
#
#   scripts/demo.sh [up]   installs what is missing (scripts/setup.sh), fetches the RocketMQ jars,
#                          builds etcd/Kubernetes (cached), the node agent, the broker agent and the
#                          operator (preset release; RMQ_DEMO_PRESET=dev to use build/dev),
#                          assembles the local apache/rocketmq image, starts the control plane and
#                          the node agent, installs deploy/crds/, starts the operator, applies
#                          deploy/examples/, waits until the NameService and the Broker are Ready,
#                          sends a message from the host and receives it, prints
#                          `kubectl get nameservices,brokers` and how to look around. Everything
#                          keeps running in the background.
#   scripts/demo.sh down   stops the operator, the node agent (which stops the pods and removes
#                          their networks) and the control plane, and removes the demo's state.
#
# State: $RMQ_DEMO_DIR (default /tmp/rmq-demo): the control plane's directory (plane/), the node
# agent's state and container logs (node/), the logs and pids of the node agent and the operator
# (node-agent.log, operator.log, *.pid).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=${RMQ_DEMO_DIR:-/tmp/rmq-demo}
cmd=${1:-up}

log() { echo "demo: $*" >&2; }

# stop PIDFILE WHAT SECONDS [kill]: SIGTERM to the process in PIDFILE, wait up to SECONDS for it
# to exit (then SIGKILL if "kill" is given), remove PIDFILE.
stop() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $2"
    kill -TERM "$pid"
    for _ in $(seq 1 "$3"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if [ "${4:-}" = kill ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

down() {
  stop "$demo/operator.pid" "the operator" 30 kill
  # Never SIGKILLed: it stops the pods first.
  stop "$demo/node-agent.pid" "the node agent (it stops the pods first)" 120
  if [ -f "$demo/plane/state.env" ]; then
    log "stopping the control plane"
    scripts/local-control-plane.sh stop "$demo/plane" || true
  fi
  rm -rf "$demo"
}

case $cmd in
down)
  down
  exit 0
  ;;
up) ;;
*)
  echo "usage: scripts/demo.sh [up|down]" >&2
  exit 2
  ;;
esac

[ "$(id -u)" = 0 ] || {
  echo "demo: the node agent needs root (network namespaces, mounts)" >&2
  exit 1
}
if [ -d "$demo" ]; then
  log "a previous demo is in $demo: stopping it first"
  down
fi
mkdir -p "$demo"

log "installing what is missing (scripts/setup.sh)"
scripts/setup.sh
log "fetching the RocketMQ jars (Maven Central, cached)"
RMQ_JARS_DIR=$(scripts/rocketmq-jars.sh)
export RMQ_JARS_DIR
log "building etcd + Kubernetes from Go modules (cached after the first run)"
RMQ_K8S_BIN_DIR=$(scripts/k8s-bins.sh)
export RMQ_K8S_BIN_DIR
preset=${RMQ_DEMO_PRESET:-release}
log "building the node agent, the broker agent and the operator (cmake preset $preset)"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target rmq-node-agent rocketmq-agent rocketmq-operator \
  -j "$(nproc)"
agent_bin=$root/build/$preset/nodeagent/main/rmq-node-agent
operator_bin=$root/build/$preset/controller/main/rocketmq-operator
log "assembling the local apache/rocketmq image"
RMQ_IMAGES=$(scripts/local-images.sh)
# images.yaml maps rocketmq-agent:<any tag> to $RMQ_BUILD_DIR's agent binary.
export RMQ_IMAGES RMQ_BUILD_DIR=$root/build/$preset

log "starting the control plane (etcd, kube-apiserver, kube-controller-manager)"
scripts/local-control-plane.sh start --dir "$demo/plane" --with-controller-manager >/dev/null
eval "$(scripts/local-control-plane.sh env "$demo/plane")"

log "starting the node agent"
setsid "$agent_bin" --kubeconfig "$KUBECONFIG" --images deploy/local/images/images.yaml \
  --node-name rmq-local-node --state-dir "$demo/node" >"$demo/node-agent.log" 2>&1 </dev/null &
echo $! >"$demo/node-agent.pid"
for _ in $(seq 1 60); do
  kubectl get node rmq-local-node >/dev/null 2>&1 && break
  sleep 1
done
kubectl wait --for=condition=Ready node/rmq-local-node --timeout=60s >/dev/null

log "installing the CRDs (deploy/crds/)"
kubectl apply --server-side -f deploy/crds/ >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/nameservices.rocketmq.apache.org \
  crd/brokers.rocketmq.apache.org >/dev/null

operator_http=${RMQ_DEMO_OPERATOR_HTTP:-127.0.0.1:18080}
log "starting the operator (metrics and probes on $operator_http)"
setsid "$operator_bin" --kubeconfig "$KUBECONFIG" --leader-elect=false \
  --http-listen "$operator_http" --agent-image "rocketmq-agent:$preset" \
  >"$demo/operator.log" 2>&1 </dev/null &
echo $! >"$demo/operator.pid"
for _ in $(seq 1 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$operator_http/readyz")" = 200 ] && break
  kill -0 "$(cat "$demo/operator.pid")" 2>/dev/null || {
    tail -20 "$demo/operator.log" >&2
    log "the operator exited"
    exit 1
  }
  sleep 1
done

log "applying deploy/examples/ (NameService name-service, Broker broker: a master and a slave)"
t0=$(date +%s.%N)
kubectl apply -f deploy/examples/
kubectl -n rocketmq wait --for=condition=Ready=True nameservice/name-service broker/broker \
  --timeout=300s
t1=$(date +%s.%N)
log "NameService and Broker Ready $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after kubectl apply"
kubectl -n rocketmq get pods -o wide

ns_list=$(kubectl -n rocketmq get nameservice name-service -o jsonpath='{.status.nameServerList}')
ns_ip=${ns_list%%:*}
mqadmin="$RMQ_IMAGES/rocketmq-5.3.3/home/rocketmq/rocketmq-5.3.3/bin/mqadmin"
export ROCKETMQ_HOME="$RMQ_IMAGES/rocketmq-5.3.3/home/rocketmq/rocketmq-5.3.3"
log "creating topic DemoTopic on the broker cluster's masters (mqadmin updateTopic)"
created=""
for _ in $(seq 1 10); do
  if out=$(HOME="$demo" "$mqadmin" updateTopic -n "$ns_ip:9876" -c broker -t DemoTopic -r 4 -w 4 \
    2>&1) && echo "$out" | grep -q success; then
    created=$out
    break
  fi
  log "not yet: $(echo "$out" | grep -m1 -iE "exception|error|not" || echo "$out" | tail -1)"
  sleep 2
done
[ -n "$created" ] || {
  echo "$out" >&2
  log "creating the topic failed"
  exit 1
}
echo "$created" | grep success
body="hello from the host at $(date -u +%FT%TZ)"
log "sending \"$body\" to topic DemoTopic through the name server at $ns_ip:9876"
sent=""
for _ in $(seq 1 20); do
  if out=$(HOME="$demo" "$mqadmin" sendMessage -n "$ns_ip:9876" -t DemoTopic -p "$body" 2>&1) &&
    echo "$out" | grep -q SEND_OK; then
    sent=$out
    break
  fi
  sleep 3
done
[ -n "$sent" ] || {
  echo "$out" >&2
  log "sending failed"
  exit 1
}
echo "$sent" | grep -E "SEND_OK|MsgId|Broker" | head -5
log "receiving it back"
received=$(HOME="$demo" "$mqadmin" consumeMessage -n "$ns_ip:9876" -t DemoTopic -c 10 2>&1 || true)
if echo "$received" | grep -qF "$body"; then
  log "received: $body"
else
  echo "$received" | tail -20 >&2
  log "the message did not come back"
  exit 1
fi

echo
kubectl -n rocketmq get nameservices,brokers

cat <<EOT

The demo is running. Try:
  eval "\$(scripts/local-control-plane.sh env $demo/plane)"   # kubectl against the local cluster
  kubectl -n rocketmq get nameservices,brokers
  kubectl -n rocketmq describe broker broker                # conditions and events
  kubectl -n rocketmq get statefulsets,pods,configmaps -o wide
  kubectl -n rocketmq delete pod broker-0-master-0          # the StatefulSet brings it back
  ls $demo/node/logs/                              # container logs (no kubectl logs: no kubelet API)
  tail -f $demo/operator.log $demo/node-agent.log
  curl -s http://$operator_http/metrics | grep rocketmq_operator_
  $mqadmin clusterList -n $ns_ip:9876
Stop everything:  scripts/demo.sh down
EOT
