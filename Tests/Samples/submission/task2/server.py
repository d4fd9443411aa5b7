#!/usr/bin/env python3
"""Task 2 sample server: a thread per client; publishers' lines go to every subscriber.

The first line from a client is its role, PUBLISHER or SUBSCRIBER. Deliberate faults, chosen
with SAMPLE_VARIANT:
  publishers-receive     publishers' lines go to every other client, publishers included
  one-client-at-a-time   clients are served one after another, without threads
"""
import os
import socket
import sys
import threading
from datetime import datetime

VARIANT = os.environ.get("SAMPLE_VARIANT", "")
if VARIANT != "block-buffered":
    sys.stdout.reconfigure(line_buffering=True)

roles = {}  # connection -> role; guarded by roles_lock
roles_lock = threading.Lock()


def show(text):
    print(f"\033[2m{datetime.now():%H:%M:%S}\033[0m {text}")


def deliver(text, sender):
    with roles_lock:
        targets = [
            connection
            for connection, role in roles.items()
            if connection is not sender
            and (role == "SUBSCRIBER" or VARIANT == "publishers-receive")
        ]
    for connection in targets:
        try:
            connection.sendall(f"<<< {text}\n".encode())
        except OSError:
            pass


def serve(connection, who):
    with connection, connection.makefile("r", encoding="utf-8", errors="replace") as lines:
        role = lines.readline().strip().upper()
        if role not in ("PUBLISHER", "SUBSCRIBER"):
            connection.sendall(b"expected PUBLISHER or SUBSCRIBER\n")
            return
        with roles_lock:
            roles[connection] = role
        show(f"{who} joined as a {role.lower()}")
        for line in lines:
            text = line.rstrip("\r\n")
            show(f"[{role.lower()} {who}] {text}")
            if text.strip().lower() == "terminate":
                break
            if role == "PUBLISHER":
                deliver(text, connection)
        with roles_lock:
            del roles[connection]
    show(f"{who} left")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen()
    show(f"pub/sub server on port {port}")
    while True:
        connection, (host, client_port) = listener.accept()
        who = f"{host}:{client_port}"
        if VARIANT == "one-client-at-a-time":
            serve(connection, who)
        else:
            threading.Thread(target=serve, args=(connection, who), daemon=True).start()


if __name__ == "__main__":
    main()
