"""Checks the interop programs against each other and against tests/vectors/frames.json, on loopback.

usage: python3 tests/interop/selftest.py

Runs each client against its server (ports picked by the servers: they are started with port 0),
replays every vector's request to app_server and compares the answer byte for byte, serves every
vector's response to app_client from a scripted server and compares the request it sent, and tries a
few failure paths. Every child process is bounded in time and killed by its own PID if it overstays.
Prints one line per check and exits 0 when all pass.
"""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from fwproto import FrameParser, setup_stdout

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors" / "frames.json"
PY = sys.executable
ENV = dict(os.environ, PYTHONIOENCODING="utf-8")

failures = []


def report(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(name)


class Server:
    """A server program running in the background; its stdout is collected line by line."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen(
            [PY, str(HERE / script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=ENV,
        )
        self.lines = []
        self.err = ""
        self._first = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self.port = self._wait_port()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._first.set()
        self._first.set()

    def _pump_err(self):
        self.err = self.proc.stderr.read()

    def _wait_port(self):
        if not self._first.wait(10) or not self.lines or not self.lines[0].startswith("Listening on "):
            self.kill()
            raise RuntimeError(f"no 'Listening on' line: {self.lines!r}")
        return int(self.lines[0].rsplit(":", 1)[1])

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signals the server and returns its exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()  # this PID only
            self.proc.wait(5)


def run(script, *args, timeout=20.0):
    """Runs a client program to completion (killed by subprocess.run after `timeout`)."""
    try:
        done = subprocess.run(
            [PY, str(HERE / script), *args], capture_output=True, env=ENV, timeout=timeout
        )
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), "timed out"
    # Decoded without newline translation: a result may itself hold \r or \n.
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def exchange(port, request, host="127.0.0.1", timeout=10.0):
    """Sends raw bytes and returns everything received until the server closes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(request)
        received = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return received
            received += chunk


def local_byteorder(frame_hex):
    """The vectors say "little"; a server on a big-endian machine writes "big"."""
    data = bytes.fromhex(frame_hex)
    if sys.byteorder == "little":
        return data
    (hlen,) = struct.unpack(">H", data[:2])
    header = data[2 : 2 + hlen].replace(b'"byteorder": "little"', b'"byteorder": "big"', 1)
    return struct.pack(">H", len(header)) + header + data[2 + hlen :]


# --------------------------------------------------------------------------------------------------


def check_echo():
    server = Server("echo_server.py", "127.0.0.1", "0", "--max-seconds", "30")
    code, out, err = run("echo_client.py", "127.0.0.1", str(server.port))
    report("echo_client -> echo_server", code == 0 and out == "Received b'Hello, world'\n", f"{code} {out!r} {err}")
    server_code = server.wait(5)
    report("echo_server exits 0 after its one client", server_code == 0, f"{server_code} {server.err}")
    report("echo_server prints 'Connected by (addr)'",
           len(server.lines) == 2 and server.lines[1].startswith("Connected by ('127.0.0.1', "), repr(server.lines))

    server = Server("echo_server.py", "127.0.0.1", "0")
    code, out, _ = run("echo_client.py", "127.0.0.1", str(server.port), "caf\u00e9 \U0001f436")
    report("echo_client with a message", code == 0 and out == "Received b'caf\\xc3\\xa9 \\xf0\\x9f\\x90\\xb6'\n", repr(out))
    server.wait(5)


def check_multiconn():
    server = Server("multiconn_server.py", "127.0.0.1", "0", "--max-seconds", "30")
    code, out, err = run("multiconn_client.py", "127.0.0.1", str(server.port), "3")
    lines = out.splitlines()
    ok = code == 0 and all(f"Closing connection {i}" in lines for i in (1, 2, 3))
    ok = ok and all(f"Starting connection {i} to ('127.0.0.1', {server.port})" in lines for i in (1, 2, 3))
    ok = ok and "Sending b'Message 1 from client.' to connection 1" in lines
    report("multiconn_client (3) -> multiconn_server", ok, f"{code} {out} {err}")
    time.sleep(0.2)
    echoed = [line for line in server.lines if line.startswith("Echoing ")]
    closed = [line for line in server.lines if line.startswith("Closing connection to ")]
    report("multiconn_server echoed and closed 3 connections", len(closed) == 3 and echoed, repr(server.lines))
    server_code = server.stop(signal.SIGTERM)
    report("multiconn_server exits 0 on SIGTERM", server_code == 0, f"{server_code} {server.err}")

    code, _, _ = run("multiconn_client.py", "127.0.0.1", str(server.port), "2")
    report("multiconn_client exits 1 when nobody listens", code == 1, str(code))


def check_app_pairs():
    server = Server("app_server.py", "127.0.0.1", "0", "--max-seconds", "60")
    port = str(server.port)
    cases = [
        (("search", "morpheus"), "Got result: Follow the white rabbit. \U0001f430"),
        (("search", "\U0001f436"), "Got result: \U0001f43e Playing ball! \U0001f3d0"),
        (("search", "nothing"), "Got result: No match for 'nothing'."),
        (("hello", "world"), "Got response: b'First 10 bytes of request: helloworld'"),
    ]
    for (action, value), expected in cases:
        code, out, err = run("app_client.py", "127.0.0.1", port, action, value)
        report(f"app_client {action} {value!r} -> app_server", code == 0 and expected in out.splitlines(),
               f"{code} {out} {err}")

    # One broken connection does not stop the server.
    answer = exchange(server.port, b"\x00\x05hello")
    report("app_server closes a connection with a bad header", answer == b"", repr(answer))
    answer = exchange(server.port, b'\x00\x02{}')
    report("app_server closes a connection with a header missing keys", answer == b"", repr(answer))
    code, out, _ = run("app_client.py", "127.0.0.1", port, "search", "ring")
    report("app_server still serves after bad connections", code == 0, out)
    report("app_server printed the errors", any(l.startswith("Main: Error: Exception for ") for l in server.lines))

    # Bytes trickling in one at a time are put together.
    frame = bytes.fromhex(load_vectors()["vectors"][0]["request_frame_hex"])
    with socket.socket() as s:
        s.settimeout(10)
        s.connect(("127.0.0.1", server.port))
        for i in range(len(frame)):
            s.send(frame[i : i + 1])
            time.sleep(0.002)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    expected = local_byteorder(load_vectors()["vectors"][0]["response_frame_hex"])
    report("app_server reads a request sent byte by byte", answer == expected, repr(answer))

    server_code = server.stop(signal.SIGINT)
    report("app_server exits 0 on SIGINT", server_code == 0, f"{server_code} {server.err}")

    code, _, err = run("app_client.py", "127.0.0.1", port, "search", "ring")
    report("app_client exits 1 when nobody listens", code == 1, f"{code} {err}")
    code, _, err = run("app_client.py", "127.0.0.1", port, "search")
    report("app_client usage error exits 1", code == 1 and err.startswith("usage: app_client.py"), f"{code} {err}")

    server = Server("app_server.py", "127.0.0.1", "0", "--max-seconds", "1")
    server_code = server.wait(10)
    report("app_server --max-seconds 1 exits 124 by itself", server_code == 124, str(server_code))


def load_vectors():
    return json.loads(VECTORS.read_text(encoding="ascii"))


def check_vectors_against_server():
    server = Server("app_server.py", "127.0.0.1", "0", "--max-seconds", "60")
    for v in load_vectors()["vectors"]:
        answer = exchange(server.port, bytes.fromhex(v["request_frame_hex"]))
        expected = local_byteorder(v["response_frame_hex"])
        report(f"vector {v['name']}: app_server answers response_frame_hex", answer == expected,
               f"\n  got      {answer!r}\n  expected {expected!r}")
    server.stop()


def scripted_server(response):
    """Listens once; returns (port, result) where result["request"] gets the one frame received."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    lsock.settimeout(15)
    result = {}

    def serve():
        try:
            conn, _ = lsock.accept()
            with conn:
                conn.settimeout(10)
                parser = FrameParser()
                data = b""
                while not parser.done:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                    parser.feed(chunk)
                result["request"] = data
                conn.sendall(response)
        except OSError as e:
            result["error"] = e
        finally:
            lsock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return lsock.getsockname()[1], result, thread


def check_vectors_against_client():
    for v in load_vectors()["vectors"]:
        if not v["request_from_app_client"]:
            continue
        port, result, thread = scripted_server(bytes.fromhex(v["response_frame_hex"]))
        code, out, err = run("app_client.py", "127.0.0.1", str(port), v["action"], v["value"])
        thread.join(15)
        sent = result.get("request")
        expected_request = local_byteorder(v["request_frame_hex"])
        if "response_result" in v:
            expected_line = f"Got result: {v['response_result']}"
        else:
            expected_line = f"Got response: {bytes.fromhex(v['response_content_hex'])!r}"
        # The result is printed as it is: it may span lines (\n, \r in the value), so match whole text.
        ok = code == 0 and sent == expected_request and f"\n{expected_line}\n" in out
        report(f"vector {v['name']}: app_client sends request_frame_hex and prints the result", ok,
               f"{code}\n  sent     {sent!r}\n  expected {expected_request!r}\n{out}{err}")


def check_truncated_response():
    port, _, thread = scripted_server(b"\x00\x7f{\"byteorder\"")
    code, _, err = run("app_client.py", "127.0.0.1", str(port), "search", "ring")
    thread.join(15)
    report("app_client exits 1 on a response cut short", code == 1, f"{code} {err}")


def check_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        print("SKIP ipv6: ::1 is not available")
        return
    server = Server("app_server.py", "::1", "0", "--max-seconds", "30")
    report("app_server on ::1 prints [::1]:PORT", server.lines[0].startswith("Listening on [::1]:"), server.lines[0])
    code, out, err = run("app_client.py", "::1", str(server.port), "search", "ring")
    report("app_client -> app_server over ::1", code == 0 and "Got result: In the caves" in out, f"{code} {out} {err}")
    server.stop()


def check_generator():
    done = subprocess.run([PY, str(HERE.parent / "vectors" / "gen_vectors.py"), "--check"],
                          capture_output=True, text=True, timeout=30)
    report("gen_vectors.py --check: frames.json is up to date", done.returncode == 0, done.stderr)


def main():
    setup_stdout()
    for check in (check_echo, check_multiconn, check_app_pairs, check_vectors_against_server,
                  check_vectors_against_client, check_truncated_response, check_ipv6, check_generator):
        try:
            check()
        except Exception as e:  # a check that blows up is a failure, the others still run
            report(check.__name__, False, repr(e))
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
