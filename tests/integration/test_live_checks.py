"""Live checks against a real nginx on loopback: names that do not resolve on the host, unix sockets
nginx's workers may not use, processes near their open-file limit, the workers' real open-file limit,
the load and memory stalls of this machine, and SELinux (from a selinuxfs tree with its real layout,
since this machine has no SELinux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._collect_spec import COLLECT_ARGUMENT_SPEC
from ansible_collections.fix502.gateway.plugins.module_utils._selinux import selinux
from ansible_collections.fix502.gateway.plugins.modules import collect
from conftest import site_dir
from live_lab import LiveSite, wait_for

from fix502 import catalogue
from fix502.demo import free_port
from fix502.engine import judge_host


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    site = LiveSite(site_dir(tmp_path))
    try:
        yield site
    finally:
        site.stop()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, from /proc/*/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def nofile_soft(pid: int) -> int | None:
    try:
        limits = Path(f"/proc/{pid}/limits").read_text(encoding="ascii")
    except OSError:
        return None
    return int(next(line for line in limits.splitlines() if line.startswith("Max open files")).split()[3])


def only(found: list[dict[str, Any]], check_id: str) -> list[dict[str, Any]]:
    return [f for f in found if f["id"] == check_id]


# --- names ---------------------------------------------------------------------------------------


def test_a_name_nginx_resolves_at_start_up_and_the_host_cannot(live: LiveSite) -> None:
    live.write_conf(
        "        location / {\n            proxy_pass http://backend.fix502.invalid:8080;\n        }"
    )
    test = live.test_config()
    assert test.returncode != 0 and "host not found in upstream" in test.stderr  # nginx really refuses it

    [finding] = only(live.audit("--checks", "UPS002"), "UPS002")
    assert finding["severity"] == "critical"
    assert finding["evidence"]["file"] == str(live.conf)
    assert finding["evidence"]["line"] == live.line_of("proxy_pass")
    values = finding["evidence"]["values"]
    assert values["name"] == "backend.fix502.invalid"
    assert values["resolved"] == "refused"
    assert values["error"] and values["error_code"].startswith("EAI_")
    assert "nginx -t" in finding["cause"] and "backend.fix502.invalid" in finding["fix"]


def test_a_name_nginx_resolves_per_request_and_the_host_cannot(live: LiveSite) -> None:
    live.write_conf(
        "        location / {\n"
        "            resolver 127.0.0.1:9 valid=1s;\n"
        "            resolver_timeout 1s;\n"
        "            set $backend gone.fix502.invalid:8080;\n"
        "            proxy_pass http://$backend;\n"
        "        }"
    )
    live.start_nginx()
    assert status(live.url + "/") == 502  # nginx really cannot resolve it

    [finding] = only(live.audit("--checks", "UPS002", "--lang", "zh"), "UPS002")
    assert finding["evidence"]["line"] == live.line_of("proxy_pass")
    assert finding["evidence"]["values"]["resolved"] == "runtime"
    assert finding["evidence"]["values"]["name"] == "gone.fix502.invalid"
    assert "resolver" in finding["cause"] and "502" in finding["cause"]


def test_names_that_resolve_are_not_reported(live: LiveSite) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://localhost:{port};\n        }}")
    live.start_nginx()
    assert status(live.url + "/") == 200
    assert only(live.audit("--checks", "UPS002"), "UPS002") == []


# --- unix sockets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("socket_mode", "dir_mode", "blocked"),
    [("0600", 0o755, "socket"), ("0666", 0o700, "directory")],
    ids=["socket-0600", "directory-0700"],
)
def test_a_socket_nginx_workers_may_not_use(
    live: LiveSite, socket_mode: str, dir_mode: int, blocked: str
) -> None:
    path = live.sockets / "app.sock"
    live.backend("--unix", str(path), "--mode", socket_mode)
    os.chmod(live.sockets, dir_mode)
    live.write_conf(f"        location / {{\n            proxy_pass http://unix:{path};\n        }}")
    live.start_nginx()
    assert status(live.url + "/") == 502
    assert "Permission denied" in (live.root / "logs" / "error.log").read_text(encoding="utf-8")

    found = live.audit("--checks", "UPS003,LOG003")
    [finding] = only(found, "UPS003")
    assert finding["severity"] == "critical"
    assert finding["evidence"]["socket"] == str(path)
    assert finding["evidence"]["line"] == live.line_of("proxy_pass")
    values = finding["evidence"]["values"]
    assert values["user"] == "nobody"  # no user directive: the running workers are nobody
    if blocked == "socket":
        assert values == {
            **values,
            "denied": str(path),
            "permission": "write",
            "mode": "0600",
            "owner": "root:root",
        }
        assert "srw-------" in finding["cause"]
    else:
        assert values == {**values, "denied": str(live.sockets), "permission": "search", "mode": "0700"}
        assert f"chmod o+x {live.sockets}" in finding["fix"]
    assert only(found, "LOG003"), "the error log tells of the same denial"


@pytest.mark.parametrize(
    ("socket_mode", "dir_mode", "on", "acl"),
    [
        ("0666", 0o755, "socket", None),
        ("0600", 0o755, "socket", "u:nobody:rw"),
        ("0600", 0o755, "socket", "g:nogroup:rw"),
        ("0666", 0o700, "directory", "u:nobody:x"),
    ],
    ids=["by-mode", "acl-socket-user", "acl-socket-group", "acl-directory-user"],
)
def test_a_socket_nginx_workers_may_use_is_not_reported(
    live: LiveSite, socket_mode: str, dir_mode: int, on: str, acl: str | None
) -> None:
    """By its mode, or by a POSIX ACL entry where the mode alone would keep nobody out (a 0600 socket,
    a 0700 directory)."""
    path = live.sockets / "app.sock"
    live.backend("--unix", str(path), "--mode", socket_mode)
    os.chmod(live.sockets, dir_mode)
    if acl:
        subprocess.run(["setfacl", "-m", acl, str(path if on == "socket" else live.sockets)], check=True)
    live.write_conf(f"        location / {{\n            proxy_pass http://unix:{path};\n        }}")
    live.start_nginx()
    assert status(live.url + "/") == 200
    assert only(live.audit("--checks", "UPS003"), "UPS003") == []


@pytest.mark.parametrize(
    ("on", "acl", "shown", "fix"),
    [
        ("socket", "u:nobody:r", "user:nobody:r--, mask::rw-", "`user:nobody:rw`"),
        ("socket", "u:nobody:rw,m::r", "user:nobody:rw-, mask::r--", "`user:nobody:rw`"),
        ("directory", "u:nobody:-", "user:nobody:---, mask::r-x", "`setfacl -m u:nobody:x "),
    ],
    ids=["socket-entry", "socket-mask", "directory-entry"],
)
def test_a_posix_acl_that_keeps_nginx_workers_out_is_reported(
    live: LiveSite, on: str, acl: str, shown: str, fix: str
) -> None:
    """The mode alone would let nobody in (a 0666 socket in a 0755 directory); the ACL keeps it out."""
    path = live.sockets / "app.sock"
    live.backend("--unix", str(path), "--mode", "0666")
    blocked = path if on == "socket" else live.sockets
    subprocess.run(["setfacl", "-m", acl, str(blocked)], check=True)
    live.write_conf(f"        location / {{\n            proxy_pass http://unix:{path};\n        }}")
    live.start_nginx()
    assert status(live.url + "/") == 502
    assert "Permission denied" in (live.root / "logs" / "error.log").read_text(encoding="utf-8")

    [finding] = only(live.audit("--checks", "UPS003"), "UPS003")
    values = finding["evidence"]["values"]
    permission = "write" if on == "socket" else "search"
    assert values == {**values, "denied": str(blocked), "permission": permission, "acl": shown}
    assert f"; ACL {shown})" in finding["cause"]
    assert fix in finding["fix"]


# --- open files ----------------------------------------------------------------------------------


def test_a_backend_near_its_open_file_limit(live: LiveSite) -> None:
    port = free_port()
    pid = live.backend("--port", str(port), "--nofile", "64", "--hold", "50")
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    assert status(live.url + "/") == 200
    held = len(os.listdir(f"/proc/{pid}/fd"))

    found = live.audit("--checks", "RES007")
    [finding] = [f for f in only(found, "RES007") if f["evidence"]["values"]["pid"] == str(pid)]
    values = finding["evidence"]["values"]
    assert values["nofile_soft"] == "64"
    assert abs(int(values["fd_count"]) - held) <= 2, (values, held)
    assert finding["severity"] == ("critical" if held * 100 >= 95 * 64 else "high")
    assert f"127.0.0.1:{port}" in finding["cause"]
    # nginx's own processes are far from their limit here
    assert all(f["evidence"]["values"]["pid"] == str(pid) for f in only(found, "RES007"))


def test_worker_connections_above_the_workers_real_limit(live: LiveSite) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(
        f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}",
        events="worker_connections 512;",
    )
    live.start_nginx(nofile=256)
    workers = children(live.master_pid())
    assert workers and all(nofile_soft(pid) == 256 for pid in workers)  # what the kernel holds them to

    [finding] = only(live.audit("--checks", "NGX009"), "NGX009")
    assert finding["severity"] == "high"
    assert "the running workers may open only 256 files each" in finding["cause"]
    assert finding["evidence"]["values"]["worker_nofile_soft"] == "256"
    assert finding["evidence"]["line"] == live.line_of("worker_connections")

    # The configuration now asks for more, but nginx was not reloaded: the workers still have 256.
    live.write_conf(
        f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}",
        main="worker_rlimit_nofile 1024;",
        events="worker_connections 512;",
    )
    [stale] = only(live.audit("--checks", "NGX009"), "NGX009")
    assert "worker_rlimit_nofile at" in stale["cause"] and "nginx was not reloaded since" in stale["cause"]
    subprocess.run([*live.nginx_args(), "-s", "reload"], check=True, capture_output=True)
    wait_for(lambda: all(nofile_soft(pid) == 1024 for pid in children(live.master_pid())), "no reload")
    assert only(live.audit("--checks", "NGX009"), "NGX009") == []


def test_worker_connections_within_the_workers_real_limit(live: LiveSite) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(
        f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}",
        events="worker_connections 2048;",
    )
    live.start_nginx(nofile=4096)
    # Without the running workers, 2048 connections over the assumed 1024 would be reported.
    assert only(live.audit("--checks", "NGX009"), "NGX009") == []


# --- load and memory, from this machine's /proc ----------------------------------------------------


def test_load_is_judged_on_the_real_figures(live: LiveSite) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    assert only(live.audit("--checks", "RES005", "--threshold", "load_per_cpu_medium=1000"), "RES005") == []
    [load] = only(live.audit("--checks", "RES005", "--threshold", "load_per_cpu_medium=0"), "RES005")
    values = load["evidence"]["values"]
    assert values["cpus"] == str(os.cpu_count())
    assert load["evidence"]["path"] == "/proc/loadavg"
    now = float(Path("/proc/loadavg").read_text(encoding="ascii").split()[1])
    assert abs(float(values["load5"]) - now) < 1.0  # the 5-minute average moves slowly
    assert load["severity"] == ("high" if float(values["per_cpu"]) >= 3.0 else "medium")


@pytest.mark.skipif(not Path("/proc/pressure/memory").exists(), reason="this kernel has no PSI")
def test_memory_stalls_are_judged_on_the_real_figures(live: LiveSite) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    thresholds = ["--threshold", "memory_pressure_some_percent_medium=100"]
    assert (
        only(
            live.audit(
                "--checks", "RES006", *thresholds, "--threshold", "memory_pressure_full_percent_high=100"
            ),
            "RES006",
        )
        == []
    )
    [stall] = only(
        live.audit("--checks", "RES006", "--threshold", "memory_pressure_some_percent_medium=0"), "RES006"
    )
    assert stall["evidence"]["path"] == "/proc/pressure/memory"
    swap = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("SwapTotal:")
        )
    )
    assert stall["evidence"]["values"]["swap_total_kb"] == str(swap)
    assert ("no swap" in stall["cause"]) is (swap == 0)


# --- SELinux ---------------------------------------------------------------------------------------


def _collect_params(live: LiveSite) -> dict[str, Any]:
    params = {name: option.get("default") for name, option in COLLECT_ARGUMENT_SPEC.items()}
    params.update(nginx_binary=live.nginx, nginx_config=str(live.conf), nginx_prefix=f"{live.root}/")
    return params


def _selinuxfs(root: Path, enforce: str, booleans: dict[str, str], audit: str | None = None) -> Path:
    """A tree with selinuxfs's layout: enforce, and one file per boolean holding "current pending"."""
    base = root / "sys" / "fs" / "selinux"
    (base / "booleans").mkdir(parents=True)
    (base / "enforce").write_text(enforce, encoding="ascii")
    for name, value in booleans.items():
        (base / "booleans" / name).write_text(value, encoding="ascii")
    if audit is not None:
        (root / "var" / "log" / "audit").mkdir(parents=True)
        (root / "var" / "log" / "audit" / "audit.log").write_text(audit, encoding="utf-8")
    return root


