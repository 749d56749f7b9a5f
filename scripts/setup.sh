#!/usr/bin/env bash
# Installs what building and testing this project needs on a Debian bookworm machine: compilers,
# CMake/Ninja, the C++ libraries (all from Debian packages), Java 17 and Maven for the real
# RocketMQ used by the tests, and the openssl CLI and Prometheus for the agent's integration test
# (it makes certificates and runs /usr/bin/prometheus itself; the Debian service is not needed).
# Runs apt-get only when something is missing, so a second run is instant. Needs root (or sudo).
set -euo pipefail

packages=(
  cmake ninja-build g++ clang clang-format clang-tidy libclang-rt-14-dev pkg-config
  libboost-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  prometheus-cpp-dev libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev libabsl-dev
  libgtest-dev libgmock-dev
  openjdk-17-jre-headless maven
  openssl prometheus
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
