#!/usr/bin/env bash
# Builds, once per machine, the Debian 12 (bookworm) minbase root file system that the package tests
# install culvert_*.deb into (dev.culvert.it.pkg.ChrootInstallIT), and prints its path.
#
#   packaging/src/test/sh/bookworm-rootfs.sh [CACHE_DIR]          (root; default /var/cache/culvert-test/bookworm-rootfs)
#   packaging/src/test/sh/bookworm-rootfs.sh --sites [CACHE_DIR]  (default /var/cache/culvert-test/bookworm-sites-rootfs)
#
# --sites: the tree dev.culvert.it.pkg.SystemdSitesIT boots with systemd as PID 1 (systemd-nspawn -b): the
# .deb's dependencies and systemd, nothing else (no procps, no ping), so the package must bring all it runs.
#
# The tree holds the .deb's dependencies (a headless JRE 17, iproute2, adduser) so `dpkg -i` needs no network,
# and what checking the installed unit needs (systemd for systemd-analyze, man-db for the
# Documentation= man pages); not procps, so that nothing the unit runs can come from it unnoticed (issue 11). The stamp file records the package list: a changed list rebuilds the cache. It is built in a sibling folder and renamed into place when complete, under a lock, so a killed run
# never leaves a half-built cache and two runs never build it twice. Takes ~60-120 s cold, nothing when warm.
# Tests never modify the cache: they mount an overlay on it (or copy it) and throw that away.
set -euo pipefail

if [ "${1:-}" = --sites ]; then
  shift
  CACHE=${1:-/var/cache/culvert-test/bookworm-sites-rootfs}
  PACKAGES=(openjdk-17-jre-headless iproute2 adduser systemd)
else
  CACHE=${1:-/var/cache/culvert-test/bookworm-rootfs}
  PACKAGES=(openjdk-17-jre-headless iproute2 adduser systemd man-db)
fi
SUITE=bookworm
STAMP=.culvert-rootfs-complete

log() { echo "==> bookworm-rootfs: $*" >&2; }
die() { echo "bookworm-rootfs.sh: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

# The Debian mirror apt already uses (deb822 .sources or one-line .list).
debian_mirror() {
  local mirror
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
  if [ -z "$mirror" ]; then
    mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -n 1 || true)
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}

mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
flock 9

if [ -f "$CACHE/$STAMP" ] && [ "$(cat "$CACHE/$STAMP")" = "${PACKAGES[*]}" ]; then
  echo "$CACHE"
  exit 0
fi

BUILD="$CACHE.building"
rm -rf --one-file-system "$BUILD"
cleanup() { umount "$BUILD/proc" 2>/dev/null || true; rm -rf --one-file-system "$BUILD"; }
trap cleanup EXIT

MIRROR=$(debian_mirror)
log "debootstrap --variant=minbase $SUITE $BUILD $MIRROR"
debootstrap --variant=minbase "$SUITE" "$BUILD" "$MIRROR" >"$CACHE.debootstrap.log" 2>&1 \
  || { tail -n 30 "$CACHE.debootstrap.log" >&2; die "debootstrap failed (log: $CACHE.debootstrap.log)"; }

# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$BUILD/usr/sbin/policy-rc.d"
chmod 0755 "$BUILD/usr/sbin/policy-rc.d"
mount -t proc proc "$BUILD/proc"
log "chroot apt-get install ${PACKAGES[*]}"
chroot "$BUILD" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  "apt-get update -q && apt-get install -y -q --no-install-recommends ${PACKAGES[*]} && apt-get clean" \
  >"$CACHE.apt.log" 2>&1 \
  || { tail -n 30 "$CACHE.apt.log" >&2; die "apt-get in the chroot failed (log: $CACHE.apt.log)"; }
umount "$BUILD/proc"
rm -rf "$BUILD"/var/lib/apt/lists/* "$BUILD"/tmp/*
echo "${PACKAGES[*]}" >"$BUILD/$STAMP"

rm -rf --one-file-system "$CACHE"
mv "$BUILD" "$CACHE"
trap - EXIT
log "ready: $CACHE"
echo "$CACHE"
