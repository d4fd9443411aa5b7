#!/usr/bin/env python3
"""Task 1 sample server: serves one client at a time and shows every line it types.

A sample submission for the grader's own tests (see Tests/README.md). SAMPLE_VARIANT in the
environment selects a deliberate fault; none applies to this file.
"""
import os
import socket
import sys
from datetime import datetime

if os.environ.get("SAMPLE_VARIANT") != "block-buffered":
    # Line by line even into a pipe. The block-buffered variant leaves Python's default,
    # which holds output back when stdout is not a terminal.
    sys.stdout.reconfigure(line_buffering=True)

GREEN, CYAN, RESET = "\033[32m", "\033[36m", "\033[0m"


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen()
    print(f"Echo desk open on port {port}")
    while True:
        connection, (host, client_port) = listener.accept()
        who = f"{host}:{client_port}"
        print(f"{GREEN}+ {who} joined{RESET}")
        with connection, connection.makefile("r", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                text = line.rstrip("\r\n")
                print(f"{datetime.now():%H:%M:%S} {CYAN}{who}{RESET} typed: {text}")
                if text.strip().lower() == "terminate":
                    break
        print(f"- {who} left")


if __name__ == "__main__":
    main()
