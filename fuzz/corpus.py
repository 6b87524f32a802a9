#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora under fuzz/Framewire.Fuzz/corpus/ (standard library only, deterministic).

frames/  the tutorial's request and response frames from tests/vectors/frames.json, the decode cases, two frames in
         one stream, an error frame, and frames the decoder must refuse (each seed one small file);
headers/ the JSON header of every frame seed, and headers that differ from the tutorial's form in one way each;
proxy/   PROXY v1 and v2 headers of every family, and a header with a frame after it;
checksum/ frames with a content-checksum header: right, wrong and malformed values of both algorithms.

Run it again after the vectors change; AFL++ wants seeds small and few, so add only what reaches new code.
"""
import hashlib
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent
CORPUS = ROOT / "Framewire.Fuzz" / "corpus"
VECTORS = ROOT.parent / "tests" / "vectors" / "frames.json"


def frame(header, content=b""):
    """A frame as the tutorial writes it: 2-byte big-endian header length, JSON header, content."""
    raw = header if isinstance(header, bytes) else json.dumps(header, ensure_ascii=False).encode()
    return struct.pack(">H", len(raw)) + raw + content


def required(content_type, encoding, length, **custom):
    header = {"byteorder": "little", "content-type": content_type, "content-encoding": encoding, "content-length": length}
    header.update({key.replace("_", "-"): value for key, value in custom.items()})
    return header


def frames():
    vectors = json.loads(VECTORS.read_text())
    seeds = {}
    for vector in vectors["vectors"]:
        seeds[vector["name"] + "-request"] = bytes.fromhex(vector["request_frame_hex"])
        seeds[vector["name"] + "-response"] = bytes.fromhex(vector["response_frame_hex"])
    for case in vectors["decode_cases"]:
        seeds[case["name"]] = bytes.fromhex(case["frame_hex"])

    hello = b"hello"
    error = json.dumps({"result": "Error: The header length is 0.",
                        "error": {"code": "header_length_invalid", "message": "The header length is 0."}}).encode()
    seeds.update({
        "pipelined-json-binary": seeds["search_morpheus-request"] + frame(required("binary", "binary", 5), hello),
        "error-frame": frame(required("text/json", "utf-8", len(error)), error),
        # Longer than the decoder's 512-byte stack threshold: split across segments, it is joined in a rented array.
        "header-above-stack-threshold": frame(required("binary", "binary", 5, x_padding="p" * 600), hello),
        "content-partial": frame(required("binary", "binary", 9), hello),
        "header-partial": frame(required("binary", "binary", 5))[:40],
        "header-length-zero": b"\x00\x00{}",
        "header-length-over-limit": b"\xff\xff{",
        "tls-client-hello": bytes.fromhex("16030100a5010000a10303"),
        "http-request": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "header-not-object": frame(b"[1, 2]"),
        "header-missing-key": frame(b'{"byteorder": "little", "content-type": "binary", "content-length": 0}'),
        "header-duplicate-key": frame(b'{"byteorder": "little", "byteorder": "big", "content-type": "binary", "content-encoding": "binary", "content-length": 0}'),
        "content-length-negative": frame(required("binary", "binary", -1)),
        "content-length-fraction": frame(b'{"byteorder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 1.5}'),
        "content-length-too-large": frame(required("binary", "binary", 99999999999)),
        "header-invalid-utf8": frame(b'{"byteorder": "little", "content-type": "\xc3\x28", "content-encoding": "binary", "content-length": 0}'),
        "header-escaped-key": frame(b'{"byte\\u006frder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 5}', hello),
        "header-nested-custom": frame(json.dumps({**required("binary", "binary", 5), "x-trace": {"id": [1, 2, {"a": None}], "ok": True}}).encode(), hello),
    })
    return seeds


def headers(frame_seeds):
    seeds = {}
    for name, data in frame_seeds.items():
        length = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else 0
        if 0 < length <= len(data) - 2:
            seeds[name] = data[2:2 + length]

    base = required("text/json", "utf-8", 41)
    seeds.update({
        "compact-separators": json.dumps(base, separators=(",", ":")).encode(),
        "keys-reordered": json.dumps(dict(reversed(list(base.items())))).encode(),
        "whitespace-around": b' \t{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}\r\n',
        "escaped-value": b'{"byteorder": "little", "content-type": "text\\/json", "content-encoding": "utf-8", "content-length": 41}',
        "lone-surrogate-value": b'{"byteorder": "little", "content-type": "\\ud800", "content-encoding": "utf-8", "content-length": 41}',
        "lone-surrogate-key": b'{"byteorder": "little", "content-type": "binary", "content-encoding": "utf-8", "content-length": 41, "\\udc00": 1}',
        "length-leading-zero": b'{"byteorder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 041}',
        "length-exponent": b'{"byteorder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 4e1}',
        "length-ten-digits": b'{"byteorder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 1000000000}',
        "trailing-garbage": b'{"byteorder": "little", "content-type": "binary", "content-encoding": "binary", "content-length": 0}}',
        "many-custom-keys": json.dumps({**required("binary", "binary", 0), **{f"k{i}": i for i in range(12)}}).encode(),
    })
    return seeds


def proxy():
    signature = b"\r\n\r\n\x00\r\nQUIT\n"

    def v2(command, family, addresses, tlvs=b""):
        return signature + bytes([command, family]) + struct.pack(">H", len(addresses) + len(tlvs)) + addresses + tlvs

    inet = bytes([192, 0, 2, 1, 198, 51, 100, 7]) + struct.pack(">HH", 56324, 443)
    inet6 = bytes.fromhex("20010db8000000000000000000000001") + bytes.fromhex("20010db8000000000000000000000002") + struct.pack(">HH", 56324, 443)
    unix = b"/run/client.sock".ljust(108, b"\x00") + b"/run/server.sock".ljust(108, b"\x00")
    longest = b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
    return {
        "v1-tcp4": b"PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n",
        "v1-tcp6": b"PROXY TCP6 2001:db8::1 ::ffff:198.51.100.7 56324 443\r\n",
        "v1-unknown": b"PROXY UNKNOWN\r\n",
        "v1-longest": longest,
        "v1-then-frame": b"PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n" + frame(required("binary", "binary", 5), b"hello"),
        "v2-local": v2(0x20, 0x00, b""),
        "v2-inet": v2(0x21, 0x11, inet),
        "v2-inet-tlv": v2(0x21, 0x11, inet, b"\x01\x00\x02h2\x04\x00\x00"),
        "v2-inet6": v2(0x21, 0x21, inet6),
        "v2-unix": v2(0x21, 0x31, unix),
        "v2-unspec": v2(0x21, 0x00, b"\x00" * 4),
        "v2-udp": v2(0x21, 0x12, inet),
    }


def crc32c(data):
    """CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: seeds are small."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def checksum():
    search = b'{"action": "search", "value": "morpheus"}'
    hello = b"hello"

    def with_value(content, value, content_type="binary", encoding="binary"):
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        header = json.dumps(required(content_type, encoding, len(content)))[:-1].encode() + b', "content-checksum": ' + raw + b"}"
        return frame(header, content)

    crc = f"crc32c:{crc32c(hello):08x}"
    sha = "sha256:" + hashlib.sha256(hello).hexdigest()
    return {
        "crc32c-json": with_value(search, f"crc32c:{crc32c(search):08x}", "text/json", "utf-8"),
        "crc32c-binary": with_value(hello, crc),
        "crc32c-empty": with_value(b"", f"crc32c:{crc32c(b''):08x}"),
        "sha256-binary": with_value(hello, sha),
        "crc32c-mismatch": with_value(b"hellp", crc),
        "sha256-mismatch": with_value(b"hellp", sha),
        "crc32c-upper-hex": with_value(hello, crc.upper()),
        "crc32c-short": with_value(hello, crc[:-1]),
        "unknown-algorithm": with_value(hello, "md5:5d41402abc4b2a76b9719d911017c592"),
        "not-a-string": with_value(hello, b"12345678"),
        "escaped-value": with_value(hello, b'"crc32c\u003a' + crc[7:].encode() + b'"'),
        "lone-surrogate-value": with_value(hello, b'"crc32c:\ud800"'),
        "escaped-key": frame(json.dumps(required("binary", "binary", 5))[:-1].encode() + b', "content\u002dchecksum": "' + crc.encode() + b'"}', hello),
        "two-frames": with_value(hello, crc) + with_value(b"hellp", crc),
    }


def write(target, seeds):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in sorted(seeds.items()):
        (folder / name).write_bytes(data)
    print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    frame_seeds = frames()
    write("frames", frame_seeds)
    write("headers", headers(frame_seeds))
    write("proxy", proxy())
    write("checksum", checksum())
