#!/usr/bin/env bash
# The benchmark suite: Framewire's servers and the peers in bench/peers, side by side in one run, written up in
# docs/benchmarks.md (and docs/benchmarks.svg) by bench/report.py.
#
#   bench/run.sh                 # default: 3 runs x (1 s warm-up + 4 s measured) per server and scenario, ~25 min
#   QUICK=1 bench/run.sh         # smoke run: 1 x (1 s + 1 s), 1,000 idle connections (300 over TLS), ~5 min
#   SECTIONS=tls bench/run.sh    # only the TLS rows (~10 min; QUICK=1 too: ~3 min)
#   SECTIONS=limits bench/run.sh # only the cold-start and accept-storm rows (~3 min)
#
# Settings (environment): RUNS, DURATION and WARMUP (seconds), IDLE_CONNS, IDLE_TLS_CONNS, PORT_BASE, OUT_DIR
# (raw results, default bench/results/latest), DOC (default docs/benchmarks.md, or OUT_DIR/benchmarks.md when
# SECTIONS is not all; DOC= to skip the write-up), SECTIONS (all, or a list of plain, tls, limits).
#
# Limits rows: a server's first seconds (cold start: each server started fresh, the framed search at 64 x 16 from the
# moment it prints "Listening", answers counted in each of the first 5 seconds) and an accept storm (10,000
# connections opened at once by bench/loadgen-c --storm, each sending one request and staying open: the time until
# every one was answered). Each run starts its server afresh; the storm follows the usual throwaway warm-up.
#
# TLS rows: one throwaway self-signed certificate pair of each kind (ECDSA P-256, RSA 2048; CN localhost, SAN
# localhost and 127.0.0.1) made with openssl under OUT_DIR/tls; every TLS server serves it with its own stack's
# defaults, and bench/loadgen-c --tls offers only TLS 1.3 with TLS_AES_128_GCM_SHA256, so all negotiate the same
# (what they negotiated is in the notes). Throughput rows use the ECDSA certificate, handshake rows both.
#
# Every server runs pinned to CPU 0 and every load generator to CPU 1 (taskset), on 127.0.0.1 only. All the
# servers of one phase run at once, each on its own port, and the runs of a scenario go round the servers in
# turn (run 1 of every server, then run 2, ...), so a noisy minute on this shared VM hits all of them alike.
# Each server gets a throwaway load first whose connections close before anything is measured (the .NET JIT
# tiers settle; CPython's allocator stops mmap-ing per read; see bench/peers/README.md).
# Every server started is stopped by its PID: at the end of its phase, and by the EXIT trap on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    RUNS=${RUNS:-1} DURATION=${DURATION:-1} WARMUP=${WARMUP:-0} IDLE_CONNS=${IDLE_CONNS:-1000} QUIET_BUDGET=${QUIET_BUDGET:-0}
    IDLE_TLS_CONNS=${IDLE_TLS_CONNS:-300}
fi
RUNS=${RUNS:-3}
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-1}
IDLE_CONNS=${IDLE_CONNS:-10000}
# Idle TLS connections are fewer: each costs a handshake on the server's one CPU.
IDLE_TLS_CONNS=${IDLE_TLS_CONNS:-2000}
SECTIONS=${SECTIONS:-all}
if ! [[ $SECTIONS =~ ^(all|plain|tls|limits)(,(all|plain|tls|limits))*$ ]]; then echo "SECTIONS must be all or a list of plain, tls, limits" >&2; exit 2; fi
section() { [[ ",$SECTIONS," == *",all,"* || ",$SECTIONS," == *",$1,"* ]]; }
# Seconds the whole run may spend waiting, before a measurement, for other work on the shared machine to pass.
QUIET_BUDGET=${QUIET_BUDGET:-60}
# Below the ephemeral range (32768-60999 here): a port there may be held by a client socket of an earlier
# scenario (the one-connection-per-request runs leave thousands in TIME_WAIT), and bind would fail.
PORT_BASE=${PORT_BASE:-21200}
OUT_DIR=${OUT_DIR:-$ROOT/bench/results/latest}
# A partial run does not overwrite the full write-up unless DOC says so.
if section plain && section tls && section limits; then DOC=${DOC-$ROOT/docs/benchmarks.md}; else DOC=${DOC-$OUT_DIR/benchmarks.md}; fi

for v in RUNS DURATION WARMUP IDLE_CONNS IDLE_TLS_CONNS PORT_BASE QUIET_BUDGET; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]]; then echo "$v must be a whole number" >&2; exit 2; fi
done
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 20 ] || [ "$DURATION" -lt 1 ] || [ "$DURATION" -gt 60 ] \
    || [ "$WARMUP" -gt 30 ] || [ "$IDLE_CONNS" -lt 100 ] || [ "$IDLE_CONNS" -gt 15000 ] \
    || [ "$IDLE_TLS_CONNS" -lt 100 ] || [ "$IDLE_TLS_CONNS" -gt 15000 ]; then
    echo "RUNS 1..20, DURATION 1..60, WARMUP 0..30, IDLE_CONNS and IDLE_TLS_CONNS 100..15000" >&2
    exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
SUITE_START=$(date +%s)
log() { printf '[%4ds] %s\n' $(( $(date +%s) - SUITE_START )) "$*" >&2; }

