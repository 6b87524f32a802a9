#!/usr/bin/env bash
# A server's first seconds, by the way it is run: the same app-server (selector engine, one loop) as a JIT build
# with the runtime's default tiering, with tiered compilation off, as ReadyToRun, and as the NativeAOT executable,
# each started fresh, pinned to CPU 0, and driven from the moment it prints "Listening" by bench/loadgen-c (framed
# search, 64 connections x 16 in flight, pinned to CPU 1). Prints, per run, the answers in each second and the
# server's CPU microseconds per answer in each second (from /proc/PID/stat), which moves far less than msg/s on a
# shared machine.
#
#   bench/coldstart.sh              # 3 runs x 10 s of every way that is built (~3 min)
#   RUNS=5 SECONDS_PER_RUN=8 bench/coldstart.sh jit aot
#
# Ways (arguments, default all that exist): jit (bin/Release, `dotnet framewire.dll`, what `dotnet framewire` runs),
# jit-tc0 (the same with DOTNET_TieredCompilation=0), r2r (published with -p:PublishReadyToRun=true to
# artifacts/r2r), aot (published with -p:PublishAot=true to artifacts/aot, as docs/development.md says). The runs go
# round the ways in turn, so a noisy minute hits all of them alike. Every server is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
PORT=${PORT:-21900}
for v in RUNS SECONDS_PER_RUN PORT; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]]; then echo "$v must be a whole number" >&2; exit 2; fi
done
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ] || [ "$SECONDS_PER_RUN" -lt 1 ] || [ "$SECONDS_PER_RUN" -gt 60 ]; then
    echo "RUNS 1..20, SECONDS_PER_RUN 1..60" >&2
    exit 2
fi

LOADGEN=$ROOT/bench/loadgen-c/loadgen
make -s -C bench/loadgen-c >/dev/null
JIT=$ROOT/src/Framewire.Cli/bin/Release/net10.0/framewire.dll
R2R=$ROOT/artifacts/r2r/framewire.dll
AOT=$ROOT/artifacts/aot/framewire
[ -f "$JIT" ] || dotnet build -c Release src/Framewire.Cli/Framewire.Cli.csproj >/dev/null

command_of() {
    case $1 in
        jit) [ -f "$JIT" ] && echo "dotnet $JIT" ;;
        jit-tc0) [ -f "$JIT" ] && echo "env DOTNET_TieredCompilation=0 dotnet $JIT" ;;
        r2r) [ -f "$R2R" ] && echo "dotnet $R2R" ;;
        aot) [ -x "$AOT" ] && echo "$AOT" ;;
        *) echo "unknown way '$1' (jit, jit-tc0, r2r, aot)" >&2; exit 2 ;;
    esac
}

ways=("$@")
[ ${#ways[@]} -gt 0 ] || ways=(jit jit-tc0 r2r aot)
declare -a run_ways=()
for way in "${ways[@]}"; do
    if [ -n "$(command_of "$way")" ]; then run_ways+=("$way"); else echo "# $way: not built, skipped" >&2; fi
done

server=
cleanup() { if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -TERM "$server"; wait "$server" 2>/dev/null || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

hz=$(getconf CLK_TCK)
log=$(mktemp)
ticks=$(mktemp)
printf 'way\trun\tlisten_s\tmsg_per_second\tserver_cpu_us_per_msg_per_second\n'
for ((run = 1; run <= RUNS; run++)); do
    for way in "${run_ways[@]}"; do
        read -ra cmd <<<"$(command_of "$way")"
        while ss -Htan "sport = :$PORT" | grep -q .; do PORT=$((PORT + 1)); done
        t0=$(date +%s%N)
        taskset -c 0 "${cmd[@]}" app-server 127.0.0.1 "$PORT" --engine selector --loops 1 >"$log" 2>&1 &
        server=$!
        for _ in $(seq 3000); do
            grep -q '^Listening on' "$log" && break
            kill -0 "$server" 2>/dev/null || { echo "$way exited: $(tail -1 "$log")" >&2; exit 1; }
            sleep 0.01
        done
        t1=$(date +%s%N)
        (for ((k = 0; k <= SECONDS_PER_RUN; k++)); do awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$server/stat"; sleep 1; done) >"$ticks" &
        sampler=$!
        line=$(timeout 90 taskset -c 1 "$LOADGEN" --port "$PORT" --frame --connections 64 --depth 16 --warmup 0 \
            --duration "$SECONDS_PER_RUN" --per-second --pid "$server")
        wait "$sampler"
        kill -TERM "$server"; wait "$server" 2>/dev/null || true
        server=
        per=$(sed -n 's/.* per_second=\([0-9,]*\).*/\1/p' <<<"$line")
        cpu=$(python3 - "$per" "$hz" "$ticks" <<'PY'
import sys
per = [int(x) for x in sys.argv[1].split(",") if x]
hz = float(sys.argv[2])
t = [int(x) for x in open(sys.argv[3]).read().split()]
print(",".join(f"{(t[i + 1] - t[i]) / hz * 1e6 / per[i]:.2f}" if i + 1 < len(t) and per[i] else "-" for i in range(len(per))))
PY
)
        printf '%s\t%s\t%s\t%s\t%s\n' "$way" "$run" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" "$per" "$cpu"
        PORT=$((PORT + 1))
    done
done
rm -f "$log" "$ticks"
