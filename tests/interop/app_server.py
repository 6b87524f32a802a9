"""The tutorial's application server (app-server.py with libserver's Message class): a selector loop
where each connection has a Message object that reads one request frame (2-byte header length, JSON
header, content), answers it, and closes the connection once the whole response has been sent.

usage: app_server.py host port [--max-seconds N] [--checksum crc32c|sha256|VALUE]

Requests:
  text/json  {"action": "search", "value": Q}  ->  {"result": <the table's answer or "No match for 'Q'.">}
             any other action                  ->  {"result": "Error: invalid action '<action>'."}
             (decoded with the request header's content-encoding; answered in utf-8)
  any other content-type                       ->  binary/custom-server-binary-type, encoding "binary",
                                                   content b"First 10 bytes of request: " + request[:10]

Prints "Listening on HOST:PORT" (the port really bound; port 0 picks one) and, like the tutorial, a
line per accepted connection, request, send and close. An exception on one connection is printed
("Main: Error: Exception for ...") and closes that connection; the server goes on. SIGINT/SIGTERM
exit 0; --max-seconds (default 120, 0 for none) is a safety limit after which it exits 124.

Two guards the tutorial's code lacks, neither of which changes a correct exchange: a request whose
content is empty (b"" or {}) is answered instead of leaving the connection hanging, and closing an
already-closed Message is a no-op.

Content checksums, which the tutorial does not have: a request's content-checksum header is verified, and
a mismatch (or a malformed value) is answered with Framewire's error frame, code checksum_mismatch (or
checksum_invalid); --checksum writes one on every response (VALUE, such as crc32c:00000000, is sent as it
is, to send a wrong one).
"""

import selectors
import sys
import traceback

from fwproto import (
    EXIT_TIME_LIMIT,
    ChecksumError,
    Deadline,
    FrameParser,
    Stop,
    announce_listening,
    clean_host,
    create_message,
    install_stop_signals,
    json_decode,
    json_encode,
    listen,
    parse_port,
    setup_stdout,
    split_checksum,
    split_max_seconds,
    usage_exit,
    verify_checksum,
)

USAGE = "app_server.py <host> <port> [--max-seconds N] [--checksum crc32c|sha256|VALUE]"

# --checksum: the content-checksum algorithm every response carries, or None.
response_checksum = None

request_search = {
    "morpheus": "Follow the white rabbit. \U0001f430",
    "ring": "In the caves beneath the Misty Mountains. \U0001f48d",
    "\U0001f436": "\U0001f43e Playing ball! \U0001f3d0",
}

EVENT_MODES = {
    "r": selectors.EVENT_READ,
    "w": selectors.EVENT_WRITE,
    "rw": selectors.EVENT_READ | selectors.EVENT_WRITE,
}


def search_answer(request):
    """The JSON content answering a decoded text/json request."""
    action = request.get("action")
    if action == "search":
        query = request.get("value")
        return {"result": request_search.get(query) or f"No match for '{query}'."}
    return {"result": f"Error: invalid action '{action}'."}


def error_answer(code, message):
    """Framewire's error frame content; the tutorial's client prints its result."""
    return {"result": f"Error: {message}", "error": {"code": code, "message": message}}


def binary_answer(request):
    """The content answering an opaque request: a fixed prefix and the request's first 10 bytes."""
    return b"First 10 bytes of request: " + request[:10]


class Message:
    """One connection's state: the request being read, then the response being written."""

    def __init__(self, selector, sock, addr):
        self.selector = selector
        self.sock = sock
        self.addr = addr
        self._frame = FrameParser()
        self._send_buffer = b""
        self.request = None
        self.refused = None
        self.response_created = False

    def _set_selector_events_mask(self, mode):
        self.selector.modify(self.sock, EVENT_MODES[mode], data=self)

    def process_events(self, mask):
        if mask & selectors.EVENT_READ:
            self.read()
        if mask & selectors.EVENT_WRITE:
            self.write()

    # Reading ---------------------------------------------------------------------------------------

    def read(self):
        self._read()
        if self.request is None and self._frame.done:
            self.process_request()

    def _read(self):
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return  # nothing to read after all
        if not data:
            raise RuntimeError("Peer closed.")
        self._frame.feed(data)

    def process_request(self):
        header = self._frame.header
        try:
            verify_checksum(header, self._frame.content)
        except ChecksumError as e:
            self.refused = e
            self.request = b""
            print(f"Refused request from {self.addr}: {e.code}: {e}")
        else:
            if self._frame.is_json():
                self.request = json_decode(self._frame.content, header["content-encoding"])
                print(f"Received request {self.request!r} from {self.addr}")
            else:
                self.request = self._frame.content
                print(f"Received {header['content-type']} request from {self.addr}")
        # One request per connection: from now on only write.
        self._set_selector_events_mask("w")

    # Writing ---------------------------------------------------------------------------------------

    def write(self):
        if self.request is not None and not self.response_created:
            self.create_response()
        self._write()

    def create_response(self):
        if self.refused is not None or self._frame.is_json():
            encoding = "utf-8"
            if self.refused is not None:
                answer = error_answer(self.refused.code, str(self.refused))
            else:
                answer = search_answer(self.request)
            message = create_message(
                json_encode(answer, encoding), "text/json", encoding, checksum=response_checksum
            )
        else:
            message = create_message(
                binary_answer(self.request),
                "binary/custom-server-binary-type",
                "binary",
                checksum=response_checksum,
            )
        self.response_created = True
        self._send_buffer += message

    def _write(self):
        if not self._send_buffer:
            return
        print(f"Sending {self._send_buffer!r} to {self.addr}")
        try:
            sent = self.sock.send(self._send_buffer)
        except BlockingIOError:
            return  # the send buffer is full; try again when writable
        self._send_buffer = self._send_buffer[sent:]
        if sent and not self._send_buffer:
            self.close()  # the whole response is out

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


def accept_wrapper(sel, sock):
    try:
        conn, addr = sock.accept()
    except (BlockingIOError, InterruptedError):
        return  # the client went away before we accepted it
    print(f"Accepted connection from {addr}")
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, data=Message(sel, conn, addr))


def run(sel, host, port, deadline):
    lsock = listen(host, port)
    announce_listening(lsock)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, data=None)

    while not deadline.expired():
        for key, mask in sel.select(timeout=deadline.remaining()):
            if key.data is None:
                accept_wrapper(sel, key.fileobj)
                continue
            message = key.data
            try:
                message.process_events(mask)
            except Exception:
                print(f"Main: Error: Exception for {message.addr}:\n{traceback.format_exc()}")
                message.close()


def main(argv):
    global response_checksum
    setup_stdout()
    try:
        argv, response_checksum = split_checksum(argv, literal=True)
        args, max_seconds = split_max_seconds(argv)
        if len(args) != 2:
            raise ValueError("host and port are required")
        host = clean_host(args[0])
        port = parse_port(args[1])
    except ValueError:
        usage_exit(USAGE)

    install_stop_signals()
    sel = selectors.DefaultSelector()
    try:
        run(sel, host, port, Deadline(max_seconds))
    except Stop as stop:
        print(f"Caught {stop.signame}, exiting")
        return 0
    except OSError as e:
        print(f"Error: {e!r}", file=sys.stderr)
        return 1
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()
    print(f"Time limit of {max_seconds:g} s reached, exiting", file=sys.stderr)
    return EXIT_TIME_LIMIT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
