"""The rotation checks on evidence the collector's own code gathers from real files: a real nginx -T dump,
real logrotate rule files and real log files in a temporary directory; and the rules the role writes,
read and applied by the real logrotate."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import module_runner
import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._filesystems import filesystems
from ansible_collections.fix502.gateway.plugins.module_utils._logrotate import (
    log_files,
    nginx_log_paths,
    read_logrotate,
)

from fix502 import catalogue
from fix502.engine import COLLECTED_SCHEMA, judge_host
from fix502.journald import from_collected, merge, parse_bytes
from fix502.logrotate_rules import plan, quote_path
from fix502.model import Finding, Severity

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"


def nginx_dump(root: Path) -> dict[str, Any]:
    """What the collector's probe returns for a real nginx configuration under ``root``."""
    (root / "nginx.conf").write_text(
        f"pid {root}/nginx.pid;\n"
        f"error_log {root}/nginx/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {root}/nginx/access.log;\n"
        "    server {\n"
        "        listen 127.0.0.1:1;\n"
        f"        access_log {root}/nginx/$host.vhost.log combined;\n"
        "        access_log off;\n"
        "    }\n"
        "}\n",
        encoding="utf-8",
    )
    dump = module_runner.nginx_dump(NGINX, root / "nginx.conf", root)
    return {"dump": dump, "prefix": f"{root}/", "configure_arguments": "--prefix=/usr/share/nginx"}


def write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def collect(root: Path, backends: list[dict[str, Any]]) -> dict[str, Any]:
    """The collector's logrotate, log_files and filesystems parts for a host whose files are in ``root``."""
    nginx = nginx_dump(root)
    rotation, problems = read_logrotate(str(root / "logrotate.conf"), 100, 1 << 20)
    assert problems == []
    logs, problems = log_files(nginx, backends, [str(root / "var-log")], 100)
    assert problems == []
    mounts, _problems = filesystems(10)
    return {
        "schema": COLLECTED_SCHEMA,
        "nginx": nginx,
        "backend_services": backends,
        "logrotate": rotation,
        "log_files": logs,
        "filesystems": mounts,
    }


