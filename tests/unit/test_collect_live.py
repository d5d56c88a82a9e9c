"""The collector's live parts, on this machine: the hint list of a real ``nginx -T`` dump, names resolved
by this host, sockets and accounts as the kernel and the user database have them, processes' open
files and limits, the load and pressure of /proc."""

from __future__ import annotations

import grp
import os
import pwd
import resource
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._load import load, parse_loadavg
from ansible_collections.fix502.gateway.plugins.module_utils._processes import parse_limits, processes
from ansible_collections.fix502.gateway.plugins.module_utils._selinux import selinux
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners
from ansible_collections.fix502.gateway.plugins.module_utils._targets import (
    accounts,
    resolve,
    scan_dump,
    socket_paths,
    targets,
)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
user nobody nogroup;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    access_log off;
    upstream app {{
        server 127.0.0.1:8001;
        server localhost:8002 backup;
        server unix:{tmp}/app.sock;
    }}
    server {{
        listen 127.0.0.1:8080;
        # proxy_pass http://commented.fix502.invalid;
        location / {{ proxy_pass http://app; }}
        location /api/ {{ proxy_pass http://localhost:9001/api/; }}
        location /v {{ set $target "127.0.0.2:9002"; proxy_pass http://$target; }}
        location ~ \\.php$ {{ fastcgi_pass unix:{tmp}/php.sock; }}
        location /u {{ uwsgi_pass 127.0.0.1:9003; }}
        location /g {{ grpc_pass grpc://localhost:9004; }}
    }}
}}
"""


@pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="nginx is not installed")
def test_the_hint_list_of_a_real_dump(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONFIG.format(tmp=tmp_path), encoding="utf-8")
    dump = subprocess.run(
        [NGINX, "-T", "-c", str(conf), "-p", f"{tmp_path}/"], capture_output=True, text=True
    )
    assert dump.returncode == 0, dump.stderr
    hints = scan_dump(dump.stdout, dump.stderr.splitlines())
    assert hints["names"] == ["localhost"]  # "app" is an upstream, the commented line is left out
    assert hints["sockets"] == [f"{tmp_path}/app.sock", f"{tmp_path}/php.sock"]
    assert hints["ports"] == [8001, 8002, 9001, 9002, 9003, 9004]
    assert (hints["users"], hints["groups"]) == (["nobody"], ["nogroup"])


@pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="nginx is not installed")
def test_names_nginx_refuses_come_from_its_messages(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http { server { location / { proxy_pass http://nothing.fix502.invalid:8080; } } }\n",
        encoding="utf-8",
    )
    dump = subprocess.run(
        [NGINX, "-T", "-c", str(conf), "-p", f"{tmp_path}/"], capture_output=True, text=True
    )
    assert dump.returncode != 0 and dump.stdout == ""  # no dump at all
    found, problems = targets(dump.stdout, dump.stderr.splitlines(), timeout=10)
    assert problems == []
    assert found["hints"]["names"] == ["nothing.fix502.invalid"]
    [result] = found["resolution"]
    assert result["addresses"] == [] and result["error"] and result["error_code"].startswith("EAI_")
    assert result["timed_out"] is False


def test_names_are_resolved_by_this_host() -> None:
    results = {r["name"]: r for r in resolve(["localhost", "nothing.fix502.invalid"], 10)}
    expected = {info[4][0] for info in socket.getaddrinfo("localhost", None, 0, socket.SOCK_STREAM)}
    assert set(results["localhost"]["addresses"]) == expected and results["localhost"]["error"] is None
    assert results["nothing.fix502.invalid"]["addresses"] == []
    assert results["nothing.fix502.invalid"]["error"]
    assert all(isinstance(r["ms"], int) for r in results.values())


@pytest.fixture
def unix_listener(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "run"
    folder.mkdir(mode=0o750)
    path = folder / "app.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    os.chmod(path, 0o660)
    listener.listen(1)
    yield path
    listener.close()


def test_a_socket_and_every_directory_above_it(unix_listener: Path) -> None:
    [entry] = socket_paths([str(unix_listener)])
    assert entry["type"] == "socket" and entry["mode"] == "0660" and entry["error"] is None
    assert (entry["uid"], entry["gid"]) == (os.getuid(), os.getgid())
    assert entry["owner"] == pwd.getpwuid(os.getuid()).pw_name
    chain = [p["path"] for p in entry["parents"]]
    assert chain[0] == "/" and chain[-1] == str(unix_listener.parent)
    assert len(chain) == len(unix_listener.parents)
    for parent in entry["parents"]:
        st = os.stat(parent["path"])
        assert parent["mode"] == f"{stat.S_IMODE(st.st_mode):04o}" and parent["type"] == "directory"
    [missing] = socket_paths([str(unix_listener.parent / "gone.sock")])
    assert missing["type"] is None and missing["error"] == "No such file or directory"


def test_accounts_as_the_user_database_has_them() -> None:
    found = accounts(["root", "fix502-no-such-user"], ["root", "fix502-no-such-group"])
    root, ghost = found["users"]
    assert (root["uid"], root["gid"], root["exists"]) == (0, 0, True)
    assert root["groups"] == sorted(set(os.getgrouplist("root", 0)))
    assert root["group_names"][0] == grp.getgrgid(root["groups"][0]).gr_name
    assert ghost == {
        "name": "fix502-no-such-user",
        "exists": False,
        "uid": None,
        "gid": None,
        "groups": [],
        "group_names": [],
    }
    assert found["groups"] == [
        {"name": "root", "exists": True, "gid": 0},
        {"name": "fix502-no-such-group", "exists": False, "gid": None},
    ]


@pytest.fixture
def backend() -> Iterator[tuple[int, int]]:
    """A child process listening on a loopback port, with a soft open-file limit of 100."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    code = (
        "import resource, socket, time\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (100, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(4)\n"
        "held = [open('/dev/null') for _ in range(20)]\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    yield child.pid, port
    child.kill()
    child.wait()


def test_backend_processes_with_their_open_files(backend: tuple[int, int]) -> None:
    pid, port = backend
    sockets, _problems = listeners()
    found, problems = processes(None, sockets, [port], [], [], time.monotonic() + 10)
    assert problems == []
    [entry] = [p for p in found if p["pid"] == pid]
    assert entry["role"] == "backend" and entry["serves"] == [f"127.0.0.1:{port}"]
    assert entry["nofile_soft"] == 100
    assert entry["fd_count"] == len(os.listdir(f"/proc/{pid}/fd"))
    assert entry["uid"] == os.geteuid() and entry["ppid"] == os.getpid()


def test_limits_of_this_process() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = tuple(None if v == resource.RLIM_INFINITY else v for v in (soft, hard))
    assert parse_limits(Path("/proc/self/limits").read_text()) == expected


def test_load_and_pressure_of_this_machine() -> None:
    found, pressure, problems = load()
    assert problems == []
    assert found["cpus"] == os.cpu_count()
    now = parse_loadavg(Path("/proc/loadavg").read_text())
    assert abs(found["load15"] - now["load15"]) < 1.0
    for resource_name in ("cpu", "memory", "io"):
        path = Path("/proc/pressure") / resource_name
        if path.exists():
            assert set(pressure[resource_name]["some"]) == {"avg10", "avg60", "avg300", "total"}
        else:
            assert pressure[resource_name] is None


def test_this_machine_has_no_selinux() -> None:
    if Path("/sys/fs/selinux/enforce").exists():
        pytest.skip("SELinux is enabled here")
    state, problems = selinux()
    assert problems == [] and state["enabled"] is False and state["enforcing"] is None
