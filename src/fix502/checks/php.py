"""php-fpm: fastcgi_pass to an address that none of the pools in php-fpm's configuration listens on.

The pools come from the collector's reading of php-fpm's configuration files (``php_fpm``); whether
anything listens on an address, from its listeners.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.upstream import is_listening
from fix502.discovery import tcp_accepts
from fix502.model import Evidence
from fix502.upstreams import Address, Endpoint

MAX_OTHERS = 4


@dataclass(frozen=True)
class Pool:
    name: str
    listen: str
    address: Address | None
    file: str
    line: int
    settings: dict[str, dict[str, Any]]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def setting(self, key: str) -> str | None:
        entry = self.settings.get(key)
        return str(entry["value"]) if entry and entry.get("value") is not None else None


def pool_address(listen: str) -> Address | None:
    """php-fpm's ``listen`` value as an address: ``/path``, ``port``, ``host:port``, ``[v6]:port``.

    A port alone means every address: its host is None.
    """
    value = listen.strip()
    if value.startswith("/"):
        return Address(socket=posixpath.normpath(value))
    if value.isdigit():
        return Address(host=None, port=int(value))
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return Address(host=host, port=int(port)) if port.isdigit() else None
    host, _, port = value.rpartition(":")
    if not port.isdigit() or not host:
        return None
    return Address(host=None if host in ("*", "any") else host, port=int(port))


def pools(ctx: HostContext) -> list[Pool]:
    found = []
    for raw in (ctx.collected.get("php_fpm") or {}).get("pools") or []:
        settings = dict(raw.get("settings") or {})
        listen = settings.get("listen")
        if not listen or listen.get("value") in (None, ""):
            continue
        found.append(
            Pool(
                name=str(raw.get("name")),
                listen=str(listen["value"]),
                address=pool_address(str(listen["value"])),
                file=str(listen.get("file") or raw.get("file")),
                line=int(listen.get("line") or raw.get("line") or 0),
                settings=settings,
            )
        )
    return found


def pool_serves(ctx: HostContext, pool: Pool, target: Address) -> bool:
    """Would a connection to ``target`` reach this pool?"""
    address = pool.address
    if address is None:
        return False
    if address.socket or target.socket:
        return bool(address.socket and target.socket) and address.socket == posixpath.normpath(
            target.socket or ""
        )
    return address.port == target.port and tcp_accepts(ctx, address.host, target.host)


def pool_of_socket(ctx: HostContext, path: str) -> Pool | None:
    return next((p for p in pools(ctx) if pool_serves(ctx, p, Address(socket=path))), None)


def _nginx_form(address: Address | None, listen: str) -> str:
    if address is None:
        return listen
    if address.socket:
        return f"unix:{address.socket}"
    host = address.host if address.host not in (None, "0.0.0.0", "::") else "127.0.0.1"
    return str(Address(host=host, port=address.port))


def _fpm_form(target: Address) -> str:
    return target.socket if target.socket else str(target)


def _closeness(pool: Pool, target: Address) -> float:
    same_kind = pool.address is not None and bool(pool.address.socket) == bool(target.socket)
    same_port = pool.address is not None and target.port is not None and pool.address.port == target.port
    ratio = difflib.SequenceMatcher(None, _nginx_form(pool.address, pool.listen), str(target)).ratio()
    return (2.0 if same_port else 0.0) + (1.0 if same_kind else 0.0) + ratio


def _fastcgi_endpoints(ctx: HostContext) -> list[Endpoint]:
    found, _dynamic = ctx.endpoints
    if ctx.nginx is None:
        return []
    upstream_names = {d.first_arg() for d in ctx.nginx.find("fastcgi_pass")}
    return [
        e
        for e in found
        if e.directive == "fastcgi_pass" or (e.upstream is not None and e.upstream in upstream_names)
    ]


def _state(ctx: HostContext, pool: Pool) -> tuple[str, str]:
    if pool.address is not None and is_listening(ctx, pool.address):
        return "php-fpm listens there now", "php-fpm 现在正在那里监听"
    return "nothing listens there either", "那里同样没有进程监听"


@judges("PHP001")
def pass_matches_no_pool(ctx: HostContext) -> Iterator[Hit]:
    known = pools(ctx)
    if not known:
        return  # no php-fpm configuration on this host: the backend is something else
    for endpoint in _fastcgi_endpoints(ctx):
        target = endpoint.address
        if endpoint.down or not ctx.is_local(target.host) or is_listening(ctx, target):
            continue
        if any(pool_serves(ctx, pool, target) for pool in known):
            continue  # a pool is configured there but does not run: UPS001 says so
        ranked = sorted(known, key=lambda p: -_closeness(p, target))
        closest, others = ranked[0], ranked[1:]
        state, state_zh = _state(ctx, closest)
        listed = [f"{p.name} (`listen = {p.listen}`, {p.where})" for p in others[:MAX_OTHERS]]
        more = len(others) - MAX_OTHERS
        other_text = other_zh = ""
        if listed:
            other_text = "; the other pools: " + ", ".join(listed) + (f" and {more} more" if more > 0 else "")
            other_zh = "；其他进程池：" + "、".join(listed) + (f" 等另外 {more} 个" if more > 0 else "")
        where = f"{endpoint.file}:{endpoint.line}"
        yield Hit(
            "PHP001",
            {
                "where": where,
                "target": str(target),
                "closest": (
                    f"the closest is pool {closest.name} ({closest.where}), `listen = {closest.listen}`, "
                    f"and {state}"
                ),
                "closest_zh": (
                    f"最接近的是进程池 {closest.name}（{closest.where}），"
                    f"`listen = {closest.listen}`，{state_zh}"
                ),
                "others": other_text,
                "others_zh": other_zh,
                "pool_listen": _fpm_form(target),
                "pool_where": closest.where,
                "pool_pass": _nginx_form(closest.address, closest.listen),
            },
            Evidence(
                file=endpoint.file,
                line=endpoint.line,
                socket=target.socket,
                port=target.port,
                address=target.host,
                values=(
                    ("pool", closest.name),
                    ("pool_listen", closest.listen),
                    ("pool_where", closest.where),
                    ("pools", str(len(known))),
                ),
            ),
        )
