"""A site for the live checks: the system nginx on a free loopback port in front of backend processes.

Each backend is a real process (live_backend.py) on a loopback port or a unix socket; nginx's master
runs as root and, with no ``user`` directive, its workers as nobody. Unix sockets live in a
directory of their own under the system's temp dir, so that the directories above them are known:
the temp dir (world-searchable) and that directory (its mode set by the test). ``audit`` runs
``fix502 audit`` on the site as a user would and returns the host's findings.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import run_cli

from fix502.demo import find_nginx, free_port, terminate, wait_listening

BACKEND = Path(__file__).resolve().parent / "live_backend.py"


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} after {timeout} s")


class LiveSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "logs").mkdir(exist_ok=True)
        self.nginx = find_nginx()
        self.port = free_port()
        self.conf = root / "nginx.conf"
        self.url = f"http://127.0.0.1:{self.port}"
        self.sockets = Path(tempfile.mkdtemp(prefix="fix502-live-"))
        os.chmod(self.sockets, 0o755)
        self._pidfiles: list[Path] = []

    def backend(self, *args: str) -> int:
        """Start live_backend.py with ``args``; its pid once it listens."""
        pidfile = self.root / f"backend{len(self._pidfiles)}.pid"
        self._pidfiles.append(pidfile)
        subprocess.Popen(
            [sys.executable, str(BACKEND), "--pidfile", str(pidfile), *args],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: pidfile.exists() and pidfile.read_text(encoding="ascii") != "", "no backend pid")
        return int(pidfile.read_text(encoding="ascii"))

    def write_conf(self, server: str, *, main: str = "", http: str = "", events: str = "") -> None:
        self.conf.write_text(
            f"worker_processes 1;\npid {self.root}/nginx.pid;\n"
            f"error_log {self.root}/logs/error.log;\n{main}\n"
            f"events {{\n    {events}\n}}\n"
            f"http {{\n    access_log off;\n    client_body_temp_path {self.root}/body;\n"
            f"    proxy_temp_path {self.root}/proxy;\n    fastcgi_temp_path {self.root}/fastcgi;\n{http}\n"
            f"    server {{\n        listen 127.0.0.1:{self.port};\n{server}\n    }}\n}}\n",
            encoding="utf-8",
        )

    def line_of(self, text: str) -> int:
        """The line of the configuration file whose directive starts with ``text``."""
        lines = self.conf.read_text(encoding="utf-8").splitlines()
        return next(number for number, line in enumerate(lines, 1) if line.strip().startswith(text))

    def nginx_args(self) -> list[str]:
        return [self.nginx, "-c", str(self.conf), "-p", f"{self.root}/"]

    def test_config(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.nginx_args(), "-t"], capture_output=True, text=True, check=False)

    def start_nginx(self, nofile: int | None = None) -> None:
        """Start nginx; with ``nofile``, from a process whose soft open-file limit is that."""

        def lower() -> None:
            if nofile is not None:
                _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

        test = self.test_config()
        assert test.returncode == 0, test.stderr
        subprocess.run(self.nginx_args(), check=True, capture_output=True, preexec_fn=lower)
        wait_listening(self.port)

    def master_pid(self) -> int:
        return int((self.root / "nginx.pid").read_text(encoding="ascii").strip())

    def inventory(self, **variables: Any) -> Path:
        path = self.root / "inventory.yml"
        host = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "fix502_nginx_binary": self.nginx,
            "fix502_nginx_config": str(self.conf),
            "fix502_nginx_prefix": f"{self.root}/",
            **variables,
        }
        path.write_text(json.dumps({"all": {"hosts": {"live-site": host}}}), encoding="utf-8")
        return path

    def audit(self, *args: str) -> list[dict[str, Any]]:
        result = run_cli("audit", "-i", str(self.inventory()), "--format", "json", *args)
        assert result.returncode in (0, 1), result.stderr + result.stdout[-3000:]
        [host] = json.loads(result.stdout)["hosts"]
        assert host["status"] == "ok", host
        found: list[dict[str, Any]] = host["findings"]
        return found

    def stop(self) -> None:
        pidfile = self.root / "nginx.pid"
        if pidfile.exists():
            terminate(int(pidfile.read_text(encoding="ascii").strip() or 0))
        for backend in self._pidfiles:
            if backend.exists():
                terminate(int(backend.read_text(encoding="ascii").strip() or 0))
        shutil.rmtree(self.sockets, ignore_errors=True)