# 10,000 idle connections need more descriptors than the usual soft limit; servers inherit this.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNS + 200)) ]; then
    echo "open-files limit $(ulimit -n) is below IDLE_CONNS + 200; lower IDLE_CONNS" >&2
    exit 2
fi

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR/logs"
RESULTS=$OUT_DIR/results.tsv      # one line per measured run
IDLE=$OUT_DIR/idle.tsv            # one line per server
COLD=$OUT_DIR/cold.tsv            # one line per cold-start run
STORM=$OUT_DIR/storm.tsv          # one line per accept-storm run
NOTES=$OUT_DIR/notes.txt          # rows skipped and why
COMMANDS=$OUT_DIR/commands.txt    # every server and load command, as run
printf 'server\tscenario\trun\tgenerator\tmsg_per_s\tp50_us\tp99_us\tcpu_us_per_msg\tclient_cpu_s\tmachine_busy_s\tserver_cpu_s\tseconds\terrors\n' >"$RESULTS"
printf 'server\tprotocol\tconnections\trss_before_kb\trss_after_kb\tbytes_per_conn\tconnect_s\n' >"$IDLE"
printf 'server\trun\tlisten_s\tper_second\terrors\n' >"$COLD"
printf 'server\trun\tconnections\tstorm_s\tconnected_s\tserver_cpu_s\terrors\n' >"$STORM"
: >"$NOTES"
: >"$COMMANDS"

# ---------------------------------------------------------------------------------------------------------
# Servers: start (pinned to CPU 0, wait for its "Listening on" line), stop by PID, and the EXIT trap.
declare -a STARTED_PIDS=()
declare -A PID_OF=() PORT_OF=()
NEXT_PORT=$PORT_BASE

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -Htan "sport = :$1" 2>/dev/null | grep -q .; }

