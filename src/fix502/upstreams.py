"""Where nginx connects to: every concrete backend address in a parsed configuration.

An endpoint is one address nginx opens connections to, with the directive (file and line)
that names it: a ``*_pass`` with a literal address, or a ``server`` line of an upstream block
that some ``*_pass`` uses. Addresses built from variables are resolved only at request time
and are listed as dynamic, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fix502.nginx_config import Directive, NginxConfig

PASS_DIRECTIVES = ("proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass", "memcached_pass")
_SCHEMES = {
    "http://": 80,
    "https://": 443,
    "grpc://": 80,
    "grpcs://": 443,
    "uwsgi://": None,
    "suwsgi://": None,
}


@dataclass(frozen=True)
class Address:
    """A TCP host and port, or a unix socket path."""

    host: str | None = None
    port: int | None = None
    socket: str | None = None

    def __str__(self) -> str:
        if self.socket:
            return f"unix:{self.socket}"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Endpoint:
    address: Address
    directive: str
    file: str
    line: int
    upstream: str | None = None
    backup: bool = False
    down: bool = False


@dataclass(frozen=True)
class DynamicPass:
    directive: str
    value: str
    file: str
    line: int


@dataclass(frozen=True)
class Site:
    url: str
    host_header: str
    file: str
    line: int


@dataclass
class Upstream:
    name: str
    context: str
    directive: Directive
    servers: list[Endpoint]


def parse_address(text: str, default_port: int | None) -> Address | None:
    """``unix:/path``, ``[v6]:port``, ``host:port`` or ``host`` (with the default port)."""
    if text.startswith("unix:"):
        return Address(socket=text[len("unix:") :])
    host, port = text, default_port
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host = text[1:end]
        rest = text[end + 1 :]
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif text.count(":") == 1:
        name, _, tail = text.partition(":")
        if not tail.isdigit():
            return None
        host, port = name, int(tail)
    if port is None or not host:
        return None
    return Address(host=host, port=port)


def _split_scheme(value: str) -> tuple[str, int | None, str]:
    for scheme, port in _SCHEMES.items():
        if value.startswith(scheme):
            return scheme, port, value[len(scheme) :]
    return "", None, value


def _authority(rest: str) -> str:
    """The host part of a URL remainder; ``unix:/path:/uri`` keeps the socket path."""
    if rest.startswith("unix:"):
        return "unix:" + rest[len("unix:") :].split(":", 1)[0]
    return rest.split("/", 1)[0]


def upstream_blocks(
    config: NginxConfig, found: list[Directive] | None = None
) -> dict[tuple[str, str], Upstream]:
    """Upstream blocks by (top-level context, name): http and stream have separate namespaces.

    ``found``: the configuration's ``upstream`` directives when the caller has them already.
    """
    blocks: dict[tuple[str, str], Upstream] = {}
    for directive in config.find("upstream") if found is None else found:
        if not directive.args or not directive.context:
            continue
        top = directive.context[0]
        name = directive.args[0]
        servers = []
        for server in directive.children("server"):
            address = parse_address(server.first_arg(), 80 if top == "http" else None)
            if address is None:
                continue
            flags = set(server.args[1:])
            servers.append(
                Endpoint(
                    address=address,
                    directive=f"server (upstream {name})",
                    file=server.file,
                    line=server.line,
                    upstream=name,
                    backup="backup" in flags,
                    down="down" in flags,
                )
            )
        blocks[(top, name)] = Upstream(name=name, context=top, directive=directive, servers=servers)
    return blocks


def endpoints(config: NginxConfig) -> tuple[list[Endpoint], list[DynamicPass]]:
    """Every address nginx connects to, once per naming directive, and the variable ones."""
    blocks = upstream_blocks(config)
    found: dict[tuple[str, int, str], Endpoint] = {}
    dynamic: list[DynamicPass] = []
    for directive in config.find(*PASS_DIRECTIVES):
        if not directive.args or not directive.context:
            continue
        value = directive.args[0]
        top = directive.context[0]
        _, default_port, rest = _split_scheme(value)
        authority = _authority(rest)
        if "$" in authority:
            dynamic.append(DynamicPass(directive.name, value, directive.file, directive.line))
            continue
        upstream = blocks.get((top, authority))
        if upstream is not None:
            for server in upstream.servers:
                found.setdefault((server.file, server.line, str(server.address)), server)
            continue
        address = parse_address(authority, default_port)
        if address is None:
            continue
        endpoint = Endpoint(
            address=address, directive=directive.name, file=directive.file, line=directive.line
        )
        found.setdefault((directive.file, directive.line, str(address)), endpoint)
    return list(found.values()), dynamic


def sites(config: NginxConfig) -> list[Site]:
    """One probe URL per http server block and port: what a client would ask for."""
    out: dict[str, Site] = {}
    for server in config.find("server"):
        if server.context != ("http",):
            continue
        names = [n for d in server.children("server_name") for n in d.args]
        host_header = next(
            (n for n in names if n and "*" not in n and not n.startswith("~") and n != "_"), ""
        )
        listens: list[Directive | None] = list(server.children("listen")) or [None]
        for listen in listens:
            url = _listen_url(listen)
            if url is None:
                continue
            site = Site(
                url=url,
                host_header=host_header or "localhost",
                file=(listen or server).file,
                line=(listen or server).line,
            )
            out.setdefault(f"{url} {site.host_header}", site)
    return list(out.values())


def _listen_url(listen: Directive | None) -> str | None:
    if listen is None:
        return "http://127.0.0.1:80/"
    target = listen.first_arg()
    if target.startswith("unix:"):
        return None
    ssl = "ssl" in listen.args[1:] or "quic" in listen.args[1:]
    scheme = "https" if ssl else "http"
    if target.isdigit():
        return f"{scheme}://127.0.0.1:{target}/"
    address = parse_address(target, 443 if ssl else 80)
    if address is None or address.host is None:
        return None
    host = address.host
    if host in ("*", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{address.port}/"
