#!/usr/bin/env bash
# Runs Culvert's Jazzer fuzz targets in fuzzing mode, one after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 seconds each, every target
#   scripts/fuzz.sh --list                    the targets
#
# Each target is a @FuzzTest method run by Maven/JUnit with JAZZER_FUZZ=1 and libFuzzer's -max_total_time=SECONDS
# (plus -runs=N when FUZZ_RUNS=N is set). It prints, per target, the executions and the seconds libFuzzer reports.
# Jazzer writes a crashing input into the target's committed corpus directory
# (<module>/src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>), where every `mvn verify` replays it
# as a regression test; an input it left in the module directory instead is moved there. The inputs the fuzzer
# found interesting stay in <module>/.cifuzz-corpus/ (not committed) and seed the next run.
# Logs: target/fuzz/<target>.log. Exit status: 0 if no target found anything, 1 otherwise.
# Environment: FUZZ_NICE (default 19; the run is CPU-bound), FUZZ_RUNS, MVN_FLAGS (default -o, offline).
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

# name  module  class  method  [libraries to instrument for coverage, beyond the project's own classes]
TARGETS=(
  "initiation        protocol dev.culvert.protocol.MessageFuzzTest                initiation"
  "response          protocol dev.culvert.protocol.MessageFuzzTest                response"
  "cookie-reply      protocol dev.culvert.protocol.MessageFuzzTest                cookieReply"
  "transport         protocol dev.culvert.protocol.MessageFuzzTest                transport"
  "stream-frames     protocol dev.culvert.protocol.netty.StreamFrameDecoderFuzzTest frames"
  "extension-header  protocol dev.culvert.protocol.ext.PayloadCodecFuzzTest      extensionHeader net.jpountz.**"
  "zlib              protocol dev.culvert.protocol.ext.PayloadCodecFuzzTest      zlib"
  "lz4               protocol dev.culvert.protocol.ext.PayloadCodecFuzzTest      lz4 net.jpountz.**"
  "virtio-net-hdr    protocol dev.culvert.protocol.offload.SegmenterFuzzTest     virtioNetHdrParser"
  "vtun-frames       protocol dev.culvert.protocol.vtun.VtunFuzzTest          frames"
  "vtun-lzo          protocol dev.culvert.protocol.vtun.VtunFuzzTest          lzo io.airlift.compress.**"
  "vtun-zlib         protocol dev.culvert.protocol.vtun.VtunFuzzTest          zlib"
  "vtun-link         protocol dev.culvert.protocol.vtun.VtunFuzzTest          link io.airlift.compress.**"
  "config            config   dev.culvert.config.ConfigLoaderFuzzTest            hoconText com.typesafe.config.**"
  "control-request   daemon   dev.culvert.daemon.control.ControlRequestFuzzTest  requestLine com.fasterxml.jackson.**"
  "hooks             daemon   dev.culvert.daemon.HooksFuzzTest                   splitAndSubstitute"
  "vtund-conf        daemon   dev.culvert.daemon.vtund.VtundConfFuzzTest         parseAndImport com.typesafe.config.**"
)

if [[ "${1:-}" == "--list" || "${1:-}" == "-l" ]]; then
  printf '%s\n' "${TARGETS[@]}" | awk '{printf "%-18s %-9s %s#%s\n", $1, $2, $3, $4}'
  exit 0
fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

SECONDS_EACH=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  SECONDS_EACH=$1
  shift
fi
WANTED=("$@")
NICE=${FUZZ_NICE:-19}
read -r -a MVN_EXTRA <<< "${MVN_FLAGS:--o}"

selected=()
for t in "${TARGETS[@]}"; do
  read -r name _ <<< "$t"
  if [[ ${#WANTED[@]} -eq 0 ]]; then
    selected+=("$t")
  else
    for w in "${WANTED[@]}"; do
      [[ "$w" == "$name" ]] && selected+=("$t")
    done
  fi
done
for w in "${WANTED[@]}"; do
  printf '%s\n' "${TARGETS[@]}" | awk '{print $1}' | grep -qx -- "$w" || { echo "fuzz.sh: no target '$w' (see --list)" >&2; exit 2; }
done

mkdir -p "$ROOT/target/fuzz"
status=0
summary=()
for t in "${selected[@]}"; do
  read -r name module class method libraries <<< "$t"
  package_dir=$(dirname "${class//.//}")
  simple=${class##*.}
  corpus="$ROOT/$module/src/test/resources/$package_dir/${simple}Inputs/$method"
  mkdir -p "$corpus"
  before=$(ls -1 "$corpus" | sort)
  log="$ROOT/target/fuzz/$name.log"
  args=(-Djazzer.internal.arg.0=fuzz "-Djazzer.internal.arg.1=-max_total_time=$SECONDS_EACH")
  if [[ -n "${libraries:-}" ]]; then
    # Coverage guidance inside the library the target mostly runs (zlib is native code in the JDK: none there).
    args+=("-Djazzer.instrumentation_includes=dev.culvert.**:$libraries")
  fi
  if [[ -n "${FUZZ_RUNS:-}" ]]; then
    args+=("-Djazzer.internal.arg.2=-runs=$FUZZ_RUNS")
  fi
  echo "== $name ($class#$method, ${SECONDS_EACH}s) → $log"
  JAZZER_FUZZ=1 nice -n "$NICE" mvn -B "${MVN_EXTRA[@]}" -pl "$module" -am test \
      "-Dtest=$class#$method" -Dsurefire.failIfNoSpecifiedTests=false -Dculvert.fuzz-only=true "${args[@]}" \
      > "$log" 2>&1
  rc=$?

  # A finding Jazzer left in the module directory (no corpus directory at the time) joins the corpus.
  for f in "$ROOT/$module"/crash-* "$ROOT/$module"/timeout-* "$ROOT/$module"/slow-unit-*; do
    [[ -e "$f" ]] && mv "$f" "$corpus/"
  done
  new=$(comm -13 <(echo "$before") <(ls -1 "$corpus" | sort) | grep -E '^(crash|timeout|slow-unit)-' || true)

  runs=$(grep -a -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $2" "$5}')
  if [[ -z "$runs" ]]; then
    runs=$(grep -a -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    runs="${runs:-0} ?"
  fi
  read -r execs secs <<< "$runs"
  rate="-"
  if [[ "$secs" =~ ^[0-9]+$ && "$secs" -gt 0 ]]; then
    rate=$((execs / secs))
  fi
  if [[ -n "$new" || $rc -ne 0 ]]; then
    status=1
    verdict="FINDING"
    [[ -z "$new" ]] && verdict="FAILED (rc $rc, see the log)"
  else
    verdict="ok"
  fi
  line=$(printf '%-18s %12s execs %6s s %8s/s  %s' "$name" "$execs" "$secs" "$rate" "$verdict")
  echo "$line"
  for f in $new; do
    echo "   new regression input: ${corpus#"$ROOT"/}/$f"
  done
  summary+=("$line")
done

echo
echo "target              executions   time      rate   result   (java: $(java -version 2>&1 | head -1 | cut -d'"' -f2), kernel $(uname -r))"
printf '%s\n' "${summary[@]}"
exit $status
