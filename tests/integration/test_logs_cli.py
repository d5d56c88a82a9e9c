"""``fix502 logs`` on the real error log of a site whose backend died, and ``fix502 audit`` naming
the same cause from the log the collector brought back."""

from __future__ import annotations

import gzip
import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli

from fix502.demo import DemoSite, http_status


def _report_schema() -> dict[str, object]:
    text = resources.files("fix502").joinpath("schemas/report-v1.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def _refused_three_times(site: DemoSite) -> Path:
    for _ in range(3):
        assert http_status(site.url) == 502
    return site.tmp / "logs" / "error.log"


def test_logs_names_the_cause_in_a_gzip_copy(broken_site: DemoSite, tmp_path: Path) -> None:
    log = _refused_three_times(broken_site)
    copy = tmp_path / "error.log.1.gz"
    copy.write_bytes(gzip.compress(log.read_bytes()))

    result = run_cli("logs", str(copy), "--format", "json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, _report_schema())
    [host] = report["hosts"]
    assert host["name"] == "logs" and host["status"] == "ok"
    [finding] = host["findings"]
    assert (finding["id"], finding["severity"], finding["category"]) == ("LOG001", "critical", "errorlog")
    evidence = finding["evidence"]
    assert evidence["file"] == str(copy) and evidence["line"] == 1
    assert (evidence["address"], evidence["port"]) == ("127.0.0.1", broken_site.backend_port)
    assert evidence["values"]["count"] == "3"
    assert len(evidence["log_lines"]) == 3 and "(111: Connection refused)" in evidence["log_lines"][0]
    assert f"127.0.0.1:{broken_site.backend_port}" in finding["cause"]

    zh = run_cli("logs", str(copy), "--lang", "zh", "--fail-on", "critical")
    assert zh.returncode == 1 and "后端拒绝了 nginx 的连接" in zh.stdout


def test_logs_keeps_an_unknown_upstream_error_and_follows_fail_on(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_text(
        "2024/05/01 10:00:00 [error] 7#7: *3 upstream did something new (200: Odd) while reading response "
        'header from upstream, client: 10.1.1.1, server: a, request: "GET / HTTP/1.1", '
        'upstream: "http://10.0.0.8:8080/", host: "a"\n',
        encoding="utf-8",
    )
    out = tmp_path / "report.json"

    assert run_cli("logs", str(log)).returncode == 0  # medium is below the default --fail-on high
    result = run_cli("logs", str(log), "--fail-on", "medium", "--format", "json", "--output", str(out))

    assert result.returncode == 1
    [finding] = json.loads(out.read_text(encoding="utf-8"))["hosts"][0]["findings"]
    assert finding["id"] == "LOG019" and finding["evidence"]["address"] == "10.0.0.8"
    assert finding["evidence"]["log_lines"] == [log.read_text(encoding="utf-8").rstrip("\n")]


@pytest.mark.parametrize("kind", ["missing", "directory", "broken gzip"])
def test_a_log_that_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "error.log.gz"
    if kind == "directory":
        path.mkdir()
    elif kind == "broken gzip":
        path.write_bytes(gzip.compress(os.urandom(50000))[:1000])

    result = run_cli("logs", str(path))

    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"fix502: error: {path}: ")


def test_audit_names_the_cause_from_the_collected_error_log(broken_site: DemoSite) -> None:
    log = _refused_three_times(broken_site)

    result = run_cli("audit", "-i", str(broken_site.inventory()), "--checks", "errorlog", "--format", "json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, _report_schema())
    [host] = report["hosts"]
    [finding] = host["findings"]
    assert finding["id"] == "LOG001"
    evidence = finding["evidence"]
    assert (evidence["file"], evidence["line"]) == (str(log), 1)
    assert (evidence["address"], evidence["port"]) == ("127.0.0.1", broken_site.backend_port)
    assert evidence["values"]["count"] == "3"
    assert f"{log} logs 3 time(s)" in finding["cause"]
