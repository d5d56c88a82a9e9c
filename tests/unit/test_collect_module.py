"""The collect module as Ansible runs it: options, failure on bad ones, the shape of `collected`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import module_runner
import pytest

pytest.importorskip("ansible.module_utils.basic")

from ansible_collections.fix502.gateway.plugins.module_utils._collect_spec import COLLECT_ARGUMENT_SPEC
from ansible_collections.fix502.gateway.plugins.modules import collect

MODULE = Path(collect.__file__)
REPO = Path(__file__).resolve().parents[2]

TOP_KEYS = {
    "schema",
    "hostname",
    "addresses",
    "duration_ms",
    "problems",
    "nginx",
    "listeners",
    "filesystems",
    "memory",
    "kernel_log",
    "error_logs",
    "systemd",
    "backend_services",
    "units",
    "containers",
    "targets",
    "processes",
    "php_fpm",
    "selinux",
    "load",
    "pressure",
    "logrotate",
    "log_files",
    "journald",
    "firewall",
}
NGINX_KEYS = {
    "binary",
    "version",
    "configure_arguments",
    "config_file",
    "prefix",
    "master_pid",
    "running",
    "dump",
    "dump_truncated",
    "test_ok",
    "test_messages",
}


def run_module(tmp_path: Path, args: dict[str, Any]) -> dict[str, Any]:
    return module_runner.run_module(MODULE, tmp_path, args, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"command_timeout": 0}, "command_timeout must be greater than 0, got 0"),
        ({"max_dump_bytes": -1}, "max_dump_bytes must be greater than 0, got -1"),
        ({"kernel_log_lines": 0}, "kernel_log_lines must be greater than 0, got 0"),
        (
            {"backend_services": [{"name": "api", "listen": "localhost"}]},
            "backend_services[0].listen 'localhost': must be HOST:PORT, PORT or unix:/path",
        ),
        (
            {"backend_services": [{"name": "api", "listen": "unix:run/api.sock"}]},
            "backend_services[0].listen 'unix:run/api.sock': a unix listen address must be an absolute path, "
            "as in unix:/run/app.sock",
        ),
        (
            {"backend_services": [{"name": "api", "listen": "127.0.0.1:70000"}]},
            "backend_services[0].listen '127.0.0.1:70000': port 70000 is out of range 1-65535",
        ),
        (
            {"backend_services": [{"name": "a", "listen": "80"}, {"name": "a", "listen": "81"}]},
            "backend_services[1].name a is declared twice",
        ),
    ],
)
def test_invalid_options_fail(tmp_path: Path, args: dict[str, Any], message: str) -> None:
    result = run_module(tmp_path, args)
    assert result["failed"] is True
    assert result["msg"] == message
    assert "\n" not in result["msg"]


@pytest.mark.parametrize(
    "listen", ["8080", "127.0.0.1:8080", "[::1]:8080", "app.internal:80", "unix:/run/a.sock"]
)
def test_valid_listen_values(listen: str) -> None:
    assert collect.listen_error(listen) is None


def test_collected_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    backends = [
        {"name": "api", "listen": "127.0.0.1:8080"},
        {
            "name": "images",
            "listen": "unix:/run/images.sock",
            "manager": "command",
            "start_command": "/srv/images --socket /run/images.sock",
            "chdir": "/srv",
            "log_file": "/var/log/images.log",
            "depends_on": ["api"],
        },
    ]
    result = run_module(tmp_path, {"backend_services": backends, "_ansible_check_mode": True})
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    collected = result["collected"]
    assert set(collected) == TOP_KEYS
    assert collected["schema"] == 1
    assert isinstance(collected["duration_ms"], int)
    assert "127.0.0.1" in collected["addresses"]
    for problem in collected["problems"]:
        assert set(problem) == {"source", "message"}
    assert set(collected["nginx"]) == NGINX_KEYS
    assert set(collected["listeners"]) == {"tcp", "unix"}
    for entry in collected["listeners"]["tcp"]:
        assert set(entry) == {"address", "port", "family", "pid", "process", "unit"}
        assert entry["family"] in (4, 6)
    for entry in collected["listeners"]["unix"]:
        assert set(entry) == {"path", "pid", "process", "unit"}
    assert set(collected["memory"]) == {"total_kb", "available_kb", "swap_total_kb", "swap_free_kb"}
    assert set(collected["kernel_log"]) == {"source", "lines_scanned", "oom_lines"}
    assert set(collected["systemd"]) == {"running"}
    assert set(collected["containers"]) == {"engines", "items"}
    assert isinstance(collected["units"], dict)
    assert set(collected["targets"]) == {
        "hints",
        "resolution",
        "resolv_conf",
        "hosts_file",
        "sockets",
        "accounts",
    }
    assert set(collected["selinux"]) == {"enabled", "enforcing", "booleans", "audit_log"}
    assert set(collected["php_fpm"]) == {"files", "pools"}
    assert set(collected["pressure"]) == {"cpu", "memory", "io"}
    assert {"load1", "load5", "load15", "runnable", "entities", "cpus"} == set(collected["load"])
    assert set(collected["firewall"]) == {"interfaces", "nft", "iptables", "ufw", "firewalld"}
    for entry in collected["firewall"]["iptables"]:
        assert set(entry) == {"command", "family", "backend", "text", "truncated"}
    for entry in collected["error_logs"]:
        assert set(entry) == {"path", "size", "inode", "mtime", "offset", "tail", "truncated"}

    api, images = collected["backend_services"]
    assert api == {
        "name": "api",
        "listen": "127.0.0.1:8080",
        "manager": "systemd",
        "unit": "api.service",
        "start_command": None,
        "chdir": None,
        "log_file": None,
        "depends_on": [],
        "properties": api["properties"],
    }
    if collected["systemd"]["running"]:
        assert api["properties"]["LoadState"] == "not-found"
    else:
        assert api["properties"] == {}
        assert any(p["source"] == "systemctl show" for p in collected["problems"])
    assert images == {
        "name": "images",
        "listen": "unix:/run/images.sock",
        "manager": "command",
        "unit": None,
        "start_command": "/srv/images --socket /run/images.sock",
        "chdir": "/srv",
        "log_file": "/var/log/images.log",
        "depends_on": ["api"],
        "properties": {},
    }


def merged_documentation(module: str) -> dict[str, Any]:
    """The module's documentation with its doc fragments merged in, as ansible-doc shows it."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", "--json", module],
        cwd=REPO,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)[module]["doc"]
    return doc


def test_documentation_matches_the_argument_spec() -> None:
    yaml = pytest.importorskip("yaml")
    doc = merged_documentation("fix502.gateway.collect")
    assert set(doc["options"]) == set(COLLECT_ARGUMENT_SPEC)
    for name, option in COLLECT_ARGUMENT_SPEC.items():
        assert doc["options"][name]["type"] == option["type"], name
        assert doc["options"][name].get("default") == option.get("default"), name
    returned = yaml.safe_load(collect.RETURN)["collected"]["contains"]
    assert set(returned) == TOP_KEYS
    assert set(returned["nginx"]["contains"]) == NGINX_KEYS


def test_the_audit_action_passes_every_collect_option_on() -> None:
    from ansible_collections.fix502.gateway.plugins.action import audit as audit_action

    for name, option in COLLECT_ARGUMENT_SPEC.items():
        assert audit_action.ARGUMENT_SPEC[name]["type"] == option["type"], name
        assert "default" not in audit_action.ARGUMENT_SPEC[name], name
    documented = merged_documentation("fix502.gateway.audit")["options"]
    assert set(documented) == set(audit_action.ARGUMENT_SPEC)
