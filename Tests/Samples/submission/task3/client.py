#!/usr/bin/env python3
"""Task 3 sample client: HOST PORT PUBLISHER|SUBSCRIBER TOPIC[,TOPIC...].

Like Task 2's client, with the topic list sent after the role. A publisher's line goes out on
every topic in its list. SAMPLE_VARIANT=terminate-ignored makes it send 'terminate' like any
other line and carry on.
"""
import os
import socket
import sys
import threading

VARIANT = os.environ.get("SAMPLE_VARIANT", "")
if VARIANT != "block-buffered":
    sys.stdout.reconfigure(line_buffering=True)


def receive(connection):
    with connection.makefile("r", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            print(f"📨 {line.rstrip()}")
    print("(the server closed the connection)")


def main():
    if len(sys.argv) != 5 or sys.argv[3].upper() not in ("PUBLISHER", "SUBSCRIBER"):
        sys.exit("usage: client.py HOST PORT PUBLISHER|SUBSCRIBER TOPIC[,TOPIC...]")
    host, port, role, topics = sys.argv[1], int(sys.argv[2]), sys.argv[3].upper(), sys.argv[4]
    connection = socket.create_connection((host, port))
    connection.sendall(f"{role} {topics}\n".encode())
    threading.Thread(target=receive, args=(connection,), daemon=True).start()
    print(f"Connected as a {role.lower()} of {topics}.")
    while True:
        try:
            text = input()
        except EOFError:
            if role == "SUBSCRIBER":
                threading.Event().wait()
            break
        connection.sendall((text + "\n").encode())
        if text.strip().lower() == "terminate" and VARIANT != "terminate-ignored":
            break
    connection.close()


if __name__ == "__main__":
    main()
