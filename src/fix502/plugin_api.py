"""The entry points the collection's controller-side plugins call (action and filter plugins)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fix502 import catalogue
from fix502.engine import judge_host
from fix502.thresholds import Thresholds


def audit_host(
    host: str,
    collected: Mapping[str, Any],
    *,
    checks: list[str] | None = None,
    lang: str = "en",
    thresholds: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Judge one host's collected evidence: its report, and the sites to probe to verify it.

    ValueError names a bad check, language or threshold.
    """
    if lang not in catalogue.LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(catalogue.LANGS)})")
    chosen = catalogue.select(checks)
    cloud = [c.id for c in chosen if c.category in catalogue.CLOUD_CATEGORIES]
    if cloud:
        raise ValueError(f"{', '.join(cloud)} judge cloud security groups, not hosts: run fix502 cloud")
    limits = Thresholds().updated(thresholds or {}, f"{host}: fix502_thresholds")
    judgement = judge_host(host, collected, chosen, lang=lang, thresholds=limits)
    return {
        "report": judgement.report.to_dict(),
        "probes": [{"url": s.url, "host_header": s.host_header} for s in judgement.probes],
    }


def audit_cloud(
    hostvars: Mapping[str, Mapping[str, Any]],
    *,
    config: str = "",
    config_dirs: list[str] | None = None,
    host_reports: list[Mapping[str, Any]] | None = None,
    backend_ports: list[int] | None = None,
    checks: list[str] | None = None,
    lang: str = "en",
) -> dict[str, Any] | None:
    """The cloud audit of the security groups the inventory's host variables name (and ``config``, a
    cloud.yml, by default the one the hosts name in ``fix502_cloud_config``, a relative path looked up
    in ``config_dirs`` too), with the backend ports of the host audit's reports; None when nothing is
    configured.

    Fix502Error (a bad file or host variable) or ValueError (a bad check or language) has one line.
    """
    from dataclasses import replace

    from fix502.cloud.audit import CloudAuditRequest, run_cloud_audit
    from fix502.cloud.config import CloudConfig, load_config
    from fix502.cloud.inventory import backend_ports as ports_of
    from fix502.cloud.inventory import cloud_configured, from_hostvars, inventory_config, resolve_path
    from fix502.engine import new_report
    from fix502.model import HostReport
    from fix502.report import json_format

    if lang not in catalogue.LANGS:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(catalogue.LANGS)})")
    chosen = catalogue.select(checks or list(catalogue.CLOUD_CATEGORIES))
    hosts = [c.id for c in chosen if c.category not in catalogue.CLOUD_CATEGORIES]
    if hosts:
        raise ValueError(f"{', '.join(hosts)} judge hosts, not cloud security groups: run the host audit")
    path = (
        resolve_path(config, config_dirs or []) if config else inventory_config(hostvars, config_dirs or [])
    )
    if not path and not cloud_configured(hostvars):
        return None
    base = load_config(path) if path else CloudConfig()
    found = from_hostvars(hostvars, base)
    if not found.configs:
        raise ValueError(
            "no host of the inventory names a cloud instance or security group, and the cloud "
            "configuration has no regions"
        )
    reports = [HostReport.from_dict(dict(r)) for r in host_reports or []]
    from_hosts = ports_of(reports)
    ports = tuple(dict.fromkeys([*base.backend_ports, *(backend_ports or []), *from_hosts.ports]))
    configs = [replace(c, backend_ports=ports) for c in found.configs]
    audits = [run_cloud_audit(CloudAuditRequest(config=c, checks=chosen, lang=lang)) for c in configs]
    report = new_report([h for a in audits for h in a.report.hosts], chosen, lang)
    findings = [f.to_dict() for f in report.findings()]
    return {
        "report": json_format.to_dict(report),
        "findings": findings,
        "finding_ids": sorted({f["id"] for f in findings}),
        "failed": [h.message for h in report.failed()],
        "backend_ports": list(ports),
        "backends_unknown": from_hosts.unknown,
        "endpoint_urls": {c.provider: c.endpoint_url for c in configs if c.endpoint_url},
        "calls": sum(a.calls for a in audits),
    }


def start_order(services: list[Mapping[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """The services called ``names`` and everything they depend on, dependencies first.

    ValueError names an unknown service or a dependency cycle.
    """
    by_name = {str(s["name"]): dict(s) for s in services}
    ordered: list[dict[str, Any]] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(
                f"backend services depend on each other in a cycle: {' -> '.join((*path, name))}"
            )
        if name not in by_name:
            where = f" (needed by {path[-1]})" if path else ""
            raise ValueError(f"backend service {name!r}{where} is not in fix502_backend_services")
        state[name] = "visiting"
        for dependency in by_name[name].get("depends_on") or []:
            visit(str(dependency), (*path, name))
        state[name] = "done"
        ordered.append(by_name[name])

    for name in names:
        visit(str(name), ())
    return ordered
