#!/bin/sh
# docker-entrypoint.sh of the local apache/rocketmq image (scripts/local-images.sh): the image's
# entrypoint, run from its working directory $ROCKETMQ_HOME/bin (image CMD: "dummy").
#   docker-entrypoint.sh nameserver|broker|controller [ARGS]  -> ./mqnamesrv|./mqbroker|./mqcontroller ARGS
#   docker-entrypoint.sh COMMAND [ARGS]                       -> COMMAND ARGS (e.g. ./mqadmin clusterList)
# NODE_ROLE=nameserver|broker|controller picks the role too. Like the official entrypoint
# (apache/rocketmq-docker image-build/scripts/docker-entrypoint.sh), which this reproduces quirks
# and all, so that pod specs that work here work with the real image:
# - with NODE_ROLE set, the first argument is dropped whatever it is;
# - with NODE_ROLE set and no argument at all, it exits 1 (the official `set -e; shift` fails);
# - with no argument and no NODE_ROLE it runs the image CMD `dummy`, which does not exist (127).
set -e
role=
for r in nameserver broker controller; do
  if [ "${1:-}" = "$r" ] || [ "${NODE_ROLE:-}" = "$r" ]; then
    role=$r
    break
  fi
done
if [ -n "$role" ]; then
  if [ $# -eq 0 ]; then
    echo "docker-entrypoint.sh: NODE_ROLE=$NODE_ROLE and no arguments: nothing to shift (the official image exits 1 here too)" >&2
    exit 1
  fi
  shift
  case $role in
  nameserver) exec ./mqnamesrv "$@" ;;
  broker) exec ./mqbroker "$@" ;;
  controller) exec ./mqcontroller "$@" ;;
  esac
fi
exec "$@"