def judge(collected: dict[str, Any], lang: str = "en", **thresholds: float) -> list[Finding]:
    from fix502.thresholds import Thresholds

    checks = catalogue.select(["rotation"])
    limits = Thresholds().updated(thresholds, "test") if thresholds else Thresholds()
    return judge_host("web1", collected, checks, lang=lang, thresholds=limits).report.findings


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """Logs of nginx, of a backend and others, and logrotate rules with one fault of each kind."""
    root = tmp_path
    for name in ("nginx/access.log", "nginx/error.log", "nginx/shop.vhost.log", "app/app.log"):
        write(root / name, "a line\n")
    for name in ("a.log", "b.log", "c.log", "sub/d.log", "sub/.hidden.log", "notalog.txt"):
        write(root / "var-log" / name, "a line\n")
    with open(root / "var-log" / "big.log", "wb") as handle:
        handle.truncate(3 << 20)  # sparse: big, but takes no room
    write(
        root / "logrotate.conf",
        f"include {root}/logrotate.d\n# nothing global: the blocks get logrotate's built-in defaults\n",
    )
    rules = root / "logrotate.d"
    write(
        rules / "nginx",
        f"{root}/nginx/error.log {root}/nginx/*.vhost.log {{\n  daily\n  rotate 5\n  compress\n}}\n",
    )
    write(rules / "a", f"{root}/var-log/a.log {{\n  rotate 0\n}}\n")
    write(rules / "b", f"{root}/var-log/b.log {{\n  weekly\n  rotate 4\n  nocompress\n}}\n")
    write(rules / "c", f"{root}/var-log/c.log {{\n  daily\n  rotate x\n}}\n")
    write(rules / "c.dpkg-old", f"{root}/var-log/c.log {{\n  daily\n  rotate 3\n  compress\n}}\n")
    write(
        rules / "big",
        f"{root}/var-log/big.log {{\n  daily\n  rotate 3\n  compress\n}}\n{root}/var-log/sub/*.log {{\n"
        "  daily\n  rotate 3\n  compress\n  postrotate\n    true\n  endscript\n}\n",
    )
    return root


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_the_collector_lists_the_logs_nginx_and_backends_write(host: Path) -> None:
    nginx = nginx_dump(host)
    assert nginx_log_paths(nginx) == [
        (f"{host}/nginx/access.log", "access_log"),
        (f"{host}/nginx/error.log", "error_log"),
        (f"{host}/logs/error.log", "error_log"),  # compiled in, relative to the prefix
        (f"{host}/nginx/*.vhost.log", "access_log"),
    ]
    logs, problems = log_files(nginx, [{"name": "shop", "log_file": f"{host}/app/app.log"}], [str(host)], 100)
    assert problems == []
    by_path = {entry["path"]: entry for entry in logs}
    assert by_path[f"{host}/nginx/shop.vhost.log"]["writer"] == "nginx"
    assert by_path[f"{host}/app/app.log"]["backend"] == "shop"
    assert by_path[f"{host}/var-log/big.log"]["size"] == 3 << 20
    assert by_path[f"{host}/var-log/sub/.hidden.log"]["writer"] is None
    assert f"{host}/var-log/notalog.txt" not in by_path
    info = os.stat(host / "app" / "app.log")
    assert by_path[f"{host}/app/app.log"]["inode"] == info.st_ino
    # The bound: nginx's and the backend's logs come first.
    few, problems = log_files(nginx, [{"name": "shop", "log_file": f"{host}/app/app.log"}], [str(host)], 4)
    assert [e["writer"] for e in few] == ["nginx", "nginx", "nginx", "backend"]
    assert problems and "log_files_max (4)" in problems[0]["message"]


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_each_rotation_fault_is_found_with_its_rule_and_log(host: Path) -> None:
    collected = collect(
        host, [{"name": "shop", "listen": "127.0.0.1:8000", "log_file": f"{host}/app/app.log"}]
    )
    found = judge(collected, log_file_size_high_bytes=2 << 20)
    by_id: dict[str, list[Finding]] = {}
    for finding in found:
        by_id.setdefault(finding.id, []).append(finding)

    uncovered = {f.evidence.path: f for f in by_id["LRT001"]}
    assert set(uncovered) == {f"{host}/nginx/access.log", f"{host}/app/app.log"}
    access, app = uncovered[f"{host}/nginx/access.log"], uncovered[f"{host}/app/app.log"]
    values = dict(access.evidence.values)
    assert (
        values["set"] == "nginx" and values["reopen"] == "nginx" and values["pid_file"] == f"{host}/nginx.pid"
    )
    assert json.loads(values["rule_paths"]) == [f"{host}/nginx/access.log"]
    assert (
        dict(app.evidence.values)["reopen"] == "copytruncate" and dict(app.evidence.values)["set"] == "shop"
    )
    # This configuration does not include /etc/logrotate.d, where the role writes: no automatic fix.
    assert not access.autofix and not app.autofix
    assert "backend shop" in app.cause and "nginx (access_log)" in access.cause

    [no_limit] = by_id["LRT002"]
    assert no_limit.evidence.where() == f"{host}/logrotate.d/a:1"
    [no_old] = by_id["LRT003"]
    assert no_old.evidence.file == f"{host}/logrotate.d/a" and "set at" in no_old.cause
    [uncompressed] = by_id["LRT004"]
    assert uncompressed.evidence.where() == f"{host}/logrotate.d/b:1"
    assert f"nocompress at {host}/logrotate.d/b:4" in uncompressed.cause
    # nginx's error log and vhost log are rotated without telling nginx: one finding for the rule.
    [not_reopened] = by_id["LRT005"]
    assert not_reopened.severity is Severity.HIGH
    assert not_reopened.evidence.where() == f"{host}/logrotate.d/nginx:1"
    assert f"{host}/nginx/error.log" in not_reopened.cause and f"{host}/nginx.pid" in not_reopened.fix
    # The big log has a rule; the threshold was lowered to 2 MiB.
    [big] = by_id["LRT006"]
    assert big.evidence.path == f"{host}/var-log/big.log" and "3.0 MiB" in big.cause
    assert f"{host}/logrotate.d/big:1" in big.cause
    # The broken rule file: its block is dropped, so c.log is rotated by nothing (the .dpkg-old copy
    # is never read).
    [error] = by_id["LRT008"]
    assert error.evidence.where() == f"{host}/logrotate.d/c:3" and "bad rotation count 'x'" in error.cause
    assert error.severity is Severity.MEDIUM and "drops the whole block" in error.cause
    assert "LRT007" not in by_id  # no journald evidence was collected

    zh = {f.evidence.path: f for f in judge(collected, lang="zh") if f.id == "LRT001"}
    app_zh = zh[f"{host}/app/app.log"]
    assert "没有 logrotate 规则" in app_zh.title and "由后端 shop 写入" in app_zh.cause


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_reopening_rules_and_covered_logs_are_left_alone(host: Path) -> None:
    rules = host / "logrotate.d"
    write(
        rules / "nginx",
        f"{host}/nginx/*.log {{\n  daily\n  rotate 5\n  compress\n  sharedscripts\n  postrotate\n"
        f"    [ -f {host}/nginx.pid ] && kill -USR1 `cat {host}/nginx.pid`\n  endscript\n}}\n",
    )
    write(rules / "app", f'"{host}/app/app.log" {{\n  weekly\n  rotate 3\n  compress\n  copytruncate\n}}\n')
    collected = collect(
        host, [{"name": "shop", "listen": "127.0.0.1:8000", "log_file": f"{host}/app/app.log"}]
    )
    ids = [f.id for f in judge(collected)]
    assert "LRT001" not in ids and "LRT005" not in ids and "LRT006" not in ids


