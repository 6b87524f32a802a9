#!/usr/bin/env bash
# Steady-state allocation check for the servers: a 10 s load against `app-server` (binary frames and search hits)
# and `multiconn-server` (echo), reading the runtime's own GC counters (the System.Runtime meter, served with the
# Framewire meter by --metrics-port) before and after. Flat gen-0 collections and a few bytes allocated per
# message at most mean the per-message path does not allocate.
#
#   bench/gc_flat.sh            # selector engine; ENGINE=async or ENGINE=uring for the others; DURATION=10 (seconds)
#   TLS=1 bench/gc_flat.sh      # the same over TLS 1.3 (a throwaway ECDSA P-256 certificate), loaded by framewire bench --tls
#
# The server runs pinned to CPU 0 and bench/loadgen-c to CPU 1, on 127.0.0.1; both stop by themselves or by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${ENGINE:-selector}
DURATION=${DURATION:-10}
PORT=${PORT:-21900}
METRICS=${METRICS:-21901}
if ! [[ $DURATION =~ ^[0-9]+$ ]] || [ "$DURATION" -lt 1 ] || [ "$DURATION" -gt 120 ]; then
    echo "DURATION must be 1..120 seconds" >&2
    exit 2
fi

dotnet build -c Release src/Framewire.Cli/Framewire.Cli.csproj >/dev/null
make -s -C bench/loadgen-c >/dev/null
FW=src/Framewire.Cli/bin/Release/net10.0/framewire
LOADGEN=bench/loadgen-c/loadgen

server=
tls_dir=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true; [ -n "$tls_dir" ] && rm -rf "$tls_dir"' EXIT
SERVER_TLS=()
CLIENT_TLS=()
if [ "${TLS:-0}" = 1 ]; then
    tls_dir=$(mktemp -d)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null
    SERVER_TLS=(--tls-cert "$tls_dir/cert.pem" --tls-key "$tls_dir/key.pem")
    CLIENT_TLS=(--tls-ca "$tls_dir/cert.pem" --host localhost)
fi

scrape() {
    curl -fsS "http://127.0.0.1:$METRICS/metrics" | awk '
        /^dotnet_gc_collections_total\{.*gen0/ { gen0 = $NF }
        /^dotnet_gc_collections_total\{.*gen1/ { gen1 = $NF }
        /^dotnet_gc_collections_total\{.*gen2/ { gen2 = $NF }
        /^dotnet_gc_heap_total_allocated_bytes_total/ { allocated = $NF }
        END { printf "%d %d %d %d\n", gen0, gen1, gen2, allocated }'
}

# run_load SECONDS GENERATOR ARGS...: one load from CPU 1; prints the answers it got.
run_load() {
    local seconds=$1 generator=$2; shift 2
    if [ "$generator" = loadgen ]; then
        taskset -c 1 "$LOADGEN" --port "$PORT" "$@" --warmup 0 --duration "$seconds" | sed -n 's/.* messages=\([0-9]*\).*/\1/p'
    else
        taskset -c 1 "$FW" bench "$@" "${CLIENT_TLS[@]}" --port "$PORT" --warmup 0s -d "${seconds}s" --json \
            | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["messages"] + r["warmup_messages"])'
    fi
}

# measure NAME SERVER-COMMAND GENERATOR ARGS...
measure() {
    local name=$1 command=$2; shift 2
    taskset -c 0 "$FW" "$command" 127.0.0.1 "$PORT" --engine "$ENGINE" --loops 1 --metrics-port "$METRICS" "${SERVER_TLS[@]}" >/tmp/gc_flat.$$.log 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -qs '^Listening on' /tmp/gc_flat.$$.log && break; sleep 0.1; done
    # Warm-up: JIT tiers settle, pools fill.
    run_load 3 "$@" >/dev/null
    read -r g0a g1a g2a alloc_a < <(scrape)
    local messages
    messages=$(run_load "$DURATION" "$@")
    read -r g0b g1b g2b alloc_b < <(scrape)
    printf '%-22s %10s messages  gen0 +%-3d gen1 +%-3d gen2 +%-3d  allocated %10d B  (%.3f B/msg)\n' \
        "$name" "$messages" $((g0b - g0a)) $((g1b - g1a)) $((g2b - g2a)) $((alloc_b - alloc_a)) \
        "$(awk -v a=$((alloc_b - alloc_a)) -v m="$messages" 'BEGIN { print (m > 0 ? a / m : 0) }')"
    kill "$server"; wait "$server" 2>/dev/null || true; server=
    rm -f /tmp/gc_flat.$$.log
}

if [ "${TLS:-0}" = 1 ]; then
    echo "engine: $ENGINE over TLS, ${DURATION} s of load per row (64 connections x 16 in flight)"
    measure "echo 64 B" multiconn-server bench echo --size 64 -c 64 --depth 16
    measure "binary frames 64 B" app-server bench frame --binary 64 -c 64 --depth 16
    measure "search hits" app-server bench frame -c 64 --depth 16
    exit 0
fi

echo "engine: $ENGINE, ${DURATION} s of load per row (64 connections x 16 in flight)"
measure "echo 64 B" multiconn-server loadgen --connections 64 --depth 16 --size 64
measure "binary frames 64 B" app-server bench frame --binary 64 -c 64 --depth 16
measure "search hits" app-server loadgen --frame --connections 64 --depth 16
