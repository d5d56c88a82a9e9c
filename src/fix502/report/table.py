"""The terminal report: one block per host, one paragraph per finding, a summary line at the end.

Text is wrapped to 100 columns counting East Asian wide characters as two, so Chinese
reports wrap as neatly as English ones. Colors (ANSI) only when asked for.
"""

from __future__ import annotations

import re
import unicodedata

from fix502.model import Finding, HostReport, HostStatus, Report, Severity
from fix502.report import labels
from fix502.report._common import severity_counts

WIDTH = 100

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_COLORS: dict[Severity, str] = {
    Severity.CRITICAL: "\x1b[1;31m",  # bold red
    Severity.HIGH: "\x1b[31m",  # red
    Severity.MEDIUM: "\x1b[33m",  # yellow
    Severity.LOW: "\x1b[36m",  # cyan
    Severity.INFO: "\x1b[2m",  # dim
}
STATUS_COLORS: dict[HostStatus, str] = {
    HostStatus.OK: "\x1b[32m",  # green
    HostStatus.UNREACHABLE: "\x1b[1;35m",  # bold magenta: stands apart from severities
    HostStatus.FAILED: "\x1b[1;35m",
}

# Punctuation that must not start a line / must not end one (kinsoku), glued to its neighbour.
_NO_LINE_START = set("，。、；：！？）」』》】,.;:!?)]}")
_NO_LINE_END = set("（「『《【([{")
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\uac00-\ud7af]+|.")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide and fullwidth characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _tokens(text: str) -> list[str]:
    raw = _TOKEN.findall(text)
    tokens: list[str] = []
    for token in raw:
        glue = token[0] in _NO_LINE_START or (bool(tokens) and tokens[-1][-1] in _NO_LINE_END)
        if tokens and glue and not token.isspace() and not tokens[-1].isspace():
            tokens[-1] += token
            continue
        tokens.append(token)
    return tokens


def wrap(text: str, width: int, first_prefix: str, indent: str) -> list[str]:
    """Lines of at most ``width`` columns: ``first_prefix`` then the text, continuation lines
    indented by ``indent``. Breaks at spaces and between CJK characters; a word longer than the
    line (a long path) is kept whole."""
    lines: list[str] = []
    current = first_prefix
    used = display_width(first_prefix)
    at_start = True
    for token in _tokens(" ".join(text.split())):
        if token.isspace():
            if not at_start:
                current += " "
                used += 1
            continue
        size = display_width(token)
        if not at_start and used + size > width:
            lines.append(current.rstrip())
            current, used = indent, display_width(indent)
        current += token
        used += size
        at_start = False
    lines.append(current.rstrip())
    return lines


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color and code else text


def _counts_text(findings: list[Finding], lang: str) -> str:
    counts = severity_counts(findings)
    parts = [f"{n} {labels.severity_name(lang, s)}" for s, n in counts.items() if n]
    text = labels.counted(lang, "findings", len(findings))
    if parts:
        text += labels.label(lang, "open") + labels.label(lang, "list_sep").join(parts)
        text += labels.label(lang, "close")
    return text


def _host_header(host: HostReport, lang: str, paint: _Painter) -> str:
    status = paint(labels.status_name(lang, host.status), STATUS_COLORS[host.status])
    head = f"{paint(host.name, BOLD)}  [{status}]"
    if host.status is HostStatus.OK:
        return f"{head}  {_counts_text(host.findings, lang)}"
    return head


def _field(lang: str, key: str, text: str) -> list[str]:
    prefix = f"  {labels.label(lang, key)}{labels.label(lang, 'sep')}"
    return wrap(text, WIDTH, prefix, " " * display_width(prefix))


def _finding(finding: Finding, lang: str, paint: _Painter) -> list[str]:
    tag = f"[{labels.severity_name(lang, finding.severity).upper()}]"
    plain = f"{tag} {finding.id}  "
    lines = wrap(finding.title, WIDTH, plain, "  ")
    painted = f"{paint(tag, SEVERITY_COLORS[finding.severity])} {paint(finding.id, BOLD)}  "
    lines[0] = painted + lines[0][len(plain) :]
    where = finding.evidence.where()
    if where:
        lines.extend(_field(lang, "where", where))
    if finding.cause:
        lines.extend(_field(lang, "why", finding.cause))
    if finding.fix:
        lines.extend(_field(lang, "fix", finding.fix))
    autofix = labels.label(lang, "yes" if finding.autofix else "no")
    if finding.autofix and finding.fixed_by:
        autofix += labels.label(lang, "open") + finding.fixed_by + labels.label(lang, "close")
    lines.extend(_field(lang, "autofix", autofix))
    return lines


def _host(host: HostReport, lang: str, paint: _Painter) -> list[str]:
    lines = [_host_header(host, lang, paint)]
    if host.status is not HostStatus.OK:
        note = labels.label(
            lang, "unreachable_note" if host.status is HostStatus.UNREACHABLE else "failed_note"
        )
        text = f"{note}{labels.label(lang, 'sep')}{host.message}" if host.message else note
        lines.extend(paint(line, STATUS_COLORS[host.status]) for line in wrap(text, WIDTH, "  ! ", "    "))
        return lines
    if not host.findings:
        lines.append("  " + paint(labels.label(lang, "no_problems"), STATUS_COLORS[HostStatus.OK]))
        return lines
    ordered = sorted(host.findings, key=lambda f: -f.severity)
    for finding in ordered:
        lines.append("")
        lines.extend(_finding(finding, lang, paint))
    return lines


def summary_line(report: Report) -> str:
    """The closing line, e.g. "3 hosts: 2 ok, 1 unreachable, 0 failed; 5 findings (1 critical, …)"."""
    lang = report.lang
    hosts = labels.label(
        lang,
        "hosts_summary",
        hosts=labels.counted(lang, "hosts", len(report.hosts)),
        ok=sum(1 for h in report.hosts if h.status is HostStatus.OK),
        unreachable=len(report.unreachable()),
        failed=len(report.failed()),
    )
    return f"{hosts}{labels.label(lang, 'clause_sep')}{_counts_text(report.findings(), lang)}"


def render(report: Report, *, color: bool = False) -> str:
    paint = _Painter(color)
    blocks = ["\n".join(_host(host, report.lang, paint)) for host in report.hosts]
    summary = summary_line(report)
    worst = max((f.severity for f in report.findings()), default=None)
    if report.unreachable() or report.failed():
        summary = paint(summary, STATUS_COLORS[HostStatus.UNREACHABLE])
    elif worst is not None:
        summary = paint(summary, SEVERITY_COLORS[worst])
    else:
        summary = paint(summary, STATUS_COLORS[HostStatus.OK])
    return "\n\n".join([*blocks, summary]) + "\n"


__all__ = ["WIDTH", "display_width", "render", "summary_line", "wrap"]
