"""Generates frames.json: byte-exact frames of the tutorial's application protocol, for the C# tests.

usage: python3 tests/vectors/gen_vectors.py            writes frames.json next to this script
       python3 tests/vectors/gen_vectors.py --stdout   prints it instead
       python3 tests/vectors/gen_vectors.py --check    exits 1 if frames.json is not what it would write

Stdlib only, and self-contained on purpose (it does not import tests/interop): the rules are spelled out
here once more, and tests/interop/selftest.py checks that the interop app_server really answers each
request with the response bytes recorded here.

The encoding rules are the tutorial's (app-client.py / app-server.py with libclient / libserver):

  frame   = struct.pack(">H", len(header_bytes)) + header_bytes + content_bytes
  header  = json.dumps({"byteorder": ..., "content-type": ..., "content-encoding": ...,
                        "content-length": len(content_bytes)}, ensure_ascii=False).encode("utf-8")
  text/json content = json.dumps(obj, ensure_ascii=False).encode(content_encoding)

json.dumps keeps the default separators ", " and ": ", writes non-ASCII characters as they are (so they
become raw UTF-8), and escapes only '"', '\\' and the control characters below U+0020 (\\n, \\r, \\t,
\\b, \\f by name, the others as \\u00XX).

The tutorial writes "byteorder": sys.byteorder, which depends on the machine that sends the frame. The
vectors always say "little" (what x86-64 and arm64 machines write) so that they are the same wherever
they are generated; a server answering on a big-endian machine would write "big" there instead.
"""

import io
import json
import struct
import sys
from pathlib import Path

BYTEORDER = "little"  # not sys.byteorder: see the module docstring

OUTPUT = Path(__file__).resolve().with_name("frames.json")

# The server's lookup table, exactly as the tutorial's app-server has it.
REQUEST_SEARCH = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}

CLIENT_BINARY_TYPE = "binary/custom-client-binary-type"
SERVER_BINARY_TYPE = "binary/custom-server-binary-type"


# --------------------------------------------------------------------------------------------------
# Encoding, as the tutorial's programs do it


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False)


def header_bytes(content_type, content_encoding, content_length, byteorder=BYTEORDER):
    header = {
        "byteorder": byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": content_length,
    }
    return dumps(header).encode("utf-8")


def frame(header, content):
    return struct.pack(">H", len(header)) + header + content


def message(content_bytes, content_type, content_encoding):
    return frame(header_bytes(content_type, content_encoding, len(content_bytes)), content_bytes)


def client_request(action, value):
    """What app-client sends for `app-client.py host port ACTION VALUE`: (type, encoding, content bytes)."""
    if action == "search":
        return "text/json", "utf-8", dumps({"action": action, "value": value}).encode("utf-8")
    return CLIENT_BINARY_TYPE, "binary", (action + value).encode("utf-8")


def server_response(content_type, content_encoding, content_bytes):
    """What app-server answers to a request: (type, encoding, content bytes, result string or None)."""
    if content_type == "text/json":
        wrapper = io.TextIOWrapper(io.BytesIO(content_bytes), encoding=content_encoding, newline="")
        request = json.load(wrapper)
        action = request.get("action")
        if action == "search":
            query = request.get("value")
            result = REQUEST_SEARCH.get(query) or f"No match for '{query}'."
        else:
            result = f"Error: invalid action '{action}'."
        return "text/json", "utf-8", dumps({"result": result}).encode("utf-8"), result
    # Binary or unknown content-type: the server cuts bytes, not characters.
    return SERVER_BINARY_TYPE, "binary", b"First 10 bytes of request: " + content_bytes[:10], None


# --------------------------------------------------------------------------------------------------
# Request/response pairs


def vector(name, action, value, request=None, note=None):
    """One exchange. Without `request` the request is the one app-client builds from (action, value);
    with it, `request` is (type, encoding, content bytes) of a frame app-client would never send."""
    from_app_client = request is None
    req_type, req_encoding, req_content = request or client_request(action, value)
    resp_type, resp_encoding, resp_content, result = server_response(req_type, req_encoding, req_content)
    entry = {
        "name": name,
        "action": action,
        "value": value,
        "request_from_app_client": from_app_client,
        "request_content_type": req_type,
        "request_content_encoding": req_encoding,
        "request_content_hex": req_content.hex(),
        "request_frame_hex": message(req_content, req_type, req_encoding).hex(),
        "response_content_type": resp_type,
        "response_content_encoding": resp_encoding,
        "response_content_hex": resp_content.hex(),
        "response_frame_hex": message(resp_content, resp_type, resp_encoding).hex(),
    }
    if result is not None:
        entry["response_result"] = result
    if note:
        entry["note"] = note
    return entry


def json_request(obj, encoding):
    return "text/json", encoding, dumps(obj).encode(encoding)


