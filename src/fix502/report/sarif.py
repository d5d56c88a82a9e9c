"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; one rule per check; one result per finding. Every result has a physical location
(GitHub requires one): the evidence file (with its line), else the path or socket the finding
is about, else a ``hosts/<host>`` placeholder relative to %SRCROOT%. Hosts that could not be
checked are tool execution notifications, and make the invocation unsuccessful.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fix502.catalogue import BY_ID, CATEGORIES, CheckDef
from fix502.model import Finding, HostReport, HostStatus, Report, Severity
from fix502.report._common import PROJECT_URL, TOOL_NAME, doc_url

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "fix502/v1"

NOTIFICATION_IDS: dict[HostStatus, str] = {
    HostStatus.UNREACHABLE: "host-unreachable",
    HostStatus.FAILED: "host-failed",
}

_NOTIFICATION_TEXT: dict[str, dict[HostStatus, tuple[str, str]]] = {
    # (descriptor description, message template)
    "en": {
        HostStatus.UNREACHABLE: ("A host could not be reached", "Host {host} is unreachable: {message}"),
        HostStatus.FAILED: ("The checks failed on a host", "The checks failed on host {host}: {message}"),
    },
    "zh": {
        HostStatus.UNREACHABLE: ("无法连接主机", "无法连接主机 {host}：{message}"),
        HostStatus.FAILED: ("主机上的检查执行失败", "主机 {host} 上的检查执行失败：{message}"),
    },
}

_FIX_LABEL = {"en": (": ", " Fix: "), "zh": ("：", " 修复：")}


def level(severity: Severity) -> str:
    """SARIF result level: critical/high -> error, medium -> warning, low/info -> note."""
    if severity >= Severity.HIGH:
        return "error"
    if severity is Severity.MEDIUM:
        return "warning"
    return "note"


def problem_severity(severity: Severity) -> str:
    """GitHub's ``problem.severity`` rule property: error, warning or recommendation."""
    sarif_level = level(severity)
    return "recommendation" if sarif_level == "note" else sarif_level


def rule_name(title: str) -> str:
    """A CamelCase rule name from an English title ("The host is short of memory": TheHostIsShortOfMemory)."""
    words = re.split(r"[^0-9A-Za-z]+", title.replace("'", "").replace("\u2019", ""))
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _category_label(category: str, lang: str) -> str:
    names = CATEGORIES.get(category)
    if names is None:
        return category
    return names[1] if lang == "zh" else names[0]


def _rule_from_check(check: CheckDef, lang: str) -> dict[str, Any]:
    title = check.title.get(lang)
    fix = check.fix.get(lang)
    category = _category_label(check.category, lang)
    return _rule(
        check.id,
        english_title=check.title.en,
        title=title,
        full=f"{title} ({category})" if lang != "zh" else f"{title}（{category}）",
        fix=fix,
        doc=check.doc,
        severity=check.severity,
        category=check.category,
    )


def _rule_from_finding(finding: Finding) -> dict[str, Any]:
    """A rule for a check the catalogue does not know (a report from another fix502 version)."""
    return _rule(
        finding.id,
        english_title=finding.title,
        title=finding.title,
        full=f"{finding.title} ({finding.category})",
        fix=finding.fix,
        doc=finding.doc,
        severity=finding.severity,
        category=finding.category,
    )


def _rule(
    rule_id: str,
    *,
    english_title: str,
    title: str,
    full: str,
    fix: str,
    doc: str,
    severity: Severity,
    category: str,
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": rule_name(english_title) or rule_id,
        "shortDescription": {"text": title or rule_id},
        "fullDescription": {"text": full},
        "help": {"text": fix or title or rule_id, "markdown": fix or title or rule_id},
    }
    url = doc_url(doc)
    if url:
        rule["helpUri"] = url
    rule["defaultConfiguration"] = {"level": level(severity)}
    rule["properties"] = {
        "category": category,
        "tags": [category, TOOL_NAME],
        "problem.severity": problem_severity(severity),
    }
    return rule


def _rule_ids(report: Report) -> list[str]:
    ids = list(report.checks)
    for host in report.hosts:
        ids.extend(host.checks_run)
        ids.extend(f.id for f in host.findings)
    return list(dict.fromkeys(ids))


def rules(report: Report) -> list[dict[str, Any]]:
    """One reportingDescriptor per check run (report.checks, the hosts' checks_run) or found."""
    first_finding = {f.id: f for f in reversed(report.findings())}
    out: list[dict[str, Any]] = []
    for check_id in _rule_ids(report):
        check = BY_ID.get(check_id)
        if check is not None:
            out.append(_rule_from_check(check, report.lang))
        elif check_id in first_finding:
            out.append(_rule_from_finding(first_finding[check_id]))
        else:
            out.append(
                _rule(
                    check_id,
                    english_title="",
                    title=check_id,
                    full=check_id,
                    fix="",
                    doc="",
                    severity=Severity.INFO,
                    category="unknown",
                )
            )
    return out


