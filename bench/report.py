#!/usr/bin/env python3
"""Writes docs/benchmarks.md and its chart (an SVG beside it) from the raw results of bench/run.sh.

    python3 bench/report.py bench/results/latest docs/benchmarks.md

Standard library only: the chart is plain SVG written by hand, so the write-up needs no plotting package.
"""
import csv
import html
import os
import statistics
import sys

SCENARIOS = [
    ("echo 64x1x64B", "Echo, 64 connections × 1 in flight × 64 B"),
    ("echo 64x16x64B", "Echo, 64 connections × 16 in flight × 64 B"),
    ("echo 8x4x16KiB", "Echo, 8 connections × 4 in flight × 16 KiB"),
    ("frame 64x1", "Framed search, 64 connections × 1 in flight"),
    ("frame 64x16", "Framed search, 64 connections × 16 in flight"),
    ("oneshot 8x1", "Framed search, one connection per request, 8 at once"),
    ("tls echo 64x1", "TLS: echo, 64 connections × 1 in flight × 64 B (ECDSA P-256)"),
    ("tls frame 64x1", "TLS: framed search, 64 connections × 1 in flight (ECDSA P-256)"),
    ("tls frame 64x16", "TLS: framed search, 64 connections × 16 in flight (ECDSA P-256)"),
    ("tls handshake ECDSA", "TLS handshakes, one search per connection, 8 at once (ECDSA P-256)"),
    ("tls handshake RSA", "TLS handshakes, one search per connection, 8 at once (RSA 2048)"),
]

# What drove each scenario's rows, for the line above its table.
LOAD = {
    "oneshot 8x1": "`framewire bench oneshot`",
    "tls echo 64x1": "`bench/loadgen-c --tls` (handshakes before the clock starts)",
    "tls frame 64x1": "`bench/loadgen-c --tls --frame` (handshakes before the clock starts)",
    "tls frame 64x16": "`bench/loadgen-c --tls --frame` (handshakes before the clock starts)",
    "tls handshake ECDSA": "`bench/loadgen-c --tls --frame --oneshot`: msg/s is full handshakes (each with one search "
                           "answered) per second, CPU µs/msg the server's CPU per connection",
    "tls handshake RSA": "`bench/loadgen-c --tls --frame --oneshot`, as above",
}


def is_tls_idle(row):
    return row["protocol"].endswith("/tls")

# A generator that used this much of its core was the limit of the run, not the server.
SATURATED = 0.90


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_int(v):
    return "–" if v is None else f"{v:,.0f}"


def fmt_us(v):
    if v is None:
        return "–"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def summarize(rows):
    """(server, scenario) -> medians and spreads over the runs that succeeded."""
    groups = {}
    for r in rows:
        groups.setdefault((r["server"], r["scenario"]), []).append(r)
    out = {}
    for key, runs in groups.items():
        ok = [r for r in runs if r["errors"] not in ("failed", "") and num(r["msg_per_s"])]
        rates = [num(r["msg_per_s"]) for r in ok]
        gen = [num(r["client_cpu_s"]) / num(r["seconds"]) for r in ok if num(r["client_cpu_s"]) is not None and num(r["seconds"])]
        other = [(num(r["machine_busy_s"]) - num(r["server_cpu_s"]) - num(r["client_cpu_s"])) / num(r["seconds"]) for r in ok
                 if None not in (num(r["machine_busy_s"]), num(r["server_cpu_s"]), num(r["client_cpu_s"]), num(r["seconds"]))]
        out[key] = {
            "generator": runs[0]["generator"],
            "runs": len(ok),
            "failed": len(runs) - len(ok),
            "errors": sum(int(r["errors"]) for r in ok),
            "msg_per_s": median(rates),
            "min": min(rates) if rates else None,
            "max": max(rates) if rates else None,
            "p50_us": median(num(r["p50_us"]) for r in ok),
            "p99_us": median(num(r["p99_us"]) for r in ok),
            "cpu_us": median(num(r["cpu_us_per_msg"]) for r in ok),
            "gen_busy": median(gen),
            "other_s": median(other),
        }
    return out


def server_order(rows):
    seen = []
    for r in rows:
        if r["server"] not in seen:
            seen.append(r["server"])
    return seen


# ----------------------------------------------------------------------------------------------------------
# The chart: one panel per scenario (median msg/s as bars, CPU µs per message written beside each), and one
# for memory per idle connection.

