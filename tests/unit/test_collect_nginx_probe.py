"""The nginx probe against the real system nginx: a master started here, on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._nginx_probe import (
    configure_option,
    find_masters,
    parse_master_title,
    parse_version_output,
    pick_master,
    probe,
)
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners

NGINX = "/usr/sbin/nginx"

CONFIG = """\
# fix502 test master {marker}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 16; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 204; }}
    }}
}}
"""

needs_nginx = pytest.mark.skipif(not os.path.exists(NGINX), reason=f"{NGINX} is not installed")


@dataclass
class Master:
    pid: int
    config: Path
    prefix: Path
    port: int
    marker: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def nginx_master(tmp_path: Path) -> Iterator[Master]:
    if os.geteuid() != 0:
        pytest.skip("starting the system nginx needs root")
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    config = prefix / "nginx.conf"
    port = _free_port()
    marker = f"marker-{os.getpid()}-{port}"
    config.write_text(CONFIG.format(prefix=prefix, port=port, marker=marker))
    started = subprocess.run(
        [NGINX, "-c", str(config), "-p", f"{prefix}/"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    # nginx writes its pid file before it takes the "master process" title: wait for both.
    pid_file = prefix / "nginx.pid"
    deadline = time.monotonic() + 10
    pid = 0
    while time.monotonic() < deadline:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if text.isdigit():
            pid = int(text)
            if _title(pid).startswith("nginx: master process"):
                break
        time.sleep(0.02)
    assert pid and _title(pid).startswith("nginx: master process"), "nginx master did not come up"
    try:
        yield Master(pid=pid, config=config, prefix=prefix, port=port, marker=marker)
    finally:
        subprocess.run(
            [NGINX, "-s", "quit", "-c", str(config), "-p", f"{prefix}/"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, 9)


@needs_nginx
@pytest.mark.nginx
def test_probe_finds_the_running_master(nginx_master: Master) -> None:
    masters = {m["pid"]: m for m in find_masters()}
    assert nginx_master.pid in masters
    parsed = parse_master_title(masters[nginx_master.pid]["title"])
    assert parsed["config"] == str(nginx_master.config)
    assert parsed["prefix"] == f"{nginx_master.prefix}/"

    # Naming the config picks this master among others that may run; the prefix comes from the master.
    result, problems = probe(config_option=str(nginx_master.config), timeout=10)
    assert result["running"] is True
    assert result["master_pid"] == nginx_master.pid
    assert result["binary"] == os.path.realpath(NGINX)
    assert result["config_file"] == str(nginx_master.config)
    assert result["prefix"] == f"{nginx_master.prefix}/"
    assert result["test_ok"] is True, (result["test_messages"], problems)
    assert nginx_master.marker in result["dump"]
    assert f"listen 127.0.0.1:{nginx_master.port};" in result["dump"]
    assert f"# configuration file {nginx_master.config}:" in result["dump"]
    assert result["dump_truncated"] is False
    assert any("syntax is ok" in line for line in result["test_messages"])
    expected_version = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=True).stderr
    assert result["version"] and result["version"] in expected_version


@needs_nginx
@pytest.mark.nginx
def test_nginx_listener_belongs_to_the_master_not_a_worker(nginx_master: Master) -> None:
    result, _problems = listeners()
    entries = [e for e in result["tcp"] if e["port"] == nginx_master.port]
    assert len(entries) == 1
    assert entries[0]["address"] == "127.0.0.1"
    assert entries[0]["pid"] == nginx_master.pid
    assert entries[0]["process"] == "nginx"


@needs_nginx
@pytest.mark.nginx
def test_probe_without_options_takes_config_and_prefix_from_the_master(nginx_master: Master) -> None:
    if len(find_masters()) != 1:
        pytest.skip("another nginx master runs on this host; the probe would pick by pid")
    result, _problems = probe(timeout=10)
    assert result["master_pid"] == nginx_master.pid
    assert result["config_file"] == str(nginx_master.config)
    assert result["prefix"] == f"{nginx_master.prefix}/"
    assert nginx_master.marker in result["dump"]
    assert result["test_ok"] is True


@needs_nginx
@pytest.mark.nginx
def test_dump_is_capped(nginx_master: Master) -> None:
    result, problems = probe(config_option=str(nginx_master.config), timeout=10, max_dump_bytes=64)
    assert result["dump_truncated"] is True
    assert len(result["dump"].encode()) <= 64
    assert result["test_ok"] is True
    assert any("max_dump_bytes" in p["message"] for p in problems)


@needs_nginx
@pytest.mark.nginx
def test_a_config_no_master_uses_is_not_reported_as_running(nginx_master: Master, tmp_path: Path) -> None:
    other = tmp_path / "other.conf"
    other.write_text(f"pid {tmp_path}/other.pid;\nerror_log stderr;\nevents {{}}\n")
    result, problems = probe(config_option=str(other), prefix_option=f"{tmp_path}/", timeout=10)
    assert result["running"] is False
    assert result["master_pid"] is None
    assert result["config_file"] == str(other)
    assert result["test_ok"] is True
    assert any(
        p["message"].startswith(f"no running nginx master uses {other}")
        and str(nginx_master.pid) in p["message"]
        for p in problems
    )


def test_pick_master_matches_the_file_a_master_uses() -> None:
    by_c = {
        "pid": 10,
        "title": "nginx: master process /usr/sbin/nginx -c conf/site.conf -p /srv/site/",
        "cwd": "/",
    }
    default = {"pid": 20, "title": "nginx: master process /usr/sbin/nginx", "cwd": "/"}
    relative_p = {"pid": 30, "title": "nginx: master process nginx -p run/ -c n.conf", "cwd": "/home/app"}
    masters = [by_c, default, relative_p]
    compiled = {"compiled_prefix": "/usr/share/nginx", "compiled_conf": "/etc/nginx/nginx.conf"}
    assert pick_master(masters) is by_c
    assert pick_master(masters, "/srv/site/conf/site.conf", **compiled) is by_c
    assert pick_master(masters, "/etc/nginx/nginx.conf", **compiled) is default
    assert pick_master(masters, "/home/app/run/n.conf", **compiled) is relative_p
    assert pick_master(masters, "/etc/other.conf", **compiled) is None
    assert pick_master([], "/etc/nginx/nginx.conf", **compiled) is None


@needs_nginx
def test_broken_config_fails_the_test(tmp_path: Path) -> None:
    config = tmp_path / "broken.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        "http { server { listen nonsense } }\n"
    )
    result, _problems = probe(config_option=str(config), prefix_option=f"{tmp_path}/", timeout=10)
    assert result["test_ok"] is False
    assert result["config_file"] == str(config)
    assert any("[emerg]" in line for line in result["test_messages"])
    assert any("test failed" in line for line in result["test_messages"])


def test_absent_nginx_is_a_problem_not_a_failure(tmp_path: Path) -> None:
    result, problems = probe(binary_option=str(tmp_path / "nginx"), timeout=5)
    assert result["binary"] is None
    assert result["dump"] == ""
    assert result["test_ok"] is None
    assert result["test_messages"] == []
    assert problems and problems[-1]["source"] == "nginx"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "nginx: master process /usr/sbin/nginx -c /tmp/x/nginx.conf -p /tmp/x/",
            {
                "binary": "/usr/sbin/nginx",
                "config": "/tmp/x/nginx.conf",
                "prefix": "/tmp/x/",
                "globals": None,
            },
        ),
        (
            "nginx: master process nginx -g daemon off; error_log stderr;",
            {"binary": "nginx", "config": None, "prefix": None, "globals": "daemon off;"},
        ),
        (
            "nginx: master process /opt/nginx/sbin/nginx -cconf/site.conf -p/opt/site",
            {
                "binary": "/opt/nginx/sbin/nginx",
                "config": "conf/site.conf",
                "prefix": "/opt/site",
                "globals": None,
            },
        ),
        (
            "nginx: master process /usr/sbin/nginx",
            {"binary": "/usr/sbin/nginx", "config": None, "prefix": None, "globals": None},
        ),
    ],
)
def test_parse_master_title(title: str, expected: dict) -> None:
    assert parse_master_title(title) == expected


def test_parse_version_output() -> None:
    text = (
        "nginx version: nginx/1.22.1\n"
        "built with OpenSSL 3.0.11 19 Sep 2023\n"
        "configure arguments: --with-cc-opt='-g -O2 -fPIC' --prefix=/usr/share/nginx "
        "--conf-path=/etc/nginx/nginx.conf\n"
    )
    version, arguments = parse_version_output(text)
    assert version == "1.22.1"
    assert arguments is not None
    assert configure_option(arguments, "prefix") == "/usr/share/nginx"
    assert configure_option(arguments, "conf-path") == "/etc/nginx/nginx.conf"
    assert configure_option(arguments, "with-cc-opt") == "-g -O2 -fPIC"
    assert configure_option(arguments, "sbin-path") is None
    assert parse_version_output("nginx version: openresty/1.21.4.1\n")[0] == "1.21.4.1"


@pytest.mark.skipif(
    shutil.which("nginx") is None and not os.path.exists(NGINX), reason="nginx is not installed"
)
def test_compiled_defaults_without_a_master(tmp_path: Path) -> None:
    # A binary named explicitly, no config: config_file is the compiled --conf-path.
    result, _problems = probe(binary_option=NGINX, timeout=10)
    version = subprocess.run([NGINX, "-V"], capture_output=True, text=True, check=True).stderr
    conf_path = configure_option(parse_version_output(version)[1], "conf-path")
    if result["running"]:
        pytest.skip("an nginx master runs on this host; its -c would be used")
    assert result["config_file"] == conf_path
