# shellcheck shell=sh
# rmq-home.sh: sourced (not run) by mqnamesrv, mqbroker, mqadmin and mqcontroller of the local
# apache/rocketmq image (scripts/local-images.sh). Not part of the official image.
#
# ROCKETMQ_HOME: the environment's (the image sets /home/rocketmq/rocketmq-<version>), or, when it
# is unset, the directory above the running script, as the official launchers do. One local
# difference: a ROCKETMQ_HOME that is set but has no bin/ directory (the image run from its host
# path, without the image paths mounted) is also replaced by the script's own location.
if [ -z "${ROCKETMQ_HOME:-}" ] || [ ! -d "$ROCKETMQ_HOME/bin" ]; then
  ROCKETMQ_HOME=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
fi
export ROCKETMQ_HOME
