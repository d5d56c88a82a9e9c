"""Containers: the Docker and podman containers nginx proxies to, found by fix502.discovery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.discovery import LOOPBACKS, ContainerLink, container_links
from fix502.model import Evidence, Severity

# A container restarted this often is crash-looping rather than unlucky (as SVC003 counts for units).
CRASH_LOOP_RESTARTS = 3
_STARTABLE = ("exited", "created")


def _product(ctx: HostContext, container: dict[str, Any]) -> str:
    for engine in (ctx.collected.get("containers") or {}).get("engines") or []:
        if engine.get("socket") == container.get("engine"):
            return "podman" if engine.get("product") == "podman" else "docker"
    return "docker"


def _ports(container: dict[str, Any]) -> str:
    shown = []
    for binding in container.get("port_bindings") or container.get("ports") or []:
        inside = f"{binding.get('container_port')}/{binding.get('protocol', 'tcp')}"
        if binding.get("host_port"):
            host = binding.get("host_ip") or "0.0.0.0"
            shown.append(f"{host}:{binding['host_port']}->{inside}")
        else:
            shown.append(inside)
    return ", ".join(shown) or "none"


def _exit_texts(container: dict[str, Any]) -> tuple[str, str]:
    if container.get("state") not in ("exited", "dead", "restarting"):
        return "", ""
    code = container.get("exit_code")
    en = f" with exit code {code}" if code is not None else ""
    zh = f"，退出码 {code}" if code is not None else ""
    if container.get("oom_killed"):
        en += ", killed for using too much memory (OOMKilled)"
        zh += "，因内存占用过多被杀（OOMKilled）"
    return en, zh


_REACH = {
    "published": (", which it publishes", "（由它发布）"),
    "address": (", its own address", "（它自己的地址）"),
    "host": (", where it listens on the host's network", "（它在主机网络上监听）"),
}


def _values(ctx: HostContext, link: ContainerLink) -> dict[str, str]:
    container = link.container
    exit_en, exit_zh = _exit_texts(container)
    reach, reach_zh = _REACH.get(link.via, ("", ""))
    return {
        "reach": reach,
        "reach_zh": reach_zh,
        "container": str(container.get("name") or str(container.get("id"))[:12]),
        "image": str(container.get("image") or "?"),
        "state": str(container.get("state")),
        "exit": exit_en,
        "exit_zh": exit_zh,
        "target": str(link.endpoint.address),
        "cli": _product(ctx, container),
        "policy": str((container.get("restart_policy") or {}).get("name") or "no"),
        "restarts": str(container.get("restart_count") or 0),
    }


def _evidence(link: ContainerLink, *, with_directive: bool = False) -> Evidence:
    container = link.container
    address = link.endpoint.address
    values = {
        "container": str(container.get("name")),
        "container_id": str(container.get("id"))[:12],
        "image": str(container.get("image")),
        "engine": str(container.get("engine")),
        "state": str(container.get("state")),
        "exit_code": str(container.get("exit_code")),
        "oom_killed": str(bool(container.get("oom_killed"))).lower(),
        "restart_policy": str((container.get("restart_policy") or {}).get("name") or "no"),
        "restart_count": str(container.get("restart_count") or 0),
        "ports": _ports(container),
        "linked_by": link.via,
    }
    return Evidence(
        file=link.endpoint.file if with_directive else None,
        line=link.endpoint.line if with_directive else None,
        address=address.host,
        port=address.port,
        values=tuple(sorted(values.items())),
    )


def _reached_once(ctx: HostContext) -> Iterator[ContainerLink]:
    """Each container nginx's connections reach, once (its first target)."""
    seen: set[str] = set()
    for link in container_links(ctx):
        key = str(link.container.get("id"))
        if link.reached and key not in seen:
            seen.add(key)
            yield link


def _crash_looping(container: dict[str, Any]) -> bool:
    if container.get("state") == "restarting":
        return True
    return not container.get("running") and int(container.get("restart_count") or 0) >= CRASH_LOOP_RESTARTS


@judges("CNT001")
def not_running(ctx: HostContext) -> Iterator[Hit]:
    for link in _reached_once(ctx):
        container = link.container
        state = container.get("state")
        if container.get("running") or state in ("restarting", "paused") or _crash_looping(container):
            continue
        yield Hit(
            "CNT001",
            _values(ctx, link),
            _evidence(link),
            autofix=state in _STARTABLE,
        )


