#!/usr/bin/env python3
"""Opens N connections to a server, sends one request on each, reads every answer, then holds them idle.

Used by bench/run.sh to measure a server's memory per idle connection: the script reads the server's RSS
before starting this, waits for the "ready" line, reads the RSS again, then creates the release file, and
this closes every connection and exits. Standard library only; loopback only.

    python3 bench/idle_conns.py --port P [--mode echo|frame] [--connections 10000] [--tls] --release-file PATH

--tls shakes hands (TLS 1.3, the standard library's ssl, the server's certificate not checked, as in a benchmark)
on every connection right after its TCP connect, at most 64 handshakes in flight at a time so that none waits
long enough to hit a server's handshake timeout, and sends the request once its handshake is done.

Prints "ready connections=N connect_s=S answer_s=S" once every answer has arrived, then "closed" at the end.
Bounded: a hard deadline (--timeout, default 120 s) for connecting and answering, and the hold ends after
--hold seconds (default 60) even if the release file never appears.
"""
import argparse
import json
import os
import resource
import selectors
import socket
import ssl
import sys
import time

ECHO_MESSAGE = bytes((ord("a") + i % 26) for i in range(64))


def frame_request(value="morpheus"):
    content = json.dumps({"action": "search", "value": value}).encode()
    header = json.dumps({"byteorder": "little", "content-type": "text/json",
                         "content-encoding": "utf-8", "content-length": len(content)}).encode()
    return len(header).to_bytes(2, "big") + header + content


def frame_complete(data):
    """True once data holds one whole answer frame (2-byte header length, JSON header, content)."""
    if len(data) < 2:
        return False
    header_len = int.from_bytes(data[:2], "big")
    if len(data) < 2 + header_len:
        return False
    header = json.loads(data[2:2 + header_len])
    return len(data) >= 2 + header_len + int(header["content-length"])


HANDSHAKES_IN_FLIGHT = 64


def connect_tls(args, tls, request, deadline):
    """Opens args.connections TLS connections and sends the request on each; returns them, non-blocking."""
    selector = selectors.DefaultSelector()
    done = []
    in_flight = 0

    def step(s):
        nonlocal in_flight
        try:
            s.do_handshake()
        except ssl.SSLWantReadError:
            selector.modify(s, selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            selector.modify(s, selectors.EVENT_WRITE)
            return
        selector.unregister(s)
        in_flight -= 1
        if s.send(request) != len(request):
            sys.exit("handshake: the request did not fit in the socket buffer")
        done.append(s)

    started = 0
    while len(done) < args.connections:
        if time.monotonic() > deadline:
            sys.exit(f"connect: deadline passed after {len(done)} TLS connections")
        while started < args.connections and in_flight < HANDSHAKES_IN_FLIGHT:
            raw = socket.create_connection((args.host, args.port), timeout=max(1.0, deadline - time.monotonic()))
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.setblocking(False)
            s = tls.wrap_socket(raw, do_handshake_on_connect=False)
            started += 1
            in_flight += 1
            selector.register(s, selectors.EVENT_WRITE)
            step(s)
        for key, _ in selector.select(min(max(deadline - time.monotonic(), 0.01), 1.0)):
            step(key.fileobj)
    selector.close()
    return done


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("echo", "frame"), default="echo")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--release-file", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--hold", type=float, default=60)
    parser.add_argument("--tls", action="store_true", help="TLS 1.3 on every connection (certificate not checked)")
    args = parser.parse_args()
    if not 1 <= args.connections <= 15000:
        parser.error("--connections must be 1..15000")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("loopback only")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    request = ECHO_MESSAGE if args.mode == "echo" else frame_request()
    deadline = time.monotonic() + args.timeout
    sockets = []
    start = time.monotonic()
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
        tls.minimum_version = tls.maximum_version = ssl.TLSVersion.TLSv1_3
        sockets = connect_tls(args, tls, request, deadline)
    for _ in range(0 if args.tls else args.connections):
        if time.monotonic() > deadline:
            sys.exit(f"connect: deadline passed after {len(sockets)} connections")
        s = socket.create_connection((args.host, args.port), timeout=max(1.0, deadline - time.monotonic()))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(request)
        sockets.append(s)
    connect_s = time.monotonic() - start

    selector = selectors.DefaultSelector()
    received = {}
    for s in sockets:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
        received[s] = b""
    pending = len(sockets)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"answers: deadline passed with {pending} still missing")
        for key, _ in selector.select(min(left, 1.0)):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
                # TLS: a read may leave decrypted bytes inside the SSL object, where select() does not see them.
                while args.tls and chunk and s.pending():
                    chunk += s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not chunk:
                sys.exit("answers: the server closed a connection")
            received[s] += chunk
            done = len(received[s]) >= len(request) if args.mode == "echo" else frame_complete(received[s])
            if done:
                selector.unregister(s)
                pending -= 1
    answer_s = time.monotonic() - start - connect_s
    print(f"ready connections={len(sockets)} connect_s={connect_s:.3f} answer_s={answer_s:.3f}", flush=True)

    hold_until = time.monotonic() + args.hold
    while not os.path.exists(args.release_file) and time.monotonic() < hold_until:
        time.sleep(0.05)
    for s in sockets:
        s.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main()
