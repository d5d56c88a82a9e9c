"""Upstreams as the host sees them: names that do not resolve, unix sockets nginx's workers may not
connect to, SELinux denying nginx's connections.

The collector resolves the names and looks at the socket paths a light scan of ``nginx -T`` hinted
(``targets``), and reads the processes, the accounts and SELinux's state; these judges decide, for
the targets the parsed configuration really has (``ctx.endpoints``), what stops nginx from reaching them.
"""

from __future__ import annotations

import posixpath
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.php import pool_of_socket
from fix502.model import Evidence, Severity
from fix502.nginx_scope import is_ip
from fix502.upstreams import Endpoint, parse_address

_NOT_FOUND = re.compile(r'host not found in upstream "(?P<name>[^"]+)" in (?P<file>\S+?):(?P<line>\d+)')
_SCHEMES = ("http://", "https://", "grpc://", "grpcs://", "uwsgi://", "suwsgi://")

# Ports the targeted policy labels for the web server (http_port_t), reachable with
# httpd_graceful_shutdown or httpd_can_network_relay on, and those only the relay boolean opens
# (http_cache_port_t, squid_port_t, memcache_port_t, ftp_port_t, gopher_port_t).
HTTP_PORTS = frozenset({80, 81, 443, 488, 8008, 8009, 8443, 9000})
RELAY_PORTS = frozenset({8080, 8118, 8123, 3128, 3401, 4827, 11211, 21, 990, 70, *range(10001, 10011)})


def _targets(ctx: HostContext) -> dict[str, Any]:
    found: dict[str, Any] = ctx.collected.get("targets") or {}
    return found


# --- who nginx's workers are -------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    user: str
    uid: int
    gids: frozenset[int]
    group: str
    group_names: tuple[str, ...]
    source: str
    source_zh: str


def _group_names(ctx: HostContext) -> dict[int, str]:
    accounts = _targets(ctx).get("accounts") or {}
    names: dict[int, str] = {}
    for user in accounts.get("users") or []:
        for gid, name in zip(user.get("groups") or [], user.get("group_names") or [], strict=False):
            names.setdefault(int(gid), str(name))
    for group in accounts.get("groups") or []:
        if group.get("exists") and group.get("gid") is not None:
            names.setdefault(int(group["gid"]), str(group["name"]))
    return names


def _configure_value(ctx: HostContext, flag: str) -> str | None:
    for word in str(ctx.nginx_facts.get("configure_arguments") or "").split():
        if word.startswith(f"--{flag}="):
            return word.split("=", 1)[1]
    return None


def worker_identity(ctx: HostContext) -> Identity | None:
    """Who nginx's workers are: the running workers' credentials, else what the configuration says."""
    names = _group_names(ctx)
    processes = ctx.collected.get("processes") or []
    workers = [p for p in processes if p.get("role") == "nginx-worker" and p.get("uid") is not None]
    if workers:
        worker = workers[0]
        gids = frozenset({int(worker["gid"]), *(int(g) for g in worker.get("groups") or [])})
        return Identity(
            user=str(worker.get("user") or worker["uid"]),
            uid=int(worker["uid"]),
            gids=gids,
            group=names.get(int(worker["gid"]), str(worker["gid"])),
            group_names=tuple(names.get(g, str(g)) for g in sorted(gids)),
            source=f"as the running workers are, pid {worker['pid']}",
            source_zh=f"与正在运行的 worker 一致，pid {worker['pid']}",
        )
    master = next((p for p in processes if p.get("role") == "nginx-master"), None)
    if master is not None and master.get("uid") not in (None, 0):
        return None  # a master not started as root keeps its own user; without workers, nothing to say
    directive = next(reversed(ctx.nginx.top("user")), None) if ctx.nginx else None
    if directive is not None and directive.args:
        user = directive.args[0]
        group = directive.args[1] if len(directive.args) > 1 else user
        source = f"the user directive at {directive.file}:{directive.line}"
        source_zh = f"{directive.file}:{directive.line} 的 user 指令"
    else:
        user = _configure_value(ctx, "user") or "nobody"
        accounts = _targets(ctx).get("accounts") or {}
        known_groups = {g["name"] for g in accounts.get("groups") or [] if g.get("exists")}
        fallback = user if user != "nobody" else ("nobody" if "nobody" in known_groups else "nogroup")
        group = _configure_value(ctx, "group") or fallback
        source = "nginx's default, no user directive"
        source_zh = "nginx 的默认值，没有 user 指令"
    accounts = _targets(ctx).get("accounts") or {}
    account = next(
        (u for u in accounts.get("users") or [] if u.get("name") == user and u.get("exists")), None
    )
    group_entry = next(
        (g for g in accounts.get("groups") or [] if g.get("name") == group and g.get("exists")), None
    )
    if account is None or group_entry is None:
        return None
    # initgroups(user, group): the groups listing the user, and the configured group.
    supplementary = {int(g) for g in account.get("groups") or []} - {int(account["gid"])}
    gids = frozenset({int(group_entry["gid"]), *supplementary})
    return Identity(
        user=user,
        uid=int(account["uid"]),
        gids=gids,
        group=group,
        group_names=tuple(names.get(g, str(g)) for g in sorted(gids)),
        source=source,
        source_zh=source_zh,
    )


