"""Upstreams: backends nginx proxies to with nothing listening."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.service import is_crash_looping
from fix502.discovery import declared_service, listener_of
from fix502.model import Evidence, Severity
from fix502.upstreams import Address, Endpoint


def is_listening(ctx: HostContext, address: Address) -> bool:
    return listener_of(ctx, address) is not None


def _can_start(service: dict[str, Any]) -> bool:
    if service.get("manager", "systemd") == "systemd":
        return bool(service.get("unit"))
    return bool(service.get("start_command"))


def unit_is_active(service: dict[str, Any] | None) -> bool:
    return bool(service) and (service or {}).get("properties", {}).get("ActiveState") == "active"


def addresses_of_unit(ctx: HostContext, unit: str | None) -> list[str]:
    """Where the processes of a systemd unit listen, as nginx would write the address."""
    if not unit:
        return []
    listeners = ctx.collected.get("listeners") or {}
    found = [
        str(Address(host=item.get("address"), port=item.get("port")))
        for item in listeners.get("tcp") or []
        if item.get("unit") == unit
    ]
    found += [f"unix:{item['path']}" for item in listeners.get("unix") or [] if item.get("unit") == unit]
    return sorted(set(found))


def _needs_a_person(service: dict[str, Any]) -> bool:
    properties = {str(k): str(v) for k, v in (service.get("properties") or {}).items()}
    return unit_is_active(service) or is_crash_looping(properties)


def _service_texts(ctx: HostContext, service: dict[str, Any] | None) -> dict[str, str]:
    if service is None:
        return {"service": "", "service_zh": ""}
    state = state_zh = ""
    unit = service.get("unit")
    properties = service.get("properties") or {}
    elsewhere = addresses_of_unit(ctx, unit)
    if unit_is_active(service) and elsewhere:
        state = f"; its unit {unit} is running but listens on {', '.join(elsewhere)} instead"
        state_zh = f"，其单元 {unit} 正在运行，但监听的是 {'、'.join(elsewhere)}"
    elif properties.get("ActiveState"):
        state = f"; its unit {unit} is {properties['ActiveState']}"
        state_zh = f"，其单元 {unit} 的状态为 {properties['ActiveState']}"
    return {
        "service": f", where the declared backend {service['name']} should be{state}",
        "service_zh": f"（按声明应由后端 {service['name']} 监听{state_zh}）",
    }


def _impact(ctx: HostContext, endpoint: Endpoint, group: list[Endpoint]) -> tuple[Severity, str, str]:
    alive = [e for e in group if e is not endpoint and not e.down and ctx.is_local(e.address.host)]
    alive = [e for e in alive if is_listening(ctx, e.address)]
    if endpoint.upstream and alive:
        return (
            Severity.HIGH,
            f"nginx fails over to the other servers of upstream {endpoint.upstream}, but every failed "
            "attempt costs time and, when those are busy too, clients get 502.",
            f"nginx 会切换到 upstream {endpoint.upstream} 中的其他服务器，但每次失败的尝试都会增加延迟，"
            "其他服务器繁忙时客户端同样会收到 502。",
        )
    return (
        Severity.CRITICAL,
        "Every request routed there gets 502 Bad Gateway.",
        "所有被转发到这里的请求都会得到 502 Bad Gateway。",
    )


@judges("UPS001")
def backend_not_listening(ctx: HostContext) -> Iterator[Hit]:
    found, _dynamic = ctx.endpoints
    groups: dict[str, list[Endpoint]] = {}
    for endpoint in found:
        if endpoint.upstream:
            groups.setdefault(endpoint.upstream, []).append(endpoint)
    for endpoint in found:
        address = endpoint.address
        if endpoint.down or not ctx.is_local(address.host) or is_listening(ctx, address):
            continue
        severity, impact, impact_zh = _impact(ctx, endpoint, groups.get(endpoint.upstream or "", []))
        service = declared_service(ctx, address)
        evidence_values: list[tuple[str, str]] = [("directive", endpoint.directive)]
        if service is not None:
            evidence_values.append(("service", str(service["name"])))
        yield Hit(
            "UPS001",
            {
                "target": str(address),
                "directive": endpoint.directive,
                "where": f"{endpoint.file}:{endpoint.line}",
                "impact": impact,
                "impact_zh": impact_zh,
            }
            | _service_texts(ctx, service),
            Evidence(
                file=endpoint.file,
                line=endpoint.line,
                port=address.port,
                socket=address.socket,
                address=address.host,
                unit=(service or {}).get("unit")
                if (service or {}).get("manager", "systemd") == "systemd"
                else None,
                values=tuple(sorted(evidence_values)),
            ),
            severity=severity,
            # A running backend that listens elsewhere needs a person to say which address is right,
            # and one that keeps crashing will not stay up by being started again.
            autofix=service is not None and _can_start(service) and not _needs_a_person(service),
        )
