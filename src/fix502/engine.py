"""Judging on the controller: collected evidence in, a host's findings out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fix502 import __version__
from fix502.catalogue import BY_ID, ORDER, CheckDef
from fix502.checks import Hit, load_all
from fix502.checks.context import HostContext
from fix502.model import Backend, Finding, HostReport, HostStatus, Report
from fix502.nginx_config import NginxConfig
from fix502.thresholds import Thresholds
from fix502.upstreams import Site

COLLECTED_SCHEMA = 1


def render_text(template: str, values: Mapping[str, str], check_id: str) -> str:
    try:
        return template.format_map(values)
    except KeyError as missing:
        raise RuntimeError(f"check {check_id}: its text needs the value {missing}") from None


def finding_from_hit(hit: Hit, host: str, lang: str) -> Finding:
    check = BY_ID[hit.check_id]
    return Finding(
        id=check.id,
        severity=hit.severity if hit.severity is not None else check.severity,
        category=check.category,
        host=host,
        title=check.title.get(lang),
        cause=render_text(check.cause.get(lang), hit.values, check.id),
        fix=render_text(check.fix.get(lang), hit.values, check.id),
        autofix=check.autofix if hit.autofix is None else hit.autofix and check.autofix,
        fixed_by=check.fixed_by,
        evidence=hit.evidence,
        doc=check.doc,
    )


@dataclass
class Judgement:
    report: HostReport
    probes: list[Site]


def judge_host(
    host: str,
    collected: Mapping[str, Any],
    checks: Sequence[CheckDef],
    *,
    lang: str = "en",
    thresholds: Thresholds | None = None,
    config: NginxConfig | None = None,
) -> Judgement:
    """Run the chosen checks over one host's collected evidence; also name the sites to probe.

    ``config``: an nginx configuration parsed elsewhere, judged instead of the collected ``nginx -T``.
    """
    schema = collected.get("schema")
    if schema != COLLECTED_SCHEMA:
        failed = HostReport(
            name=host,
            status=HostStatus.FAILED,
            message=f"{host}: the collector returned schema {schema!r}, this fix502 reads {COLLECTED_SCHEMA}",
        )
        return Judgement(report=failed, probes=[])
    ctx = HostContext(
        host=host, collected=dict(collected), thresholds=thresholds or Thresholds(), config=config
    )
    judges = load_all()
    findings: list[Finding] = []
    for check in checks:
        for hit in judges[check.id](ctx):
            findings.append(finding_from_hit(hit, host, lang))
    findings.sort(key=lambda f: (-f.severity, ORDER[f.id], f.evidence.where()))
    problems = "; ".join(f"{p['source']}: {p['message']}" for p in collected.get("problems") or [])
    report = HostReport(
        name=host,
        status=HostStatus.OK,
        message=problems,
        findings=findings,
        checks_run=[c.id for c in checks],
        sites=[site.url for site in ctx.sites],
        backends=None if config is not None else backends(ctx),
    )
    return Judgement(report=report, probes=ctx.sites)


def backends(ctx: HostContext) -> list[Backend]:
    """The TCP addresses nginx proxies to, once each, marked local when they are the host's own."""
    found: dict[tuple[str, int], Backend] = {}
    for endpoint in ctx.endpoints[0]:
        address = endpoint.address
        if address.host is None or address.port is None:
            continue
        key = (address.host, address.port)
        found.setdefault(key, Backend(address.host, address.port, ctx.is_local(address.host)))
    return sorted(found.values(), key=lambda b: (b.local, b.address, b.port))


def new_report(hosts: list[HostReport], checks: Sequence[CheckDef], lang: str) -> Report:
    return Report(
        hosts=sorted(hosts, key=lambda h: h.name),
        lang=lang,
        tool_version=__version__,
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        checks=[c.id for c in checks],
    )