# --- UPS002: names that do not resolve -----------------------------------------------------------


@dataclass(frozen=True)
class NameUse:
    name: str
    file: str
    line: int
    when: str  # "refused": nginx -t refuses it; "start-up": resolved on start; "runtime": by the resolver


def _host_of(value: str) -> str | None:
    for scheme in _SCHEMES:
        if value.startswith(scheme):
            value = value[len(scheme) :]
            break
    if value.startswith("unix:"):
        return None
    address = parse_address(value.split("/", 1)[0], 80)
    if address is None or address.host is None or is_ip(address.host):
        return None
    return address.host.rstrip(".").lower()


def _set_values(ctx: HostContext) -> dict[str, list[tuple[str, str, int]]]:
    values: dict[str, list[tuple[str, str, int]]] = {}
    if ctx.nginx is None:
        return values
    for directive in ctx.nginx.find("set"):
        if len(directive.args) >= 2 and "$" not in directive.args[1]:
            values.setdefault(directive.args[0], []).append(
                (directive.args[1], directive.file, directive.line)
            )
    return values


def _name_uses(ctx: HostContext) -> list[NameUse]:
    uses: list[NameUse] = []
    for message in ctx.nginx_facts.get("test_messages") or []:
        match = _NOT_FOUND.search(str(message))
        if match:
            host = _host_of(match.group("name"))
            if host:
                uses.append(NameUse(host, match.group("file"), int(match.group("line")), "refused"))
    found, dynamic = ctx.endpoints
    for endpoint in found:
        host = endpoint.address.host
        if host and not is_ip(host) and not endpoint.down:
            uses.append(NameUse(host.rstrip(".").lower(), endpoint.file, endpoint.line, "start-up"))
    sets = _set_values(ctx)
    for item in dynamic:
        value = item.value
        for scheme in _SCHEMES:
            if value.startswith(scheme):
                value = value[len(scheme) :]
                break
        variable = re.match(r"\$\{?(\w+)\}?", value)
        if variable is None:
            continue
        for set_value, _file, _line in sets.get("$" + variable.group(1), []):
            host = _host_of(set_value)
            if host:
                uses.append(NameUse(host, item.file, item.line, "runtime"))
    unique: dict[tuple[str, str, int], NameUse] = {}
    for use in uses:
        unique.setdefault((use.name, use.file, use.line), use)
    return list(unique.values())