def _uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): absolute host paths as file:/// URIs, relative ones under %SRCROOT%."""
    if path.startswith("unix:"):
        path = path[len("unix:") :]
    if path.startswith("/"):
        return "file://" + quote(path, safe="/"), None
    return quote(path.removeprefix("./"), safe="/"), SRCROOT


def _artifact(finding: Finding) -> tuple[dict[str, Any], int | None]:
    evidence = finding.evidence
    line = evidence.line if evidence.file and evidence.line and evidence.line >= 1 else None
    target = evidence.file or evidence.path or evidence.socket
    if target:
        uri, base = _uri(target)
    else:
        uri, base = "hosts/" + quote(finding.host, safe=""), SRCROOT
    artifact: dict[str, Any] = {"uri": uri}
    if base:
        artifact["uriBaseId"] = base
    return artifact, line


def _where(finding: Finding, artifact: dict[str, Any]) -> str:
    return finding.evidence.where() or str(artifact["uri"])


def fingerprint(finding: Finding, where: str) -> str:
    """sha256 of host|id|where: stable across runs while the problem stays where it is."""
    return hashlib.sha256(f"{finding.host}|{finding.id}|{where}".encode()).hexdigest()


def _host_logical(host: str) -> dict[str, Any]:
    return {"name": host, "fullyQualifiedName": host, "kind": "module"}


def _message(finding: Finding, lang: str) -> str:
    colon, fix_label = _FIX_LABEL.get(lang, _FIX_LABEL["en"])
    text = f"{finding.title}{colon}{finding.cause}"
    if finding.fix:
        text += f"{fix_label}{finding.fix}"
    return text


def _result(finding: Finding, rule_index: int, lang: str) -> dict[str, Any]:
    artifact, line = _artifact(finding)
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {
        "physicalLocation": physical,
        "logicalLocations": [_host_logical(finding.host)],
    }
    where = _where(finding, artifact)
    if finding.evidence.where():
        location["message"] = {"text": f"{finding.host}: {finding.evidence.where()}"}
    return {
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": {"text": _message(finding, lang)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding, where)},
        "properties": {
            "host": finding.host,
            "severity": finding.severity.label,
            "autofix": finding.autofix,
            "fixed_by": finding.fixed_by,
            "evidence": finding.evidence.to_dict(),
        },
    }


def _notification(host: HostReport, lang: str) -> dict[str, Any]:
    texts = _NOTIFICATION_TEXT.get(lang, _NOTIFICATION_TEXT["en"])
    descriptor_id = NOTIFICATION_IDS[host.status]
    _, template = texts[host.status]
    return {
        "level": "error",
        "message": {"text": template.format(host=host.name, message=host.message or host.status.value)},
        "descriptor": {"id": descriptor_id, "index": list(NOTIFICATION_IDS.values()).index(descriptor_id)},
        "locations": [{"logicalLocations": [_host_logical(host.name)]}],
        "properties": {"host": host.name, "status": host.status.value},
    }


def _notification_descriptors(lang: str) -> list[dict[str, Any]]:
    texts = _NOTIFICATION_TEXT.get(lang, _NOTIFICATION_TEXT["en"])
    return [
        {
            "id": descriptor_id,
            "shortDescription": {"text": texts[status][0]},
            "defaultConfiguration": {"level": "error"},
        }
        for status, descriptor_id in NOTIFICATION_IDS.items()
    ]


def _utc(timestamp: str) -> str | None:
    """generated_at as a SARIF UTC date-time (…Z), or None when it is empty or not ISO 8601."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_dict(report: Report) -> dict[str, Any]:
    """The SARIF log as an object."""
    rule_list = rules(report)
    index = {rule["id"]: i for i, rule in enumerate(rule_list)}
    results = [_result(f, index[f.id], report.lang) for f in report.findings()]
    bad_hosts = [h for h in report.hosts if h.status is not HostStatus.OK]
    invocation: dict[str, Any] = {
        "executionSuccessful": not bad_hosts,
        "toolExecutionNotifications": [_notification(h, report.lang) for h in bad_hosts],
    }
    end = _utc(report.generated_at)
    if end:
        invocation["endTimeUtc"] = end
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "informationUri": PROJECT_URL,
        "rules": rule_list,
        "notifications": _notification_descriptors(report.lang),
    }
    if report.tool_version:
        driver["version"] = report.tool_version
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "language": "zh-CN" if report.lang == "zh" else "en-US",
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "hosts": [{"name": h.name, "status": h.status.value, "message": h.message} for h in report.hosts],
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


__all__ = ["fingerprint", "level", "problem_severity", "render", "rule_name", "rules", "to_dict"]