def build_vectors():
    return [
        # The three keys of the table.
        vector("search_morpheus", "search", "morpheus"),
        vector("search_ring", "search", "ring"),
        vector("search_dog_emoji", "search", "\U0001f436"),
        # No match: the query comes back inside the result.
        vector("search_no_match_neo", "search", "neo"),
        vector("search_no_match_case", "search", "Morpheus", note="keys match exactly, case included"),
        vector("search_no_match_empty", "search", ""),
        vector("search_no_match_non_ascii", "search", "caf\u00e9 \u2615"),
        vector(
            "search_no_match_escapes",
            "search",
            'q"uo\\te\n\t\x01',
            note='json.dumps escapes " \\ \\n \\t and writes \\x01 as \\u0001',
        ),
        vector(
            "search_no_match_more_escapes",
            "search",
            "\b\f\r\x1f\x7f/\u2028<\u00e9>",
            note="\\b \\f \\r by name, \\x1f as \\u001f; DEL, '/', U+2028 and non-ASCII are not escaped",
        ),
        # Requests app-client never sends (it sends every other action as binary), built by hand.
        vector(
            "json_invalid_action_find",
            "find",
            "x",
            request=json_request({"action": "find", "value": "x"}, "utf-8"),
            note="raw text/json request with an action other than search",
        ),
        vector(
            "json_search_utf16_request",
            "search",
            "ring",
            request=(
                "text/json",
                "utf-16",
                b"\xff\xfe" + dumps({"action": "search", "value": "ring"}).encode("utf-16-le"),
            ),
            note="request content in utf-16 with a BOM (little-endian, as Python's utf-16 codec writes on "
            "such machines); the server decodes it with the header's encoding and answers in utf-8",
        ),
        vector(
            "json_search_latin1_request",
            "search",
            "caf\u00e9",
            request=json_request({"action": "search", "value": "caf\u00e9"}, "latin-1"),
            note="request content in latin-1; the answer is in utf-8",
        ),
        # Binary requests: the server answers with the first 10 bytes of the content.
        vector("binary_hello_world", "hello", "world", note="exactly 10 bytes of content"),
        vector("binary_x_y", "x", "y", note="shorter than 10 bytes"),
        vector("binary_long", "print", " more than ten bytes", note="longer than 10 bytes: cut"),
        vector(
            "binary_non_ascii_cut",
            "bin",
            "\u00e4rger\U0001f436",
            note="the 10-byte cut lands inside the UTF-8 bytes of the emoji",
        ),
    ]


# --------------------------------------------------------------------------------------------------
# Single frames for the decoder


def raw_header(fields, compact=False):
    """Header text from (name, raw JSON value) pairs, so that each value's exact text is known."""
    item_sep, key_sep = (",", ":") if compact else (", ", ": ")
    return "{" + item_sep.join(f"{dumps(name)}{key_sep}{raw}" for name, raw in fields) + "}"


REQUIRED = ("byteorder", "content-type", "content-encoding", "content-length")


def decode_case(name, content_type, content_encoding, content, extra=(), order=None, compact=False,
                byteorder=BYTEORDER, json_text=None, note=None):
    """A frame whose header has the required keys (in `order`, default the tutorial's) plus the custom
    `extra` (name, raw JSON) pairs after them, or placed where `order` puts their names."""
    values = {
        "byteorder": dumps(byteorder),
        "content-type": dumps(content_type),
        "content-encoding": dumps(content_encoding),
        "content-length": str(len(content)),
    }
    extra = list(extra)
    values.update(extra)
    names = order or (list(REQUIRED) + [n for n, _ in extra])
    header_text = raw_header([(n, values[n]) for n in names], compact)
    data = frame(header_text.encode("utf-8"), content)
    entry = {
        "name": name,
        "frame_hex": data.hex(),
        "header_json": header_text,
        "byteorder": byteorder,
        "content_type": content_type,
        "content_encoding": content_encoding,
        "content_length": len(content),
        "content_hex": content.hex(),
        "custom_headers": [{"name": n, "raw_json": raw} for n, raw in extra],
    }
    if json_text is not None:
        entry["json_text"] = json_text
        entry["json_value"] = json.loads(json_text)
    if note:
        entry["note"] = note
    return entry


