"""Multi-connection client, as the tutorial's multiconn-client.py: opens num_connections non-blocking
connections at once (connect_ex), watches each for reading and writing, sends "Message 1 from client."
then "Message 2 from client." on each, counts the bytes echoed back, and closes a connection once all
its bytes came back (or the server closed it).

usage: multiconn_client.py host port num_connections

Prints, like the tutorial:
    Starting connection 1 to ('127.0.0.1', 65432)
    Sending b'Message 1 from client.' to connection 1
    Received b'Message 1 from client.Message 2 from client.' from connection 1
    Closing connection 1
Exit 0 only if every connection got back exactly the bytes it sent; 1 otherwise (a connection failed,
was closed early, got other bytes, or the whole run took over 10 s).
"""

import selectors
import socket
import sys
import time
import types

from fwproto import clean_host, family_for, parse_port, setup_stdout, usage_exit

USAGE = "multiconn_client.py <host> <port> <num_connections>"
TIMEOUT_SECONDS = 10.0

sel = selectors.DefaultSelector()
messages = [b"Message 1 from client.", b"Message 2 from client."]


def start_connections(host, port, num_conns):
    server_addr = (host, port)
    connections = []
    for i in range(num_conns):
        connid = i + 1
        print(f"Starting connection {connid} to {server_addr}")
        sock = socket.socket(family_for(host), socket.SOCK_STREAM)
        sock.setblocking(False)
        # Non-blocking: the connection completes (or fails) later; errors show up on the first send/recv.
        sock.connect_ex(server_addr)
        data = types.SimpleNamespace(
            connid=connid,
            msg_total=sum(len(m) for m in messages),
            recv_total=0,
            messages=messages.copy(),
            outb=b"",
            received=b"",
        )
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, data=data)
        connections.append(data)
    return connections


def close_connection(sock, data):
    print(f"Closing connection {data.connid}")
    sel.unregister(sock)
    sock.close()


def service_connection(key, mask):
    sock = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        recv_data = sock.recv(1024)
        if recv_data:
            print(f"Received {recv_data!r} from connection {data.connid}")
            data.recv_total += len(recv_data)
            data.received += recv_data
        if not recv_data or data.recv_total >= data.msg_total:
            close_connection(sock, data)
            return
    if mask & selectors.EVENT_WRITE:
        if not data.outb and data.messages:
            data.outb = data.messages.pop(0)
        if data.outb:
            print(f"Sending {data.outb!r} to connection {data.connid}")
            sent = sock.send(data.outb)
            data.outb = data.outb[sent:]


def main(argv):
    setup_stdout()
    if len(argv) != 3:
        usage_exit(USAGE)
    try:
        host = clean_host(argv[0])
        port = parse_port(argv[1])
        num_conns = int(argv[2])
        if num_conns < 1:
            raise ValueError("num_connections must be at least 1")
    except ValueError:
        usage_exit(USAGE)

    end = time.monotonic() + TIMEOUT_SECONDS
    try:
        connections = start_connections(host, port, num_conns)
        while sel.get_map():
            remaining = end - time.monotonic()
            if remaining <= 0:
                print(f"Error: timed out after {TIMEOUT_SECONDS:g} s", file=sys.stderr)
                break
            for key, mask in sel.select(timeout=min(1.0, remaining)):
                try:
                    service_connection(key, mask)
                except OSError as e:
                    print(f"Error: connection {key.data.connid}: {e!r}", file=sys.stderr)
                    if key.fileobj.fileno() != -1:
                        close_connection(key.fileobj, key.data)
    except KeyboardInterrupt:
        print("Caught keyboard interrupt, exiting")
        return 1
    except OSError as e:
        print(f"Error: {e!r}", file=sys.stderr)
        return 1
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()

    expected = b"".join(messages)
    failed = 0
    for data in connections:
        if data.received != expected:
            failed += 1
            print(
                f"Error: connection {data.connid} got {data.recv_total} of {data.msg_total} bytes back: "
                f"{data.received!r}",
                file=sys.stderr,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
