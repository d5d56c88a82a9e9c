"""Small helpers the formats share: severity order and counts, check titles, documentation links."""

from __future__ import annotations

from collections.abc import Iterable

from fix502.catalogue import BY_ID
from fix502.model import Finding, HostReport, Severity

TOOL_NAME = "fix502"
PROJECT_URL = "https://github.com/fix502/gateway"
# Documentation paths in the catalogue (docs/checks.md#res001) are relative to the repository root.
DOCS_BASE = f"{PROJECT_URL}/blob/main/"

# Worst first: the order every format lists severities in.
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, reverse=True))


def doc_url(doc: str) -> str:
    """An absolute link for a check's documentation path; absolute links are kept; "" stays ""."""
    if not doc or "://" in doc:
        return doc
    return DOCS_BASE + doc.lstrip("/")


def check_doc(check_id: str, findings: Iterable[Finding] = ()) -> str:
    """The documentation path of a check: the catalogue's, else the one its findings carry."""
    check = BY_ID.get(check_id)
    if check is not None:
        return check.doc
    return next((f.doc for f in findings if f.doc), "")


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present, worst first."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def host_checks(host: HostReport) -> list[str]:
    """The checks run on a host, in order, plus any check that has a finding but was not listed."""
    return list(dict.fromkeys([*host.checks_run, *(f.id for f in host.findings)]))


def findings_by_check(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by check ID, in order of first appearance."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.id, []).append(finding)
    return grouped


def check_title(check_id: str, lang: str, findings: Iterable[Finding] = ()) -> str:
    """A check's title in ``lang``: from its findings (already localized), else the catalogue, else ""."""
    for finding in findings:
        if finding.title:
            return finding.title
    check = BY_ID.get(check_id)
    return check.title.get(lang) if check is not None else ""


def worst(findings: Iterable[Finding]) -> Severity:
    """The highest severity among ``findings`` (INFO for none)."""
    return max((f.severity for f in findings), default=Severity.INFO)
