#!/usr/bin/env python3
"""A TLS front for a plain-HTTP S3 server, so the client's HTTPS path (certificate checks, a CA
bundle, the insecure switch) meets a real TLS handshake: it accepts TLS connections with the
given certificate and relays the bytes both ways to the server, unchanged.

usage: s3_tls_proxy.py UPSTREAM_PORT CERT KEY PORT_FILE
It listens on a free port of 127.0.0.1 and writes that port to PORT_FILE once it listens."""
import socket
import ssl
import sys
import threading

UPSTREAM_PORT, CERT, KEY, PORT_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def pump(source, sink):
    try:
        while True:
            data = source.recv(1 << 16)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, context):
    try:
        secure = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()  # a client that refused our certificate
        return
    upstream = socket.create_connection(("127.0.0.1", UPSTREAM_PORT))
    threading.Thread(target=pump, args=(upstream, secure), daemon=True).start()
    pump(secure, upstream)


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(PORT_FILE, "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, context), daemon=True).start()


if __name__ == "__main__":
    main()