def test_journald_settings_merge_as_systemd_merges_them() -> None:
    files = [
        {"path": "/usr/lib/systemd/journald.conf.d/10-vendor.conf", "text": "[Journal]\nSystemMaxUse=1G\n"},
        {"path": "/etc/systemd/journald.conf", "text": "[Journal]\n#SystemMaxUse=\nStorage=auto\n"},
        {"path": "/etc/systemd/journald.conf.d/10-vendor.conf", "text": "", "masked": True},
        {"path": "/run/systemd/journald.conf.d/20-size.conf", "text": "[Journal]\nSystemMaxUse=2G\n"},
        {"path": "/etc/systemd/journald.conf.d/30-reset.conf", "text": "[Journal]\nSystemMaxUse=\n"},
    ]
    ordered, skipped = merge(files)
    assert [f["path"] for f in ordered] == [
        "/etc/systemd/journald.conf",
        "/run/systemd/journald.conf.d/20-size.conf",
        "/etc/systemd/journald.conf.d/30-reset.conf",
    ]
    assert set(skipped) == {
        "/usr/lib/systemd/journald.conf.d/10-vendor.conf",
        "/etc/systemd/journald.conf.d/10-vendor.conf",
    }
    settings = from_collected(
        {
            "config_files": files,
            "journal_dirs": [{"path": "/var/log/journal", "exists": True, "bytes": 4096, "files": 1}],
            "disk_usage_bytes": 4096,
        }
    )
    assert settings is not None and settings.persistent
    # 30-reset.conf comes last and sets it back to the default: no limit of its own.
    assert settings.get("SystemMaxUse") is None
    assert parse_bytes("500M") == 500 << 20 and parse_bytes("1.5G") == int(1.5 * (1 << 30))
    assert parse_bytes("lots") is None

    collected = {
        "schema": COLLECTED_SCHEMA,
        "journald": {
            "config_files": files,
            "journal_dirs": [{"path": "/var/log/journal", "exists": True, "bytes": 3 << 20, "files": 2}],
            "disk_usage_bytes": 3 << 20,
        },
        "filesystems": [
            {"mount": "/var", "size_bytes": 100 << 30, "used_percent": 10.0, "avail_bytes": 90 << 30},
        ],
    }
    [journal] = judge(collected)
    assert journal.id == "LRT007" and "SystemMaxUse" in journal.cause
    assert "3.0 MiB" in journal.cause and "4.0 GiB on /var" in journal.cause
    files.append(
        {"path": "/etc/systemd/journald.conf.d/99-cap.conf", "text": "[Journal]\nSystemMaxUse=500M\n"}
    )
    assert judge(collected) == []