_WHEN = {
    "refused": (
        'nginx itself refuses the configuration for it (`nginx -t`: host not found in upstream "{name}"): '
        "a reload is refused, and a restart or a reboot leaves every site of this nginx down.",
        'nginx 因此拒绝了这份配置（`nginx -t`：host not found in upstream "{name}"）：重载会被拒绝，'
        "重启或重启主机后，这个 nginx 的所有站点都会停止服务。",
    ),
    "start-up": (
        "nginx resolves this name when it starts or reloads: the next reload fails with host not found in "
        "upstream, and a restart leaves every site of this nginx down; until then, nginx keeps the "
        "addresses it resolved before.",
        "nginx 在启动或重载时解析这个名称：下一次重载会以 host not found in upstream 失败，"
        "重启则会让这个 nginx 的所有站点停止服务；在此之前，nginx 继续使用之前解析到的地址。",
    ),
    "runtime": (
        "nginx resolves this name for each request with its `resolver`: unless that DNS server knows the "
        "name, every such request gets 502 Bad Gateway.",
        "nginx 通过 `resolver` 为每个请求解析这个名称：除非该 DNS 服务器认识这个名称，否则这些请求都会得到 "
        "502 Bad Gateway。",
    ),
}
_HOW = {
    "refused": (
        "Then `nginx -t` must pass before nginx is reloaded.",
        "之后先确认 `nginx -t` 通过再重载 nginx。",
    ),
    "start-up": ("Run `nginx -t` before the next reload.", "下次重载前先运行 `nginx -t`。"),
    "runtime": (
        "nginx's `resolver` asks DNS only and does not read /etc/hosts: the name must be known to the server "
        "it asks.",
        "nginx 的 `resolver` 只查询 DNS，不读取 /etc/hosts：名称必须能被它所询问的 DNS 服务器解析。",
    ),
}


def _hosts_text(targets: dict[str, Any], name: str) -> tuple[str, str]:
    hosts = targets.get("hosts_file") or {}
    lines = [
        e for e in hosts.get("entries") or [] if name in [n.lower().rstrip(".") for n in e.get("names") or []]
    ]
    if lines:
        entry = lines[0]
        return (
            f"/etc/hosts line {entry['line']} gives {entry['address']}",
            f"/etc/hosts 第 {entry['line']} 行为 {entry['address']}",
        )
    return "not in /etc/hosts", "/etc/hosts 中没有它"


@judges("UPS002")
def name_does_not_resolve(ctx: HostContext) -> Iterator[Hit]:
    targets = _targets(ctx)
    results = {str(r.get("name", "")).lower(): r for r in targets.get("resolution") or []}
    resolver = targets.get("resolv_conf") or {}
    nameservers = ", ".join(resolver.get("nameservers") or []) or "none"
    for use in _name_uses(ctx):
        result = results.get(use.name)
        if result is None or not result.get("error"):
            continue
        hosts, hosts_zh = _hosts_text(targets, use.name)
        when, when_zh = (text.format(name=use.name) for text in _WHEN[use.when])
        how, how_zh = _HOW[use.when]
        where = f"{use.file}:{use.line}"
        yield Hit(
            "UPS002",
            {
                "where": where,
                "name": use.name,
                "error": str(result["error"]),
                "ms": str(result.get("ms") or 0),
                "nameservers": nameservers,
                "hosts": hosts,
                "hosts_zh": hosts_zh,
                "when": when,
                "when_zh": when_zh,
                "how": how,
                "how_zh": how_zh,
            },
            Evidence(
                file=use.file,
                line=use.line,
                values=tuple(
                    sorted(
                        {
                            "name": use.name,
                            "error": str(result["error"]),
                            "error_code": str(result.get("error_code") or ""),
                            "ms": str(result.get("ms") or 0),
                            "nameservers": nameservers,
                            "resolved": use.when,
                        }.items()
                    )
                ),
            ),
        )


# --- UPS003: unix sockets nginx's workers may not use -------------------------------------------


def _allows(entry: dict[str, Any], who: Identity, bits: tuple[int, int, int]) -> bool:
    """Does ``entry`` give ``who`` the permission whose user/group/other mode bits are ``bits``?

    As the kernel decides: root may; the owner gets the owner's bits; then, with a POSIX ACL, a named
    user entry, else the owning group's and named group entries ``who`` is in (any of them, all
    limited by the ACL's mask); without one, the group's bits for a member; else the others' bits.
    """
    if who.uid == 0:
        return True
    mode = int(str(entry["mode"]), 8)
    if entry.get("uid") == who.uid:
        return bool(mode & bits[0])
    acl = entry.get("acl") or []
    if acl:
        wanted = bits[2]  # the others' bit is the permission itself: 2 write, 1 execute (search)
        mask = next((int(e["perm"]) for e in acl if e.get("tag") == "mask"), 7)
        for e in acl:
            if e.get("tag") == "user" and e.get("id") == who.uid:
                return bool(int(e["perm"]) & mask & wanted)
        groups = [
            int(e["perm"])
            for e in acl
            if (e.get("tag") == "group_obj" and entry.get("gid") in who.gids)
            or (e.get("tag") == "group" and e.get("id") in who.gids)
        ]
        if groups:
            return any(perm & mask & wanted for perm in groups)
        return bool(mode & bits[2])
    if entry.get("gid") in who.gids:
        return bool(mode & bits[1])
    return bool(mode & bits[2])


