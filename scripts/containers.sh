#!/usr/bin/env bash
# Prepares (or tears down) what the Testcontainers suite of it-tests needs, on a machine where no Docker
# engine runs and no image registry can be reached. Run as root from anywhere in the repository.
#
#   scripts/containers.sh          (or: up)  install docker.io + debootstrap if missing, start an engine if none
#                                            runs, remove containers and networks a killed test run left, build culvert/base:bookworm if missing, build the .deb if it is
#                                            missing or older than the sources, build culvert/site:dev from it
#   scripts/containers.sh stop               remove the suite's leftover containers and networks, and stop the
#                                            engine only if this script started it
#
# Idempotent: a second `up` finds everything in place and only rebuilds culvert/site:dev (a no-op from the build
# cache when the .deb did not change). Network safety: the engine runs with --iptables=false --ip-forward=false
# (a default engine sets the FORWARD policy to DROP, which breaks the namespace tests' bridges), without its
# default bridge (--bridge=none), and with a default address pool inside 198.51.100.0/24, so no network it makes
# ever takes a private range; the tests give their own networks explicit subnets from the documentation ranges.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

BASE_IMAGE=culvert/base:bookworm
SITE_IMAGE=culvert/site:dev
SUITE=bookworm
# What the site containers need besides the package: tools the tests run, and the package's dependencies
# (a headless JRE 17, iproute2; adduser for its postinst).
BASE_PACKAGES=(iproute2 iputils-ping iperf3 openjdk-17-jre-headless procps curl adduser)
ENGINE_ARGS=(--storage-driver=overlay2 --iptables=false --ip-forward=false --bridge=none
             --default-address-pool base=198.51.100.0/24,size=27)
STATE_DIR=/run/culvert-containers
PID_FILE=$STATE_DIR/dockerd.pid
ENGINE_LOG=$STATE_DIR/dockerd.log
ENGINE_WAIT_SECONDS=90
DOCKERFILE_DIR=$REPO/it-tests/src/test/resources/containers
PACKAGE_DIR=$REPO/packaging/target

log() { echo "==> containers: $*"; }
die() { echo "containers.sh: error: $*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts dockerd)"
}

install_missing() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ "${#missing[@]}" -eq 0 ]; then
    return
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

engine_answers() { docker info >/dev/null 2>&1; }

# The PID of the engine this script started, if it still runs.
our_engine_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

start_engine() {
  if engine_answers; then
    if our_engine_pid >/dev/null; then
      log "engine already running (started by this script, pid $(our_engine_pid))"
    else
      log "an engine is already running (not started by this script; it will be left alone)"
    fi
    return
  fi
  mkdir -p "$STATE_DIR"
  log "starting dockerd ${ENGINE_ARGS[*]} (log: $ENGINE_LOG)"
  nohup dockerd "${ENGINE_ARGS[@]}" >"$ENGINE_LOG" 2>&1 </dev/null &
  local started=$!
  echo "$started" >"$PID_FILE"
  local waited=0
  until engine_answers; do
    # Until nohup has exec'd dockerd its comm is still "nohup": watch the pid itself, not its name.
    if ! kill -0 "$started" 2>/dev/null || [ "$waited" -ge $((ENGINE_WAIT_SECONDS * 10)) ]; then
      echo "----- dockerd log ($ENGINE_LOG) -----" >&2
      tail -n 60 "$ENGINE_LOG" >&2 || true
      echo "-----" >&2
      stop_engine
      die "dockerd did not answer within ${ENGINE_WAIT_SECONDS}s (its log is above)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  log "engine up after ~$((waited / 10)).$((waited % 10))s: $(docker version --format '{{.Server.Version}}')"
}

# The Debian mirror apt already uses (deb822 .sources or one-line .list), for debootstrap.
debian_mirror() {
  local mirror
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
  if [ -z "$mirror" ]; then
    mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -n 1 || true)
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}

