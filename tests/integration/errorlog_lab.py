"""A lab that makes the real nginx write the real error lines of each cause of 502 and 504.

The system nginx (master as root, workers as nobody) listens on a free loopback port; each location
has its own ``error_log`` and proxies to a backend that fails in one way: a dead port, a missing or
forbidden unix socket, a full listen queue, a slow, rude or broken HTTP server, an unresolvable
name, plain HTTP where TLS is expected. Backends are threads of the test process; everything lives
in one temp dir that nobody can enter (unix sockets need that), removed at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from fix502.demo import find_nginx, free_port, terminate, wait_listening

Handler = Callable[[socket.socket], None]


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def slow(conn: socket.socket) -> None:
    read_request(conn)
    time.sleep(3)


def too_big_header(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 20000 + b"\r\nContent-Length: 2\r\n\r\nok")


def close_early(conn: socket.socket) -> None:
    read_request(conn)


def bad_status_line(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 abc Broken\r\nContent-Length: 2\r\n\r\nok")


def bad_header(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nBad\rHeader\r\n\r\n")


def scgi_bad_status(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"Status: abc\r\nContent-Type: text/plain\r\n\r\nok")


def reset(conn: socket.socket) -> None:
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def plain_http(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def slow_ok(conn: socket.socket) -> None:
    read_request(conn)
    time.sleep(1)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def fetch(url: str, timeout: float = 10) -> int | str:
    """The status nginx answered, or the name of the error when the answer was not HTTP at all."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        return type(getattr(error, "reason", error)).__name__


class Lab:
    """nginx plus failing backends. ``locations`` maps a name to the body of its location block."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="fix502-errorlog-lab-"))
        os.chmod(self.root, 0o755)
        (self.root / "logs").mkdir()
        self.nginx = find_nginx()
        self.port = free_port()
        self._listeners: list[socket.socket] = []
        self._held: list[socket.socket] = []
        self._pidfiles: list[Path] = []
        self.ports: dict[str, int] = {}  # backends by name, for the tests
        self.dead: tuple[int, ...] = ()  # free ports nothing listens on

    # Backends -------------------------------------------------------------------------------------
    def serve(self, handler: Handler) -> int:
        """A TCP backend on loopback that runs ``handler`` for each connection, then closes it."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self._listeners.append(listener)

        def one(conn: socket.socket) -> None:
            with conn, contextlib.suppress(OSError):
                handler(conn)

        def loop() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=one, args=(conn,), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return int(listener.getsockname()[1])

    def full_tcp_queue(self) -> int:
        """A TCP port whose accept queue is full: connections to it hang."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        self._listeners.append(listener)
        self._fill(socket.AF_INET, listener.getsockname())
        return int(listener.getsockname()[1])

    def unix_socket(self, name: str, mode: int, *, full: bool = False) -> Path:
        """A listening unix socket owned by root; with ``full``, its queue is full."""
        path = self.root / name
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(path))
        os.chmod(path, mode)
        listener.listen(0)
        self._listeners.append(listener)
        if full:
            self._fill(socket.AF_UNIX, str(path))
        return path

    def _fill(self, family: int, address: object) -> None:
        for _ in range(4):
            client = socket.socket(family)
            client.setblocking(False)
            with contextlib.suppress(BlockingIOError, InterruptedError):
                client.connect(address)  # type: ignore[arg-type]
            self._held.append(client)
        time.sleep(0.2)

    # nginx ----------------------------------------------------------------------------------------
    def start_nginx(self, http_body: str, *, main: str = "", events: str = "worker_connections 64;") -> str:
        """Start an nginx whose http block is ``http_body``; its main error log's path is returned."""
        name = f"nginx{len(self._pidfiles)}"
        pidfile = self.root / f"{name}.pid"
        error_log = self.root / "logs" / f"{name}-main.log"
        conf = self.root / f"{name}.conf"
        conf.write_text(
            f"worker_processes 1;\npid {pidfile};\nerror_log {error_log};\n{main}\n"
            f"events {{ {events} }}\n"
            f"http {{\n    access_log off;\n    client_body_temp_path {self.root}/body;\n"
            f"    proxy_temp_path {self.root}/proxy;\n{http_body}\n}}\n",
            encoding="utf-8",
        )
        args = [self.nginx, "-c", str(conf), "-p", f"{self.root}/"]
        test = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, check=False)
        assert test.returncode == 0, test.stderr
        subprocess.run(args, check=True, capture_output=True)
        self._pidfiles.append(pidfile)
        return str(error_log)

    def site(self, locations: dict[str, str], upstreams: str = "") -> None:
        """One server on self.port; location /NAME logs to logs/NAME.log."""
        blocks = "".join(
            f"        location /{name} {{\n            error_log {self.log(name)};\n"
            f"            {body}\n        }}\n"
            for name, body in locations.items()
        )
        self.start_nginx(
            f"{upstreams}\n    server {{\n        listen 127.0.0.1:{self.port};\n{blocks}    }}\n"
        )
        wait_listening(self.port)

    def log(self, name: str) -> str:
        return str(self.root / "logs" / f"{name}.log")

    def url(self, name: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}/{name}"

    def close(self) -> None:
        for pidfile in self._pidfiles:
            if pidfile.exists():
                terminate(int(pidfile.read_text(encoding="ascii").strip() or 0))
        for sock in self._held + self._listeners:
            sock.close()
        shutil.rmtree(self.root, ignore_errors=True)


def wait_for_line(path: str, word: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and word in Path(path).read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} has no line with {word!r} after {timeout:g} s")