@pytest.mark.skipif(not os.path.exists(LOGROTATE), reason="logrotate is not installed")
def test_the_rules_the_role_writes_are_read_and_applied_by_logrotate(tmp_path: Path) -> None:
    odd = tmp_path / "odd [dir] *"
    logs = [tmp_path / "app" / "app.log", odd / 'we"ird?.log', tmp_path / "nginx" / "access.log"]
    for log in logs:
        write(log, "first line\n")
    write(tmp_path / "nginx" / "access.log.other", "not ours\n")
    findings = [
        {
            "id": "LRT001",
            "autofix": True,
            "evidence": {
                "path": str(path),
                "values": {
                    "set": "shop" if "nginx" not in str(path) else "nginx",
                    "reopen": "copytruncate" if "nginx" not in str(path) else "nginx",
                    "pid_file": str(tmp_path / "nginx.pid"),
                    "rule_paths": json.dumps([str(path)]),
                },
            },
        }
        for path in logs
    ]
    findings.append({"id": "LRT001", "autofix": False, "evidence": {"path": "/var/log/x.log", "values": {}}})
    stats = [
        {"item": str(logs[2]), "stat": {"exists": True, "mode": "0640", "pw_name": "root", "gr_name": "root"}}
    ]
    rules = plan(findings, stats, {"rule_dir": str(tmp_path / "rules"), "rotate": 3, "maxsize": "1M"})
    assert [rule["name"] for rule in rules] == ["nginx", "shop"]
    nginx_rule, shop_rule = rules
    assert nginx_rule["dest"] == f"{tmp_path}/rules/fix502-nginx"
    assert "create 0640 root root" in nginx_rule["content"] and "kill -USR1" in nginx_rule["content"]
    assert "copytruncate" in shop_rule["content"] and quote_path(str(logs[1])) in shop_rule["content"]
    for rule in rules:
        write(Path(rule["dest"]), rule["content"])

    state = tmp_path / "status"
    for rule in rules:
        debug = subprocess.run(
            [LOGROTATE, "-d", "-s", str(state), rule["dest"]], capture_output=True, text=True, check=False
        )
        assert debug.returncode == 0, debug.stderr
        considered = [
            line[len("considering log ") :] for line in debug.stderr.splitlines() if "considering log" in line
        ]
        assert considered == rule["paths"], debug.stderr
    forced = subprocess.run(
        [LOGROTATE, "-f", "-s", str(state), *(rule["dest"] for rule in rules)], capture_output=True, text=True
    )
    assert forced.returncode == 0, forced.stderr
    for log in logs:
        assert Path(f"{log}.1").read_text(encoding="utf-8") == "first line\n"
        assert log.read_text(encoding="utf-8") == ""
    assert (tmp_path / "nginx" / "access.log.other").read_text(encoding="utf-8") == "not ours\n"

    with pytest.raises(ValueError, match="logrotate_rotate must be at least 1"):
        plan(findings, [], {"rotate": 0})
    with pytest.raises(ValueError, match="logrotate_frequency"):
        plan(findings, [], {"frequency": "fortnightly"})


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed")
def test_the_collected_parts_have_the_documented_shape(host: Path) -> None:
    yaml = pytest.importorskip("yaml")
    from ansible_collections.fix502.gateway.plugins.module_utils._logrotate import journald
    from ansible_collections.fix502.gateway.plugins.modules import collect as collect_module

    documented = yaml.safe_load(collect_module.RETURN)["collected"]["contains"]
    collected = collect(
        host, [{"name": "shop", "listen": "127.0.0.1:8000", "log_file": f"{host}/app/app.log"}]
    )
    assert set(collected["logrotate"]) == set(documented["logrotate"]["contains"])
    kinds = {entry["kind"] for entry in collected["logrotate"]["paths"]}
    assert kinds == {"file", "directory"}
    for entry in collected["logrotate"]["paths"]:
        extra = {"text", "truncated"} if entry["kind"] == "file" else {"entries"}
        assert set(entry) == {"path", "kind", "mode", "uid", "size"} | extra
    for entry in collected["log_files"]:
        assert set(entry) == set(documented["log_files"]["contains"])
    found, _problems = journald()
    assert set(found) == set(documented["journald"]["contains"])
    for directory in found["journal_dirs"]:
        assert set(directory) == {"path", "exists", "bytes", "files"}
    for entry in found["config_files"]:
        assert set(entry) == {"path", "text", "truncated", "masked"}
