"""Blocking echo server, as the tutorial's echo-server.py: accept one client, send back everything it
sends until it closes its side, then exit 0.

usage: echo_server.py [host] [port] [--max-seconds N]

host defaults to 127.0.0.1 and port to 65432; port 0 binds a free port. The first line printed is
"Listening on HOST:PORT" with the port really bound. SIGINT/SIGTERM exit 0; after --max-seconds
(default 120, 0 for none) without finishing, the server gives up and exits 124.
"""

import sys

from fwproto import (
    EXIT_TIME_LIMIT,
    Deadline,
    Stop,
    announce_listening,
    clean_host,
    install_stop_signals,
    listen,
    parse_port,
    setup_stdout,
    split_max_seconds,
    usage_exit,
)

USAGE = "echo_server.py [host] [port] [--max-seconds N]"


def bounded(sock, deadline):
    """Blocking calls on sock wait at most until the deadline (forever without one)."""
    remaining = deadline.remaining()
    if remaining is None:
        sock.settimeout(None)
    elif remaining <= 0:
        raise TimeoutError("time limit reached")
    else:
        sock.settimeout(remaining)


def main(argv):
    setup_stdout()
    try:
        args, max_seconds = split_max_seconds(argv)
        if len(args) > 2:
            raise ValueError("too many arguments")
        host = clean_host(args[0]) if args else "127.0.0.1"
        port = parse_port(args[1]) if len(args) > 1 else 65432
    except ValueError:
        usage_exit(USAGE)

    install_stop_signals()
    deadline = Deadline(max_seconds)
    try:
        with listen(host, port) as server:
            announce_listening(server)
            bounded(server, deadline)
            # The connection socket is a new socket, distinct from the listening one.
            conn, addr = server.accept()
            with conn:
                print(f"Connected by {addr}")
                while True:
                    bounded(conn, deadline)
                    data = conn.recv(1024)
                    if not data:
                        break  # the client closed its side
                    conn.sendall(data)
    except Stop as stop:
        print(f"Caught {stop.signame}, exiting")
        return 0
    except TimeoutError:
        print(f"Time limit of {max_seconds:g} s reached, exiting", file=sys.stderr)
        return EXIT_TIME_LIMIT
    except OSError as e:
        print(f"Error: {e!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
