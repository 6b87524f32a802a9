"""Blocking echo client, as the tutorial's echo-client.py: connect, send the message, read once
(at most 1024 bytes), close, and print what came back as Python shows bytes.

usage: echo_client.py host port [message]

The message defaults to "Hello, world" and is sent UTF-8 encoded. Prints "Received b'...'".
Exit 0 when something came back, 1 when the server closed without answering or on a socket error
(connect refused, 10 s without an answer).
"""

import socket
import sys

from fwproto import clean_host, family_for, parse_port, setup_stdout, usage_exit

USAGE = "echo_client.py <host> <port> [message]"
TIMEOUT_SECONDS = 10.0


def main(argv):
    setup_stdout()
    if len(argv) not in (2, 3):
        usage_exit(USAGE)
    host = clean_host(argv[0])
    try:
        port = parse_port(argv[1])
    except ValueError:
        usage_exit(USAGE)
    message = argv[2].encode("utf-8") if len(argv) > 2 else b"Hello, world"

    try:
        with socket.socket(family_for(host), socket.SOCK_STREAM) as s:
            s.settimeout(TIMEOUT_SECONDS)
            s.connect((host, port))
            s.sendall(message)
            data = s.recv(1024)
    except OSError as e:
        print(f"Error: {e!r}", file=sys.stderr)
        return 1

    print(f"Received {data!r}")
    return 0 if data else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