def svg_chart(summary, servers, idle):
    width, panel_w, left, bar_h, gap = 1060, 510, 150, 16, 5
    panels = []
    for scenario, title in SCENARIOS:
        bars = [(s, summary[(s, scenario)]) for s in servers if (s, scenario) in summary and summary[(s, scenario)]["msg_per_s"]]
        if bars:
            panels.append((title, [(s, d["msg_per_s"], f'{fmt_int(d["msg_per_s"])}/s · {fmt_us(d["cpu_us"])} µs') for s, d in bars]))
    for tls in (False, True):
        kind = [r for r in idle if is_tls_idle(r) == tls]
        idle_bars = [(f'{r["server"]} ({r["protocol"].replace("/tls", "")})', num(r["bytes_per_conn"]),
                      f'{fmt_int(num(r["bytes_per_conn"]))} B') for r in kind if num(r["bytes_per_conn"]) is not None]
        if idle_bars:
            what = "idle TLS connection" if tls else "idle connection"
            panels.append((f'Memory per {what} (RSS growth / {kind[0]["connections"]})', idle_bars))

    heights = [40 + len(b) * (bar_h + gap) + 10 for _, b in panels]
    rows = [max(heights[i:i + 2]) for i in range(0, len(panels), 2)]
    total_h = 50 + sum(rows) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" viewBox="0 0 {width} {total_h}" '
             'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
             f'<rect width="{width}" height="{total_h}" fill="white"/>',
             '<text x="16" y="24" font-size="15" font-weight="bold">Framewire and its peers: median of the runs, '
             'server on CPU 0, load generator on CPU 1</text>',
             '<text x="16" y="40" fill="#555">bars: messages per second (longer is better); label: msg/s · server CPU µs '
             'per message (lower is better); idle panels: bytes per idle connection (shorter is better)</text>']
    y0 = 50
    for i, (title, bars) in enumerate(panels):
        row = i // 2
        x0 = 10 + (i % 2) * (panel_w + 20)
        y = y0 + sum(rows[:row])
        scale_max = max(v for _, v, _ in bars) or 1
        bar_w = panel_w - left - 160
        parts.append(f'<text x="{x0}" y="{y + 24}" font-size="12" font-weight="bold">{html.escape(title)}</text>')
        for j, (label, value, text) in enumerate(bars):
            by = y + 34 + j * (bar_h + gap)
            colour = "#d9480f" if label.startswith("framewire") else "#4c6ef5"
            w = max(1.0, bar_w * value / scale_max)
            parts.append(f'<text x="{x0 + left - 6}" y="{by + 12}" text-anchor="end">{html.escape(label)}</text>')
            parts.append(f'<rect x="{x0 + left}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
            parts.append(f'<text x="{x0 + left + w + 4:.1f}" y="{by + 12}" fill="#222">{html.escape(text)}</text>')
    parts.append(f'<text x="16" y="{total_h - 10}" fill="#555">Framewire in orange. Data and method: docs/benchmarks.md.</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------------------------------------

def limits_tables(w, cold, storm, summary):
    """The cold-start and accept-storm tables, each as its own section; nothing when the run had no limits rows."""
    if cold:
        w("### Cold start: framed search, 64 connections × 16 in flight, from \"Listening\"")
        w("")
        w("Each run starts the server afresh and drives it with `bench/loadgen-c --frame --per-second` from the moment it")
        w("prints its `Listening` line: answers completed in each of the first five seconds (median of the runs), beside")
        w("the same server's warm msg/s from the 64 × 16 row above. \"to Listening\" is the time from starting the")
        w("process to that line.")
        w("")
        w("| server | 1st s | 2nd s | 3rd s | 4th s | 5th s | warm msg/s | 1st s / warm | to Listening | runs |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = []
        for server in server_order(cold):
            runs = [r for r in cold if r["server"] == server and r["errors"] not in ("failed", "") and r["per_second"]]
            seconds = [median(num(r["per_second"].split(",")[k]) if len(r["per_second"].split(",")) > k else None for r in runs) for k in range(5)]
            warm = summary.get((server, "frame 64x16"), {}).get("msg_per_s")
            rows.append((server, seconds, warm, median(num(r["listen_s"]) for r in runs), len(runs)))
        for server, seconds, warm, listen, count in sorted(rows, key=lambda r: -(r[1][0] or 0)):
            name = f"**{server}**" if server.startswith("framewire") else server
            ratio = "–" if not warm or seconds[0] is None else f"{seconds[0] / warm:.2f}×"
            w(f"| {name} | " + " | ".join(fmt_int(v) for v in seconds) + f" | {fmt_int(warm)} | {ratio} | "
              + ("–" if listen is None else f"{listen:.2f} s") + f" | {count} |")
        w("")
    if storm:
        conns = int(storm[0]["connections"])
        w(f"### Accept storm: {conns:,} connections at once")
        w("")
        w(f"Each run starts the server afresh, warms it as every row is warmed, then `bench/loadgen-c --storm` starts")
        w(f"{conns:,} non-blocking connects at once (as clients reconnecting after a restart or a failover do); each")
        w("connection sends one request as soon as it is connected and stays open. **Until all answered** runs from the")
        w("first connect to the last answer; **server CPU** is the server's CPU over it. Every server listens with a")
        w("backlog of 4096 (capped by `net.core.somaxconn`).")
        w("")
        w("| server | until all answered | range | all connected | server CPU | CPU µs per connection | runs |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        rows = []
        for server in server_order(storm):
            runs = [r for r in storm if r["server"] == server and r["errors"] == "0" and num(r["storm_s"])]
            times = [num(r["storm_s"]) for r in runs]
            cpu = median(num(r["server_cpu_s"]) for r in runs)
            failed = len([r for r in storm if r["server"] == server]) - len(runs)
            rows.append((server, median(times), min(times) if times else None, max(times) if times else None,
                         median(num(r["connected_s"]) for r in runs), cpu, len(runs), failed))
        for server, t, lo, hi, connected, cpu, count, failed in sorted(rows, key=lambda r: r[1] or 1e9):
            name = f"**{server}**" if server.startswith("framewire") else server
            fmt_s = lambda v: "–" if v is None else f"{v:.2f} s"
            w(f"| {name} | {fmt_s(t)} | " + ("–" if lo is None else f"{lo:.2f}–{hi:.2f} s") + f" | {fmt_s(connected)} | {fmt_s(cpu)} | "
              + ("–" if cpu is None else fmt_us(cpu * 1e6 / conns)) + f" | {count}" + (f" ({failed} failed)" if failed else "") + " |")
        w("")


# Sections of the write-up that no run of bench/run.sh makes, kept from the previous write-up when it is rewritten.
KEPT_SECTIONS = ["## Cold start by way of running"]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS_DIR OUTPUT.md")
    results_dir, doc = sys.argv[1], sys.argv[2]
    rows = read_tsv(os.path.join(results_dir, "results.tsv"))
    idle = read_tsv(os.path.join(results_dir, "idle.tsv"))
    cold = read_tsv(os.path.join(results_dir, "cold.tsv"))
    storm = read_tsv(os.path.join(results_dir, "storm.tsv"))
    machine = dict(line.split(": ", 1) for line in open(os.path.join(results_dir, "machine.txt"), encoding="utf-8").read().splitlines() if ": " in line)
    notes = [n for n in open(os.path.join(results_dir, "notes.txt"), encoding="utf-8").read().splitlines() if n.strip()]
    commands = open(os.path.join(results_dir, "commands.txt"), encoding="utf-8").read().splitlines()
    summary = summarize(rows)
    servers = server_order(rows)
    chart = os.path.splitext(doc)[0] + ".svg"
    os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
    with open(chart, "w", encoding="utf-8") as f:
        f.write(svg_chart(summary, servers, idle))

    settings = dict(kv.split("=") for kv in machine.get("settings", "").split())
    runs, duration, warmup = settings.get("RUNS", "?"), settings.get("DURATION", "?"), settings.get("WARMUP", "?")
    # Sections measured by hand (bench/coldstart.sh) are not in a run's results: they are kept as they stand.
    kept = []
    if os.path.exists(doc):
        previous = open(doc, encoding="utf-8").read()
        for title in KEPT_SECTIONS:
            start = previous.find("\n" + title + "\n")
            if start >= 0:
                end = previous.find("\n## ", start + 1)
                kept.append(previous[start + 1:end if end >= 0 else len(previous)].rstrip("\n"))
    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w("Framewire's two servers (`multiconn-server`, echo; `app-server`, the framed search app) next to the peers in")
    w("`bench/peers`, all measured in one run of `bench/run.sh` on the machine below. This file and")
    w(f"[`{os.path.basename(chart)}`]({os.path.basename(chart)}) are written by the script; rerun it rather than edit them.")
    if settings.get("QUICK") == "1":
        w("")
        w("**This is a QUICK=1 smoke run: one short run per row. Do not quote its figures.**")
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for key in ("date", "commit", "uname", "cpu", "memory", "dotnet", "gcc", "node", "python3", "openssl", "settings", "elapsed"):
        if key in machine:
            value = machine[key] + (" s for the whole script, builds included; " + machine.get("quiet_waited", "0")
                                    + " s of it waiting for other work on the machine to pass" if key == "elapsed" else "")
            w(f"| {key} | {html.escape(value)} |")
    w("")
    w("Shared 2-vCPU VM: figures move ±30 % between identical runs, so compare servers within this run only.")
    others = [d["other_s"] for (_, sc), d in summary.items() if sc != "oneshot 8x1" and d["other_s"] is not None]
    has_tls = any(sc.startswith("tls ") for (_, sc) in summary) or any(is_tls_idle(r) for r in idle)
    if others and statistics.median(others) > 0.5:
        w("")
        w(f"**Caution: the machine was shared during this run.** Over the kept-open rows a median of "
          f"{statistics.median(others):.1f} CPUs (of 2) were busy with work that was neither the server nor the load")
        w("generator (column \"other load\"): msg/s is depressed and uneven there, so compare servers by CPU µs/msg.")
    w("")
    w("## Results")
    w("")
    w(f"Median of {runs} run(s) per row, each {warmup} s of load not counted then {duration} s measured; the runs of a")
    w("scenario go round the servers in turn, so every server saw the same stretch of machine noise.")
    w("")
    w("- **msg/s**: answers completed per second (range: slowest and fastest run).")
    w("- **p50 / p99 µs**: latency from queueing a request to reading the end of its answer.")
    w("- **CPU µs/msg**: the server's utime + stime (all its threads, `/proc/PID/stat`) over the measured")
    w("  window, divided by the answers in it. It is the steadier figure, and the one to compare when the load")
    w("  generator is the limit.")
    w(f"- **gen. CPU**: the load generator's share of its core. At {SATURATED:.0%} or more (marked †) the generator,")
    w("  not the server, set the pace: msg/s then says \"at least this\", and CPU µs/msg is the fair comparison.")
    w("- **other load**: CPUs' worth of busy time (of 2) that was neither the server nor the generator during the")
    w("  measured window (`/proc/stat`): the loopback's softirq work, which is charged to no process, plus whatever")
    w("  else ran on the shared machine. Well above about 0.3 the row shared the machine and its msg/s is low; its")
    w("  CPU µs/msg is the better guide then.")
    w("")
    w(f"![Median msg/s and CPU per message per server and scenario]({os.path.basename(chart)})")
    w("")
    def scenario_tables(tls):
        """The tables of the plain scenarios, or of the TLS ones."""
        tls_said = False
        for scenario, title in [sc for sc in SCENARIOS if sc[0].startswith("tls ") == tls]:
            present = [s for s in servers if (s, scenario) in summary]
            if not present:
                continue
            if scenario.startswith("tls ") and not tls_said:
                tls_said = True
                w("### Over TLS")
                w("")
                w("The same servers where their stack serves TLS, each with its own stack's defaults: Framewire with")
                w("`--tls-cert`/`--tls-key` (OpenSSL 3 driven directly on the selector engine, SslStream on the async one),")
                w("Kestrel's `UseHttps` in front of the same `ConnectionHandler`s,")
                w("Node.js `tls.createServer`, Python's `ssl` module under asyncio (and uvloop). One throwaway self-signed")
                w("certificate of each kind per run; the throughput rows use the ECDSA P-256 one. The generator,")
                w("`bench/loadgen-c --tls` (OpenSSL on its epoll loop, non-blocking), offers only TLS 1.3 and")
                w("TLS_AES_128_GCM_SHA256 and does not check the certificate, so every server negotiates the same suite")
                w("(the notes say what was negotiated). In the handshake rows the generator's own handshake work is large")
                w("(OpenSSL 3.0 decoding the certificate and checking its signature): where it is marked †, the generator")
                w("set the pace and the server's CPU µs per handshake is the figure to compare.")
                w("")
            w(f"### {title}")
            w("")
            w(f"Load: {LOAD.get(scenario, '`bench/loadgen-c`')}.")
            w("")
            w("| server | msg/s | range | p50 µs | p99 µs | CPU µs/msg | gen. CPU | other load | runs |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            ranked = sorted(present, key=lambda s: -(summary[(s, scenario)]["msg_per_s"] or 0))
            for s in ranked:
                d = summary[(s, scenario)]
                mark = " †" if d["gen_busy"] is not None and d["gen_busy"] >= SATURATED else ""
                name = f"**{s}**" if s.startswith("framewire") else s
                rng = ("–" if d["min"] is None else f"{d['min'] / 1000:,.0f}k–{d['max'] / 1000:,.0f}k" if d["max"] >= 10000
                       else f"{d['min']:,.0f}–{d['max']:,.0f}")
                runs_cell = str(d["runs"]) + (f" ({d['failed']} failed)" if d["failed"] else "") + (f", {d['errors']} errors" if d["errors"] else "")
                gen_cell = "–" if d["gen_busy"] is None else f"{d['gen_busy']:.0%}{mark}"
                other = "–" if d["other_s"] is None else f"{max(0.0, d['other_s']):.2f}"
                w(f"| {name} | {fmt_int(d['msg_per_s'])} | {rng} | {fmt_us(d['p50_us'])} | {fmt_us(d['p99_us'])} | {fmt_us(d['cpu_us'])} | {gen_cell} | {other} | {runs_cell} |")
            w("")

    def idle_table(rows):
        """The idle-memory rows, least memory first; a TLS row's protocol reads "echo over TLS"."""
        w("| server | protocol | RSS before | RSS with the connections | bytes per connection | connecting took |")
        w("|---|---|---:|---:|---:|---:|")
        for r in sorted(rows, key=lambda r: num(r["bytes_per_conn"]) or 0):
            name = f"**{r['server']}**" if r["server"].startswith("framewire") else r["server"]
            w(f"| {name} | {r['protocol'].replace('/tls', ' over TLS')} | {int(r['rss_before_kb']) / 1024:,.1f} MiB | {int(r['rss_after_kb']) / 1024:,.1f} MiB | {fmt_int(num(r['bytes_per_conn']))} | {r['connect_s']} s |")
        w("")

    scenario_tables(False)
    plain_idle = [r for r in idle if not is_tls_idle(r)]
    tls_idle = [r for r in idle if is_tls_idle(r)]
    if plain_idle:
        w(f"### Memory per idle connection ({int(plain_idle[0]['connections']):,} connections)")
        w("")
        w("Each server fresh and alone: one second of light load whose connections close, then its RSS")
        w(f"(`VmRSS`), then {int(plain_idle[0]['connections']):,} connections opened one after another by")
        w("`bench/idle_conns.py`, one request answered on each (an echo, or a search for the framed servers), one")
        w("second of quiet, RSS again. The figure is the growth divided by the connections.")
        w("")
        idle_table(plain_idle)
        w("\"Connecting took\" is the client's time to open them all one by one; past about a second it includes SYN")
        w("retransmissions after the server's accept queue (4096 for every server here) overflowed, so it shows how fast")
        w("a server accepts.")
        w("")
    limits_tables(w, cold, storm, summary)
    scenario_tables(True)
    if tls_idle:
        w(f"### Memory per idle TLS connection ({int(tls_idle[0]['connections']):,} connections, ECDSA P-256)")
        w("")
        w("As above, with the TLS servers: the light load runs over TLS, and `bench/idle_conns.py --tls` shakes hands")
        w("on each connection right after connecting it (TLS 1.3 with Python's default suites, at most 64 handshakes")
        w("at a time) and sends its request inside TLS. \"Connecting took\" includes the handshakes.")
        w("")
        idle_table(tls_idle)
    if notes:
        w("### Notes on this run")
        w("")
        for n in notes:
            w(f"- {n}")
        w("")
    for section in kept:
        w(section)
        w("")
    w("## How it was measured")
    w("")
    w("- Loopback only (127.0.0.1). Every server pinned to CPU 0 and every load generator to CPU 1 with `taskset`.")
    w("  All servers of a phase (echo, then framed) listen at once on their own ports; only the one under load works.")
    w("- Each server first takes a throwaway load (64 × 16) whose connections close before any measurement: .NET's")
    w("  JIT tiers settle and CPython's allocator stops paying an mmap per read (see `bench/peers/README.md`).")
    w("- **Which generator produced which rows.** Echo and framed rows with kept-open connections: `bench/loadgen-c`,")
    w("  a single-threaded C epoll client that checks every echoed byte and walks every answer frame; it costs about")
    w("  half the CPU per message of `framewire bench`, which matters because on two cores the generator saturates")
    w("  first against the fast servers. It reports the server's CPU over its measured window itself (`--pid`). The")
    w("  one-connection-per-request rows: `framewire bench oneshot` (the only generator here that reconnects per")
    w("  request; it checks every answer against the tutorial's bytes); the server's CPU is read from `/proc/PID/stat`")
    w("  around the whole generator process and divided by every answer, warm-up included.")
    w("- The framed scenario sends the tutorial's search request for `morpheus` (146 bytes) and gets a hit back. The")
    w("  framed peers (Kestrel, Python asyncio/uvloop) answer with the same bytes as Framewire's `app-server`.")
    w("- Framewire rows are the `framewire` binary of a Release build. \"framewire (async)\" is the engine on .NET's")
    w("  async sockets; \"framewire (selector)\", when present, is the epoll event-loop engine run with `--loops 1`,")
    w("  as the server has one CPU; \"framewire (uring)\", when present, is the io_uring engine, also with `--loops 1`")
    w("  (plain TCP only: it serves no TLS).")
    w("- \"C epoll\" and \"C io_uring\" are the practical limits: single-threaded C echo servers, one on epoll with")
    w("  `read`/`write`, one on io_uring with multishot accept and receive into provided buffers and every loop turn in")
    w("  one `io_uring_submit_and_wait` (`bench/peers/c-epoll-echo`, `bench/peers/c-uring-echo`; see `bench/peers/README.md`).")
    w("- Honesty checks: `tests/Framewire.Tests/Cli/LoadGeneratorCountTests.cs` runs `bench/loadgen-c` against a")
    w("  server that counts the bytes it receives and sends, and checks the generator's counts against them;")
    w("  `BenchCommandTests` does the same for `framewire bench`.")
    w("")
    w("## What these numbers do not show")
    w("")
    w("- **Multi-core scaling.** Each server has one CPU; a server that would use several cores (thread pool,")
    w("  several loops) shows none of that here, and a single-threaded one loses nothing.")
    w("- **Real networks.** Loopback has no latency, loss or bandwidth limit; kernel costs (softirq, copy) are")
    w("  charged partly to neither process. Latency here is mostly queueing: with 64 connections at 1 in flight it")
    w("  is about 64 / (msg/s) by Little's law, not the cost of one request on an idle server.")
    w("- **The fastest servers' ceiling.** Where the generator is marked † it limited the run; the server's msg/s")
    w("  could be higher with a faster client or more cores for it. CPU µs/msg still compares fairly.")
    w("- **Tail latency under an open load.** All kept-open rows are closed-loop (a new request only when an answer")
    w("  arrives), which hides coordinated omission; `framewire bench --rate` measures open-loop latency.")
    w("- **Memory under load, or after a GC.** The idle figure is RSS growth right after the connections settled;")
    w("  managed runtimes may hold garbage or pooled buffers that a later collection would return, and RSS after the")
    w("  load phases is not shown.")
    if has_tls:
        w("- **Steady state over hours, TLS resumption (every handshake here is a full one), TLS 1.2, large fan-out,")
        w("  or anything but these shapes.**")
    else:
        w("- **Steady state over hours, TLS, large fan-out, or anything but these six shapes.**")
    w("- Noise: this is a shared VM. The range column shows how far one server's runs spread; differences")
    w("  smaller than that spread are not differences.")
    w("")
    w("## Exact commands")
    w("")
    w("```sh")
    w("bench/run.sh                 # defaults: RUNS=3 DURATION=4 WARMUP=1 IDLE_CONNS=10000")
    w("QUICK=1 bench/run.sh         # smoke run")
    w("SECTIONS=tls bench/run.sh    # only the TLS rows (written to bench/results/latest/benchmarks.md)")
    w("```")
    w("")
    w("What it ran (ports as in this run; the load commands are shown for run 1, later runs repeat them):")
    w("")
    w("```sh")
    for c in commands:
        w(c.replace(os.path.abspath(os.path.join(os.path.dirname(__file__), "..")) + "/", ""))
    w("```")
    w("")
    w("Raw per-run results: `bench/results/latest/results.tsv` and `idle.tsv` (not committed).")
    with open(doc, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
