#!/usr/bin/env bash
# Culvert in two minutes: two "sites" in network namespaces joined by a veth underlay,
# one Culvert daemon in each, a ping and a short iperf3 through the tunnel.
#
#   sudo ./demo.sh           run the demo, then tear everything down
#   sudo ./demo.sh --keep    leave both sites running to play with (prints how)
#   sudo ./demo.sh --clean   tear down a demo left running by --keep
#
#   site-a  [cv0 198.18.0.1/30]                       site-b  [cv0 198.18.0.2/30]
#           [ul0 192.0.2.1/24] ====== veth ====== [ul0 192.0.2.2/24]
#
# Everything stays inside the two namespaces it creates; the host's own interfaces,
# routes and firewall are not touched. Addresses: RFC 5737 (underlay), RFC 2544 (tunnel).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CULVERT="$REPO/packaging/target/culvert/bin/culvert"
WORK="${CULVERT_DEMO_DIR:-/tmp/culvert-demo}"
SITES=(site-a site-b)
UNDERLAY_A=192.0.2.1 UNDERLAY_B=192.0.2.2 PORT=51820
TUNNEL_A=198.18.0.1 TUNNEL_B=198.18.0.2
DEVICE=cv0
KEEP=false

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# --- prerequisites ------------------------------------------------------------------
install_prerequisites() {
  local missing=()
  command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
  command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
  command -v wg >/dev/null 2>&1 || missing+=(wireguard-tools)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)   # builds the tun JNI shim
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing (try: modprobe tun)"
}

build() {
  log "building (mvn -B -q -DskipTests package)"
  (cd "$REPO" && mvn -B -q -DskipTests package)
  [ -x "$CULVERT" ] || die "the build did not produce $CULVERT"
}

# --- the two sites ------------------------------------------------------------------
cleanup() {
  local pid ns
  if [ -f "$WORK/pids" ]; then
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done < "$WORK/pids"
    for _ in $(seq 50); do
      alive=false
      while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=true; done < "$WORK/pids"
      $alive || break
      sleep 0.1
    done
    rm -f "$WORK/pids"
  fi
  for ns in "${SITES[@]}"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
}

check_no_sites() {
  local ns
  for ns in "${SITES[@]}"; do
    ! ip netns list | awk '{print $1}' | grep -qx "$ns" \
      || die "namespace $ns already exists (a demo left running? run: $0 --clean)"
  done
}

make_sites() {
  log "creating namespaces site-a and site-b, joined by a veth ($UNDERLAY_A <-> $UNDERLAY_B)"
  ip netns add site-a
  ip netns add site-b
  ip -n site-a link set lo up
  ip -n site-b link set lo up
  ip -n site-a link add ul0 type veth peer name ul0 netns site-b
  ip -n site-a addr add "$UNDERLAY_A/24" dev ul0
  ip -n site-b addr add "$UNDERLAY_B/24" dev ul0
  ip -n site-a link set ul0 up
  ip -n site-b link set ul0 up
}

write_keys_and_configs() {
  log "generating keys (culvert genkey / pubkey) and configs in $WORK"
  mkdir -p "$WORK"
  (umask 077 && "$CULVERT" genkey > "$WORK/site-a.key" && "$CULVERT" genkey > "$WORK/site-b.key")
  local pub_a pub_b
  pub_a="$("$CULVERT" pubkey < "$WORK/site-a.key")"
  pub_b="$("$CULVERT" pubkey < "$WORK/site-b.key")"
  write_config site-a "$UNDERLAY_A" "$TUNNEL_A" "$pub_b" "$UNDERLAY_B" "$TUNNEL_B"
  write_config site-b "$UNDERLAY_B" "$TUNNEL_B" "$pub_a" "$UNDERLAY_A" "$TUNNEL_A"
}