def test_this_host_has_no_selinux_and_no_finding(live: LiveSite) -> None:
    assert not Path("/sys/fs/selinux/enforce").exists()
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    collected = collect.collect(_collect_params(live))
    assert collected["selinux"]["enabled"] is False
    assert only(live.audit("--checks", "UPS004"), "UPS004") == []


@pytest.mark.parametrize(
    ("enforce", "booleans", "audit", "expected"),
    [
        (
            "1",
            {
                "httpd_can_network_connect": "0 0",
                "httpd_can_network_relay": "0 0",
                "httpd_graceful_shutdown": "1 1",
            },
            None,
            "high",
        ),
        ("1", {"httpd_can_network_connect": "0 0", "httpd_can_network_relay": "0 0"}, "avc", "critical"),
        ("1", {"httpd_can_network_connect": "1 1", "httpd_can_network_relay": "0 0"}, None, None),
        ("0", {"httpd_can_network_connect": "0 0", "httpd_can_network_relay": "0 0"}, None, None),
    ],
    ids=["enforcing-off", "enforcing-off-denied", "connect-on", "permissive"],
)
def test_selinux_is_judged_from_selinuxfs(
    live: LiveSite,
    tmp_path: Path,
    enforce: str,
    booleans: dict[str, str],
    audit: str | None,
    expected: str | None,
) -> None:
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    master = live.master_pid()
    log = None
    if audit:
        log = (
            f"type=AVC msg=audit(1714557600.123:812): avc:  denied  {{ name_connect }} for  pid={master} "
            f'comm="nginx" dest={port} scontext=system_u:system_r:httpd_t:s0 '
            "tcontext=system_u:object_r:unreserved_port_t:s0 tclass=tcp_socket permissive=0\n"
        )
    tree = _selinuxfs(tmp_path / "root", enforce, booleans, log)
    state, problems = selinux(str(tree))
    assert problems == []
    assert state["enabled"] is True and state["enforcing"] is (enforce == "1")
    collected = collect.collect(_collect_params(live))  # this host's real evidence ...
    collected["selinux"] = state  # ... with SELinux as the tree says
    report = judge_host("live-site", collected, catalogue.select(["UPS004"])).report
    found = [f for f in report.findings if f.id == "UPS004"]
    if expected is None:
        assert found == []
        return
    [finding] = found
    assert finding.severity.label == expected
    assert finding.evidence.port == port
    assert f"semanage port -a -t http_port_t -p tcp {port}" in finding.fix
    if audit:
        assert finding.evidence.log_lines and f"dest={port}" in finding.evidence.log_lines[-1]


def test_the_collect_module_runs_as_ansible_runs_it(live: LiveSite, tmp_path: Path) -> None:
    """One round trip: the module file as a child process returns every live part."""
    port = free_port()
    live.backend("--port", str(port))
    live.write_conf(f"        location / {{\n            proxy_pass http://127.0.0.1:{port};\n        }}")
    live.start_nginx()
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps({"ANSIBLE_MODULE_ARGS": {k: v for k, v in _collect_params(live).items() if v is not None}})
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, collect.__file__, str(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    collected = json.loads(done.stdout)["collected"]
    roles = {p["role"] for p in collected["processes"]}
    assert {"nginx-master", "nginx-worker", "backend"} <= roles
    worker = next(p for p in collected["processes"] if p["role"] == "nginx-worker")
    assert worker["user"] == "nobody" and worker["nofile_soft"] is not None
    assert port in collected["targets"]["hints"]["ports"]
