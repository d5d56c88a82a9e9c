"""The JSON report (schema: fix502/schemas/report-v1.json) and its loader.

The document is what other tools read: its keys and their order are stable, and ``load``
rebuilds the very Report it was rendered from.
"""

from __future__ import annotations

import json
from typing import Any

from fix502.model import REPORT_SCHEMA_VERSION, Backend, Finding, HostReport, HostStatus, Report
from fix502.report._common import TOOL_NAME, severity_counts


def summary(report: Report) -> dict[str, Any]:
    """Counts of hosts by status and of findings by severity (every severity present)."""
    findings = report.findings()
    return {
        "hosts": len(report.hosts),
        "ok": sum(1 for h in report.hosts if h.status is HostStatus.OK),
        "unreachable": len(report.unreachable()),
        "failed": len(report.failed()),
        "findings": len(findings),
        "by_severity": {s.label: n for s, n in severity_counts(findings).items()},
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON document's object, keys in their documented order."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.tool_version},
        "generated_at": report.generated_at,
        "lang": report.lang,
        "checks": list(report.checks),
        "summary": summary(report),
        "hosts": [h.to_dict() for h in report.hosts],
    }


def render(report: Report) -> str:
    """Pretty-printed JSON, UTF-8 text kept as is (Chinese stays readable), ending in a newline."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


class ReportFormatError(ValueError):
    """The text is not a fix502 JSON report this version can read."""


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ReportFormatError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise ReportFormatError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _str_list(data: dict[str, Any], key: str, where: str) -> list[str]:
    items = _require(data, key, list, where)
    if not all(isinstance(i, str) for i in items):
        raise ReportFormatError(f"{where}: {key!r} must be a list of strings")
    return list(items)


def _load_host(data: Any, where: str) -> HostReport:
    if not isinstance(data, dict):
        raise ReportFormatError(f"{where}: a host must be an object")
    status_text = _require(data, "status", str, where)
    try:
        status = HostStatus(status_text)
    except ValueError:
        known = ", ".join(s.value for s in HostStatus)
        raise ReportFormatError(f"{where}: unknown status {status_text!r} (known: {known})") from None
    findings: list[Finding] = []
    for index, item in enumerate(_require(data, "findings", list, where)):
        if not isinstance(item, dict):
            raise ReportFormatError(f"{where}.findings[{index}]: a finding must be an object")
        try:
            findings.append(Finding.from_dict(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportFormatError(f"{where}.findings[{index}]: {exc}") from None
    return HostReport(
        name=_require(data, "name", str, where),
        status=status,
        message=_require(data, "message", str, where),
        findings=findings,
        checks_run=_str_list(data, "checks_run", where),
        sites=_str_list(data, "sites", where),
        backends=_backends(data, where),
    )


def _backends(data: dict[str, Any], where: str) -> list[Backend] | None:
    """The host audit's backends; None for a report without them (older, or not a host audit)."""
    if "backends" not in data:
        return None
    out: list[Backend] = []
    for index, item in enumerate(_require(data, "backends", list, where)):
        port = item.get("port") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("address"), str)
            or isinstance(port, bool)
            or not isinstance(port, int)
            or not 1 <= port <= 65535
            or not isinstance(item.get("local"), bool)
        ):
            raise ReportFormatError(
                f"{where}.backends[{index}]: expected an object with address, port (1-65535) and local"
            )
        out.append(Backend.from_dict(item))
    return out


def load(text: str) -> Report:
    """Rebuild a Report from the JSON this module renders.

    Raises ReportFormatError (a ValueError) for text that is not JSON, not a fix502 report,
    or of another schema version.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportFormatError("not a fix502 report: the document is not an object")
    version = data.get("schema_version")
    if version != REPORT_SCHEMA_VERSION:
        raise ReportFormatError(
            f"unsupported report schema_version {version!r} (this fix502 reads {REPORT_SCHEMA_VERSION})"
        )
    tool = _require(data, "tool", dict, "report")
    if tool.get("name") != TOOL_NAME:
        raise ReportFormatError(f"not a fix502 report: tool name is {tool.get('name')!r}")
    hosts = [
        _load_host(item, f"hosts[{index}]")
        for index, item in enumerate(_require(data, "hosts", list, "report"))
    ]
    return Report(
        hosts=hosts,
        lang=_require(data, "lang", str, "report"),
        tool_version=_require(tool, "version", str, "tool"),
        generated_at=_require(data, "generated_at", str, "report"),
        checks=_str_list(data, "checks", "report"),
    )


__all__ = ["ReportFormatError", "load", "render", "summary", "to_dict"]