# write_config NAME MY_UNDERLAY MY_TUNNEL PEER_PUBKEY PEER_UNDERLAY PEER_TUNNEL
write_config() {
  cat > "$WORK/$1.conf" <<CONF
culvert {
  private-key-file = "$WORK/$1.key"
  listen { udp = "$2:$PORT" }
  tunnels {
    t1 {
      device { name = "$DEVICE", mode = tun, mtu = 1420, address = "$3/30", routes = [] }
      peer { public-key = "$4", endpoint = "$5:$PORT", allowed-ips = ["$6/32"] }
      transport = udp
      keepalive { persistent = 0s }
    }
  }
}
CONF
}

start_daemons() {
  local ns
  : > "$WORK/pids"
  for ns in "${SITES[@]}"; do
    log "starting culvert in $ns (log: $WORK/$ns.log)"
    # setsid: a session of its own, so closing the terminal does not send it SIGHUP (--keep).
    setsid ip netns exec "$ns" "$CULVERT" run --config "$WORK/$ns.conf" 2> "$WORK/$ns.log" < /dev/null &
    echo $! >> "$WORK/pids"
  done
  for ns in "${SITES[@]}"; do
    wait_for "device $DEVICE in $ns" 30 ip -n "$ns" link show "$DEVICE"
  done
}

# wait_for WHAT SECONDS COMMAND...: retries COMMAND every 0.2 s
wait_for() {
  local what=$1 seconds=$2; shift 2
  local tries=$((seconds * 5))
  until "$@" >/dev/null 2>&1; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      echo "demo.sh: gave up waiting for $what; daemon logs:" >&2
      tail -n 20 "$WORK"/site-*.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

exercise() {
  log "ping $TUNNEL_B from site-a, through the tunnel"
  wait_for "the tunnel to answer a ping" 30 ip netns exec site-a ping -c 1 -W 1 "$TUNNEL_B"
  PING_SUMMARY="$(ip netns exec site-a ping -c 5 -i 0.2 "$TUNNEL_B" | tail -n 2 | tr '\n' ' ')"
  echo "$PING_SUMMARY"

  log "iperf3 for 3 seconds from site-a to site-b, through the tunnel"
  ip netns exec site-b iperf3 --server --one-off --bind "$TUNNEL_B" > "$WORK/iperf3-server.log" 2>&1 &
  wait_for "the iperf3 server" 10 sh -c "ip netns exec site-b ss -Hltn 'sport = :5201' | grep -q ."
  IPERF_SUMMARY="$(ip netns exec site-a iperf3 --client "$TUNNEL_B" --time 3 | grep -E 'receiver$' || true)"
  echo "$IPERF_SUMMARY"
}

summary() {
  log "summary"
  echo "  sites:      site-a ($UNDERLAY_A, tunnel $TUNNEL_A)  <->  site-b ($UNDERLAY_B, tunnel $TUNNEL_B)"
  echo "  ping:       ${PING_SUMMARY:-none}"
  echo "  iperf3:     ${IPERF_SUMMARY:-none}"
  echo "  work dir:   $WORK (keys, configs, daemon logs)"
}

SUCCEEDED=false
# Tear down unless asked to keep a demo that worked.
on_exit() {
  if ! $KEEP || ! $SUCCEEDED; then
    $SUCCEEDED || echo "demo.sh: cleaning up after a failure" >&2
    cleanup
  fi
}

main() {
  case "${1:-}" in
    --keep) KEEP=true ;;
    --clean) cleanup; log "demo removed"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
  esac
  [ "$(id -u)" -eq 0 ] || die "run as root (it creates network namespaces and tun devices): sudo $0 $*"

  check_no_sites
  install_prerequisites
  build
  trap on_exit EXIT
  make_sites
  write_keys_and_configs
  start_daemons
  exercise
  summary
  SUCCEEDED=true
  if $KEEP; then
    cat <<INFO

Both sites are still running. Try:
  sudo ip netns exec site-a ping $TUNNEL_B
  sudo ip netns exec site-b ping $TUNNEL_A
  sudo ip netns exec site-a ip addr show $DEVICE
  tail -f $WORK/site-a.log
When done:
  sudo $0 --clean
INFO
  else
    log "cleaning up (use --keep to leave the sites running)"
  fi
}

main "$@"
