"""``fix502 demo``: a throw-away site on loopback breaks, is diagnosed, fixed and answers again.

nginx (the system's binary, run as root) listens on a free loopback port in front of a small
backend that then dies. The audit names the cause, fix-502.yml (the playbook a fleet uses)
brings the backend back, and a request proves the site answers 200. Everything lives in one
temp directory, and every process it started is stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

from fix502 import catalogue
from fix502.audit import AuditRequest, run_audit
from fix502.collection import collection_root
from fix502.errors import Fix502Error
from fix502.fixing import FixRequest, run_fix
from fix502.model import Report
from fix502.report import render

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


# The cause the demo injects, and the audit must name and the playbook fix.
DEMO_CAUSE = "UPS001"


class DemoError(Fix502Error):
    pass


def _ids(report: Report) -> str:
    return ", ".join(sorted({f.id for f in report.findings()})) or "nothing"


def _say(text: str) -> None:
    print(text, flush=True)


def find_nginx() -> str:
    found = shutil.which("nginx") or next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)
    if found is None:
        raise DemoError("nginx is not installed: `make demo` installs it, or run `apt-get install nginx`")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise DemoError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class DemoSite:
    """nginx on 127.0.0.1:site_port proxying to a backend on 127.0.0.1:backend_port."""

    def __init__(self, tmp: Path, nginx: str) -> None:
        self.tmp = tmp
        self.nginx = nginx
        self.site_port = free_port()
        self.backend_port = free_port()
        self.conf = tmp / "nginx.conf"
        self.backend_script = tmp / "backend.py"
        self.backend_pidfile = tmp / "backend.pid"
        self.url = f"http://127.0.0.1:{self.site_port}/"

    def write(self) -> None:
        for sub in ("logs", "temp"):
            (self.tmp / sub).mkdir(parents=True)
        package = resources.files("fix502.demo_site")
        template = package.joinpath("nginx.conf.tmpl").read_text(encoding="utf-8")
        self.conf.write_text(
            template.format(tmp=self.tmp, site_port=self.site_port, backend_port=self.backend_port),
            encoding="utf-8",
        )
        self.backend_script.write_text(
            package.joinpath("backend.py").read_text(encoding="utf-8"), encoding="utf-8"
        )

    @property
    def backend_command(self) -> str:
        return f"{sys.executable} {self.backend_script} {self.backend_port} {self.backend_pidfile}"

    def start(self) -> None:
        # The backend runs in its own session, like a service would: the demo does not wait for it.
        subprocess.Popen(
            self.backend_command.split(),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_listening(self.backend_port)
        nginx_args = [self.nginx, "-c", str(self.conf), "-p", f"{self.tmp}/"]
        test = subprocess.run([*nginx_args, "-t", "-q"], capture_output=True, text=True, check=False)
        if test.returncode != 0:
            raise DemoError(f"nginx rejects the demo configuration: {test.stderr.strip()}")
        subprocess.run(nginx_args, check=True, capture_output=True)
        wait_listening(self.site_port)

    def kill_backend(self) -> None:
        os.kill(int(self.backend_pidfile.read_text(encoding="ascii")), signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.backend_port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def stop(self) -> None:
        pidfile = self.tmp / "nginx.pid"
        if pidfile.exists():
            terminate(int(pidfile.read_text(encoding="ascii").strip() or 0))
        if self.backend_pidfile.exists():
            terminate(int(self.backend_pidfile.read_text(encoding="ascii").strip() or 0))

    def inventory(self) -> Path:
        path = self.tmp / "inventory.yml"
        path.write_text(
            "\n".join(
                [
                    "all:",
                    "  hosts:",
                    "    demo-site:",
                    "      ansible_connection: local",
                    "      ansible_python_interpreter: " + sys.executable,
                    f"      fix502_nginx_binary: {self.nginx}",
                    f"      fix502_nginx_config: {self.conf}",
                    f"      fix502_nginx_prefix: {self.tmp}/",
                    f"      backend_recovery_log_dir: {self.tmp}/logs",
                    f"      nginx_proxy_backup_dir: {self.tmp}/backups",
                    "      fix502_backend_services:",
                    "        - name: demo-backend",
                    f"          listen: 127.0.0.1:{self.backend_port}",
                    "          manager: command",
                    f"          start_command: {self.backend_command}",
                    f"          log_file: {self.tmp}/logs/backend.log",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return path


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs; a zombie waiting to be reaped does not."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def terminate(pid: int) -> None:
    """SIGTERM, then SIGKILL after 5 s: a process the demo or a test started must not outlive it."""
    if pid <= 0:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _running(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def run_demo(lang: str = "en") -> int:
    if os.geteuid() != 0:
        raise DemoError("the demo runs the system nginx and must run as root")
    nginx = find_nginx()
    root = collection_root()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fix502-demo-") as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)
        env = {"ANSIBLE_LOCAL_TEMP": str(tmp / "ansible"), "ANSIBLE_REMOTE_TEMP": str(tmp / "ansible")}
        site = DemoSite(tmp, nginx)
        site.write()
        try:
            site.start()
            _say(f"1. A site on {site.url}: nginx in front of a backend on 127.0.0.1:{site.backend_port}.")
            _say(f"   It answers {http_status(site.url)}.")
            site.kill_backend()
            _say(f"2. The backend dies (kill -9). The site now answers {http_status(site.url)}.")
            _say("3. fix502 audit names the cause:\n")
            inventory = str(site.inventory())
            request = AuditRequest(
                inventories=[inventory],
                limit=None,
                checks=catalogue.select(None),
                lang=lang,
                thresholds={},
                progress=False,
                env=env,
                tmp_root=str(tmp),
            )
            before = run_audit(request, root)
            _say(render(before, "table", color=sys.stdout.isatty()))
            _say("4. fix-502.yml (the playbook a fleet uses) fixes what is safe to fix and verifies ...")
            outcome = run_fix(
                FixRequest(
                    inventories=[inventory], limit=None, lang=lang, echo=False, env=env, tmp_root=str(tmp)
                ),
                root,
            )
            if outcome.failed or outcome.unreachable:
                _say(outcome.run.stdout[-4000:])
                raise DemoError("fix-502.yml did not fix the demo site")
            after = run_audit(request, root)
            status = http_status(site.url)
            fixed = sorted({f.id for f in before.findings()} - {f.id for f in after.findings()})
            _say(f"   fixed: {', '.join(fixed) or 'nothing'}")
            _say(f"5. The site answers {status} again.")
            if status != 200 or DEMO_CAUSE not in fixed:
                raise DemoError(f"the demo site answers {status} after the fix; still found: {_ids(after)}")
            # The error log still tells of the outage the demo caused: that is not another problem.
            others = sorted({f.id for f in after.findings() if f.category != "errorlog"})
            if others:
                _say(f"   Also found on this machine itself, not caused by the demo: {', '.join(others)}")
        finally:
            site.stop()
    _say(
        f"Done in {time.monotonic() - started:.0f} s; "
        "nginx and the backend are stopped, the temp dir is gone."
    )
    return 0
