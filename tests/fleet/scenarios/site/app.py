"""The scenario backend: a small HTTP service on 127.0.0.1:$PORT (default 8000).

Behaviour for fault injection comes from the environment of its unit (drop-ins):
FIX502_APP_DELAY seconds before answering, FIX502_APP_HEADER_BYTES of extra response header.
"""

import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8000"))
DELAY = float(os.environ.get("FIX502_APP_DELAY", "0"))
HEADER_BYTES = int(os.environ.get("FIX502_APP_HEADER_BYTES", "0"))


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(DELAY)
        body = b"fix502 scenario app\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if HEADER_BYTES:
            self.send_header("Set-Cookie", "session=" + "x" * HEADER_BYTES)
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", PORT), App).serve_forever()
