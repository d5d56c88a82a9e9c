"""The scenario backend: a small HTTP service on 127.0.0.1:$PORT (default 8000).

Behaviour for fault injection comes from the environment of its unit (drop-ins):
FIX502_APP_DELAY seconds before answering, FIX502_APP_HEADER_BYTES of extra response header.

Like real apps, it writes a line per request to its own log (FIX502_APP_LOG, default
/var/log/fix502-app/app.log) and, when that write fails (a full disk: ENOSPC), it fails the request
by closing the connection without an answer; nginx then answers 502. When it closes the connection
after an answer (an HTTP/1.0 request, or "Connection: close"), it says so with "Connection: close",
as real servers do: nginx then closes its side too instead of keeping the connection.
"""

import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "8000"))
DELAY = float(os.environ.get("FIX502_APP_DELAY", "0"))
HEADER_BYTES = int(os.environ.get("FIX502_APP_HEADER_BYTES", "0"))
LOG = os.environ.get("FIX502_APP_LOG", "/var/log/fix502-app/app.log")

os.makedirs(os.path.dirname(LOG), exist_ok=True)
LOG_FD = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(DELAY)
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
        line = f'{self.client_address[0]} - - [{when}] "{self.command} {self.path}" 200\n'
        try:
            os.write(LOG_FD, line.encode())
        except OSError:
            self.close_connection = True  # no answer at all: the request fails
            return
        body = b"fix502 scenario app\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if HEADER_BYTES:
            self.send_header("Set-Cookie", "session=" + "x" * HEADER_BYTES)
        if self.close_connection:  # an HTTP/1.0 request, or "Connection: close": say so, as servers do
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        """Requests go to the app's own log, not to stderr."""


ThreadingHTTPServer(("127.0.0.1", PORT), App).serve_forever()
