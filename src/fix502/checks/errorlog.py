"""Error log: one judge per root cause of 502/504 that nginx's (or php-fpm's) error log names.

The logs are read once per host: the tails the collector brought back (``collected.error_logs``),
or the files ``fix502 logs`` was given (``HostContext.error_log``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO

from fix502.checks import CheckFunction, Hit, judges
from fix502.checks.context import HostContext
from fix502.errorlog import ALL_CAUSES, Analysis, CauseSummary, Scanner
from fix502.model import Evidence

MAX_NAMED_UPSTREAMS = 5
_MAX_CHILDREN = re.compile(r"max_children setting \((\d+)\)")


def analysis(ctx: HostContext) -> Analysis:
    """The causes in the host's error logs, read once and kept on the context."""
    if ctx.error_log is None:
        ctx.error_log = analyse_collected(ctx.collected.get("error_logs") or [])
    return ctx.error_log


def analyse_collected(logs: list[dict[str, object]]) -> Analysis:
    """Classify the tails the collector returned; a tail read from its file's start keeps line numbers."""
    scanner = Scanner()
    for entry in logs:
        data = str(entry.get("tail") or "").encode("utf-8")
        path = str(entry.get("path") or "error log")
        scanner.scan(BytesIO(data), path)
        if entry.get("offset") == 0:
            scanner.number_lines(path, data)
    return scanner.analysis()


def _upstreams(cause: CauseSummary) -> tuple[str, str]:
    named = cause.upstreams[:MAX_NAMED_UPSTREAMS]
    if not named:
        return "an unknown upstream", "未知的上游"
    if len(cause.upstreams) == 1 and not cause.other_upstreams:
        return named[0].name, named[0].name
    text = ", ".join(f"{u.name} ({u.count})" for u in named)
    more = len(cause.upstreams) - len(named) + (1 if cause.other_upstreams else 0)
    if more:
        return f"{text} and more", f"{text} 等"
    return text, text


def _where(cause: CauseSummary) -> tuple[str | None, int | None]:
    if not cause.examples:
        return None, None
    first = cause.examples[0]
    return first.source, first.line


def hit_for(cause: CauseSummary) -> Hit:
    upstream, upstream_zh = _upstreams(cause)
    file, line = _where(cause)
    files = sorted({e.source for e in cause.examples})
    limit = next((m.group(1) for e in cause.examples if (m := _MAX_CHILDREN.search(e.text))), "?")
    values = {
        "count": str(cause.count),
        "first": cause.first or "an unknown time",
        "last": cause.last or "an unknown time",
        "upstream": upstream,
        "upstream_zh": upstream_zh,
        "file": file or "the error log",
        "limit": limit,
    }
    top = cause.upstreams[0] if cause.upstreams else None
    if top is not None and top.name.startswith("pool "):  # php-fpm names its pool, not an address
        top = None
    host, port = top.host_port if top and not top.socket else (None, None)
    evidence_values = [
        ("count", str(cause.count)),
        ("first", cause.first or ""),
        ("last", cause.last or ""),
        ("upstreams", ", ".join(f"{u.name} ({u.count})" for u in cause.upstreams)),
    ]
    if len(files) > 1:
        evidence_values.append(("files", ", ".join(files)))
    return Hit(
        cause.cause,
        values,
        Evidence(
            file=file,
            line=line,
            address=host,
            port=port,
            socket=top.socket if top else None,
            log_lines=tuple(e.text for e in cause.examples),
            values=tuple(sorted(evidence_values)),
        ),
    )


def _judge(cause_id: str) -> CheckFunction:
    def judge(ctx: HostContext) -> Iterator[Hit]:
        found = analysis(ctx).get(cause_id)
        if found is not None:
            yield hit_for(found)

    judge.__name__ = f"error_log_{cause_id.lower()}"
    return judge


for _cause_id in ALL_CAUSES:
    judges(_cause_id)(_judge(_cause_id))
