#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: builds the fuzz targets, instruments the library with SharpFuzz, and runs each
# target (all of them by default) under AFL++ for SECONDS, from its seed corpus in Framewire.Fuzz/corpus/TARGET.
# Prints executions, exec/s and coverage per target, and exits 1 on any crash or hang: the input that caused it stays
# in fuzz/out/findings/TARGET/default/{crashes,hangs}, and the line printed for it replays it without AFL.
# FUZZ_JOBS=N runs N targets at once (default 1: one core per afl-fuzz); FUZZ_OUT=DIR puts the builds and findings
# there instead of fuzz/out.
set -euo pipefail
out=$(realpath -m "${FUZZ_OUT:-$(dirname "$(readlink -f "$0")")/out}")
cd "$(dirname "$(readlink -f "$0")")"

all_targets=(frames headers proxy checksum)
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...] (targets: ${all_targets[*]})}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
jobs=${FUZZ_JOBS:-1}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

# Two builds: the plain one replays inputs, the instrumented one runs under AFL++ (its probes write to the shared
# coverage map that only afl-fuzz sets up, so it cannot run alone).
rm -rf "$out/plain" "$out/afl"
dotnet tool restore >/dev/null
dotnet publish Framewire.Fuzz -c Release -o "$out/plain" --nologo -v quiet
cp -r "$out/plain" "$out/afl"
dotnet tool run sharpfuzz "$out/afl/Framewire.Core.dll"

# The seeds must pass before fuzzing: afl-fuzz would stop at a failing seed with less to say than a replay.
for target in "${targets[@]}"; do
    if ! dotnet "$out/plain/Framewire.Fuzz.dll" "$target" replay "Framewire.Fuzz/corpus/$target" >"$out/replay-$target.log"; then
        grep -v '^ok ' "$out/replay-$target.log" >&2
        echo "$target: a seed in Framewire.Fuzz/corpus/$target fails" >&2
        exit 1
    fi
done

# Not an instrumented binary but dotnet, which instruments nothing (AFL_SKIP_BIN_CHECK); no core dumps to wait for;
# plain output for logs; cores left to the scheduler, since the machine may be shared.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1

run_target() {
    local target=$1 dictionary=()
    case $target in
        frames | headers | checksum) dictionary=(-x dictionaries/header.dict) ;;
        proxy) dictionary=(-x dictionaries/proxy.dict) ;;
    esac
    rm -rf "$out/findings/$target"
    mkdir -p "$out/findings"
    # A real decode takes microseconds; 2 s leaves room for the first call's JIT on a loaded machine and still
    # catches any loop that does not end. Inputs stop at 64 KiB, the longest header the 2-byte prefix can state.
    # -V ends the run; the timeout only guards against an afl-fuzz that never gets its fork server going.
    timeout --signal=INT $((seconds + 300)) afl-fuzz -V "$seconds" -t 2000 -m none -G 65536 "${dictionary[@]}" \
        -i "Framewire.Fuzz/corpus/$target" -o "$out/findings/$target" \
        -- dotnet "$out/afl/Framewire.Fuzz.dll" "$target" >"$out/afl-$target.log" 2>&1 || {
        echo "$target: afl-fuzz failed; the end of its log ($out/afl-$target.log):" >&2
        tail -n 20 "$out/afl-$target.log" >&2
        return 1
    }
}

pids=()
for target in "${targets[@]}"; do
    run_target "$target" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

stat() { sed -n "s/^$1 *: *//p" "$2"; }
printf '%-8s %12s %9s %7s %7s %8s %6s\n' target executions exec/s edges paths crashes hangs
for target in "${targets[@]}"; do
    stats=$out/findings/$target/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
        status=1
        continue
    fi
    crashes=$(stat saved_crashes "$stats")
    hangs=$(stat saved_hangs "$stats")
    printf '%-8s %12s %9s %7s %7s %8s %6s\n' "$target" "$(stat execs_done "$stats")" "$(stat execs_per_sec "$stats")" \
        "$(stat edges_found "$stats")" "$(stat corpus_count "$stats")" "$crashes" "$hangs"
    if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
        status=1
        for input in "$out/findings/$target"/default/{crashes,hangs}/id*; do
            [ -f "$input" ] && echo "  $target found: dotnet $out/plain/Framewire.Fuzz.dll $target replay $input"
        done
    fi
done
exit "$status"