def build_decode_cases():
    search_dog = {"action": "search", "value": "\U0001f436"}
    cafe = {"action": "search", "value": "caf\u00e9"}
    cases = []

    text = dumps({"action": "search", "value": "morpheus"})
    cases.append(decode_case(
        "custom_header_after_required", "text/json", "utf-8", text.encode("utf-8"),
        extra=[("x-request-id", dumps("abc"))], json_text=text,
        note="a custom key after the four required ones, written as the tutorial writes headers",
    ))
    cases.append(decode_case(
        "custom_headers_reordered_compact", CLIENT_BINARY_TYPE, "binary", b"helloworld",
        extra=[("x-request-id", dumps("abc")), ("x-trace", "[1,2,{\"k\":null}]"), ("x-n", "42")],
        order=["x-request-id", "content-length", "content-type", "x-trace", "byteorder", "x-n",
               "content-encoding"],
        compact=True, byteorder="big",
        note="keys in another order, custom keys between them, no spaces, non-string custom values, "
             "byteorder big (which does not change how content is read)",
    ))
    cases.append(decode_case(
        "custom_header_non_ascii", "text/json", "utf-8", dumps(search_dog).encode("utf-8"),
        extra=[("x-note", dumps("\u00fcn\u00efcode \U0001f436 \"q\"\n"))], json_text=dumps(search_dog),
        note="a custom value with raw UTF-8 and escapes in the header",
    ))
    cases.append(decode_case(
        "empty_binary_content", CLIENT_BINARY_TYPE, "binary", b"",
        note="content-length 0: the frame ends right after the header",
    ))

    # text/json content in the encodings Python's codecs name. json_text is what decoding gives.
    text = dumps(search_dog)
    cases.append(decode_case(
        "json_utf8", "text/json", "utf-8", text.encode("utf-8"), json_text=text,
    ))
    cases.append(decode_case(
        "json_utf16_bom_le", "text/json", "utf-16", b"\xff\xfe" + text.encode("utf-16-le"),
        json_text=text,
        note="what Python's \"utf-16\" codec writes on a little-endian machine: BOM FF FE, then "
             "little-endian code units (surrogate pair for the emoji)",
    ))
    cases.append(decode_case(
        "json_utf16_bom_be", "text/json", "utf-16", b"\xfe\xff" + text.encode("utf-16-be"),
        json_text=text,
        note="\"utf-16\" as a big-endian machine writes it: the BOM FE FF says so",
    ))
    cases.append(decode_case(
        "json_utf16_le", "text/json", "utf-16-le", text.encode("utf-16-le"), json_text=text,
        note="no BOM",
    ))
    cases.append(decode_case(
        "json_utf16_be", "text/json", "utf-16-be", text.encode("utf-16-be"), json_text=text,
        note="no BOM",
    ))
    text = dumps(cafe)
    cases.append(decode_case(
        "json_latin1", "text/json", "latin-1", text.encode("latin-1"), json_text=text,
        note="\u00e9 is the single byte e9",
    ))
    text = json.dumps(search_dog, ensure_ascii=True)
    cases.append(decode_case(
        "json_ascii_escaped", "text/json", "ascii", text.encode("ascii"), json_text=text,
        note="ASCII text; the emoji is the escaped surrogate pair \\ud83d\\udc36",
    ))
    text = dumps(cafe)
    cases.append(decode_case(
        "json_encoding_alias_upper", "text/json", "UTF-8", text.encode("utf-8"), json_text=text,
        note="Python's codec lookup ignores case",
    ))
    cases.append(decode_case(
        "json_encoding_alias_underscore", "text/json", "latin_1", text.encode("latin-1"),
        json_text=text, note="Python's codec lookup treats _ and - alike",
    ))
    return cases


# --------------------------------------------------------------------------------------------------
# Self-checks: the frames decode back, with the tutorial's decoding, to what the vectors say.


def parse_frame(data):
    (hlen,) = struct.unpack(">H", data[:2])
    wrapper = io.TextIOWrapper(io.BytesIO(data[2 : 2 + hlen]), encoding="utf-8", newline="")
    header = json.load(wrapper)
    content = data[2 + hlen :]
    assert len(content) == header["content-length"], "content-length does not match"
    return header, content


def check(doc):
    for v in doc["vectors"]:
        header, content = parse_frame(bytes.fromhex(v["request_frame_hex"]))
        assert header["content-type"] == v["request_content_type"]
        assert content.hex() == v["request_content_hex"]
        header, content = parse_frame(bytes.fromhex(v["response_frame_hex"]))
        assert header["content-type"] == v["response_content_type"]
        assert content.hex() == v["response_content_hex"]
        if "response_result" in v:
            assert json.loads(content.decode("utf-8"))["result"] == v["response_result"]
    for c in doc["decode_cases"]:
        header, content = parse_frame(bytes.fromhex(c["frame_hex"]))
        assert header["content-type"] == c["content_type"]
        assert header["content-encoding"] == c["content_encoding"]
        assert content.hex() == c["content_hex"]
        if "json_text" in c:
            wrapper = io.TextIOWrapper(io.BytesIO(content), encoding=c["content_encoding"], newline="")
            assert wrapper.read() == c["json_text"], c["name"]
            assert json.loads(c["json_text"]) == c["json_value"]
        for field in c["custom_headers"]:
            assert header[field["name"]] == json.loads(field["raw_json"])


def render():
    doc = {
        "generator": "gen_vectors.py",
        "byteorder_note": "byteorder is always \"little\" here; the tutorial's programs write sys.byteorder",
        "vectors": build_vectors(),
        "decode_cases": build_decode_cases(),
    }
    check(doc)
    # ensure_ascii=True: the file itself is plain ASCII; non-ASCII text is escaped as \uXXXX.
    return json.dumps(doc, ensure_ascii=True, indent=2) + "\n"


def main(argv):
    text = render()
    if argv == ["--stdout"]:
        sys.stdout.write(text)
        return 0
    if argv == ["--check"]:
        current = OUTPUT.read_text(encoding="ascii") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python3 {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: gen_vectors.py [--stdout | --check]", file=sys.stderr)
        return 2
    OUTPUT.write_text(text, encoding="ascii", newline="\n")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
