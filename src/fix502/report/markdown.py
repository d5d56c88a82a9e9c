"""GitHub-flavoured Markdown for pull request comments and issue bodies.

A summary table (one row per host), then a section per host: a table of its findings (ID
linked to the check's documentation) and, below it, the cause and fix of each as a list.
"""

from __future__ import annotations

import re

from fix502.model import Evidence, Finding, HostReport, HostStatus, Report
from fix502.report import labels
from fix502.report._common import SEVERITY_ORDER, check_doc, doc_url, severity_counts
from fix502.report.table import summary_line


def cell(text: str) -> str:
    """Text safe inside a table cell: on one line, with ``|`` escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _heading(lang: str, key: str) -> str:
    return labels.capitalize(labels.label(lang, key))


def _summary_table(report: Report) -> list[str]:
    lang = report.lang
    head = [_heading(lang, "host"), _heading(lang, "status"), _heading(lang, "findings")]
    head += [labels.capitalize(labels.severity_name(lang, s)) for s in SEVERITY_ORDER]
    lines = [_row(head), _row(["---", "---"] + ["---:"] * (len(head) - 2))]
    for host in report.hosts:
        status = labels.status_name(lang, host.status)
        if host.status is HostStatus.OK:
            counts = severity_counts(host.findings)
            numbers = [str(len(host.findings))] + [str(counts[s]) for s in SEVERITY_ORDER]
            lines.append(_row([cell(host.name), status, *numbers]))
        else:
            dashes = ["—"] * (len(SEVERITY_ORDER) + 1)
            lines.append(_row([cell(host.name), f"**{status}**", *dashes]))
    return lines


def _id_link(finding: Finding) -> str:
    url = doc_url(finding.doc or check_doc(finding.id))
    return f"[{finding.id}]({url})" if url else finding.id


def _findings_table(findings: list[Finding], lang: str) -> list[str]:
    head = [_heading(lang, key) for key in ("severity", "id", "title", "where")]
    lines = [_row(head), _row(["---"] * len(head))]
    for finding in findings:
        where = finding.evidence.where()
        lines.append(
            _row(
                [
                    labels.severity_name(lang, finding.severity),
                    _id_link(finding),
                    cell(finding.title),
                    cell(code(where)) if where else "",
                ]
            )
        )
    return lines


def _evidence_items(evidence: Evidence, lang: str) -> list[str]:
    sep = labels.label(lang, "sep")
    items: list[str] = []
    if evidence.values:
        pairs = labels.label(lang, "list_sep").join(code(f"{k}={v}") for k, v in evidence.values)
        items.append(f"  - {_heading(lang, 'values')}{sep}{pairs}")
    if evidence.log_lines:
        body = "\n".join(evidence.log_lines)
        fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", body)), default=0) + 1)
        items.append(f"  - {_heading(lang, 'log')}{sep}".rstrip())
        items.append(f"    {fence}")
        items.extend(f"    {line}" for line in evidence.log_lines)
        items.append(f"    {fence}")
    return items


def _details(findings: list[Finding], lang: str) -> list[str]:
    sep = labels.label(lang, "sep")
    lines: list[str] = []
    for finding in findings:
        where = finding.evidence.where()
        head = f"- **{finding.id}** {' '.join(finding.title.split())}"
        if where:
            head += f" — {code(where)}"
        lines.append(head)
        lines.append(f"  - {_heading(lang, 'cause')}{sep}{' '.join(finding.cause.split())}")
        lines.append(f"  - {_heading(lang, 'fix')}{sep}{' '.join(finding.fix.split())}")
        autofix = labels.label(lang, "yes" if finding.autofix else "no")
        if finding.autofix and finding.fixed_by:
            autofix += labels.label(lang, "open") + code(finding.fixed_by) + labels.label(lang, "close")
        lines.append(f"  - {_heading(lang, 'autofix')}{sep}{autofix}")
        lines.extend(_evidence_items(finding.evidence, lang))
    return lines


def _host_section(host: HostReport, lang: str) -> list[str]:
    lines = [f"### {host.name}", ""]
    if host.sites:
        lines += [labels.label(lang, "list_sep").join(code(s) for s in host.sites), ""]
    if host.status is not HostStatus.OK:
        status = labels.capitalize(labels.status_name(lang, host.status))
        message = " ".join(host.message.split())
        lines.append(f"> **{status}**{labels.label(lang, 'sep')}{message}" if message else f"> **{status}**")
        return lines
    if not host.findings:
        lines.append(labels.capitalize(labels.label(lang, "no_problems")) + labels.label(lang, "period"))
        return lines
    ordered = sorted(host.findings, key=lambda f: -f.severity)
    lines += _findings_table(ordered, lang)
    lines += ["", f"**{_heading(lang, 'details')}**", ""]
    lines += _details(ordered, lang)
    return lines


def render(report: Report) -> str:
    lang = report.lang
    version = report.tool_version or "?"
    if report.generated_at:
        generated = labels.label(lang, "generated", at=report.generated_at, version=version)
    else:
        generated = labels.label(lang, "generated_no_time", version=version)
    lines = [f"## {labels.label(lang, 'report_title')}", "", f"_{labels.capitalize(generated)}_", ""]
    if report.checks:
        checks = labels.label(lang, "list_sep").join(code(c) for c in report.checks)
        lines += [f"{_heading(lang, 'checks')}{labels.label(lang, 'sep')}{checks}", ""]
    lines += _summary_table(report)
    lines += ["", f"**{summary_line(report)}**"]
    for host in report.hosts:
        lines += ["", *_host_section(host, lang)]
    return "\n".join(lines) + "\n"


__all__ = ["cell", "code", "render"]
