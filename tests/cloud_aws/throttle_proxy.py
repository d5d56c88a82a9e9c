"""A tiny HTTP server that throttles like AWS, then passes requests on to moto.

moto never throttles. This server answers the first ``throttle`` API requests with the real error AWS
sends (EC2: HTTP 503 with ``RequestLimitExceeded`` in EC2's XML error shape; the query-protocol services
such as ELBv2 and STS: HTTP 400 with ``Throttling`` in ``ErrorResponse``), and forwards every later one
to moto unchanged. ``throttle=-1`` throttles forever.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

EC2_THROTTLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
    "<Message>Request limit exceeded.</Message></Error></Errors>"
    "<RequestID>5f1c1f6e-0000-4000-8000-fix502000001</RequestID></Response>"
)
QUERY_THROTTLE = (
    '<ErrorResponse xmlns="https://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
    "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>5f1c1f6e-0000-4000-8000-fix502000002</RequestId></ErrorResponse>"
)


class ThrottleProxy:
    def __init__(self, upstream: str, throttle: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.remaining = throttle
        self.throttled: list[str] = []
        self.forwarded: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
                with proxy._lock:
                    throttle = proxy.remaining != 0
                    if proxy.remaining > 0:
                        proxy.remaining -= 1
                    (proxy.throttled if throttle else proxy.forwarded).append(action)
                if throttle:
                    ec2 = "ec2" in (self.headers.get("Authorization") or "")
                    payload = (EC2_THROTTLE if ec2 else QUERY_THROTTLE).encode()
                    self.send_response(503 if ec2 else 400)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                request = urllib.request.Request(
                    proxy.upstream + self.path,
                    data=body,
                    method="POST",
                    headers={
                        k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, headers, payload = answer.status, answer.headers, answer.read()
                except urllib.error.HTTPError as error:
                    status, headers, payload = error.code, error.headers, error.read()
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "server",
                        "date",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThrottleProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
