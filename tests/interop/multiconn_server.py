"""Multi-connection echo server, as the tutorial's multiconn-server.py: one thread, a selector, and
non-blocking sockets. The listening socket is registered with data=None; every accepted connection
gets a namespace (addr, inb, outb) and what it sends is echoed.

usage: multiconn_server.py host port [--max-seconds N]

Prints "Listening on HOST:PORT" (the port really bound; port 0 picks one), then a line per accepted
connection, per echo and per close. Runs until SIGINT or SIGTERM, then exits 0. --max-seconds
(default 120, 0 for none) is a safety limit: when it runs out the server exits 124 by itself.

Unlike the tutorial's script, a socket error on one connection closes that connection only, and a
connection closed while reading is not written to afterwards.
"""

import selectors
import sys
import types

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

USAGE = "multiconn_server.py <host> <port> [--max-seconds N]"

sel = selectors.DefaultSelector()


def accept_wrapper(sock):
    conn, addr = sock.accept()  # the listening socket is readable: a connection is waiting
    print(f"Accepted connection from {addr}")
    conn.setblocking(False)
    data = types.SimpleNamespace(addr=addr, inb=b"", outb=b"")
    sel.register(conn, selectors.EVENT_READ, data=data)


def watch(sock, data):
    """Read always; write only while there is something to echo. (The tutorial watches for writing
    all the time, which makes select() return at once on every pass; the bytes sent are the same.)"""
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if data.outb else 0)
    if sel.get_key(sock).events != events:
        sel.modify(sock, events, data=data)


def close_connection(sock, data):
    print(f"Closing connection to {data.addr}")
    sel.unregister(sock)
    sock.close()


def service_connection(key, mask):
    sock = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        try:
            recv_data = sock.recv(1024)
        except BlockingIOError:
            recv_data = None  # a spurious wake-up: nothing to read after all
        if recv_data:
            data.outb += recv_data
        elif recv_data is not None:
            # The client closed its side: stop watching the socket and close ours.
            close_connection(sock, data)
            return
    # Echo right away, as the tutorial does when the socket is reported readable and writable.
    if data.outb:
        print(f"Echoing {data.outb!r} to {data.addr}")
        try:
            sent = sock.send(data.outb)
        except BlockingIOError:
            sent = 0  # the send buffer is full: wait until the socket is writable
        data.outb = data.outb[sent:]
    watch(sock, data)


def run(host, port, deadline):
    lsock = listen(host, port)
    announce_listening(lsock)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, data=None)

    while not deadline.expired():
        for key, mask in sel.select(timeout=deadline.remaining()):
            if key.data is None:
                try:
                    accept_wrapper(key.fileobj)
                except (BlockingIOError, InterruptedError):
                    pass  # the client went away before we accepted it
            else:
                try:
                    service_connection(key, mask)
                except OSError as e:
                    print(f"Error: exception for {key.data.addr}: {e!r}")
                    if key.fileobj.fileno() != -1:
                        close_connection(key.fileobj, key.data)
    return False


def main(argv):
    setup_stdout()
    try:
        args, max_seconds = split_max_seconds(argv)
        if len(args) != 2:
            raise ValueError("host and port are required")
        host = clean_host(args[0])
        port = parse_port(args[1])
    except ValueError:
        usage_exit(USAGE)

    install_stop_signals()
    try:
        run(host, port, Deadline(max_seconds))
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