# start_server NAME COMMAND...: the command gets --port/PORT appended by the caller through {PORT}.
start_server() {
    local name=$1; shift
    local port=$NEXT_PORT
    while ! port_free "$port"; do port=$((port + 1)); done
    NEXT_PORT=$((port + 1))
    local args=() a
    for a in "$@"; do args+=("${a//\{PORT\}/$port}"); done
    local slug=${name//[^A-Za-z0-9]/_}
    local out=$OUT_DIR/logs/$slug.$port.log
    echo "taskset -c 0 ${args[*]}" >>"$COMMANDS"
    taskset -c 0 "${args[@]}" >"$out" 2>&1 &
    local pid=$!
    STARTED_PIDS+=("$pid")
    local i
    for i in $(seq 300); do
        if grep -q '^Listening on' "$out" 2>/dev/null; then break; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited at start: $(tail -3 "$out" | tr '\n' ' ')"
            return 1
        fi
        sleep 0.1
    done
    if ! grep -q '^Listening on' "$out" 2>/dev/null; then
        log "$name did not listen within 30 s"
        stop_pid "$pid"
        return 1
    fi
    PID_OF[$name]=$pid
    PORT_OF[$name]=$port
}

stop_pid() {
    local pid=$1 kept=() p
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
    # Forget it, so the EXIT trap never signals a later process that was given the same PID.
    for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    STARTED_PIDS=("${kept[@]}")
}

stop_server() {
    stop_pid "${PID_OF[$1]}"
    unset "PID_OF[$1]" "PORT_OF[$1]"
}

busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Before a measurement, wait (at most 5 s, and QUIET_BUDGET s over the whole run) until the machine is
# nearly idle: the servers are, so busy time is someone else's. The time waited is noted in the write-up.
QUIET_WAITED=0
wait_quiet() {
    local hz a b tries=0
    hz=$(getconf CLK_TCK)
    while [ "$QUIET_WAITED" -lt "$QUIET_BUDGET" ] && [ "$tries" -lt 5 ]; do
        a=$(busy_ticks); sleep 0.25; b=$(busy_ticks)
        # Quiet: under 0.3 of a CPU busy over the quarter second.
        if [ $(( (b - a) * 400 )) -lt $(( hz * 30 )) ]; then return 0; fi
        sleep 0.75
        QUIET_WAITED=$((QUIET_WAITED + 1)); tries=$((tries + 1))
    done
    return 0
}

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------------------------------------------------
# Build.
log "building (Release)"
{
    dotnet build -c Release src/Framewire.Cli/Framewire.Cli.csproj
    dotnet build -c Release bench/peers/kestrel/KestrelPeer.csproj
    dotnet build -c Release bench/peers/socket-echo/SocketEcho.csproj
} >"$OUT_DIR/logs/build.log" 2>&1 || { tail -30 "$OUT_DIR/logs/build.log" >&2; exit 1; }
make -s -C bench/loadgen-c >>"$OUT_DIR/logs/build.log" 2>&1
make -s -C bench/peers/c-epoll-echo >>"$OUT_DIR/logs/build.log" 2>&1
# The C io_uring peer needs liburing's header (Debian's liburing-dev, installed with apt-get when running as root);
# without it, its rows are skipped with a note.
C_URING=
if ! echo '#include <liburing.h>' | gcc -E -x c - >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    timeout 180 apt-get install -y -qq liburing-dev >>"$OUT_DIR/logs/build.log" 2>&1 || true
fi
if ! echo '#include <liburing.h>' | gcc -E -x c - >/dev/null 2>&1; then
    echo "C io_uring: liburing's header (Debian's liburing-dev) is missing, so bench/peers/c-uring-echo was not built; its rows are skipped." >>"$NOTES"
elif make -s -C bench/peers/c-uring-echo >>"$OUT_DIR/logs/build.log" 2>&1; then
    C_URING=$ROOT/bench/peers/c-uring-echo/echo
else
    echo "C io_uring: bench/peers/c-uring-echo did not build (see logs/build.log); its rows are skipped." >>"$NOTES"
fi

FW=$ROOT/src/Framewire.Cli/bin/Release/net10.0/framewire
LOADGEN=$ROOT/bench/loadgen-c/loadgen
KESTREL=$ROOT/bench/peers/kestrel/bin/Release/net10.0/kestrel-peer.dll
SOCKET_ECHO=$ROOT/bench/peers/socket-echo/bin/Release/net10.0/socket-echo.dll
PYPEER=$ROOT/bench/peers/python/asyncio_server.py

# Python on uvloop: from a venv under bench/.venv if pip can install it; else Debian's python3 with its
# python3-uvloop package (installed with apt-get when running as root); else the rows are skipped with a note.
UVLOOP_PY=
if [ -x bench/.venv/bin/python ] && bench/.venv/bin/python -c 'import uvloop' 2>/dev/null; then
    UVLOOP_PY=$ROOT/bench/.venv/bin/python
else
    if python3 -m venv bench/.venv >>"$OUT_DIR/logs/build.log" 2>&1 \
        && timeout 60 bench/.venv/bin/pip install -q --disable-pip-version-check --timeout 10 --retries 1 uvloop \
            >>"$OUT_DIR/logs/build.log" 2>&1; then
        UVLOOP_PY=$ROOT/bench/.venv/bin/python
    elif [ -x /usr/bin/python3 ] && { /usr/bin/python3 -c 'import uvloop' 2>/dev/null \
            || { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
                 && timeout 180 apt-get install -y -qq python3-uvloop >>"$OUT_DIR/logs/build.log" 2>&1 \
                 && /usr/bin/python3 -c 'import uvloop' 2>/dev/null; }; }; then
        UVLOOP_PY=/usr/bin/python3
        echo "uvloop: pip could not install it into bench/.venv (no package index reachable); the uvloop rows use Debian's /usr/bin/python3 $(/usr/bin/python3 -c 'import sys, uvloop; print("%d.%d.%d" % sys.version_info[:3], "with uvloop", uvloop.__version__)')." >>"$NOTES"
    else
        echo "uvloop: not installable with pip into bench/.venv here and no python3-uvloop present; the uvloop rows are skipped." >>"$NOTES"
    fi
fi

# Framewire's engines: every one the servers take with --engine (the selector and uring engines with one loop,
# as the server has one CPU); until then the one engine there is, the async one. The uring engine serves no TLS,
# so the TLS rows leave it out; where io_uring is refused it would run as the selector engine, so it is left out.
if "$FW" multiconn-server --help 2>/dev/null | grep -q -- '--engine'; then
    FW_VARIANTS=("selector" "async")
    if "$FW" multiconn-server --help 2>/dev/null | grep -q 'uring'; then
        # A server on a free port for 3 s: its warning, if any, says why io_uring is refused.
        uring_probe=$(timeout 3 "$FW" multiconn-server 127.0.0.1 0 --engine uring 2>&1 >/dev/null || true)
        if printf '%s' "$uring_probe" | grep -q 'cannot run here'; then
            echo "framewire (uring): $(printf '%s' "$uring_probe" | grep 'cannot run here' | head -1 | sed 's/^.*] //'); its rows are skipped." >>"$NOTES"
        else
            FW_VARIANTS+=("uring")
        fi
    fi
else
    FW_VARIANTS=("async")
    echo "framewire: the servers take no --engine yet; measured with their one engine (async)." >>"$NOTES"
fi
fw_args() {
    case $1 in
        selector) echo "--engine selector --loops 1" ;;
        uring) echo "--engine uring --loops 1" ;;
        async) if [ ${#FW_VARIANTS[@]} -gt 1 ]; then echo "--engine async"; fi ;;
    esac
}

# ---------------------------------------------------------------------------------------------------------
# Measurement.

# loadgen_run SERVER SCENARIO RUN LOADGEN-ARGS...: one timed run of the C load generator.
loadgen_run() {
    local name=$1 scenario=$2 run=$3; shift 3
    local pid=${PID_OF[$name]} port=${PORT_OF[$name]}
    local cmd=(taskset -c 1 "$LOADGEN" --port "$port" --warmup "$WARMUP" --duration "$DURATION" --pid "$pid" "$@")
    [ "$run" = 1 ] && echo "${cmd[*]}    # $name, $scenario" >>"$COMMANDS"
    wait_quiet
    local line
    if ! line=$(timeout $((WARMUP + DURATION + 90)) "${cmd[@]}" 2>>"$OUT_DIR/logs/loadgen.err"); then
        log "  $name $scenario run $run: load generator failed: $(tail -1 "$OUT_DIR/logs/loadgen.err")"
        printf '%s\t%s\t%s\tloadgen-c\t\t\t\t\t\t\t\t\tfailed\n' "$name" "$scenario" "$run" >>"$RESULTS"
        return 0
    fi
    echo "$name $scenario $run $line" >>"$OUT_DIR/logs/loadgen.out"
    local -A kv=()
    local pair
    for pair in $line; do kv[${pair%%=*}]=${pair#*=}; done
    printf '%s\t%s\t%s\tloadgen-c\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$scenario" "$run" \
        "${kv[msg_per_s]}" "${kv[p50_us]}" "${kv[p99_us]}" "${kv[cpu_us_per_msg]}" "${kv[client_cpu_s]}" \
        "${kv[machine_busy_s]}" "${kv[server_cpu_s]}" "${kv[seconds]}" "${kv[errors]}" >>"$RESULTS"
    if [ "${kv[tls]:-0}" = 1 ]; then
        printf '%s\t%s\t%s %s, %s key exchange, server key %s\n' "$name" "$scenario" "${kv[tls_version]}" "${kv[tls_cipher]}" \
            "${kv[tls_group]}" "${kv[tls_server_key]}" >>"$OUT_DIR/tls_negotiated.tsv"
    fi
    log "  $name $scenario run $run: ${kv[msg_per_s]} msg/s, ${kv[cpu_us_per_msg]} µs/msg, p99 ${kv[p99_us]} µs"
}

# oneshot_run SERVER RUN: framewire bench oneshot (the only generator here that opens a connection per
# request); the server's CPU is read around the whole process and divided by every answer it gave.
oneshot_run() {
    local name=$1 run=$2
    local pid=${PID_OF[$name]} port=${PORT_OF[$name]}
    local cmd=(taskset -c 1 "$FW" bench oneshot --port "$port" -c 8 --warmup "${WARMUP}s" -d "${DURATION}s" --json)
    [ "$run" = 1 ] && echo "${cmd[*]}    # $name, oneshot 8x1" >>"$COMMANDS"
    local hz before after busy_before busy_after json
    hz=$(getconf CLK_TCK)
    wait_quiet
    before=$(cpu_ticks "$pid")
    busy_before=$(busy_ticks)
    if ! json=$(timeout $((WARMUP + DURATION + 90)) "${cmd[@]}" 2>>"$OUT_DIR/logs/bench.err"); then
        log "  $name oneshot run $run: framewire bench failed: $(tail -1 "$OUT_DIR/logs/bench.err")"
        printf '%s\toneshot 8x1\t%s\tframewire bench\t\t\t\t\t\t\t\t\tfailed\n' "$name" "$run" >>"$RESULTS"
        return 0
    fi
    after=$(cpu_ticks "$pid")
    busy_after=$(busy_ticks)
    echo "$name oneshot $run $json" >>"$OUT_DIR/logs/bench.out"
    python3 - "$name" "$run" "$json" "$before" "$after" "$busy_before" "$busy_after" "$hz" >>"$RESULTS" <<'PY'
import json, sys
name, run, raw, before, after, busy_before, busy_after, hz = sys.argv[1:]
r = json.loads(raw)
hz = float(hz)
server_cpu = (int(after) - int(before)) / hz
answered = r["messages"] + r["warmup_messages"]
client_cpu = r["client_cpu_percent"] / 100 * r["seconds"]
fields = [name, "oneshot 8x1", run, "framewire bench", f'{r["msgs_per_s"]:.0f}', f'{r["p50_us"]:.1f}',
          f'{r["p99_us"]:.1f}', f"{server_cpu * 1e6 / answered:.3f}" if answered else "", f"{client_cpu:.2f}",
          f"{(int(busy_after) - int(busy_before)) / hz:.2f}", f"{server_cpu:.2f}", f'{r["seconds"]:.3f}', str(r["errors"])]
print("\t".join(fields))
PY
    log "  $name oneshot run $run: $(tail -1 "$RESULTS" | cut -f5) msg/s, $(tail -1 "$RESULTS" | cut -f8) µs/msg"
}

# The throwaway load: the scenario's heaviest shape for a few seconds; its connections close before measuring.
warm_up() {
    local name=$1; shift
    timeout 60 taskset -c 1 "$LOADGEN" --port "${PORT_OF[$name]}" --warmup 0 --duration "$((QUICK == 1 ? 1 : 2))" "$@" \
        >/dev/null 2>>"$OUT_DIR/logs/loadgen.err" || log "  warm-up of $name failed"
}

# Memory per idle connection, each server fresh and alone: a short load whose connections close, RSS, then
# IDLE_CONNS connections with one request answered on each and then left idle, RSS again.
# idle_one NAME PROTOCOL COMMAND...: PROTOCOL echo or frame, or echo/tls or frame/tls (IDLE_TLS_CONNS connections
# that each shake hands first; the server's command serves TLS).
idle_one() {
    local name=$1 protocol=$2; shift 2
    local key="$name [$protocol]" base=${protocol%/tls} conns=$IDLE_CONNS tls=()
    if [ "$base" != "$protocol" ]; then conns=$IDLE_TLS_CONNS tls=(--tls); fi
    # shellcheck disable=SC2068
    if ! start_server "$key" $@; then echo "$name ($protocol, idle): did not start" >>"$NOTES"; return 0; fi
    local pid=${PID_OF[$key]} port=${PORT_OF[$key]}
    local gen_mode=()
    [ "$base" = frame ] && gen_mode=(--frame)
    timeout 30 taskset -c 1 "$LOADGEN" --port "$port" "${gen_mode[@]}" "${tls[@]}" --connections 8 --depth 4 --warmup 0 --duration 1 \
        >/dev/null 2>>"$OUT_DIR/logs/loadgen.err" || true
    sleep "$((QUICK == 1 ? 0 : 1))"
    local before after release out client
    before=$(rss_kb "$pid")
    release=$OUT_DIR/logs/release.$port
    out=$OUT_DIR/logs/idle.$port.out
    rm -f "$release"
    echo "taskset -c 1 python3 bench/idle_conns.py --port $port --mode $base --connections $conns ${tls[*]} --release-file R    # $name" >>"$COMMANDS"
    taskset -c 1 python3 "$ROOT/bench/idle_conns.py" --port "$port" --mode "$base" --connections "$conns" "${tls[@]}" \
        --release-file "$release" --timeout 120 --hold 60 >"$out" 2>&1 &
    client=$!
    for _ in $(seq 1300); do
        grep -q '^ready' "$out" 2>/dev/null && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q '^ready' "$out"; then
        sleep 1
        after=$(rss_kb "$pid")
        local connect_s
        connect_s=$(sed -n 's/^ready .*connect_s=\([0-9.]*\).*/\1/p' "$out")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$protocol" "$conns" "$before" "$after" \
            "$(( (after - before) * 1024 / conns ))" "$connect_s" >>"$IDLE"
        log "  $name ($protocol): RSS $before -> $after kB, $(( (after - before) * 1024 / conns )) B per connection, connect ${connect_s} s"
    else
        log "  $name ($protocol): idle client failed: $(tail -1 "$out")"
        echo "$name ($protocol, idle): the idle client failed: $(tail -1 "$out")" >>"$NOTES"
    fi
    touch "$release"
    for _ in $(seq 100); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$client" 2>/dev/null && kill -TERM "$client" 2>/dev/null
    wait "$client" 2>/dev/null || true
    stop_server "$key"
}

# ---------------------------------------------------------------------------------------------------------
# Phase 1: echo servers.
declare -a ECHO_SERVERS=()
declare -A ECHO_CMD=()
add_echo() { ECHO_SERVERS+=("$1"); shift; ECHO_CMD[${ECHO_SERVERS[-1]}]="$*"; }
for variant in "${FW_VARIANTS[@]}"; do
    # shellcheck disable=SC2046
    add_echo "framewire ($variant)" "$FW" multiconn-server 127.0.0.1 "{PORT}" $(fw_args "$variant")
done
add_echo "C epoll" "$ROOT/bench/peers/c-epoll-echo/echo" --port "{PORT}"
[ -n "$C_URING" ] && add_echo "C io_uring" "$C_URING" --port "{PORT}"
add_echo "Kestrel" dotnet "$KESTREL" --mode echo --port "{PORT}"
add_echo ".NET async Socket" dotnet "$SOCKET_ECHO" --port "{PORT}"
add_echo "Node.js net" node "$ROOT/bench/peers/node/echo.js" --port "{PORT}"
add_echo "Python asyncio" python3 "$PYPEER" --mode echo --port "{PORT}"
[ -n "$UVLOOP_PY" ] && add_echo "Python uvloop" "$UVLOOP_PY" "$PYPEER" --mode echo --uvloop --port "{PORT}"

declare -a FRAME_SERVERS=()
declare -A FRAME_CMD=()
add_frame() { FRAME_SERVERS+=("$1"); shift; FRAME_CMD[${FRAME_SERVERS[-1]}]="$*"; }
for variant in "${FW_VARIANTS[@]}"; do
    # shellcheck disable=SC2046
    add_frame "framewire ($variant)" "$FW" app-server 127.0.0.1 "{PORT}" $(fw_args "$variant")
done
add_frame "Kestrel" dotnet "$KESTREL" --mode frame --port "{PORT}"
add_frame "Python asyncio" python3 "$PYPEER" --mode frame --port "{PORT}"
[ -n "$UVLOOP_PY" ] && add_frame "Python uvloop" "$UVLOOP_PY" "$PYPEER" --mode frame --uvloop --port "{PORT}"

# Runs go round the servers; each round starts one server further on so no server is always first.
rotate() { local k=$1; shift; local n=$#; local a=("$@"); local i; for ((i = 0; i < n; i++)); do echo "${a[(i + k) % n]}"; done; }

if section plain; then
log "echo phase: ${#ECHO_SERVERS[@]} servers, $RUNS run(s) x (${WARMUP} s + ${DURATION} s)"
declare -a RUNNING=()
for name in "${ECHO_SERVERS[@]}"; do
    # shellcheck disable=SC2086
    if start_server "$name" ${ECHO_CMD[$name]}; then RUNNING+=("$name"); else echo "$name (echo): did not start; see its log." >>"$NOTES"; fi
done
for name in "${RUNNING[@]}"; do warm_up "$name" --connections 64 --depth 16; done
ECHO_SCENARIOS=("echo 64x1x64B|--connections 64 --depth 1 --size 64"
                "echo 64x16x64B|--connections 64 --depth 16 --size 64"
                "echo 8x4x16KiB|--connections 8 --depth 4 --size 16384")
for scenario in "${ECHO_SCENARIOS[@]}"; do
    label=${scenario%%|*}
    for ((run = 1; run <= RUNS; run++)); do
        while IFS= read -r name; do
            # shellcheck disable=SC2086
            loadgen_run "$name" "$label" "$run" ${scenario#*|}
        done < <(rotate "$run" "${RUNNING[@]}")
    done
done
for name in "${RUNNING[@]}"; do stop_server "$name"; done

# ---------------------------------------------------------------------------------------------------------
# Phase 2: framed search servers (kept-open connections with the C generator, then one connection per request).
log "frame phase: ${#FRAME_SERVERS[@]} servers"
RUNNING=()
for name in "${FRAME_SERVERS[@]}"; do
    # shellcheck disable=SC2086
    if start_server "$name" ${FRAME_CMD[$name]}; then RUNNING+=("$name"); else echo "$name (frame): did not start; see its log." >>"$NOTES"; fi
done
for name in "${RUNNING[@]}"; do warm_up "$name" --frame --connections 64 --depth 16; done
for depth in 1 16; do
    for ((run = 1; run <= RUNS; run++)); do
        while IFS= read -r name; do
            loadgen_run "$name" "frame 64x$depth" "$run" --frame --connections 64 --depth "$depth"
        done < <(rotate "$run" "${RUNNING[@]}")
    done
done
for ((run = 1; run <= RUNS; run++)); do
    while IFS= read -r name; do oneshot_run "$name" "$run"; done < <(rotate "$run" "${RUNNING[@]}")
done
for name in "${RUNNING[@]}"; do stop_server "$name"; done

# ---------------------------------------------------------------------------------------------------------
# Phase 3: memory per idle connection (idle_one above).
log "idle phase: $IDLE_CONNS connections per server"
for name in "${ECHO_SERVERS[@]}"; do idle_one "$name" echo ${ECHO_CMD[$name]}; done
for name in "${FRAME_SERVERS[@]}"; do
    case $name in framewire*|Kestrel|Python*) idle_one "$name" frame ${FRAME_CMD[$name]} ;; esac
done
fi  # section plain

# ---------------------------------------------------------------------------------------------------------
# Phase 3b: limits. A server's first seconds, and an accept storm; each run starts its server afresh.
# cold_one NAME COMMAND...: msg/s in each of the first 5 seconds after "Listening", framed search 64 x 16.
cold_one() {
    local name=$1 run=$2; shift 2
    local key="$name [cold $run]" t0 t1 line
    t0=$(date +%s%N)
    # shellcheck disable=SC2068
    if ! start_server "$key" $@; then echo "$name (cold start): did not start" >>"$NOTES"; return 0; fi
    t1=$(date +%s%N)
    local cmd=(taskset -c 1 "$LOADGEN" --port "${PORT_OF[$key]}" --frame --connections 64 --depth 16 --warmup 0 --duration 5 --per-second --pid "${PID_OF[$key]}")
    [ "$run" = 1 ] && echo "${cmd[*]}    # $name, cold start" >>"$COMMANDS"
    if line=$(timeout 90 "${cmd[@]}" 2>>"$OUT_DIR/logs/loadgen.err"); then
        local per errors
        per=$(sed -n 's/.* per_second=\([0-9,]*\).*/\1/p' <<<"$line")
        errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$line")
        printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')" "$per" "$errors" >>"$COLD"
        log "  $name cold start run $run: $per msg in each second"
    else
        log "  $name cold start run $run: load generator failed: $(tail -1 "$OUT_DIR/logs/loadgen.err")"
        printf '%s\t%s\t\t\tfailed\n' "$name" "$run" >>"$COLD"
    fi
    stop_server "$key"
}

# storm_one NAME RUN COMMAND...: 10,000 connections at once (IDLE_CONNS), time until each was answered once.
storm_one() {
    local name=$1 run=$2; shift 2
    local key="$name [storm $run]" line
    # shellcheck disable=SC2068
    if ! start_server "$key" $@; then echo "$name (accept storm): did not start" >>"$NOTES"; return 0; fi
    warm_up "$key" --connections 64 --depth 16
    sleep 1
    wait_quiet
    local cmd=(taskset -c 1 "$LOADGEN" --port "${PORT_OF[$key]}" --storm --connections "$IDLE_CONNS" --duration 60 --pid "${PID_OF[$key]}")
    [ "$run" = 1 ] && echo "${cmd[*]}    # $name, accept storm" >>"$COMMANDS"
    line=$(timeout 90 "${cmd[@]}" 2>>"$OUT_DIR/logs/loadgen.err") || true
    local -A kv=()
    local pair
    for pair in $line; do kv[${pair%%=*}]=${pair#*=}; done
    if [ -n "${kv[storm_s]:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "${kv[connections]}" "${kv[storm_s]}" "${kv[connected_s]}" \
            "${kv[server_cpu_s]}" "${kv[errors]}" >>"$STORM"
        log "  $name accept storm run $run: ${kv[storm_s]} s, server CPU ${kv[server_cpu_s]} s, ${kv[errors]} errors"
    else
        log "  $name accept storm run $run: load generator failed: $(tail -1 "$OUT_DIR/logs/loadgen.err")"
        printf '%s\t%s\t%s\t\t\t\tfailed\n' "$name" "$run" "$IDLE_CONNS" >>"$STORM"
    fi
    stop_server "$key"
}

# The NativeAOT executable, which the Dockerfile and deploy/framewire.service run, in the cold-start rows when it has
# been published (docs/development.md, "NativeAOT"): FW_NATIVE, default artifacts/aot/framewire.
FW_NATIVE=${FW_NATIVE:-$ROOT/artifacts/aot/framewire}
if section limits && [ -x "$FW_NATIVE" ]; then
    FRAME_SERVERS+=("framewire (selector, NativeAOT)")
    FRAME_CMD["framewire (selector, NativeAOT)"]="$FW_NATIVE app-server 127.0.0.1 {PORT} --engine selector --loops 1"
elif section limits; then
    echo "framewire (selector, NativeAOT): no executable at $FW_NATIVE (publish it as docs/development.md says), so no cold-start row for it." >>"$NOTES"
fi
if section limits; then
    log "limits phase: cold start (framed search) and accept storm ($IDLE_CONNS connections), $RUNS run(s) each"
    for ((run = 1; run <= RUNS; run++)); do
        while IFS= read -r name; do
            # shellcheck disable=SC2086
            cold_one "$name" "$run" ${FRAME_CMD[$name]}
        done < <(rotate "$run" "${FRAME_SERVERS[@]}")
    done
    for ((run = 1; run <= RUNS; run++)); do
        while IFS= read -r name; do
            case $name in framewire*|"C epoll"|"C io_uring"|Kestrel) ;; *) continue ;; esac
            # shellcheck disable=SC2086
            storm_one "$name" "$run" ${ECHO_CMD[$name]}
        done < <(rotate "$run" "${ECHO_SERVERS[@]}")
    done
fi

# ---------------------------------------------------------------------------------------------------------
# Phase 4: TLS. The same servers where their stack serves TLS (Framewire with --tls-cert/--tls-key on each
# engine that takes it, Kestrel's UseHttps, Node.js tls, Python's ssl), driven by bench/loadgen-c --tls: TLS 1.3
# with TLS_AES_128_GCM_SHA256 only, the certificate not checked (throwaway, self-signed). Echo 64 x 1, framed
# search 64 x 1 and 64 x 16 (handshakes before the clock starts), handshakes per second (one connection per
# search request, 8 at once; ECDSA and RSA certificates, separate servers), memory per idle TLS connection.
TLS_READY=0
if section tls; then
    TLS_DIR=$OUT_DIR/tls
    mkdir -p "$TLS_DIR"
    if ! "$LOADGEN" --version | grep -q '^loadgen tls=OpenSSL'; then
        echo "TLS: bench/loadgen-c was built without TLS (OpenSSL's headers, Debian's libssl-dev, are missing); the TLS rows are skipped." >>"$NOTES"
    elif ! command -v openssl >/dev/null; then
        echo "TLS: no openssl command to make the throwaway certificates; the TLS rows are skipped." >>"$NOTES"
    elif ! (
        for kind in ecdsa rsa; do
            if [ "$kind" = ecdsa ]; then key_args=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); else key_args=(-newkey rsa:2048); fi
            openssl req -x509 "${key_args[@]}" -nodes -days 2 -subj "/CN=localhost" \
                -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$TLS_DIR/$kind.key" -out "$TLS_DIR/$kind.pem" || exit 1
        done
    ) >>"$OUT_DIR/logs/build.log" 2>&1; then
        echo "TLS: openssl could not make the throwaway certificates (see logs/build.log); the TLS rows are skipped." >>"$NOTES"
    else
        TLS_READY=1
    fi
fi

# tls_servers KIND ECHO|FRAME: fills TLS_SERVERS and TLS_CMD with the servers of that protocol, certificate KIND,
# leaving out those that refused TLS in an earlier phase (TLS_REFUSED, by name and protocol).
declare -a TLS_SERVERS=()
declare -A TLS_CMD=() TLS_REFUSED=()
TLS_PROTOCOL=
tls_servers() {
    local kind=$1 protocol=$2 variant
    local cert=(--tls-cert "$TLS_DIR/$kind.pem" --tls-key "$TLS_DIR/$kind.key")
    TLS_SERVERS=()
    TLS_CMD=()
    TLS_PROTOCOL=$protocol
    add_tls() {
        if [ -n "${TLS_REFUSED[$1|$TLS_PROTOCOL]:-}" ]; then return 0; fi
        TLS_SERVERS+=("$1"); shift; TLS_CMD[${TLS_SERVERS[-1]}]="$*"
    }
    for variant in "${FW_VARIANTS[@]}"; do
        [ "$variant" = uring ] && continue
        if [ "$protocol" = echo ]; then
            # shellcheck disable=SC2046
            add_tls "framewire ($variant)" "$FW" multiconn-server 127.0.0.1 "{PORT}" $(fw_args "$variant") "${cert[@]}"
        else
            # shellcheck disable=SC2046
            add_tls "framewire ($variant)" "$FW" app-server 127.0.0.1 "{PORT}" $(fw_args "$variant") "${cert[@]}"
        fi
    done
    add_tls "Kestrel" dotnet "$KESTREL" --mode "$protocol" --port "{PORT}" "${cert[@]}"
    [ "$protocol" = echo ] && add_tls "Node.js tls" node "$ROOT/bench/peers/node/echo.js" --port "{PORT}" "${cert[@]}"
    add_tls "Python asyncio" python3 "$PYPEER" --mode "$protocol" --port "{PORT}" "${cert[@]}"
    [ -n "$UVLOOP_PY" ] && add_tls "Python uvloop" "$UVLOOP_PY" "$PYPEER" --mode "$protocol" --uvloop --port "{PORT}" "${cert[@]}"
    return 0
}

# tls_start PHASE: starts TLS_SERVERS into RUNNING; a server that will not start with TLS is a note, not a failure.
tls_start() {
    local phase=$1 name
    RUNNING=()
    for name in "${TLS_SERVERS[@]}"; do
        # shellcheck disable=SC2086
        if start_server "$name" ${TLS_CMD[$name]}; then
            RUNNING+=("$name")
        else
            TLS_REFUSED[$name|$TLS_PROTOCOL]=1
            echo "$name ($phase): did not start with TLS, so it has no TLS $TLS_PROTOCOL rows: $(tail -1 "$(ls -t "$OUT_DIR"/logs/"${name//[^A-Za-z0-9]/_}".*.log | head -1)" | cut -c1-200)" >>"$NOTES"
        fi
    done
}

# Every round of RUNS runs goes round RUNNING: tls_rounds SCENARIO LOADGEN-ARGS...
tls_rounds() {
    local label=$1 run name; shift
    for ((run = 1; run <= RUNS; run++)); do
        while IFS= read -r name; do loadgen_run "$name" "$label" "$run" --tls "$@"; done < <(rotate "$run" "${RUNNING[@]}")
    done
}

if [ "$TLS_READY" = 1 ]; then
    tls_servers ecdsa echo
    log "TLS echo phase: ${#TLS_SERVERS[@]} servers (ECDSA P-256)"
    tls_start "TLS echo"
    for name in "${RUNNING[@]}"; do warm_up "$name" --tls --connections 64 --depth 16; done
    tls_rounds "tls echo 64x1" --connections 64 --depth 1 --size 64
    for name in "${RUNNING[@]}"; do stop_server "$name"; done

    tls_servers ecdsa frame
    log "TLS frame phase: ${#TLS_SERVERS[@]} servers (ECDSA P-256)"
    tls_start "TLS frame, ECDSA"
    for name in "${RUNNING[@]}"; do
        warm_up "$name" --tls --frame --connections 64 --depth 16
        warm_up "$name" --tls --frame --oneshot --connections 8
    done
    tls_rounds "tls frame 64x1" --frame --connections 64 --depth 1
    tls_rounds "tls frame 64x16" --frame --connections 64 --depth 16
    tls_rounds "tls handshake ECDSA" --frame --oneshot --connections 8
    for name in "${RUNNING[@]}"; do stop_server "$name"; done

    tls_servers rsa frame
    log "TLS handshake phase: ${#TLS_SERVERS[@]} servers (RSA 2048)"
    tls_start "TLS frame, RSA"
    for name in "${RUNNING[@]}"; do warm_up "$name" --tls --frame --oneshot --connections 8; done
    tls_rounds "tls handshake RSA" --frame --oneshot --connections 8
    for name in "${RUNNING[@]}"; do stop_server "$name"; done

    log "TLS idle phase: $IDLE_TLS_CONNS connections per server (ECDSA P-256)"
    tls_servers ecdsa echo
    for name in "${TLS_SERVERS[@]}"; do idle_one "$name" echo/tls ${TLS_CMD[$name]}; done
    tls_servers ecdsa frame
    for name in "${TLS_SERVERS[@]}"; do
        case $name in framewire*|Kestrel|Python*) idle_one "$name" frame/tls ${TLS_CMD[$name]} ;; esac
    done

    # What the handshakes negotiated, from loadgen-c's report of each run.
    if [ -s "$OUT_DIR/tls_negotiated.tsv" ]; then
        cut -f3 "$OUT_DIR/tls_negotiated.tsv" | sort | uniq -c | while read -r count what; do
            echo "TLS negotiated (bench/loadgen-c, which offers only TLS 1.3 and TLS_AES_128_GCM_SHA256): $what, in $count run(s) of: $(awk -F'\t' -v w="$what" '$3 == w { print $1 }' "$OUT_DIR/tls_negotiated.tsv" | sort -u | paste -sd, - | sed 's/,/, /g')." >>"$NOTES"
        done
    fi
fi

# ---------------------------------------------------------------------------------------------------------
# Machine and write-up.
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "uname: $(uname -srmo)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') x $(nproc), $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
    echo "memory: $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "dotnet: $(dotnet --version) (runtime $(dotnet --list-runtimes | awk '/NETCore.App/ { v = $2 } END { print v }'))"
    echo "gcc: $(gcc -dumpfullversion)"
    echo "node: $(node --version)"
    echo "python3: $(python3 --version | cut -d' ' -f2)"
    echo "openssl: $(openssl version 2>/dev/null || echo none); $("$LOADGEN" --version)"
    echo "settings: RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP IDLE_CONNS=$IDLE_CONNS IDLE_TLS_CONNS=$IDLE_TLS_CONNS QUIET_BUDGET=$QUIET_BUDGET QUICK=$QUICK SECTIONS=$SECTIONS"
    echo "elapsed: $(( $(date +%s) - SUITE_START ))"
    echo "quiet_waited: $QUIET_WAITED"
} >"$OUT_DIR/machine.txt"
lscpu >"$OUT_DIR/lscpu.txt"

if [ -n "$DOC" ]; then
    python3 "$ROOT/bench/report.py" "$OUT_DIR" "$DOC"
    log "wrote $DOC"
fi
log "done; raw results in $OUT_DIR"
