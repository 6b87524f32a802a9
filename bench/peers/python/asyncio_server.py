#!/usr/bin/env python3
"""Python asyncio peer (standard library only): an echo server or the tutorial's framed search app.

    python3 asyncio_server.py --mode echo|frame [--host 127.0.0.1] [--port 65432] [--uvloop]
                              [--tls-cert FILE --tls-key FILE]

Why it is a fair peer: it is what an experienced asyncio programmer writes for throughput, on the low-level
asyncio.Protocol callbacks (no StreamReader/StreamWriter layer, no task per message), with flow control
(reading pauses while the transport's write buffer is over its high-water mark), one write per batch of
received data, and hits of the search table encoded once at startup, as Framewire's SearchHandler does.
asyncio sets TCP_NODELAY on every TCP transport; the backlog is 4096 like the other peers'. Frame-mode answers
are the tutorial's byte for byte (json.dumps with ensure_ascii=False and the tutorial's header key order). It checks
less than our server: a frame it cannot parse closes the connection.

Warm it up before measuring with connections that then close (a short throwaway run): until the first
connection closes, every read costs an mmap, an mremap and a munmap. asyncio reads with recv(256 KiB); that
buffer is above glibc's initial 128 KiB mmap threshold and is shrunk to the bytes received, so it is never
freed whole until a read returns end-of-stream, which is when glibc raises its threshold. Measured here: 25
us of CPU per echo before, 7.4 after one connection had closed. A server in service is past this point.

--uvloop runs the same code on uvloop's event loop; it is refused (exit 2) when uvloop cannot be imported,
so a benchmark never reports plain asyncio under uvloop's name. Prints "Listening on HOST:PORT" once the
server accepts connections; SIGTERM or Ctrl-C exits 0.

--tls-cert/--tls-key (PEM) serve the same protocols over TLS with the standard library's ssl module, as asyncio
does it: an ssl.SSLContext(PROTOCOL_TLS_SERVER) with Python's defaults passed to create_server (on uvloop too).
"""
import argparse
import asyncio
import json
import resource
import signal
import ssl
import struct
import sys

BACKLOG = 4096
# Larger frames are refused rather than buffered: the same default content limit as Framewire's server.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

TABLE = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}

_PACK_LENGTH = struct.Struct(">H").pack


def _header_start(content_type, content_encoding):
    # The tutorial's header, json.dumps'ed, up to the content length: every response shares these bytes.
    header = json.dumps({
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": 0,
    }, ensure_ascii=False).encode("utf-8")
    return header[:-len(b"0}")]


_JSON_HEADER_START = _header_start("text/json", "utf-8")
_BINARY_HEADER_START = _header_start("binary/custom-server-binary-type", "binary")


def _frame(header_start, content):
    header = header_start + str(len(content)).encode("ascii") + b"}"
    return _PACK_LENGTH(len(header)) + header + content


def _json_frame(obj):
    return _frame(_JSON_HEADER_START, json.dumps(obj, ensure_ascii=False).encode("utf-8"))


_HITS = {key: _json_frame({"result": answer}) for key, answer in TABLE.items() if answer}


def answer(is_json, encoding, content):
    """The tutorial's app-server response to one request, as bytes."""
    if not is_json:
        return _frame(_BINARY_HEADER_START, b"First 10 bytes of request: " + content[:10])
    request = json.loads(content if encoding == "utf-8" else content.decode(encoding))
    action = request.get("action")
    if action == "search":
        query = request.get("value")
        hit = _HITS.get(query) if isinstance(query, str) else None
        if hit is not None:
            return hit
        return _json_frame({"result": f"No match for '{query}'."})
    return _json_frame({"result": f"Error: invalid action '{action}'."})


class EchoProtocol(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    # A client that does not read its echoes stops being read, instead of filling our memory.
    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


class FrameProtocol(asyncio.Protocol):
    __slots__ = ("transport", "buffer", "pending")

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()
        # (content start, content length, is_json, encoding) of a frame whose header is parsed and whose
        # content has not fully arrived, so a large frame's header is parsed once.
        self.pending = None

    def data_received(self, data):
        buffer = self.buffer
        buffer += data
        size = len(buffer)
        position = 0
        responses = []
        try:
            while True:
                pending = self.pending
                if pending is None:
                    if size - position < 2:
                        break
                    header_end = position + 2 + ((buffer[position] << 8) | buffer[position + 1])
                    if header_end > size:
                        break
                    header = json.loads(buffer[position + 2:header_end])
                    length = header["content-length"]
                    if type(length) is not int or not 0 <= length <= MAX_CONTENT_LENGTH:
                        raise ValueError("bad content-length")
                    pending = (header_end - position, length, header["content-type"] == "text/json",
                               header["content-encoding"])
                start = position + pending[0]
                end = start + pending[1]
                if end > size:
                    self.pending = pending
                    break
                self.pending = None
                responses.append(answer(pending[2], pending[3], bytes(buffer[start:end])))
                position = end
        except (ValueError, KeyError, TypeError, AttributeError, LookupError):
            # Not the tutorial's protocol (json.JSONDecodeError and UnicodeDecodeError are ValueErrors).
            self.transport.close()
            return
        if position:
            # The saved offset of a pending frame is relative to its start, which is now the buffer's start.
            del buffer[:position]
        if responses:
            self.transport.write(responses[0] if len(responses) == 1 else b"".join(responses))

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


async def serve(host, port, mode, tls=None):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    protocol = EchoProtocol if mode == "echo" else FrameProtocol
    server = await loop.create_server(protocol, host, port, backlog=BACKLOG, reuse_address=True, ssl=tls)
    print(f"Listening on {host}:{port}", flush=True)
    await stop
    server.close()


def main():
    parser = argparse.ArgumentParser(description="Python asyncio echo or framed search server (a benchmark peer).")
    parser.add_argument("--mode", choices=["echo", "frame"], default="echo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=65432)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (refused when it is not importable)")
    parser.add_argument("--tls-cert", help="serve TLS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    args = parser.parse_args()
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)

    # Thousands of connections need thousands of descriptors: take the hard limit, as .NET and Node do.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    if args.uvloop:
        try:
            import uvloop
        except ImportError:
            print("error: --uvloop given but uvloop is not importable; run without --uvloop for plain asyncio",
                  file=sys.stderr)
            return 2
        if hasattr(uvloop, "run"):
            uvloop.run(serve(args.host, args.port, args.mode, tls))
        else:  # uvloop before 0.18
            uvloop.install()
            asyncio.run(serve(args.host, args.port, args.mode, tls))
    else:
        asyncio.run(serve(args.host, args.port, args.mode, tls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
