"""The tutorial's application client (app-client.py with libclient's Message class): one non-blocking
connection, one request frame, exactly one response frame read back, then close.

usage: app_client.py host port action value [--checksum crc32c|sha256|VALUE]

  action "search"  ->  text/json request, utf-8, content {"action": "search", "value": value}
  any other action ->  binary/custom-client-binary-type request, encoding "binary",
                       content (action + value) encoded as UTF-8

Prints, like the tutorial, "Starting connection to (host, port)", "Sending b'...' to (host, port)",
"Received response {...} from (host, port)" or "Received <content-type> response from (host, port)",
then the result line:
    Got result: <content["result"]>        for a text/json response
    Got response: b'...'                   for any other content-type
and "Closing connection to (host, port)".

--checksum writes a content-checksum header on the request (VALUE, such as crc32c:00000000, is sent as it
is, to send a wrong one); a response's content-checksum is verified, and one that fails prints
"Error: checksum_mismatch: ..." (or checksum_invalid) and exits 1, one that passes prints
"Verified content-checksum <value> of the response".

Exit 0 once a whole response frame was read and processed; 1 on errors (connection refused or closed
before a whole frame, a malformed frame, 10 s without an answer) and on wrong arguments (the usage
goes to stderr, as do error details).
"""

import selectors
import socket
import sys
import time
import traceback

from fwproto import (
    CHECKSUM_HEADER,
    ChecksumError,
    FrameParser,
    clean_host,
    create_message,
    family_for,
    json_encode,
    parse_port,
    setup_stdout,
    split_checksum,
    usage_exit,
    verify_checksum,
)

USAGE = "app_client.py <host> <port> <action> <value> [--checksum crc32c|sha256|VALUE]"
TIMEOUT_SECONDS = 10.0

EVENT_MODES = {
    "r": selectors.EVENT_READ,
    "w": selectors.EVENT_WRITE,
    "rw": selectors.EVENT_READ | selectors.EVENT_WRITE,
}


def create_request(action, value):
    if action == "search":
        return {
            "type": "text/json",
            "encoding": "utf-8",
            "content": {"action": action, "value": value},
        }
    return {
        "type": "binary/custom-client-binary-type",
        "encoding": "binary",
        "content": (action + value).encode("utf-8"),
    }


class Message:
    """The connection's state: the request being written, then the response being read."""

    def __init__(self, selector, sock, addr, request, checksum=None):
        self.checksum = checksum
        self.selector = selector
        self.sock = sock
        self.addr = addr
        self.request = request
        self._send_buffer = b""
        self._request_queued = False
        self._frame = FrameParser()
        self.response = None

    def _set_selector_events_mask(self, mode):
        self.selector.modify(self.sock, EVENT_MODES[mode], data=self)

    def process_events(self, mask):
        if mask & selectors.EVENT_READ:
            self.read()
        if mask & selectors.EVENT_WRITE and self.sock is not None:
            self.write()

    # Writing ---------------------------------------------------------------------------------------

    def write(self):
        if not self._request_queued:
            self.queue_request()
        self._write()
        if self._request_queued and not self._send_buffer:
            self._set_selector_events_mask("r")  # the request is out: only read from now on

    def queue_request(self):
        content_type = self.request["type"]
        encoding = self.request["encoding"]
        content = self.request["content"]
        if content_type == "text/json":
            content = json_encode(content, encoding)
        self._send_buffer += create_message(content, content_type, encoding, checksum=self.checksum)
        self._request_queued = True

    def _write(self):
        if not self._send_buffer:
            return
        print(f"Sending {self._send_buffer!r} to {self.addr}")
        try:
            sent = self.sock.send(self._send_buffer)
        except BlockingIOError:
            return
        self._send_buffer = self._send_buffer[sent:]

    # Reading ---------------------------------------------------------------------------------------

    def read(self):
        self._read()
        if self.response is None and self._frame.done:
            self.process_response()

    def _read(self):
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        if not data:
            raise RuntimeError("Peer closed.")
        self._frame.feed(data)

    def process_response(self):
        try:
            verify_checksum(self._frame.header, self._frame.content)
        except ChecksumError as e:
            print(f"Error: {e.code}: {e}", file=sys.stderr)
            self.close()
            return
        if CHECKSUM_HEADER in self._frame.header:
            print(f"Verified content-checksum {self._frame.header[CHECKSUM_HEADER]} of the response")
        content = self._frame.decoded_content()
        if self._frame.is_json():
            print(f"Received response {content!r} from {self.addr}")
            result = content.get("result")
            print(f"Got result: {result}")
        else:
            print(f"Received {self._frame.header['content-type']} response from {self.addr}")
            print(f"Got response: {content!r}")
        self.response = content
        self.close()  # one request, one response

    def close(self):
        if self.sock is None:
            return
        print(f"Closing connection to {self.addr}")
        try:
            self.selector.unregister(self.sock)
        except Exception as e:
            print(f"Error: selector.unregister() exception for {self.addr}: {e!r}")
        try:
            self.sock.close()
        except OSError as e:
            print(f"Error: socket.close() exception for {self.addr}: {e!r}")
        finally:
            self.sock = None


def start_connection(sel, host, port, request, checksum):
    addr = (host, port)
    print(f"Starting connection to {addr}")
    sock = socket.socket(family_for(host), socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.connect_ex(addr)
    message = Message(sel, sock, addr, request, checksum)
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=message)
    return message


def main(argv):
    setup_stdout()
    try:
        argv, checksum = split_checksum(argv, literal=True)
    except ValueError:
        usage_exit(USAGE)
    if len(argv) != 4:
        usage_exit(USAGE)
    host = clean_host(argv[0])
    try:
        port = parse_port(argv[1])
    except ValueError:
        usage_exit(USAGE)
    action, value = argv[2], argv[3]

    sel = selectors.DefaultSelector()
    end = time.monotonic() + TIMEOUT_SECONDS
    message = None
    try:
        message = start_connection(sel, host, port, create_request(action, value), checksum)
        while sel.get_map():
            remaining = end - time.monotonic()
            if remaining <= 0:
                print(f"Error: no response within {TIMEOUT_SECONDS:g} s", file=sys.stderr)
                message.close()
                break
            for key, mask in sel.select(timeout=min(1.0, remaining)):
                try:
                    key.data.process_events(mask)
                except Exception:
                    print(
                        f"Main: Error: Exception for {key.data.addr}:\n{traceback.format_exc()}",
                        file=sys.stderr,
                    )
                    key.data.close()
    except KeyboardInterrupt:
        print("Caught keyboard interrupt, exiting")
    except OSError as e:
        print(f"Error: {e!r}", file=sys.stderr)
    finally:
        sel.close()
    return 0 if message is not None and message.response is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