def acl_text(entry: dict[str, Any]) -> str:
    """The entries of ``entry``'s ACL beyond its mode, as getfacl writes them: ``user:nobody:rw-``."""
    shown = []
    for e in entry.get("acl") or []:
        perm = int(e["perm"])
        bits = "".join(c if perm & b else "-" for c, b in (("r", 4), ("w", 2), ("x", 1)))
        if e.get("tag") in ("user", "group"):
            shown.append(f"{e['tag']}:{e.get('name') or e.get('id')}:{bits}")
        elif e.get("tag") == "mask":
            shown.append(f"mask::{bits}")
    return ", ".join(shown)


_SEARCH = (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)
_WRITE = (stat.S_IWUSR, stat.S_IWGRP, stat.S_IWOTH)


def _owner(entry: dict[str, Any]) -> str:
    return f"{entry.get('owner') or entry.get('uid')}:{entry.get('group') or entry.get('gid')}"


def _shown(entry: dict[str, Any], kind: int) -> str:
    mode = int(str(entry["mode"]), 8)
    acl = acl_text(entry)
    return f"{stat.filemode(kind | mode)}{'+' if acl else ''} {_owner(entry)} ({entry['mode']}" + (
        f"; ACL {acl})" if acl else ")"
    )


def first_denial(entry: dict[str, Any], who: Identity) -> tuple[dict[str, Any], str] | None:
    """The directory ``who`` may not search, or the socket it may not write; None when it may connect."""
    for parent in entry.get("parents") or []:
        if parent.get("error") or parent.get("mode") is None:
            return None  # cannot tell
        if not _allows(parent, who, _SEARCH):
            return parent, "search"
    if not _allows(entry, who, _WRITE):
        return entry, "write"
    return None


def _socket_how(
    ctx: HostContext, path: str, who: Identity, blocked: dict[str, Any], kind: str
) -> tuple[str, str]:
    acl = acl_text(blocked)
    if acl:
        return _acl_how(ctx, path, who, blocked, kind, acl)
    if kind == "search":
        directory = blocked["path"]
        return (
            f"Let {who.user} search {directory}: `chmod o+x {directory}`, or give it a group {who.user} "
            "belongs to with g+x. Keep every directory above the socket searchable, and the socket writable "
            f"by {who.user}.",
            f"让 {who.user} 可以搜索 {directory}：`chmod o+x {directory}`，"
            f"或把该目录的组设为 {who.user} 所属的组并加上 g+x。"
            f"套接字上方的每一级目录都要可搜索，套接字本身要对 {who.user} 可写。",
        )
    pool = pool_of_socket(ctx, path)
    if pool is not None:
        return (
            f"The socket is php-fpm pool {pool.name}'s ({pool.where}): set `listen.owner = {who.user}`, "
            f"`listen.group = {who.group}` and `listen.mode = 0660` in that pool, then restart php-fpm.",
            f"该套接字属于 php-fpm 进程池 {pool.name}（{pool.where}）：在该进程池中设置 "
            f"`listen.owner = {who.user}`、`listen.group = {who.group}` 和 `listen.mode = 0660`，"
            "然后重启 php-fpm。",
        )
    return (
        f"Have the backend create its socket writable by {who.user}: owned by a group {who.user} belongs to "
        f"({', '.join(who.group_names)}) with mode 0660 (a systemd socket unit: `SocketGroup=` and "
        "`SocketMode=0660`; most servers have an option for their socket's group and mode), or add "
        f"{who.user} to the socket's group. Do not make it writable by everyone on a host with other users.",
        f"让后端创建对 {who.user} 可写的套接字：属组为 {who.user} 所属的组（{'、'.join(who.group_names)}），"
        "权限为 0660（systemd 套接字单元：`SocketGroup=` 和 `SocketMode=0660`；"
        "多数服务都有设置套接字属组和权限的选项），"
        f"或把 {who.user} 加入套接字的属组。在有其他用户的主机上，不要让所有人都可写。",
    )


