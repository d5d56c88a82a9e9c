"""The JSON report: its content, its schema (report-v1.json), and the loader's round trip."""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
from typing import Any

import jsonschema
import pytest
from report_samples import ALL_CHECKS, GENERATED_AT, VERSION, WEB3_MESSAGE, all_reports, sample_report

from fix502.catalogue import CATEGORIES, CHECKS
from fix502.model import Evidence, Finding, HostReport, HostStatus, Report, Severity
from fix502.report import json_format, render


def _schema() -> dict[str, Any]:
    text = importlib.resources.files("fix502").joinpath("schemas/report-v1.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(validator: jsonschema.Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_document_layout_and_summary() -> None:
    doc = json.loads(render(sample_report(), "json"))
    assert list(doc) == ["schema_version", "tool", "generated_at", "lang", "checks", "summary", "hosts"]
    assert doc["schema_version"] == 1
    assert doc["tool"] == {"name": "fix502", "version": VERSION}
    assert doc["generated_at"] == GENERATED_AT
    assert doc["lang"] == "en"
    assert doc["checks"] == ALL_CHECKS
    assert doc["summary"] == {
        "hosts": 3,
        "ok": 2,
        "unreachable": 1,
        "failed": 0,
        "findings": 5,
        "by_severity": {"critical": 1, "high": 2, "medium": 1, "low": 1, "info": 0},
    }
    assert list(doc["summary"]["by_severity"]) == ["critical", "high", "medium", "low", "info"]


def test_hosts_carry_status_message_and_findings() -> None:
    report = sample_report()
    doc = json.loads(render(report, "json"))
    assert [h["name"] for h in doc["hosts"]] == ["web1", "web2", "web3"]
    assert [h["status"] for h in doc["hosts"]] == ["ok", "ok", "unreachable"]
    web1, web2, web3 = doc["hosts"]
    assert list(web1) == ["name", "status", "message", "sites", "checks_run", "findings"]
    assert web1["sites"] == ["shop.example.org", "api.example.org"]
    assert web1["checks_run"] == ALL_CHECKS
    assert web1["findings"] == [f.to_dict() for f in report.hosts[0].findings]
    first = web1["findings"][0]
    assert first["id"] == "UPS001"
    assert first["severity"] == "critical"
    assert first["evidence"] == {
        "file": "/etc/nginx/conf.d/shop.conf",
        "line": 14,
        "port": 9000,
        "address": "127.0.0.1",
    }
    assert first["fixed_by"] == "fix502.gateway.backend_recovery"
    assert web2["findings"] == []
    assert web3["message"] == WEB3_MESSAGE
    assert web3["findings"] == [] and web3["checks_run"] == []


def test_output_is_pretty_stable_and_keeps_chinese_readable() -> None:
    text = render(sample_report("zh"), "json")
    assert text.endswith("}\n")
    assert text.startswith('{\n  "schema_version": 1,\n')
    assert "主机内存不足" in text and "\\u" not in text
    assert render(sample_report("zh"), "json") == text


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_every_sample_validates_against_the_schema(
    validator: jsonschema.Draft202012Validator, report: Report
) -> None:
    doc = json.loads(render(report, "json"))
    assert _errors(validator, doc) == []


def _mutations() -> list[tuple[str, Any]]:
    def set_status(d: dict[str, Any]) -> None:
        d["hosts"][0]["status"] = "down"

    def set_severity(d: dict[str, Any]) -> None:
        d["hosts"][0]["findings"][0]["severity"] = "severe"

    def extra_host_key(d: dict[str, Any]) -> None:
        d["hosts"][0]["extra"] = 1

    def extra_evidence_key(d: dict[str, Any]) -> None:
        d["hosts"][0]["findings"][0]["evidence"]["colour"] = "red"

    def drop_by_severity_key(d: dict[str, Any]) -> None:
        del d["summary"]["by_severity"]["info"]

    def bad_check_id(d: dict[str, Any]) -> None:
        d["checks"].append("res1")

    def zero_line(d: dict[str, Any]) -> None:
        d["hosts"][0]["findings"][0]["evidence"]["line"] = 0

    def wrong_version(d: dict[str, Any]) -> None:
        d["schema_version"] = 2

    def bad_lang(d: dict[str, Any]) -> None:
        d["lang"] = "fr"

    def bad_time(d: dict[str, Any]) -> None:
        d["generated_at"] = "yesterday"

    def autofix_string(d: dict[str, Any]) -> None:
        d["hosts"][0]["findings"][0]["autofix"] = "yes"

    return [
        (f.__name__, f)
        for f in (
            set_status,
            set_severity,
            extra_host_key,
            extra_evidence_key,
            drop_by_severity_key,
            bad_check_id,
            zero_line,
            wrong_version,
            bad_lang,
            bad_time,
            autofix_string,
        )
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[n for n, _ in _mutations()])
def test_schema_is_strict(validator: jsonschema.Draft202012Validator, name: str, mutate: Any) -> None:
    doc = json.loads(render(sample_report(), "json"))
    assert _errors(validator, doc) == []
    broken = copy.deepcopy(doc)
    mutate(broken)
    assert _errors(validator, broken), f"the schema accepted the {name} mutation"


def test_schema_patterns_admit_every_catalogue_check_and_category() -> None:
    defs = _schema()["$defs"]
    id_pattern = re.compile(defs["check_id"]["pattern"])
    category_pattern = re.compile(defs["finding"]["properties"]["category"]["pattern"])
    assert all(id_pattern.fullmatch(c.id) for c in CHECKS)
    assert all(category_pattern.fullmatch(c) for c in CATEGORIES)
    assert defs["severity"]["enum"] == [s.label for s in sorted(Severity, reverse=True)]
    assert defs["host"]["properties"]["status"]["enum"] == [s.value for s in HostStatus]


@pytest.mark.parametrize("report", all_reports(), ids=lambda r: f"{r.lang}-{len(r.hosts)}hosts")
def test_load_round_trips(report: Report) -> None:
    text = json_format.render(report)
    loaded = json_format.load(text)
    assert loaded == report
    assert json_format.render(loaded) == text


def test_load_rebuilds_model_objects() -> None:
    loaded = json_format.load(render(sample_report(), "json"))
    web1, _, web3 = loaded.hosts
    assert isinstance(web1, HostReport) and web1.status is HostStatus.OK
    assert web3.status is HostStatus.UNREACHABLE and web3.message == WEB3_MESSAGE
    first = web1.findings[0]
    assert isinstance(first, Finding) and first.severity is Severity.CRITICAL
    assert first.evidence == Evidence(
        file="/etc/nginx/conf.d/shop.conf", line=14, address="127.0.0.1", port=9000
    )
    assert loaded.tool_version == VERSION and loaded.checks == ALL_CHECKS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "not an object"),
        ('{"schema_version": 2}', "schema_version 2"),
        ('{"schema_version": 1, "tool": {"name": "other", "version": ""}}', "tool name"),
    ],
)
def test_load_rejects_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        json_format.load(text)


def test_load_names_a_bad_host_status() -> None:
    doc = json.loads(render(sample_report(), "json"))
    doc["hosts"][2]["status"] = "down"
    with pytest.raises(json_format.ReportFormatError, match=r"hosts\[2\].*'down'"):
        json_format.load(json.dumps(doc))


def test_load_names_a_bad_finding() -> None:
    doc = json.loads(render(sample_report(), "json"))
    doc["hosts"][0]["findings"][1]["severity"] = "severe"
    with pytest.raises(ValueError, match=r"hosts\[0\]\.findings\[1\].*severe"):
        json_format.load(json.dumps(doc))