build_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE present"
    return
  fi
  local rootfs mirror
  rootfs=$(mktemp -d /var/tmp/culvert-base-rootfs.XXXXXX)
  mirror=$(debian_mirror)
  # shellcheck disable=SC2064
  trap "umount '$rootfs/proc' 2>/dev/null || true; rm -rf --one-file-system '$rootfs'" EXIT
  log "building $BASE_IMAGE: debootstrap --variant=minbase $SUITE from $mirror"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$STATE_DIR/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  mount -t proc proc "$rootfs/proc"
  log "chroot apt-get install ${BASE_PACKAGES[*]}"
  chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends ${BASE_PACKAGES[*]} && apt-get clean" \
    >"$STATE_DIR/chroot-apt.log" 2>&1 \
    || { tail -n 30 "$STATE_DIR/chroot-apt.log" >&2; die "apt-get in the chroot failed (log above)"; }
  umount "$rootfs/proc"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf --one-file-system "$rootfs"
  trap - EXIT
  log "$BASE_IMAGE imported"
}

# The newest .deb in packaging/target, if any.
find_deb() {
  ls -t "$PACKAGE_DIR"/culvert_*_amd64.deb 2>/dev/null | head -n 1 || true
}

# Builds the project when the .deb is missing or any source or pom is newer than it.
ensure_package() {
  local deb
  deb=$(find_deb)
  if [ -n "$deb" ] && [ -z "$(find . -path ./it-tests -prune -o -path '*/target' -prune -o -path ./.git -prune \
        -o \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$deb" -print -quit)" ]; then
    log "package up to date: ${deb#"$REPO"/}"
    return
  fi
  log "building the package: mvn -B -q -DskipTests package -pl packaging -am"
  mvn -B -q -DskipTests package -pl packaging -am
  deb=$(find_deb)
  [ -n "$deb" ] || die "no $PACKAGE_DIR/culvert_*_amd64.deb after the build"
}

build_site_image() {
  local context deb
  deb=$(find_deb)
  context=$(mktemp -d /var/tmp/culvert-site-context.XXXXXX)
  cp "$DOCKERFILE_DIR/Dockerfile" "$context/"
  cp "$deb" "$context/culvert.deb"
  log "building $SITE_IMAGE from $BASE_IMAGE + ${deb#"$REPO"/} (no network)"
  if ! docker build --network=none -q -t "$SITE_IMAGE" "$context" >"$STATE_DIR/site-build.log" 2>&1; then
    cat "$STATE_DIR/site-build.log" >&2
    rm -rf "$context"
    die "docker build of $SITE_IMAGE failed (output above)"
  fi
  rm -rf "$context"
  docker image prune -f --filter label=dev.culvert.image=site >/dev/null
  log "$SITE_IMAGE ready"
}

remove_test_leftovers() {
  engine_answers || return 0
  local ids
  ids=$(docker ps -aq --filter label=org.testcontainers=true)
  [ -z "$ids" ] || { log "removing leftover test containers"; docker rm -f $ids >/dev/null; }
  ids=$(docker network ls -q --filter label=org.testcontainers=true)
  [ -z "$ids" ] || { log "removing leftover test networks"; docker network rm $ids >/dev/null; }
}

stop_engine() {
  local pid waited=0
  if ! pid=$(our_engine_pid); then
    rm -f "$PID_FILE"
    log "no engine started by this script is running; nothing to stop"
    return
  fi
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  while [ -d "/proc/$pid" ] && [ "$waited" -lt 300 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if [ -d "/proc/$pid" ]; then
    log "dockerd did not stop within 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

main() {
  require_root
  mkdir -p "$STATE_DIR"
  case "${1:-up}" in
    up)
      install_missing
      start_engine
      remove_test_leftovers
      build_base_image
      ensure_package
      build_site_image
      ;;
    stop)
      remove_test_leftovers
      stop_engine
      ;;
    *)
      die "usage: $0 [up|stop]"
      ;;
  esac
}

main "$@"