@judges("CNT002")
def restarting(ctx: HostContext) -> Iterator[Hit]:
    for link in _reached_once(ctx):
        if _crash_looping(link.container):
            yield Hit(
                "CNT002",
                _values(ctx, link),
                _evidence(link),
                severity=Severity.CRITICAL if not link.container.get("running") else None,
            )


@judges("CNT003")
def no_restart_policy(ctx: HostContext) -> Iterator[Hit]:
    for link in _reached_once(ctx):
        container = link.container
        policy = (container.get("restart_policy") or {}).get("name") or "no"
        if policy != "no" or (container.get("labels") or {}).get("PODMAN_SYSTEMD_UNIT"):
            continue  # a systemd unit that runs a container restarts it itself
        # --rm excludes a restart policy: a person must recreate the container without it. podman
        # recreates a container to change its policy, and the new one gets another address: not when
        # nginx proxies to the address itself.
        recreated_elsewhere = link.via == "address" and _product(ctx, container) == "podman"
        autofix = not container.get("auto_remove") and not recreated_elsewhere
        yield Hit("CNT003", _values(ctx, link), _evidence(link), autofix=autofix)


def _inside(container: dict[str, Any]) -> dict[int, list[str]]:
    ports: dict[int, list[str]] = {}
    for entry in container.get("listening") or []:
        ports.setdefault(int(entry.get("port")), []).append(str(entry.get("address")))
    return ports


def mismatch(link: ContainerLink) -> tuple[str, str] | None:
    """How the container fails to serve nginx's target, in en and zh; None when it does not."""
    container = link.container
    port = link.container_port
    target = link.endpoint.address
    if link.via == "elsewhere":
        where = link.host_ip
        return (
            f"publishes port {target.port} on {where} only, not on the address nginx connects to",
            f"只在 {where} 上发布了端口 {target.port}，而不是 nginx 连接的地址",
        )
    if link.via == "port":
        published = sorted(
            {
                f"{b.get('host_ip') or '0.0.0.0'}:{b['host_port']}"
                for b in container.get("port_bindings") or []
                if b.get("container_port") == port and b.get("host_port")
            }
        )
        if published:
            return (
                f"publishes its port {port} on {', '.join(published)} instead of port {target.port}",
                f"把它的端口 {port} 发布在 {'、'.join(published)}，而不是端口 {target.port}",
            )
        return (
            f"does not publish its port {port} on the host",
            f"没有把它的端口 {port} 发布到主机上",
        )
    if link.via not in ("published", "address") or port is None:
        return None
    if not container.get("running") or container.get("listening") is None:
        return None  # nothing to compare with: CNT001/CNT002 say why it does not run
    inside = _inside(container)
    how = (
        f"publishes port {target.port} on its port {port}" if link.via == "published" else f"is {target.host}"
    )
    how_zh = (
        f"把端口 {target.port} 发布到它的端口 {port}"
        if link.via == "published"
        else f"的地址是 {target.host}"
    )
    if port not in inside:
        others = ", ".join(str(p) for p in sorted(inside)) or "no port"
        others_zh = "、".join(str(p) for p in sorted(inside)) or "任何端口"
        return (
            f"{how}, where nothing listens inside it (it listens on {others})",
            f"{how_zh}，但容器里没有进程监听 {port}（它监听的是 {others_zh}）",
        )
    if all(address in LOOPBACKS for address in inside[port]):
        bound = ", ".join(inside[port])
        return (
            f"{how}, which its server listens on only on {bound} inside, where connections from outside the "
            "container never arrive",
            f"{how_zh}，但容器里的服务只在 {bound} 上监听，来自容器外的连接到不了那里",
        )
    return None


@judges("CNT004")
def port_mismatch(ctx: HostContext) -> Iterator[Hit]:
    seen: set[tuple[str, str]] = set()
    for link in container_links(ctx):
        found = mismatch(link)
        key = (str(link.container.get("id")), str(link.endpoint.address))
        if found is None or key in seen:
            continue
        seen.add(key)
        values = _values(ctx, link) | {
            "directive": link.endpoint.directive,
            "where": f"{link.endpoint.file}:{link.endpoint.line}",
            "mismatch": found[0],
            "mismatch_zh": found[1],
            "host_port": str(link.endpoint.address.port),
        }
        yield Hit("CNT004", values, _evidence(link, with_directive=True))
