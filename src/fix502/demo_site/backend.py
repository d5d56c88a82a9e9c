"""The demo's backend: answers 200 on 127.0.0.1:PORT until it is killed.

Usage: python backend.py PORT PIDFILE
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the demo backend\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("demo-backend: " + (format % args) + "\n")


def main() -> None:
    port, pidfile = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Hello)
    with open(pidfile, "w", encoding="ascii") as handle:
        handle.write(str(os.getpid()))
    server.serve_forever()


if __name__ == "__main__":
    main()
