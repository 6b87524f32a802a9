"""Pieces shared by the interop programs in this folder.

These programs stand in for the Python sockets tutorial's own scripts (echo, multi-connection echo,
and the application protocol's server and client) so that the C# tests can talk to "the Python side"
in both directions. Everything here follows the tutorial's rules; the programs import it as a plain
module, because Python puts a script's own folder first on sys.path.

The application protocol, as the tutorial defines it:

    +-----------------+---------------------------+---------------------------+
    | 2 bytes, ">H"   | N bytes of UTF-8 JSON     | content-length bytes      |
    | N = header size | the header (an object)    | the content               |
    +-----------------+---------------------------+---------------------------+

The header must carry byteorder, content-length, content-type and content-encoding. It is written
with json.dumps(..., ensure_ascii=False) and the default separators, keys in the order byteorder,
content-type, content-encoding, content-length; "text/json" content is JSON written the same way and
encoded with the header's content-encoding, any other content-type is opaque bytes.
"""

import hashlib
import io
import json
import signal
import socket
import struct
import sys
import time

PROTOHEADER = struct.Struct(">H")
REQUIRED_HEADERS = ("byteorder", "content-length", "content-type", "content-encoding")

# Exit status of a server that stopped because its --max-seconds limit ran out (as timeout(1) does).
EXIT_TIME_LIMIT = 124


# --------------------------------------------------------------------------------------------------
# Output


def setup_stdout():
    """Line-buffered UTF-8 stdout: the tests read it through a pipe, one line at a time."""
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)


# --------------------------------------------------------------------------------------------------
# Addresses


def clean_host(host):
    """Accepts "[::1]" as well as "::1"."""
    if len(host) > 2 and host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    return host


def family_for(host):
    """IPv6 when the host is an IPv6 literal (it has a colon), IPv4 otherwise (addresses, localhost)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def parse_port(text):
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range")
    return port


def format_endpoint(sockname):
    """127.0.0.1:65432 or [::1]:65432, the form the C# side prints and parses (port after the last colon)."""
    host, port = sockname[0], sockname[1]
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def listen(host, port, reuse_address=True):
    """A listening socket bound to (host, port); port 0 picks a free port."""
    sock = socket.socket(family_for(host), socket.SOCK_STREAM)
    try:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen()
    except BaseException:
        sock.close()
        raise
    return sock


def announce_listening(sock):
    """The line the tests wait for, with the port the system really bound."""
    print(f"Listening on {format_endpoint(sock.getsockname())}", flush=True)


# --------------------------------------------------------------------------------------------------
# Stopping servers


class Stop(BaseException):
    """Raised out of the event loop by SIGINT/SIGTERM. Not an Exception, so that the per-connection
    error handling (which catches Exception) cannot swallow it."""

    def __init__(self, signame):
        super().__init__(signame)
        self.signame = signame


