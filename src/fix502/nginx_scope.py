"""Which value of a directive applies where: nginx's inheritance from http to server to location.

A directive such as ``proxy_read_timeout`` set at http level applies in every server and location
that does not set it itself. Array directives (``proxy_set_header``, ``fastcgi_param``, ...) are
inherited as a whole list, and only by a level that defines none of them: one
``proxy_set_header`` in a location replaces every one the server or http block set.

``ProxyModel`` walks a parsed configuration once and keeps, for each ``*_pass`` directive, the
blocks around it and what it points at, so every check reads the same resolution.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from fix502.nginx_config import Directive, NginxConfig
from fix502.upstreams import PASS_DIRECTIVES, Upstream, upstream_blocks

_SCHEMES = ("http://", "https://", "grpc://", "grpcs://", "uwsgi://", "suwsgi://")


class BlockIndex:
    """Each block's children by name, built on first use: http blocks can hold thousands."""

    def __init__(self) -> None:
        self._tables: dict[int, tuple[Directive, dict[str, list[Directive]]]] = {}

    def children(self, block: Directive, name: str) -> list[Directive]:
        children = block.block or ()
        if len(children) < 32:  # a location's few directives: a scan is cheaper than a table
            return [d for d in children if d.name == name]
        entry = self._tables.get(id(block))
        if entry is None:
            table: dict[str, list[Directive]] = {}
            for child in block.block or ():
                table.setdefault(child.name, []).append(child)
            entry = self._tables[id(block)] = (block, table)
        return entry[1].get(name, [])


@dataclass(frozen=True)
class Scoped:
    """A directive with the blocks around it, outermost first (``http``, ``server``, ``location``)."""

    directive: Directive
    chain: tuple[Directive, ...]
    index: BlockIndex | None = field(default=None, compare=False, repr=False)

    def nearest(self, name: str) -> Directive | None:
        return nearest(self.chain, name, self.index)

    def nearest_list(self, name: str) -> tuple[Directive | None, list[Directive]]:
        return nearest_list(self.chain, name, self.index)

    def enclosing(self, name: str) -> Directive | None:
        """The innermost block called ``name`` around the directive."""
        return next((b for b in reversed(self.chain) if b.name == name), None)


def _children(block: Directive, name: str, index: BlockIndex | None) -> list[Directive]:
    if index is not None:
        return index.children(block, name)
    return [d for d in block.block or () if d.name == name]


def nearest(chain: tuple[Directive, ...], name: str, index: BlockIndex | None = None) -> Directive | None:
    """The ``name`` directive that applies inside the innermost block of ``chain``, if any level sets it."""
    for block in reversed(chain):
        found = _children(block, name, index)
        if found:
            return found[-1]
    return None


def nearest_list(
    chain: tuple[Directive, ...], name: str, index: BlockIndex | None = None
) -> tuple[Directive | None, list[Directive]]:
    """The level whose ``name`` directives apply (replaced as a whole, never merged), and those directives."""
    for block in reversed(chain):
        found = _children(block, name, index)
        if found:
            return block, found
    return None, []


@dataclass(frozen=True)
class PassTarget:
    """What a ``*_pass`` value names: ``http://app/api/`` is scheme http://, authority app, uri /api/."""

    scheme: str
    authority: str
    uri: str | None

    @property
    def dynamic(self) -> bool:
        return "$" in self.authority

    @property
    def host(self) -> str | None:
        """The host name or address, without port; None for unix sockets and variables."""
        if self.dynamic or self.authority.startswith("unix:"):
            return None
        text = self.authority
        if text.startswith("["):
            return text[1 : text.find("]")] if "]" in text else None
        return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def split_pass(value: str) -> PassTarget:
    scheme = next((s for s in _SCHEMES if value.startswith(s)), "")
    rest = value[len(scheme) :]
    if rest.startswith("unix:"):
        path, sep, uri = rest[len("unix:") :].partition(":")
        return PassTarget(scheme, "unix:" + path, uri if sep else None)
    authority, sep, uri = rest.partition("/")
    return PassTarget(scheme, authority, "/" + uri if sep else None)


def is_ip(host: str) -> bool:
    if not (host[:1].isdigit() or ":" in host):
        return False  # a name: skip the costly parse
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass
class Pass:
    """One ``*_pass`` directive, the blocks around it, and the upstream block it names (if any)."""

    scoped: Scoped
    target: PassTarget
    upstream: Upstream | None

    @property
    def directive(self) -> Directive:
        return self.scoped.directive


@dataclass
class ProxyModel:
    config: NginxConfig
    passes: list[Pass] = field(default_factory=list)
    upstreams: dict[tuple[str, str], Upstream] = field(default_factory=dict)
    http_blocks: list[Directive] = field(default_factory=list)
    maps: dict[str, Directive] = field(default_factory=dict)
    index: BlockIndex = field(default_factory=BlockIndex)
    by_name: dict[str, list[Directive]] = field(default_factory=dict)
    # What several checks derive from the model, computed once (see nginx_groups.members).
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, config: NginxConfig) -> ProxyModel:
        model = cls(config=config)
        wanted = set(PASS_DIRECTIVES)
        stack: list[tuple[Directive, tuple[Directive, ...]]] = [(d, ()) for d in reversed(config.directives)]
        by_name = model.by_name
        pending: list[Scoped] = []
        while stack:
            directive, chain = stack.pop()
            found = by_name.get(directive.name)
            if found is None:
                by_name[directive.name] = [directive]
            else:
                found.append(directive)
            if directive.name in wanted and chain and directive.args:
                pending.append(Scoped(directive, chain, model.index))
            elif directive.name == "http" and not chain:
                model.http_blocks.append(directive)
            elif directive.name == "map" and len(directive.args) == 2:
                model.maps.setdefault(directive.args[1], directive)
            if directive.block:
                inner = (*chain, directive)
                stack.extend((child, inner) for child in reversed(directive.block))
        model.upstreams = upstream_blocks(config, by_name.get("upstream", []))
        for scoped in pending:
            model._add_pass(scoped)
        return model

    def _add_pass(self, scoped: Scoped) -> None:
        target = split_pass(scoped.directive.args[0])
        top = scoped.chain[0].name
        upstream = None if target.dynamic else self.upstreams.get((top, target.authority))
        self.passes.append(Pass(scoped=scoped, target=target, upstream=upstream))

    def find(self, *names: str) -> list[Directive]:
        """Every directive called one of ``names`` (by name, each in the order of the configuration)."""
        return [d for n in names for d in self.by_name.get(n, [])]

    def of(self, *names: str) -> list[Pass]:
        wanted = set(names)
        return [p for p in self.passes if p.directive.name in wanted]
