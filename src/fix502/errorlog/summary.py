"""What a scan of error logs found: one summary per root cause, small whatever the size of the logs."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_EXAMPLE_CHARS = 2000


@dataclass(frozen=True)
class Example:
    """One log line, where it was read, and its line number when the file was read from its start."""

    text: str
    source: str
    line: int | None


@dataclass(frozen=True)
class Upstream:
    """An upstream as the log names it: ``host:port``, ``[v6]:port``, ``unix:/path``, a group or a name."""

    name: str
    count: int

    @property
    def socket(self) -> str | None:
        return self.name[len("unix:") :] if self.name.startswith("unix:") else None

    @property
    def host_port(self) -> tuple[str, int | None]:
        name = self.name
        if name.startswith("["):
            host, _, rest = name[1:].partition("]")
            return host, int(rest[1:]) if rest[1:].isdigit() else None
        host, sep, port = name.rpartition(":")
        if sep and port.isdigit() and ":" not in host:
            return host, int(port)
        return name, None


@dataclass(frozen=True)
class CauseSummary:
    """Every line of one root cause: how many, first and last seen, the upstreams, a few examples."""

    cause: str
    count: int
    first: str | None
    last: str | None
    upstreams: tuple[Upstream, ...]
    other_upstreams: int
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class SourceSummary:
    """One log that was read: its name and how many bytes."""

    name: str
    bytes: int


@dataclass
class Analysis:
    causes: list[CauseSummary] = field(default_factory=list)
    sources: list[SourceSummary] = field(default_factory=list)

    def get(self, cause: str) -> CauseSummary | None:
        return next((c for c in self.causes if c.cause == cause), None)
