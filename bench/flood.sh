#!/usr/bin/env bash
# bench/flood.sh: a handshake-initiation flood against a responder while a legitimate tunnel through it
# pings (issue 10). Culvert (Java 17 and 25) and wireguard-go in one run, each on fresh namespaces.
#
#   PREFIX-a (initiator, pings)  192.0.2.1 ── 192.0.2.2  PREFIX-b (responder, listens on *:51820)
#   PREFIX-c (flooder)      198.51.100.2 ── 198.51.100.1 PREFIX-b      overlay 198.18.0.1 → 198.18.0.2
#
# The flooder (it-tests' traffic/InitiationFlood.java, compiled against Culvert's jars) sends RATE initiations per second
# for SECONDS, random inside but with a valid mac1 for B's public key. Meanwhile A pings B through the
# tunnel every 10 ms. Two floods per daemon, 3 s apart: "cold" (the first the daemon ever sees: its JIT has
# not compiled the flood's path) and "warm". Reported per system, run and phase: flood datagrams sent, pings,
# loss, average and max RTT, the baseline RTT without flood, the responder's CPU ticks (1/100 s) over the phase,
# whether the tunnel answered after it, the datagrams B's UDP sockets took in and dropped for a full receive
# buffer (/proc/net/snmp of B: the daemon did not read fast enough), and (Culvert) B's drops by reason (metrics).
#
# Usage: sudo bench/flood.sh [--runs N] [--rate R] [--seconds S] [--sources N] [--only a,b] [--prefix P]
#                            [--culvert BIN] [--out DIR]
# Systems: culvert-j17, culvert-j25, wg-go. JDKs: CULVERT_J17, CULVERT_J25 (defaults below).
set -uo pipefail

RUNS=1 RATE=100000 SECONDS_=4 SOURCES=1 ONLY=culvert-j17,culvert-j25,wg-go PREFIX=ff
HERE=$(cd "$(dirname "$0")" && pwd)
CULVERT=${CULVERT:-$HERE/../packaging/target/culvert/bin/culvert}
OUT=""
J17=${CULVERT_J17:-/usr/lib/jvm/java-17-openjdk-amd64}
J25=${CULVERT_J25:-/usr/lib/jvm/temurin-25-jdk-amd64}
while (( $# )); do
    case $1 in
        --runs) RUNS=$2; shift ;;
        --rate) RATE=$2; shift ;;
        --seconds) SECONDS_=$2; shift ;;
        --sources) SOURCES=$2; shift ;;
        --only) ONLY=$2; shift ;;
        --prefix) PREFIX=$2; shift ;;
        --culvert) CULVERT=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 64 ;;
    esac
    shift
