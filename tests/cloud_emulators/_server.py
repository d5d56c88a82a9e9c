"""What both emulators share: a threaded HTTP server on loopback, throttling on demand, a call log."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Keys:
    """An emulator's made-up credentials: AccessKey ID / SecretId and the secret."""

    key_id: str
    secret: str


class ApiError(Exception):
    """An error answer of the emulated API: its documented code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


Response = tuple[int, dict[str, str], bytes]


class Request:
    """One HTTP request as the emulator sees it."""

    def __init__(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.query = query
        # Header names lower-cased; HTTP allows a header once for what the APIs read.
        self.headers = headers
        self.body = body


class Emulator:
    """A started emulator answers on ``self.url`` until :meth:`stop`; subclasses implement ``dispatch``.

    ``keys`` maps the key ID (AccessKeyId, SecretId) to its secret; the state (``groups`` and
    ``instances``) is per region: ``regions``, by default the subclass's ``REGIONS``.
    """

    REGIONS: tuple[str, ...] = ()
    ACCOUNT_ID = ""

    def __init__(
        self, keys: dict[str, str], regions: tuple[str, ...] | None = None, account_id: str | None = None
    ) -> None:
        self.keys = dict(keys)
        self.account_id = account_id or self.ACCOUNT_ID
        self.regions: dict[str, dict[str, dict[str, Any]]] = {
            r: {"groups": {}, "instances": {}} for r in regions or self.REGIONS
        }
        self._ids = itertools.count(1)
        # The clock the timestamp check uses; a test may move it.
        self.clock = time.time
        self.lock = threading.RLock()
        # Every call that passed authentication: (action, region), throttled ones included.
        self.calls: list[tuple[str, str]] = []
        # Every call rejected before it reached an action: the error codes, in order.
        self.rejected: list[str] = []
        self._throttle_left = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        handler = _handler_for(self.dispatch)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, what the SDKs take as their endpoint."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    # -- test controls ---------------------------------------------------------------------------
    def throttle_next(self, count: int) -> None:
        """The next ``count`` authenticated calls answer with the API's throttling error."""
        with self.lock:
            self._throttle_left = count

    def take_throttle(self) -> bool:
        with self.lock:
            if self._throttle_left > 0:
                self._throttle_left -= 1
                return True
            return False

    def actions(self) -> list[str]:
        with self.lock:
            return [action for action, _region in self.calls]

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()
            self.rejected.clear()

    def snapshot(self) -> str:
        """The whole state as canonical JSON: compare two to prove nothing changed."""
        with self.lock:
            return json.dumps(self.regions, sort_keys=True)

    # -- serving ---------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        raise NotImplementedError

    def authenticated(self, check: Callable[[], T]) -> T:
        """``check()``, the request's authentication; its error is noted in :attr:`rejected`."""
        try:
            return check()
        except ApiError as err:
            with self.lock:
                self.rejected.append(err.code)
            raise

    def count_call(self, action: str, region: str, throttled: ApiError) -> None:
        """Note an authenticated call; raise ``throttled`` when :meth:`throttle_next` asked for it."""
        with self.lock:
            self.calls.append((action, region))
        if self.take_throttle():
            raise throttled


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def _handler_for(dispatch: Callable[[Request], Response]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without TCP_NODELAY, Nagle and delayed ACKs add 40 ms.
        disable_nagle_algorithm = True
        server_version = "fix502-cloud-emulator"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, out_headers, payload = dispatch(Request(self.command, path, query, headers, body))
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
