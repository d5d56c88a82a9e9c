"""JUnit XML for CI systems that show test results (GitLab, Jenkins, GitHub test reporters).

One testsuite per host, one testcase per check run on it. A check with findings fails (all its
findings on that host in one <failure>); a host that could not be checked has a single
"reachable" testcase in error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fix502.model import Evidence, Finding, HostReport, HostStatus, Report
from fix502.report import labels
from fix502.report._common import TOOL_NAME, check_title, findings_by_check, host_checks, worst


def _evidence_lines(evidence: Evidence, lang: str) -> list[str]:
    sep = labels.label(lang, "sep")
    lines: list[str] = []
    where = evidence.where()
    if where:
        lines.append(f"{labels.capitalize(labels.label(lang, 'where'))}{sep}{where}")
    if evidence.values:
        pairs = ", ".join(f"{k}={v}" for k, v in evidence.values)
        lines.append(f"{labels.capitalize(labels.label(lang, 'values'))}{sep}{pairs}")
    if evidence.log_lines:
        lines.append(f"{labels.capitalize(labels.label(lang, 'log'))}{sep}".rstrip())
        lines.extend(f"    {line}" for line in evidence.log_lines)
    return lines


def failure_text(findings: list[Finding], lang: str) -> str:
    """Cause, fix and evidence of each finding of one check on one host, blank-line separated."""
    sep = labels.label(lang, "sep")
    blocks: list[str] = []
    for number, finding in enumerate(findings, start=1):
        head = f"{finding.id} {labels.severity_name(lang, finding.severity)}"
        if len(findings) > 1:
            head = f"{number}/{len(findings)} {head}"
        autofix = labels.label(lang, "yes" if finding.autofix else "no")
        if finding.autofix and finding.fixed_by:
            autofix += f" ({finding.fixed_by})"
        lines = [
            f"[{head}] {finding.title}",
            *_evidence_lines(finding.evidence, lang),
            f"{labels.capitalize(labels.label(lang, 'cause'))}{sep}{finding.cause}",
            f"{labels.capitalize(labels.label(lang, 'fix'))}{sep}{finding.fix}",
            f"{labels.capitalize(labels.label(lang, 'autofix'))}{sep}{autofix}",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _suite(host: HostReport, lang: str) -> ET.Element:
    suite = ET.Element("testsuite", name=host.name)
    classname = f"{TOOL_NAME}.{host.name}"
    tests = failures = errors = 0
    if host.status is not HostStatus.OK:
        case = ET.SubElement(suite, "testcase", classname=classname, name="reachable")
        status = labels.status_name(lang, host.status)
        error = ET.SubElement(
            case,
            "error",
            message=f"{status}{labels.label(lang, 'sep')}{host.message}" if host.message else status,
            type=host.status.value,
        )
        error.text = f"{host.name}: {status}" + (f"\n{host.message}" if host.message else "")
        tests, errors = 1, 1
    else:
        grouped = findings_by_check(host.findings)
        for check_id in host_checks(host):
            found = grouped.get(check_id, [])
            title = check_title(check_id, lang, found)
            case = ET.SubElement(suite, "testcase", classname=classname, name=f"{check_id} {title}".strip())
            tests += 1
            if found:
                failure = ET.SubElement(case, "failure", message=title or check_id, type=worst(found).label)
                failure.text = failure_text(found, lang)
                failures += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return suite


def to_element(report: Report) -> ET.Element:
    """The <testsuites> element, counts included."""
    root = ET.Element("testsuites", name=TOOL_NAME)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for host in report.hosts:
        suite = _suite(host, report.lang)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def render(report: Report) -> str:
    root = to_element(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["failure_text", "render", "to_element"]
