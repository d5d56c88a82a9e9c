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
    limits = Thresholds().updated(thresholds or {}, f"{host}: fix502_thresholds")
    judgement = judge_host(host, collected, chosen, lang=lang, thresholds=limits)
    return {
        "report": judgement.report.to_dict(),
        "probes": [{"url": s.url, "host_header": s.host_header} for s in judgement.probes],
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
