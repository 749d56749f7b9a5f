#!/usr/bin/env bash
# The demo: a real RocketMQ name server and broker, as StatefulSet pods, on a local Kubernetes
# control plane (etcd + kube-apiserver + kube-controller-manager built from the official Go modules)
# and our node agent (rmq-node-agent), which runs pods as processes. No Docker. Needs root.
#
#   scripts/demo.sh [up]   installs what is missing (scripts/setup.sh), fetches the RocketMQ jars,
#                          builds etcd/Kubernetes (cached) and the node agent (preset release),
#                          assembles the local apache/rocketmq image, starts everything, applies
#                          deploy/local/examples/rocketmq.yaml, waits until both pods are Ready,
#                          sends a message from the host and receives it, and prints how to use
#                          kubectl. Everything keeps running in the background.
#   scripts/demo.sh down   stops the node agent (which stops the pods and removes their networks)
#                          and the control plane, and removes the demo's state.
#
# State: $RMQ_DEMO_DIR (default /tmp/rmq-demo): the control plane's directory (plane/), the node
# agent's state and container logs (node/), its log (node-agent.log).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=${RMQ_DEMO_DIR:-/tmp/rmq-demo}
cmd=${1:-up}

log() { echo "demo: $*" >&2; }

down() {
  if [ -f "$demo/node-agent.pid" ]; then
    pid=$(cat "$demo/node-agent.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the node agent (it stops the pods first)"
      kill -TERM "$pid"
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    fi
    rm -f "$demo/node-agent.pid"
  fi
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
log "building the node agent (cmake preset release)"
cmake --preset release >/dev/null
cmake --build --preset release --target rmq-node-agent -j "$(nproc)"
agent_bin=$root/build/release/nodeagent/main/rmq-node-agent
log "assembling the local apache/rocketmq image"
RMQ_IMAGES=$(scripts/local-images.sh)
export RMQ_IMAGES RMQ_BUILD_DIR=$root/build/release

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

log "applying deploy/local/examples/rocketmq.yaml"
t0=$(date +%s.%N)
kubectl apply -f deploy/local/examples/rocketmq.yaml
for pod in namesrv-0 broker-0; do
  for _ in $(seq 1 60); do
    kubectl -n rocketmq-demo get pod "$pod" >/dev/null 2>&1 && break
    sleep 1
  done
  kubectl -n rocketmq-demo wait --for=condition=Ready "pod/$pod" --timeout=300s
done
t1=$(date +%s.%N)
log "both pods Ready $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after kubectl apply"
kubectl -n rocketmq-demo get pods -o wide

ns_ip=$(kubectl -n rocketmq-demo get pod namesrv-0 -o jsonpath='{.status.podIP}')
mqadmin="$RMQ_IMAGES/rocketmq-5.3.3/home/rocketmq/rocketmq-5.3.3/bin/mqadmin"
export ROCKETMQ_HOME="$RMQ_IMAGES/rocketmq-5.3.3/home/rocketmq/rocketmq-5.3.3"
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

cat <<EOT

The demo is running. Try:
  eval "\$(scripts/local-control-plane.sh env $demo/plane)"   # kubectl against the local cluster
  kubectl get nodes,pods,pvc,pv -A -o wide
  kubectl -n rocketmq-demo describe pod broker-0
  kubectl -n rocketmq-demo delete pod broker-0     # the StatefulSet brings it back, store kept
  ls $demo/node/logs/                              # container logs (no kubectl logs: no kubelet API)
  tail -f $demo/node-agent.log
  $mqadmin clusterList -n $ns_ip:9876
Stop everything:  scripts/demo.sh down
EOT
