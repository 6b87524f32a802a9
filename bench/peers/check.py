#!/usr/bin/env python3
"""Checks that a running peer answers correctly: a small, bounded correctness client (not a load generator).

    python3 bench/peers/check.py --port P --mode echo    # echoes of many sizes, pipelined, several connections
    python3 bench/peers/check.py --port P --mode frame   # the tutorial's search app, answers byte for byte

Frame-mode answers are computed here the way the tutorial's Python server computes them (json.dumps with
ensure_ascii=False, sys.byteorder), so a peer passes only if its bytes are identical to the tutorial's.
Exits 0 when every answer matched and prints one summary line; every socket operation has a timeout.
"""
import argparse
import json
import socket
import struct
import sys
import time

TABLE = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}


def frame(content_bytes, content_type, content_encoding):
    header = {
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": len(content_bytes),
    }
    header_bytes = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return struct.pack(">H", len(header_bytes)) + header_bytes + content_bytes


def json_request(obj):
    return frame(json.dumps(obj, ensure_ascii=False).encode("utf-8"), "text/json", "utf-8")


def tutorial_answer(request_obj=None, binary=None):
    """The response the tutorial's app-server.py sends for a request."""
    if binary is not None:
        return frame(b"First 10 bytes of request: " + binary[:10], "binary/custom-server-binary-type", "binary")
    action = request_obj.get("action")
    if action == "search":
        query = request_obj.get("value")
        answer = TABLE.get(query) if isinstance(query, str) else None
        content = {"result": answer or f"No match for '{query}'."}
    else:
        content = {"result": f"Error: invalid action '{action}'."}
    return frame(json.dumps(content, ensure_ascii=False).encode("utf-8"), "text/json", "utf-8")


# Requests and the exact bytes the tutorial's server answers them with: hits, misses, escaping, binary, odd values.
CASES = [
    (json_request({"action": "search", "value": k}), tutorial_answer({"action": "search", "value": k}))
    for k in ["morpheus", "ring", "\U0001f436", "k", "nothing here", 'quo"te \\ back\nnl\ttab\x01', "caf\u00e9 \u2603"]
] + [
    (json_request({"action": "search", "value": 42}), tutorial_answer({"action": "search", "value": 42})),
    (json_request({"action": "search", "value": True}), tutorial_answer({"action": "search", "value": True})),
    (json_request({"action": "search"}), tutorial_answer({"action": "search"})),
    (json_request({"value": "morpheus", "action": "search"}), tutorial_answer({"action": "search", "value": "morpheus"})),
    (json_request({"action": "fly", "value": "x"}), tutorial_answer({"action": "fly", "value": "x"})),
    (frame(b"helloworld and more", "binary/custom-client-binary-type", "binary"), tutorial_answer(binary=b"helloworld and more")),
    (frame(b"hi", "binary/custom-client-binary-type", "binary"), tutorial_answer(binary=b"hi")),
    (frame(b"", "binary/custom-client-binary-type", "binary"), tutorial_answer(binary=b"")),
    (frame(bytes(range(256)) * 256, "binary/custom-client-binary-type", "binary"), tutorial_answer(binary=bytes(range(256)) * 256)),
]


def recv_exactly(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError(f"connection closed with {n} bytes still expected")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def connect(host, port, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def check_echo(host, port, rounds, timeout):
    sizes = [1, 2, 7, 64, 100, 1000, 4096, 65536]
    checked = 0
    socks = [connect(host, port, timeout) for _ in range(4)]
    try:
        for r in range(rounds):
            for i, sock in enumerate(socks):
                # One message at a time, then a pipelined burst of 16 (one write), on each connection.
                size = sizes[(r + i) % len(sizes)]
                message = bytes((r * 31 + i + j) & 0xFF for j in range(size))
                sock.sendall(message)
                if recv_exactly(sock, size) != message:
                    raise AssertionError(f"echo of {size} bytes differs")
                burst = b"".join(bytes([(r + k) & 0xFF]) * 64 for k in range(16))
                sock.sendall(burst)
                if recv_exactly(sock, len(burst)) != burst:
                    raise AssertionError("pipelined echo differs")
                checked += 2
        # Larger than the socket buffers: the client writes without reading until its send would block, so
        # the server's writes come up short and it must keep the rest and stop reading meanwhile; then both
        # directions run until every byte is back, in order.
        # A small receive buffer on this client makes the server's sends come up short early.
        big = bytes((i * 7) & 0xFF for i in range(4 << 20))
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        socks.append(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.setblocking(False)
        sent = 0
        reading = False
        received = bytearray()
        deadline = time.monotonic() + timeout * 4
        while len(received) < len(big):
            if time.monotonic() > deadline:
                raise TimeoutError("4 MiB echo did not complete")
            if sent < len(big):
                try:
                    sent += sock.send(big[sent:sent + 65536])
                except BlockingIOError:
                    reading = True
            if not reading and sent < len(big):
                continue
            try:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed during the 4 MiB echo")
                received += chunk
            except BlockingIOError:
                time.sleep(0.0005)
        if bytes(received) != big:
            raise AssertionError("4 MiB echo differs")
        checked += 1
    finally:
        for sock in socks:
            sock.close()
    return checked


def check_frame(host, port, rounds, timeout):
    checked = 0
    socks = [connect(host, port, timeout) for _ in range(4)]
    try:
        for r in range(rounds):
            for i, sock in enumerate(socks):
                # One request at a time...
                request, expected = CASES[(r + i) % len(CASES)]
                sock.sendall(request)
                got = recv_exactly(sock, len(expected))
                if got != expected:
                    raise AssertionError(f"answer differs:\n expected {expected!r}\n got      {got!r}")
                checked += 1
            # ...and every case pipelined in one write, split at an odd offset so frames straddle reads.
            sock = socks[r % len(socks)]
            burst = b"".join(req for req, _ in CASES)
            expected = b"".join(exp for _, exp in CASES)
            cut = 3 + (r * 37) % (len(burst) - 6)
            sock.sendall(burst[:cut])
            time.sleep(0.001)
            sock.sendall(burst[cut:])
            got = recv_exactly(sock, len(expected))
            if got != expected:
                raise AssertionError("pipelined answers differ")
            checked += len(CASES)
    finally:
        for sock in socks:
            sock.close()
    return checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["echo", "frame"], required=True)
    parser.add_argument("--rounds", type=int, default=25, help="rounds over 4 connections (bounded: at most 1000)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per socket operation")
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, 1000))
    started = time.monotonic()
    try:
        if args.mode == "echo":
            checked = check_echo(args.host, args.port, rounds, args.timeout)
        else:
            checked = check_frame(args.host, args.port, rounds, args.timeout)
    except (AssertionError, OSError) as e:
        print(f"FAIL {args.mode} on {args.host}:{args.port}: {e}")
        return 1
    print(f"OK {args.mode} on {args.host}:{args.port}: {checked} exchanges matched in {time.monotonic() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