done
(( EUID == 0 )) || { echo "flood.sh: needs root (namespaces)" >&2; exit 1; }
[[ -x $CULVERT ]] || { echo "flood.sh: no $CULVERT (mvn -B -o -DskipTests package -pl packaging -am)" >&2; exit 1; }
LIB=$(cd "$(dirname "$CULVERT")/../lib" && pwd)
OUT=${OUT:-$HERE/results/flood-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
NS_A=$PREFIX-a NS_B=$PREFIX-b NS_C=$PREFIX-c
WG_A=${PREFIX}-wga WG_B=${PREFIX}-wgb
PIDS=()

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

NS_CREATED=0
ns_down() {
    local ns p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    PIDS=()
    (( NS_CREATED )) || return 0
    NS_CREATED=0
    for ns in "$NS_A" "$NS_B" "$NS_C"; do
        ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns"
    done
    rm -f "/run/wireguard/$WG_A.sock" "/run/wireguard/$WG_B.sock"
}
trap 'ns_down' EXIT
trap 'exit 130' INT TERM

ns_up() {
    local ns i
    for ns in "$NS_A" "$NS_B" "$NS_C"; do
        ip netns list | awk '{print $1}' | grep -qx "$ns" && { log "namespace $ns exists: not touching it"; exit 1; }
    done
    NS_CREATED=1
    for ns in "$NS_A" "$NS_B" "$NS_C"; do
        ip netns add "$ns" && ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    done
    ip link add "$PREFIX-ab" netns "$NS_A" type veth peer name "$PREFIX-ba" netns "$NS_B"
    ip link add "$PREFIX-cb" netns "$NS_C" type veth peer name "$PREFIX-bc" netns "$NS_B"
    ip -n "$NS_A" addr add 192.0.2.1/24 dev "$PREFIX-ab"
    ip -n "$NS_B" addr add 192.0.2.2/24 dev "$PREFIX-ba"
    ip -n "$NS_B" addr add 198.51.100.1/24 dev "$PREFIX-bc"
    ip -n "$NS_C" addr add 198.51.100.2/24 dev "$PREFIX-cb"
    FLOOD_SOURCES=()
    if (( SOURCES > 1 )); then
        for (( i = 0; i < SOURCES; i++ )); do
            ip -n "$NS_C" addr add "198.51.100.$(( 10 + i ))/24" dev "$PREFIX-cb"
            FLOOD_SOURCES+=("198.51.100.$(( 10 + i ))")
        done
    fi
    for l in "$NS_A:$PREFIX-ab" "$NS_B:$PREFIX-ba" "$NS_B:$PREFIX-bc" "$NS_C:$PREFIX-cb"; do
        ip -n "${l%%:*}" link set "${l#*:}" up
    done
}

spawn() {   # spawn NS LOG CMD...
    local ns=$1 logf=$2; shift 2
    ip netns exec "$ns" "$@" >"$logf" 2>&1 &
    PIDS+=($!)
}

wait_for() {   # wait_for SECONDS CMD...
    local end=$(( $(date +%s) + $1 )); shift
    while (( $(date +%s) < end )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

culvert_up() {   # culvert_up JAVA_HOME DIR
    local jdk=$1 dir=$2 side other listen ep own peer
    umask 077
    "$CULVERT" genkey >"$dir/a.key"; "$CULVERT" genkey >"$dir/b.key"
    umask 022
    for side in a b; do
        if [[ $side == a ]]; then other=b own=198.18.0.1 peer=198.18.0.2 listen=192.0.2.1:51820 ep='endpoint = "192.0.2.2:51820"'
        else other=a own=198.18.0.2 peer=198.18.0.1 listen=0.0.0.0:51820 ep=""; fi
        cat >"$dir/$side.conf" <<CONF
culvert {
  private-key-file = "$dir/$side.key"
  listen { udp = "$listen" }
  udp-offload = ${CULVERT_UDP_OFFLOAD:-auto}
  control { socket = "$dir/$side.sock" }
  tunnels {
    flood {
      device { name = "$PREFIX-cv", mode = tun, mtu = 1420, address = "$own/32", routes = ["$peer/32"] }
      peer {
        public-key = "$("$CULVERT" pubkey <"$dir/$other.key")"
        $ep
        allowed-ips = ["$peer/32"]
      }
    }
  }
}
CONF
    done
    spawn "$NS_B" "$dir/culvert-b.log" env JAVA_HOME="$jdk" "$CULVERT" run --config "$dir/b.conf"
    PID_B=${PIDS[-1]}
    wait_for 30 sh -c "ip netns exec $NS_B ss -Hlnu '( sport = :51820 )' | grep -q ." || return 1
    spawn "$NS_A" "$dir/culvert-a.log" env JAVA_HOME="$jdk" "$CULVERT" run --config "$dir/a.conf"
    TARGET_KEY=$("$CULVERT" pubkey <"$dir/b.key")
}

wg_up() {   # wg_up DIR
    local dir=$1
    spawn "$NS_A" "$dir/wg-a.log" env LOG_LEVEL=error wireguard-go -f "$WG_A"
    spawn "$NS_B" "$dir/wg-b.log" env LOG_LEVEL=error wireguard-go -f "$WG_B"
    PID_B=${PIDS[-1]}
    wait_for 10 test -S "/run/wireguard/$WG_A.sock" && wait_for 10 test -S "/run/wireguard/$WG_B.sock" || return 1
    umask 077; wg genkey >"$dir/a.key"; wg genkey >"$dir/b.key"; umask 022
    ip netns exec "$NS_A" wg set "$WG_A" private-key "$dir/a.key" listen-port 51820 \
        peer "$(wg pubkey <"$dir/b.key")" endpoint 192.0.2.2:51820 allowed-ips 198.18.0.2/32
    ip netns exec "$NS_B" wg set "$WG_B" private-key "$dir/b.key" listen-port 51820 \
        peer "$(wg pubkey <"$dir/a.key")" allowed-ips 198.18.0.1/32
    ip -n "$NS_A" addr add 198.18.0.1 peer 198.18.0.2 dev "$WG_A" && ip -n "$NS_A" link set "$WG_A" mtu 1420 up
    ip -n "$NS_B" addr add 198.18.0.2 peer 198.18.0.1 dev "$WG_B" && ip -n "$NS_B" link set "$WG_B" mtu 1420 up
    TARGET_KEY=$(wg pubkey <"$dir/b.key")
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() {   # CPU ticks of a process and its descendants
    local t=0 p
    for p in $(pstree -pT "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()'); do
        t=$(( t + $(cpu_ticks "$p") ))
    done
    echo "$t"
}

udp_counters() {   # udp_counters NS: "InDatagrams RcvbufErrors" of the namespace's UDP (/proc/net/snmp)
    ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) k[$i] = i; h = 1 } else print $k["InDatagrams"], $k["RcvbufErrors"] }' /proc/net/snmp
}

flood_phase() {   # flood_phase SYSTEM RUN DIR PHASE: one flood, pings through the tunnel meanwhile, one result row
    local sys=$1 run=$2 dir=$3 phase=$4 p=$3/$4
    local count=$(( SECONDS_ * 100 )) t0 t1 flood ping
    t0=$(tree_ticks "$PID_B")
    local u0 u1
    u0=$(udp_counters "$NS_B")
    ip netns exec "$NS_C" nice -n -10 java -cp "$OUT/classes:$LIB/*" dev.culvert.it.traffic.InitiationFlood \
        198.51.100.1:51820 "$TARGET_KEY" "$RATE" "$SECONDS_" "${FLOOD_SOURCES[@]}" >"$p-flood.txt" 2>&1 &
    flood=$!
    wait_for 20 grep -q flooding "$p-flood.txt"
    ip netns exec "$NS_A" ping -n -D -c "$count" -i 0.01 -W 1 198.18.0.2 >"$p-ping.txt" 2>&1 &
    ping=$!
    # where the responder's CPU goes mid-flood, per thread (the second frame: one second's worth)
    ( sleep 1.5; top -H -b -n 2 -d 1 -p "$PID_B" 2>/dev/null | awk '/^top -/ {f++} f == 2' | head -20 >"$p-threads.txt" ) &
    wait "$flood"
    wait "$ping"
    t1=$(tree_ticks "$PID_B")
    u1=$(udp_counters "$NS_B")
    local after=down
    ip netns exec "$NS_A" ping -n -q -c 3 -i 0.2 -W 1 198.18.0.2 >/dev/null 2>&1 && after=up
    if [[ $sys == culvert-* ]]; then
        ip netns exec "$NS_B" curl -s 127.0.0.1:9586/metrics | grep '^culvert_interface_drops' | grep -v ' 0.0$' \
            >"$p-drops.txt"
    fi
    local loss avg max base sent
    loss=$(grep -o '[0-9.]*% packet loss' "$p-ping.txt" | cut -d% -f1)
    avg=$(awk -F/ '/^rtt/ {print $5}' "$p-ping.txt")
    max=$(awk -F/ '/^rtt/ {print $7}' "$p-ping.txt" | cut -d' ' -f1)
    base=$(awk -F/ '/^rtt/ {print $5}' "$dir/baseline.txt")
    sent=$(grep -o 'sent [0-9]*' "$p-flood.txt" | cut -d' ' -f2)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$run" "$phase" "${sent:-?}" "$count" "${loss:-?}" \
        "${avg:-?}" "${max:-?}" "${base:-?}" "$(( t1 - t0 ))" "$after" \
        "$(( ${u1% *} - ${u0% *} ))" "$(( ${u1#* } - ${u0#* } ))" | tee -a "$OUT/results.tsv"
    [[ -s $p-drops.txt ]] && sed 's/^/    /' "$p-drops.txt" >&2
}

measure() {   # measure SYSTEM RUN
    local sys=$1 run=$2 dir="$OUT/$1-run$2"
    mkdir -p "$dir"
    ns_up
    case $sys in
        culvert-j17) culvert_up "$J17" "$dir" ;;
        culvert-j25) culvert_up "$J25" "$dir" ;;
        wg-go) wg_up "$dir" ;;
    esac || { log "$sys: did not start"; ns_down; return 1; }
    if ! wait_for 40 ip netns exec "$NS_A" ping -n -c1 -W1 198.18.0.2; then
        log "$sys: tunnel did not come up"; ns_down; return 1
    fi
    # warm-up (the JIT compiles the data path under traffic), then a baseline
    ip netns exec "$NS_A" ping -n -q -c 500 -i 0.005 -W 1 198.18.0.2 >"$dir/warmup.txt" 2>&1
    ip netns exec "$NS_A" ping -n -q -c 200 -i 0.01 -W 1 198.18.0.2 >"$dir/baseline.txt" 2>&1
    flood_phase "$sys" "$run" "$dir" cold
    sleep 3   # the responder leaves "under load" after a second without flood
    flood_phase "$sys" "$run" "$dir" warm
    ns_down
}

{
    echo "# flood.sh $(date -u +%FT%TZ) kernel $(uname -r), $(nproc) CPUs; rate $RATE/s for $SECONDS_ s from $SOURCES source(s)"
    echo "# culvert-j17: $("$J17/bin/java" -version 2>&1 | head -1); culvert-j25: $("$J25/bin/java" -version 2>&1 | head -1)"
    echo "# wg-go: $(wireguard-go --version 2>&1 | head -1)"
    printf 'system\trun\tphase\tflood_sent\tpings\tloss_pct\tavg_ms\tmax_ms\tbaseline_avg_ms\tresponder_cpu_ticks\tafter\tudp_in\tudp_rcvbuf_errors\n'
} | tee -a "$OUT/results.tsv"
mkdir -p "$OUT/classes"
javac -d "$OUT/classes" -cp "$LIB/*" "$HERE/../it-tests/src/test/java/dev/culvert/it/traffic/InitiationFlood.java" || exit 1
IFS=, read -r -a systems <<<"$ONLY"
for (( r = 1; r <= RUNS; r++ )); do
    for s in "${systems[@]}"; do measure "$s" "$r"; done
done
log "results in $OUT/results.tsv"
