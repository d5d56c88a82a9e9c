"""The report model every output format renders: a report has hosts, a host has findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

REPORT_SCHEMA_VERSION = 1


class Severity(enum.IntEnum):
    """Ordered so that comparisons read naturally: Severity.HIGH > Severity.MEDIUM."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None


class HostStatus(enum.StrEnum):
    OK = "ok"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen. Every field is optional; the ones that apply are set."""

    file: str | None = None
    line: int | None = None
    unit: str | None = None
    port: int | None = None
    socket: str | None = None
    address: str | None = None
    path: str | None = None
    rule: str | None = None
    # A cloud resource: a security group ID, a load balancer's or target group's ARN.
    resource: str | None = None
    log_lines: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("file", "line", "unit", "port", "socket", "address", "path", "rule", "resource"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.log_lines:
            out["log_lines"] = list(self.log_lines)
        if self.values:
            out["values"] = dict(self.values)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            file=data.get("file"),
            line=data.get("line"),
            unit=data.get("unit"),
            port=data.get("port"),
            socket=data.get("socket"),
            address=data.get("address"),
            path=data.get("path"),
            rule=data.get("rule"),
            resource=data.get("resource"),
            log_lines=tuple(data.get("log_lines", ())),
            values=tuple(sorted((str(k), str(v)) for k, v in data.get("values", {}).items())),
        )

    def where(self) -> str:
        """A short human location: file:line, else unit, socket, address:port or path."""
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        if self.resource:
            return f"{self.resource}: {self.rule}" if self.rule else self.resource
        for value in (self.unit, self.socket, self.path, self.rule):
            if value:
                return value
        if self.address and self.port:
            return f"{self.address}:{self.port}"
        if self.port:
            return f"port {self.port}"
        return ""


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    category: str
    host: str
    title: str
    cause: str
    fix: str
    autofix: bool
    fixed_by: str | None
    evidence: Evidence
    doc: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "category": self.category,
            "host": self.host,
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "autofix": self.autofix,
            "fixed_by": self.fixed_by,
            "evidence": self.evidence.to_dict(),
            "doc": self.doc,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            id=data["id"],
            severity=Severity.parse(data["severity"]),
            category=data["category"],
            host=data["host"],
            title=data["title"],
            cause=data["cause"],
            fix=data["fix"],
            autofix=bool(data["autofix"]),
            fixed_by=data.get("fixed_by"),
            evidence=Evidence.from_dict(data.get("evidence", {})),
            doc=data.get("doc", ""),
        )


@dataclass(frozen=True)
class Backend:
    """A TCP address nginx proxies to, from its configuration; ``local`` when it is the host itself."""

    address: str
    port: int
    local: bool

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "port": self.port, "local": self.local}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Backend:
        return cls(address=str(data["address"]), port=int(data["port"]), local=bool(data["local"]))


@dataclass
class HostReport:
    name: str
    status: HostStatus
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    checks_run: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    # The backends the host audit found (None: not known, e.g. a host that was not audited).
    backends: list[Backend] | None = None

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "status": self.status.value,
            "message": self.message,
            "sites": list(self.sites),
            "checks_run": list(self.checks_run),
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.backends is not None:
            out["backends"] = [b.to_dict() for b in self.backends]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostReport:
        return cls(
            name=data["name"],
            status=HostStatus(data["status"]),
            message=data.get("message", ""),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            checks_run=list(data.get("checks_run", [])),
            sites=list(data.get("sites", [])),
            backends=None
            if data.get("backends") is None
            else [Backend.from_dict(b) for b in data["backends"]],
        )


@dataclass
class Report:
    hosts: list[HostReport]
    lang: str = "en"
    tool_version: str = ""
    generated_at: str = ""
    checks: list[str] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        return [f for h in self.hosts for f in h.findings]

    def unreachable(self) -> list[HostReport]:
        return [h for h in self.hosts if h.status is HostStatus.UNREACHABLE]

    def failed(self) -> list[HostReport]:
        return [h for h in self.hosts if h.status is HostStatus.FAILED]

    def count_at_or_above(self, threshold: Severity) -> int:
        return sum(1 for f in self.findings() if f.severity >= threshold)
