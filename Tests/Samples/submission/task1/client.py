#!/usr/bin/env python3
"""Task 1 sample client: sends every line typed; 'terminate' ends it.

SAMPLE_VARIANT=terminate-ignored makes it send 'terminate' like any other line and carry on.
"""
import os
import socket
import sys

VARIANT = os.environ.get("SAMPLE_VARIANT", "")
if VARIANT != "block-buffered":
    sys.stdout.reconfigure(line_buffering=True)


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "localhost"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    connection = socket.create_connection((host, port))
    print(f"Connected to {host}:{port}. Type away; 'terminate' quits.")
    while True:
        try:
            text = input("you> ")
        except EOFError:
            break
        connection.sendall((text + "\n").encode())
        if text.strip().lower() == "terminate" and VARIANT != "terminate-ignored":
            break
    connection.close()
    print("Bye.")


if __name__ == "__main__":
    main()
