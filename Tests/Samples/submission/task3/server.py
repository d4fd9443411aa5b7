#!/usr/bin/env python3
"""Task 3 sample server: routes each publisher's lines to the subscribers of its topics.

The first line from a client is its role and a comma-separated topic list, e.g.
'SUBSCRIBER NEWS,SPORTS'. A publisher's line goes out on each of its topics, once to each
subscriber of any of them. Deliberate faults, chosen with SAMPLE_VARIANT:
  publishers-receive   lines go to every other client of the topic, publishers included
  topics-ignored       lines go to every subscriber, whatever its topics
  prefix-topics        a subscriber of NEWS also gets NEWSFLASH (prefix matching)
"""
import os
import socket
import sys
import threading
from datetime import datetime

VARIANT = os.environ.get("SAMPLE_VARIANT", "")
if VARIANT != "block-buffered":
    sys.stdout.reconfigure(line_buffering=True)

clients = {}  # connection -> (role, topics); guarded by clients_lock
clients_lock = threading.Lock()


def show(text):
    print(f"{datetime.now():%H:%M:%S} | {text}")


def matches(subscribed, topic):
    if VARIANT == "topics-ignored":
        return True
    if VARIANT == "prefix-topics":
        return topic.startswith(subscribed)
    return subscribed == topic


def deliver(text, sender, topics, who):
    with clients_lock:
        targets = [
            connection
            for connection, (role, subscribed) in clients.items()
            if connection is not sender
            and (role == "SUBSCRIBER" or VARIANT == "publishers-receive")
            and any(matches(mine, topic) for mine in subscribed for topic in topics)
        ]
    stamp = f"{datetime.now():%H:%M:%S}"
    for connection in targets:
        try:
            connection.sendall(f"({','.join(topics)}) {who} at {stamp} >> {text}\n".encode())
        except OSError:
            pass


def serve(connection, who):
    with connection, connection.makefile("r", encoding="utf-8", errors="replace") as lines:
        words = lines.readline().split()
        if len(words) != 2 or words[0].upper() not in ("PUBLISHER", "SUBSCRIBER"):
            connection.sendall(b"expected ROLE TOPIC[,TOPIC...]\n")
            return
        role, topics = words[0].upper(), words[1].split(",")
        with clients_lock:
            clients[connection] = (role, topics)
        show(f"{who} joined as a {role.lower()} of {', '.join(topics)}")
        for line in lines:
            text = line.rstrip("\r\n")
            show(f"{who} ({role.lower()}, {','.join(topics)}): {text}")
            if text.strip().lower() == "terminate":
                break
            if role == "PUBLISHER":
                deliver(text, connection, topics, who)
        with clients_lock:
            del clients[connection]
    show(f"{who} left")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen()
    show(f"topic broker on port {port}")
    while True:
        connection, (host, client_port) = listener.accept()
        who = f"{host}:{client_port}"
        threading.Thread(target=serve, args=(connection, who), daemon=True).start()


if __name__ == "__main__":
    main()
