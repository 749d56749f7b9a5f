#!/usr/bin/env bash
# Builds the local apache/rocketmq image (a directory laid out like the official image, run by the
# local cluster's node agent without Docker) and prints the images directory (RMQ_IMAGES for
# deploy/local/images/images.yaml).
# Usage: local-images.sh [--version VERSION]   (default: the pom's rocketmq.version, 5.3.3; 5.x only)
#
# Layout of the images directory (default $RMQ_CACHE_DIR/images, RMQ_CACHE_DIR defaulting to
# ~/.cache/rocketmq-operator):
#   rocketmq-<version> -> .store/rocketmq-<version>-<key>    the image root of that version
#   .store/rocketmq-<version>-<key>/home/rocketmq/rocketmq-<version>/
#       bin/   our POSIX sh scripts (deploy/local/images/rocketmq/bin): docker-entrypoint.sh,
#              mqnamesrv, mqbroker, mqadmin, mqcontroller, runserver.sh, runbroker.sh, tools.sh
#       conf/  broker.conf, tools.yml (deploy/local/images/rocketmq/conf) and the rmq.*.logback.xml
#              files taken out of the jars (where the official distribution takes them from)
#       lib/   the Maven Central jars of scripts/rocketmq-jars.sh, hard links (copies across
#              file systems)
#   .store/rocketmq-<version>-<key>.complete                 written last
# <key> hashes this script, deploy/local/images/rocketmq/ and the jar set, so an edit gives a new
# root; the symlink moves to it and old roots stay (a running container keeps the root it
# resolved at its start; remove old .store entries by hand). A second run with nothing changed
# only prints the directory. Concurrent runs wait for each other (flock).
#
# lib/ holds hard links, not symlinks: the node agent makes the root visible inside a container's
# own mount namespace, where a symlink's target (a path in the jar cache) may be hidden or mean
# something else, and a hard-linked tree stays whole when the jar cache is rebuilt or removed. It
# costs no space on the same file system.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/deploy/local/images/rocketmq"
pom="$root/deploy/local/rocketmq/pom.xml"

version=""
while [ $# -gt 0 ]; do
  case $1 in
  --version)
    [ $# -ge 2 ] || {
      echo "local-images.sh: --version needs a value" >&2
      exit 2
    }
    version=$2
    shift 2
    ;;
  --version=*)
    version=${1#--version=}
    shift
    ;;
  -h | --help)
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "local-images.sh: unknown argument $1 (usage: local-images.sh [--version VERSION])" >&2
    exit 2
    ;;
  esac
done
jars_arg=$version
if [ -z "$version" ]; then
  version=$(sed -n 's:.*<rocketmq.version>\(.*\)</rocketmq.version>.*:\1:p' "$pom" | head -n 1)
fi
case $version in
5.*) ;;
*)
  echo "local-images.sh: RocketMQ $version is not supported (5.x only: 4.x reads conf/logback_*.xml" \
    "that its jars do not carry)" >&2
  exit 2
  ;;
esac

jars=$("$root/scripts/rocketmq-jars.sh" ${jars_arg:+"$jars_arg"})
cache="${RMQ_CACHE_DIR:-$HOME/.cache/rocketmq-operator}"
images="$cache/images"
mkdir -p "$images/.store"

key=$(
  {
    echo "$version"
    cat "$0"
    (cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum && find . -type f -perm -u+x | sort)
    echo "$jars"
    (cd "$jars" && find . -name '*.jar' -printf '%f %s\n' | sort)
  } | sha256sum | cut -c1-16
)
name="rocketmq-$version"
store="$images/.store/$name-$key"
link="$images/$name"

publish() {
  ln -sfn ".store/$name-$key" "$link.tmp.$$"
  mv -T "$link.tmp.$$" "$link"
  echo "$images"
}

exec 9>"$images/.lock"
flock -w 600 9
if [ -f "$store.complete" ]; then
  publish
  exit 0
fi

work="$store.tmp.$$"
trap 'rm -rf "$work"' EXIT
rm -rf "$work" "$store"
home="$work/home/rocketmq/$name"
mkdir -p "$home/bin" "$home/conf" "$home/lib"

# bin/: executables 0755, the sourced helpers 0644; conf/: 0644.
for f in "$src"/bin/*; do
  if [ -x "$f" ]; then mode=0755; else mode=0644; fi
  install -m "$mode" "$f" "$home/bin/"
done
install -m 0644 "$src"/conf/* "$home/conf/"

# Logback configurations: in the jars (the distribution's release.xml copies the same resources into
# conf/). The tools, broker and name server ones are needed; client and controller ones are kept
# when their jars are there.
for comp in namesrv broker tools client controller; do
  jar="$jars/rocketmq-$comp-$version.jar"
  out="$home/conf/rmq.$comp.logback.xml"
  if [ -f "$jar" ] && unzip -p "$jar" "rmq.$comp.logback.xml" >"$out" 2>/dev/null && [ -s "$out" ]; then
    chmod 0644 "$out"
  else
    rm -f "$out"
    case $comp in
    namesrv | broker | tools)
      echo "local-images.sh: rmq.$comp.logback.xml not found in $jar" >&2
      exit 1
      ;;
    esac
  fi
done

# lib/: hard links to the cached jars, copies if the cache is on another file system.
if ! cp -l "$jars"/*.jar "$home/lib/" 2>/dev/null; then
  rm -f "$home/lib/"*.jar
  cp "$jars"/*.jar "$home/lib/"
fi

chmod -R a+rX "$work"
mv -T "$work" "$store"
trap - EXIT
touch "$store.complete"
publish