def _acl_how(
    ctx: HostContext, path: str, who: Identity, blocked: dict[str, Any], kind: str, acl: str
) -> tuple[str, str]:
    """The way out when the path that stops ``who`` carries a POSIX ACL (it decides over the mode)."""
    if kind == "search":
        directory = blocked["path"]
        return (
            f"{directory} has a POSIX ACL ({acl}) that gives {who.user} no search (x): "
            f"`setfacl -m u:{who.user}:x {directory}`, and keep the ACL's mask with x.",
            f"{directory} 带有 POSIX ACL（{acl}），其中 {who.user} 没有搜索（x）权限："
            f"执行 `setfacl -m u:{who.user}:x {directory}`，并让 ACL 的 mask 保留 x。",
        )
    pool = pool_of_socket(ctx, path)
    if pool is not None:
        return (
            f"The socket is php-fpm pool {pool.name}'s ({pool.where}), and its POSIX ACL ({acl}) gives "
            f"{who.user} no write: add {who.user} to `listen.acl_users` (or a group of {who.user}'s to "
            "`listen.acl_groups`) in that pool, then restart php-fpm. With those set, php-fpm ignores "
            "`listen.owner` and `listen.group`.",
            f"该套接字属于 php-fpm 进程池 {pool.name}（{pool.where}），其 POSIX ACL（{acl}）不给 {who.user} "
            f"写权限：在该进程池的 `listen.acl_users` 中加入 {who.user}（或在 `listen.acl_groups` 中加入 "
            f"{who.user} 所属的组），然后重启 php-fpm。设置了这两项后，php-fpm 会忽略 `listen.owner` 和 "
            "`listen.group`。",
        )
    return (
        f"The socket's POSIX ACL ({acl}) gives {who.user} no write, whatever its mode says: have the backend "
        f"give `user:{who.user}:rw` (and a mask with rw) when it creates the socket. "
        f"`setfacl -m u:{who.user}:rw {path}` helps only until the socket is created again.",
        f"该套接字的 POSIX ACL（{acl}）不给 {who.user} 写权限，无论其权限位如何：让后端在创建套接字时给出 "
        f"`user:{who.user}:rw`（mask 也要含 rw）。`setfacl -m u:{who.user}:rw {path}` "
        "只在套接字重新创建之前有效。",
    )


@judges("UPS003")
def socket_not_allowed(ctx: HostContext) -> Iterator[Hit]:
    sockets = {str(e.get("path")): e for e in _targets(ctx).get("sockets") or []}
    if not sockets:
        return
    who = worker_identity(ctx)
    if who is None or who.uid == 0:
        return
    found, _dynamic = ctx.endpoints
    seen: set[tuple[str, str, int]] = set()
    for endpoint in found:
        path = endpoint.address.socket
        if not path or endpoint.down:
            continue
        entry = sockets.get(posixpath.normpath(path))
        if entry is None or entry.get("error") or entry.get("type") != "socket":
            continue  # missing: UPS001 and LOG002 say so
        denial = first_denial(entry, who)
        key = (path, endpoint.file, endpoint.line)
        if denial is None or key in seen:
            continue
        seen.add(key)
        blocked, kind = denial
        if kind == "search":
            shown = _shown(blocked, stat.S_IFDIR)
            text = (
                f"the directory {blocked['path']} is {shown}, which gives {who.user} no search (x) permission"
            )
            text_zh = f"目录 {blocked['path']} 为 {shown}，{who.user} 对它没有搜索（x）权限"
        else:
            shown = _shown(blocked, stat.S_IFSOCK)
            text = f"the socket is {shown}, which gives {who.user} no write permission"
            text_zh = f"该套接字为 {shown}，{who.user} 对它没有写权限"
        how, how_zh = _socket_how(ctx, path, who, blocked, kind)
        yield Hit(
            "UPS003",
            {
                "where": f"{endpoint.file}:{endpoint.line}",
                "socket": path,
                "user": who.user,
                "groups": ", ".join(who.group_names),
                "source": who.source,
                "source_zh": who.source_zh,
                "blocked": text,
                "blocked_zh": text_zh,
                "how": how,
                "how_zh": how_zh,
            },
            Evidence(
                file=endpoint.file,
                line=endpoint.line,
                socket=path,
                values=(
                    ("denied", str(blocked["path"])),
                    ("mode", str(blocked["mode"])),
                    ("owner", _owner(blocked)),
                    *((("acl", acl),) if (acl := acl_text(blocked)) else ()),
                    ("permission", kind),
                    ("user", who.user),
                ),
            ),
        )


