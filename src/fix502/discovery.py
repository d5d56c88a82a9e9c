"""What serves each address nginx proxies to, without anyone declaring it.

nginx's targets (``ctx.endpoints``) are matched against what the collector saw on the host:

- a systemd service owning the listening socket (``collected.listeners``, with the unit's properties in
  ``collected.units``): the service checks judge it like a declared backend, named by its unit;
- a container (``collected.containers``) publishing the target's port on the host, holding it on the
  host's network, or owning the target's address. When nothing on the host serves the target, a
  container whose own port is the target's port is named as the one nginx probably means.

Declared backends (``fix502_backend_services``) keep priority: a target or unit they cover is not
discovered again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fix502.upstreams import Address, Endpoint, parse_address

if TYPE_CHECKING:
    from fix502.checks.context import HostContext

WILDCARDS = ("0.0.0.0", "::", "*", "")
LOOPBACKS = ("127.0.0.1", "::1")
# The label fix502.gateway.container_restart_policy puts on a container it recreated: the old one's ID.
REPLACES_LABEL = "fix502.gateway.replaces"
# Processes that hold a published port for a container; the container, not their unit, serves it.
PORT_HOLDERS = ("conmon", "docker-proxy", "rootlessport", "rootlessport-ch", "slirp4netns", "pasta")
_CONTAINER_ID = re.compile(r"(?:^|[-_/])([0-9a-f]{64})(?:\.scope)?$")


@dataclass(frozen=True)
class ContainerLink:
    """One container tied to one target of nginx, and how.

    ``via``: ``published`` (it publishes the target's host port), ``elsewhere`` (it publishes that port
    on another host address only), ``address`` (the target is its own address), ``host`` (it shares the
    host's network and owns the listener), ``port`` (nothing serves the target and the container's own
    port is the target's port).
    """

    container: dict[str, Any]
    endpoint: Endpoint
    via: str
    container_port: int | None
    host_ip: str = ""

    @property
    def reached(self) -> bool:
        """Whether nginx's connections to the target end up at this container's port."""
        return self.via in ("published", "address", "host")


@dataclass
class Discovery:
    services: list[dict[str, Any]] = field(default_factory=list)
    links: list[ContainerLink] = field(default_factory=list)


def tcp_accepts(ctx: HostContext, listen_host: str | None, target_host: str | None) -> bool:
    """Would a socket bound to ``listen_host`` accept a connection made to ``target_host``?"""
    if listen_host is None or target_host is None or listen_host in WILDCARDS:
        return True
    if listen_host == target_host:
        return True
    if target_host == "localhost":
        return listen_host in LOOPBACKS
    return target_host == ctx.collected.get("hostname") and listen_host in ctx.own_addresses


def listener_of(ctx: HostContext, address: Address) -> dict[str, Any] | None:
    listeners = ctx.collected.get("listeners") or {}
    if address.socket:
        return next((i for i in listeners.get("unix") or [] if i.get("path") == address.socket), None)
    return next(
        (
            item
            for item in listeners.get("tcp") or []
            if item.get("port") == address.port and tcp_accepts(ctx, item.get("address"), address.host)
        ),
        None,
    )


def container_id_of_unit(unit: str | None) -> str | None:
    """The container ID in a cgroup unit name: docker-ID.scope, libpod-ID.scope, libpod-conmon-ID.scope."""
    match = _CONTAINER_ID.search(unit or "")
    return match.group(1) if match else None


def containers(ctx: HostContext) -> list[dict[str, Any]]:
    """The collected containers, without those a recreation by fix502 replaced."""
    items = list((ctx.collected.get("containers") or {}).get("items") or [])
    replaced = {str((c.get("labels") or {}).get(REPLACES_LABEL)) for c in items}
    return [c for c in items if c.get("id") not in replaced]


def declared_service(ctx: HostContext, address: Address) -> dict[str, Any] | None:
    """The service in ``fix502_backend_services`` that should listen on ``address``."""
    for service in ctx.collected.get("backend_services") or []:
        listen = str(service.get("listen", ""))
        declared = Address(port=int(listen)) if listen.isdigit() else parse_address(listen, None)
        if declared is None:
            continue
        if address.socket or declared.socket:
            if address.socket == declared.socket:
                return dict(service)
        elif declared.port == address.port and tcp_accepts(ctx, declared.host, address.host):
            return dict(service)
    return None


def declared_covers(ctx: HostContext, address: Address) -> bool:
    return declared_service(ctx, address) is not None


def _bindings(container: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for binding in [*(container.get("port_bindings") or []), *(container.get("ports") or [])]:
        if binding.get("protocol", "tcp") == "tcp" and binding not in out:
            out.append(binding)
    return out


def _links_of(ctx: HostContext, endpoint: Endpoint, items: list[dict[str, Any]]) -> list[ContainerLink]:
    address = endpoint.address
    if address.socket or address.port is None:
        return []
    links: list[ContainerLink] = []
    local = ctx.is_local(address.host)
    for container in items:
        if address.host in (container.get("addresses") or []):
            links.append(ContainerLink(container, endpoint, "address", address.port))
            continue
        if not local:
            continue
        published = [b for b in _bindings(container) if b.get("host_port") == address.port]
        reaching = [b for b in published if tcp_accepts(ctx, b.get("host_ip") or None, address.host)]
        if reaching:
            first = reaching[0]
            links.append(ContainerLink(container, endpoint, "published", first.get("container_port")))
        elif published:
            first = published[0]
            links.append(
                ContainerLink(
                    container, endpoint, "elsewhere", first.get("container_port"), first.get("host_ip") or ""
                )
            )
    if links or not local:
        return links
    listener = listener_of(ctx, address)
    if listener is not None:
        owner = container_id_of_unit(listener.get("unit"))
        for container in items:
            if owner and container.get("id") == owner and container.get("network_mode") == "host":
                links.append(ContainerLink(container, endpoint, "host", address.port))
        return links
    if declared_covers(ctx, address):
        return links  # a declared backend is meant to serve it
    # Nothing on the host serves the target: a container whose own port it is was probably meant.
    # A stopped container counts only when it publishes that port somewhere: one that merely exposes
    # it (an image's EXPOSE) may be an old one left behind.
    for container in items:
        own = {b.get("container_port") for b in _bindings(container)}
        if container.get("running"):
            own |= {
                e.get("port") for e in container.get("exposed") or [] if e.get("protocol", "tcp") == "tcp"
            }
            own |= {e.get("port") for e in container.get("listening") or []}
        if address.port in own and container.get("network_mode") != "host":
            links.append(ContainerLink(container, endpoint, "port", address.port))
    return links


def _service_of(
    ctx: HostContext, endpoint: Endpoint, declared_units: set[str], master_pid: Any
) -> tuple[str, str] | None:
    """(unit, where) of the systemd service owning the listener of an endpoint nobody declared."""
    address = endpoint.address
    if not ctx.is_local(address.host) or declared_covers(ctx, address):
        return None
    listener = listener_of(ctx, address)
    if listener is None:
        return None
    unit = listener.get("unit")
    process = listener.get("process")
    if not unit or not str(unit).endswith(".service") or unit in declared_units:
        return None
    if process in PORT_HOLDERS or process == "nginx" or (master_pid and listener.get("pid") == master_pid):
        return None
    if address.socket:
        return str(unit), f"unix:{address.socket}"
    return str(unit), str(Address(host=listener.get("address"), port=listener.get("port")))


def discover(ctx: HostContext) -> Discovery:
    found, _dynamic = ctx.endpoints
    items = containers(ctx)
    result = Discovery()
    declared_units = {
        str(s.get("unit")) for s in ctx.collected.get("backend_services") or [] if s.get("unit")
    }
    master_pid = (ctx.collected.get("nginx") or {}).get("master_pid")
    units = ctx.collected.get("units") or {}
    by_unit: dict[str, dict[str, Any]] = {}
    for endpoint in found:
        links = _links_of(ctx, endpoint, items)
        result.links.extend(links)
        if any(link.reached for link in links):
            continue  # a container serves it; the unit holding its port is the engine's
        owner = _service_of(ctx, endpoint, declared_units, master_pid)
        if owner is None:
            continue
        unit, where = owner
        if unit not in by_unit:
            name = unit[: -len(".service")]
            by_unit[unit] = {
                "name": name,
                "listen": where,
                "manager": "systemd",
                "unit": unit,
                "discovered": True,
                "listens": [],
                "properties": dict(units.get(unit) or {}),
            }
            result.services.append(by_unit[unit])
        if where not in by_unit[unit]["listens"]:
            by_unit[unit]["listens"].append(where)
    return result


def discovered_services(ctx: HostContext) -> list[dict[str, Any]]:
    """The systemd services behind nginx that no declared backend names, shaped like declared ones."""
    return ctx.discovery.services


def container_links(ctx: HostContext) -> Iterator[ContainerLink]:
    yield from ctx.discovery.links