def install_stop_signals():
    def handler(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


class Deadline:
    """The --max-seconds safety limit; 0 or less means no limit."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds if seconds and seconds > 0 else None

    def remaining(self):
        """Seconds left (never negative), or None without a limit."""
        if self.end is None:
            return None
        return max(0.0, self.end - time.monotonic())

    def expired(self):
        return self.end is not None and time.monotonic() >= self.end


# --------------------------------------------------------------------------------------------------
# Frames


def json_encode(obj, encoding):
    """JSON text as the tutorial writes it: ensure_ascii=False, default separators ", " and ": "."""
    return json.dumps(obj, ensure_ascii=False).encode(encoding)


def json_decode(data, encoding):
    """Decodes like the tutorial: a text wrapper with the given encoding (so "utf-16" honours a BOM),
    newline="" so that no line ending is translated, then json.load."""
    wrapper = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        return json.load(wrapper)
    finally:
        wrapper.close()


# --------------------------------------------------------------------------------------------------
# Content checksums: the optional "content-checksum" header, "crc32c:" and 8 lower-case hex digits (the
# CRC as a 32-bit number, most significant digit first) or "sha256:" and 64. Not in the tutorial; a frame
# without the header is exactly the tutorial's.

CHECKSUM_HEADER = "content-checksum"
CHECKSUM_ALGORITHMS = ("crc32c", "sha256")


def _crc32c_table():
    # CRC-32C (Castagnoli), reflected polynomial 0x82F63B78; the standard library has only CRC-32.
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def checksum_value(algorithm, content):
    if algorithm == "crc32c":
        return f"crc32c:{crc32c(content):08x}"
    if algorithm == "sha256":
        return "sha256:" + hashlib.sha256(content).hexdigest()
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


class ChecksumError(ValueError):
    """A content-checksum that does not match (code checksum_mismatch) or does not parse (checksum_invalid)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def verify_checksum(header, content):
    """Raises ChecksumError when the header has a content-checksum that the content does not match."""
    if CHECKSUM_HEADER not in header:
        return
    value = header[CHECKSUM_HEADER]
    algorithm = value.split(":", 1)[0] if isinstance(value, str) else None
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ChecksumError("checksum_invalid", f"The content-checksum {value!r} names no known algorithm (crc32c or sha256).")
    expected = checksum_value(algorithm, content)
    digits = value[len(algorithm) + 1 :]
    if len(value) != len(expected) or any(c not in "0123456789abcdef" for c in digits):
        raise ChecksumError("checksum_invalid", f"The content-checksum {value!r} is not {algorithm}: and lower-case hex digits.")
    if value != expected:
        raise ChecksumError(
            "checksum_mismatch",
            f"The content does not match its content-checksum: the header says {value}, the content's is {expected}.",
        )


def split_checksum(argv, literal=False):
    """Takes "--checksum crc32c|sha256" (or "--checksum=...") out of argv: (the rest, algorithm or None).
    With literal, a value with a colon ("crc32c:00000000") is taken as the header value to send as it is."""
    rest = []
    algorithm = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--checksum" or arg.startswith("--checksum="):
            if "=" in arg:
                algorithm = arg.split("=", 1)[1]
                i += 1
            elif i + 1 < len(argv):
                algorithm = argv[i + 1]
                i += 2
            else:
                raise ValueError("--checksum needs a value")
            if algorithm not in CHECKSUM_ALGORITHMS and not (literal and ":" in algorithm):
                raise ValueError(f"--checksum takes {' or '.join(CHECKSUM_ALGORITHMS)}, not {algorithm!r}")
            continue
        rest.append(arg)
        i += 1
    return rest, algorithm


def create_message(content_bytes, content_type, content_encoding, byteorder=None, checksum=None):
    """One frame: protoheader, JSON header, content. checksum is an algorithm to write a content-checksum
    with, or a literal header value (to send a wrong one on purpose)."""
    header = {
        "byteorder": byteorder if byteorder is not None else sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": len(content_bytes),
    }
    if checksum is not None:
        header[CHECKSUM_HEADER] = checksum_value(checksum, content_bytes) if checksum in CHECKSUM_ALGORITHMS else checksum
    header_bytes = json_encode(header, "utf-8")
    if len(header_bytes) > 0xFFFF:
        raise ValueError(f"JSON header of {len(header_bytes)} bytes does not fit the 2-byte length")
    return PROTOHEADER.pack(len(header_bytes)) + header_bytes + content_bytes


class FrameParser:
    """Reads one frame from bytes that arrive in pieces, in the tutorial's three steps:
    the 2-byte header length, then the JSON header, then content-length bytes of content.

    feed() returns True once the frame is complete; header and content are then set, and any bytes
    that came after the frame stay in buffer.
    """

    def __init__(self):
        self.buffer = b""
        self.header_len = None
        self.header = None
        self.content = None

    @property
    def done(self):
        return self.content is not None

    def feed(self, data):
        self.buffer += data
        self._advance()
        return self.done

    def _advance(self):
        if self.header_len is None and len(self.buffer) >= PROTOHEADER.size:
            (self.header_len,) = PROTOHEADER.unpack(self.buffer[: PROTOHEADER.size])
            self.buffer = self.buffer[PROTOHEADER.size :]

        if self.header_len is not None and self.header is None and len(self.buffer) >= self.header_len:
            header = json_decode(self.buffer[: self.header_len], "utf-8")
            self.buffer = self.buffer[self.header_len :]
            if not isinstance(header, dict):
                raise ValueError(f"JSON header is not an object: {header!r}")
            for name in REQUIRED_HEADERS:
                if name not in header:
                    raise ValueError(f"Missing required header '{name}'.")
            length = header["content-length"]
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise ValueError(f"Invalid content-length {length!r}.")
            self.header = header

        if self.header is not None and self.content is None:
            length = self.header["content-length"]
            if len(self.buffer) >= length:
                self.content = self.buffer[:length]
                self.buffer = self.buffer[length:]

    def is_json(self):
        return self.header["content-type"] == "text/json"

    def decoded_content(self):
        """The content as the tutorial's programs see it: a JSON value for text/json, bytes otherwise."""
        if self.is_json():
            return json_decode(self.content, self.header["content-encoding"])
        return self.content


# --------------------------------------------------------------------------------------------------
# Command lines


def usage_exit(usage):
    """Wrong arguments: the tutorial's programs print their usage and exit 1."""
    print(f"usage: {usage}", file=sys.stderr, flush=True)
    sys.exit(1)


def split_max_seconds(argv, default=120.0):
    """Takes "--max-seconds N" (or "--max-seconds=N") out of argv.

    Returns (positional arguments, seconds) or raises ValueError on a malformed option.
    """
    positional = []
    seconds = default
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--max-seconds":
            if i + 1 >= len(argv):
                raise ValueError("--max-seconds needs a value")
            seconds = float(argv[i + 1])
            i += 2
            continue
        if arg.startswith("--max-seconds="):
            seconds = float(arg.split("=", 1)[1])
        elif arg.startswith("--"):
            raise ValueError(f"unknown option {arg}")
        else:
            positional.append(arg)
        i += 1
    return positional, seconds
