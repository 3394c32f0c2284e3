"""Serves Spark Connect on loopback with LakeSail's Sail (installed by scripts/sail)
until standard input closes; prints the port on the first line of standard output.

    python tests/sail_server.py

The remote engine tests (tests/spark_engine.rs) point `report --engine spark` at it.
"""

import os
import sys

from pysail.spark import SparkConnectServer


def main():
    server = SparkConnectServer("127.0.0.1", 0)
    server.start(background=True)
    _, port = server.listening_address
    print(port, flush=True)
    sys.stdin.read()
    # The server's threads do not end on their own: leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    main()