# --- UPS004: SELinux ------------------------------------------------------------------------------


def _allowed_ports(booleans: dict[str, Any]) -> tuple[frozenset[int], str, str]:
    """The ports httpd_t may connect to with these booleans (from the default labels), and how to say so."""
    relay = booleans.get("httpd_can_network_relay") is True
    graceful = booleans.get("httpd_graceful_shutdown") is True
    if relay:
        return (
            HTTP_PORTS | RELAY_PORTS,
            "httpd_can_network_connect is off (httpd_can_network_relay is on)",
            "httpd_can_network_connect 为关闭（httpd_can_network_relay 为开启）",
        )
    allowed = HTTP_PORTS if graceful else frozenset()
    return (
        allowed,
        "httpd_can_network_connect and httpd_can_network_relay are both off",
        "httpd_can_network_connect 和 httpd_can_network_relay 均为关闭",
    )


@judges("UPS004")
def selinux_denies(ctx: HostContext) -> Iterator[Hit]:
    selinux = ctx.collected.get("selinux") or {}
    if not selinux.get("enabled") or selinux.get("enforcing") is not True:
        return
    booleans = selinux.get("booleans") or {}
    if booleans.get("httpd_can_network_connect") is not False:
        return  # on (any port allowed) or unknown
    allowed, state, state_zh = _allowed_ports(booleans)
    found, _dynamic = ctx.endpoints
    denied: list[Endpoint] = [
        e for e in found if e.address.port is not None and not e.down and e.address.port not in allowed
    ]
    if not denied:
        return
    ports = sorted({e.address.port for e in denied if e.address.port is not None})
    lines = [str(line) for line in (selinux.get("audit_log") or {}).get("denials") or []]
    about = [line for line in lines if any(f"dest={port} " in line + " " for port in ports)] or lines
    targets = sorted({str(e.address) for e in denied})
    first = denied[0]
    if allowed:
        scope = "only ports labelled as web ports, and not to " + ", ".join(str(p) for p in ports)
        scope_zh = "只能连接标记为 Web 端口的端口，不能连接 " + "、".join(str(p) for p in ports)
    else:
        scope = "no port at all unless a boolean allows it, so not to " + ", ".join(str(p) for p in ports)
        scope_zh = "在没有布尔值允许的情况下不能连接任何端口，包括 " + "、".join(str(p) for p in ports)
    if about:
        denials = f" The audit log shows {len(about)} such denial(s) for nginx, the last: {about[-1]}"
        denials_zh = f"审计日志中有 {len(about)} 条 nginx 的此类拒绝记录，最后一条：{about[-1]}"
    else:
        denials = (
            " No denial of nginx was found in the audit log; if the port was labelled locally "
            "(`semanage port -l | grep PORT`), connections to it are allowed."
        )
        denials_zh = (
            "审计日志中没有找到 nginx 的拒绝记录；"
            "如果该端口在本地已打上标签（`semanage port -l | grep 端口`），连接是允许的。"
        )
    yield Hit(
        "UPS004",
        {
            "booleans": state,
            "booleans_zh": state_zh,
            "targets": ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else ""),
            "where": f"{first.file}:{first.line}",
            "scope": scope,
            "scope_zh": scope_zh,
            "denials": denials,
            "denials_zh": denials_zh,
            "port": str(ports[0]),
        },
        Evidence(
            file=first.file,
            line=first.line,
            port=first.address.port,
            address=first.address.host,
            log_lines=tuple(about[-5:]),
            values=tuple(
                sorted(
                    {
                        "enforcing": "1",
                        "ports": ",".join(str(p) for p in ports),
                        **{k: str(v) for k, v in booleans.items()},
                    }.items()
                )
            ),
        ),
        severity=Severity.CRITICAL if about else Severity.HIGH,
    )
