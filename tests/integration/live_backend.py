"""A backend process for the live-check tests: answers every HTTP request with 200 "ok".

    python live_backend.py --pidfile FILE (--port PORT | --unix PATH [--mode 0600])
                           [--nofile SOFT] [--hold N]

``--unix`` makes the socket, then sets its mode (as the user running this, root in the tests);
``--nofile`` lowers its own soft open-file limit, ``--hold`` keeps N more files open, so that its
descriptor use is what a test wants. It writes its pid once it listens.
"""

from __future__ import annotations

import argparse
import http.server
import os
import resource
import socketserver
from typing import Any


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "backend-client"

    def log_message(self, format: str, *args: Any) -> None:
        return


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pidfile", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--unix")
    parser.add_argument("--mode", default="0600")
    parser.add_argument("--nofile", type=int)
    parser.add_argument("--hold", type=int, default=0)
    args = parser.parse_args()
    if args.nofile:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(args.hold)]
    server: socketserver.BaseServer
    if args.unix:
        server = UnixServer(args.unix, Handler)
        os.chmod(args.unix, int(args.mode, 8))
    else:
        server = TcpServer(("127.0.0.1", args.port), Handler)
    with open(args.pidfile, "w", encoding="ascii") as handle:
        handle.write(str(os.getpid()))
    try:
        server.serve_forever()
    finally:
        for fd in held:
            os.close(fd)


if __name__ == "__main__":
    main()
