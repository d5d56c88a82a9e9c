"""nginx upstream groups that leave nowhere to fail over to: one server, or all marked down at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.nginx_common import evidence, where
from fix502.model import Severity
from fix502.nginx_config import Directive
from fix502.nginx_units import format_time, parse_time

# nginx's defaults for a server line of an upstream block.
DEFAULT_MAX_FAILS = 1
DEFAULT_FAIL_TIMEOUT = 10.0


@dataclass(frozen=True)
class Member:
    """One ``server`` line of an upstream block, with the parameters nginx applies to it."""

    directive: Directive
    down: bool
    backup: bool
    max_fails: int
    fail_timeout: float
    explicit_max_fails: bool

    @classmethod
    def of(cls, server: Directive) -> Member:
        params = dict(a.split("=", 1) for a in server.args[1:] if "=" in a)
        flags = set(server.args[1:])
        max_fails = params.get("max_fails", "")
        fail_timeout = parse_time(params.get("fail_timeout", ""))
        return cls(
            directive=server,
            down="down" in flags,
            backup="backup" in flags,
            max_fails=int(max_fails) if max_fails.isdigit() else DEFAULT_MAX_FAILS,
            fail_timeout=DEFAULT_FAIL_TIMEOUT if fail_timeout is None else fail_timeout,
            explicit_max_fails=max_fails.isdigit(),
        )


def _groups(ctx: HostContext) -> list[tuple[Directive, list[Member]]]:
    """Each http upstream block with its servers, parsed once for both judges."""
    model = ctx.proxy_model
    if model is None:
        return []
    groups: list[tuple[Directive, list[Member]]] | None = model.memo.get("upstream_members")
    if groups is None:
        groups = model.memo["upstream_members"] = [
            (block, [Member.of(s) for s in block.children("server") if s.args])
            for block in model.find("upstream")
            if block.context == ("http",) and block.args
        ]
    return groups


@judges("NGX005")
def single_server(ctx: HostContext) -> Iterator[Hit]:
    for block, members in _groups(ctx):
        primaries = [m for m in members if not m.down and not m.backup]
        if len(primaries) != 1 or any(m.backup and not m.down for m in members):
            continue
        server = primaries[0].directive.first_arg()
        yield Hit(
            "NGX005",
            {"upstream": block.first_arg(), "where": where(block), "server": server},
            evidence(block, ("server", server), ("upstream", block.first_arg())),
        )


@judges("NGX006")
def all_marked_down(ctx: HostContext) -> Iterator[Hit]:
    limit = ctx.thresholds.upstream_small_group_servers
    for block, members in _groups(ctx):
        name = block.first_arg()
        if members and all(m.down for m in members):
            yield Hit(
                "NGX006",
                {
                    "upstream": name,
                    "where": where(block),
                    "state": (
                        "has every server marked `down`: nginx has nowhere to send requests and answers "
                        'each one with 502 ("no live upstreams").'
                    ),
                    "state_zh": '的所有服务器都被标记为 `down`：nginx 无处转发请求，对每个请求都返回 502（"no live upstreams"）。',
                    "hint": "Remove `down` from the servers that should take traffic, or send the locations elsewhere.",
                    "hint_zh": "去掉应当承接流量的服务器上的 `down`，或让相关 location 转发到别处。",
                },
                evidence(block, ("upstream", name)),
                severity=Severity.CRITICAL,
            )
            continue
        primaries = [m for m in members if not m.down and not m.backup]
        has_backup = any(m.backup and not m.down for m in members)
        if has_backup or not 2 <= len(primaries) <= limit:
            continue
        if any(m.max_fails != 1 for m in primaries):
            continue  # max_fails=0 never marks a server down; more than 1 needs several failures
        explicit = any(m.explicit_max_fails for m in primaries)
        window = format_time(max(m.fail_timeout for m in primaries))
        source = "max_fails=1 on every server" if explicit else "nginx's default max_fails=1"
        source_zh = "每台服务器都设置了 max_fails=1" if explicit else "nginx 默认的 max_fails=1"
        yield Hit(
            "NGX006",
            {
                "upstream": name,
                "where": where(block),
                "state": (
                    f"has {len(primaries)} servers and no backup, and each is marked unavailable for {window} "
                    f"after a single failed attempt ({source}). One bad moment, such as a deploy or one slow "
                    "request that times out on each server in turn, takes them all out at once, and for "
                    f'{window} every request gets 502 ("no live upstreams").'
                ),
                "state_zh": (
                    f"有 {len(primaries)} 台服务器且没有 backup，每台只要失败一次（{source_zh}）就会被标记为不可用 {window}。"
                    "一次短暂的故障（例如发布，或一个慢请求依次在每台服务器上超时）就会让它们同时下线，"
                    f'在 {window} 内每个请求都得到 502（"no live upstreams"）。'
                ),
                "hint": (
                    "Let a server fail a few times before it is taken out (`max_fails=3`) and keep fail_timeout "
                    "short, add servers, or add a `backup` server that takes over when all are marked down."
                ),
                "hint_zh": "让服务器失败几次后才被摘除（`max_fails=3`）并保持较短的 fail_timeout，增加服务器，或增加一台在全部被摘除时接管的 `backup` 服务器。",
            },
            evidence(block, ("upstream", name), ("max_fails", "1")),
            severity=Severity.MEDIUM if explicit else Severity.LOW,
        )
