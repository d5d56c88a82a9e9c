"""What the checks of one host look at: the collected evidence, parsed once."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fix502.discovery import Discovery, discover
from fix502.errorlog import Analysis
from fix502.logrotate import LogrotateConfig, parse_collected
from fix502.nginx_config import NginxConfig, parse_dump
from fix502.nginx_scope import ProxyModel
from fix502.thresholds import Thresholds
from fix502.upstreams import DynamicPass, Endpoint, Site, endpoints, sites

# Paths nginx itself writes to when the configuration does not say otherwise.
_CONFIGURE_PATH_FLAGS = (
    "--http-log-path",
    "--error-log-path",
    "--http-client-body-temp-path",
    "--http-proxy-temp-path",
    "--http-fastcgi-temp-path",
    "--http-uwsgi-temp-path",
    "--http-scgi-temp-path",
)
_LOG_DIRECTIVES = ("error_log", "access_log")
_TEMP_DIRECTIVES = (
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "uwsgi_temp_path",
    "scgi_temp_path",
    "proxy_cache_path",
    "fastcgi_cache_path",
)
_SYSTEM_PATHS = {"/var/log": "logs", "/tmp": "temp", "/var/tmp": "temp"}


@dataclass
class HostContext:
    host: str
    collected: dict[str, Any]
    thresholds: Thresholds = field(default_factory=Thresholds)
    # A configuration parsed elsewhere (``fix502 nginx`` reads files, not a host's ``nginx -T``).
    config: NginxConfig | None = None
    # The error logs' causes: read by ``fix502 logs``, else by the errorlog checks from the tails collected.
    error_log: Analysis | None = None

    @property
    def nginx_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = self.collected.get("nginx") or {}
        return facts

    @cached_property
    def nginx(self) -> NginxConfig | None:
        if self.config is not None:
            return self.config
        dump = self.nginx_facts.get("dump") or ""
        return parse_dump(dump) if dump else None

    @cached_property
    def proxy_model(self) -> ProxyModel | None:
        return ProxyModel.build(self.nginx) if self.nginx else None

    @cached_property
    def endpoints(self) -> tuple[list[Endpoint], list[DynamicPass]]:
        return endpoints(self.nginx) if self.nginx else ([], [])

    @cached_property
    def discovery(self) -> Discovery:
        """The systemd services and containers behind nginx's targets that nobody declared."""
        return discover(self)

    @cached_property
    def logrotate(self) -> LogrotateConfig | None:
        """logrotate's rules as logrotate reads them, their globs expanded over the collected log files."""
        known = [str(log.get("path")) for log in self.collected.get("log_files") or []]
        return parse_collected(self.collected.get("logrotate") or {}, known)

    @cached_property
    def sites(self) -> list[Site]:
        if self.config is not None:
            return []  # a configuration from files (fix502 nginx) has no host to probe
        return sites(self.nginx) if self.nginx else []

    @cached_property
    def own_addresses(self) -> set[str]:
        addresses = set(self.collected.get("addresses") or [])
        addresses.update({"127.0.0.1", "::1", "localhost"})
        hostname = self.collected.get("hostname")
        if hostname:
            addresses.add(hostname)
        return addresses

    def is_local(self, host: str | None) -> bool:
        if host is None:
            return True
        return host in self.own_addresses or host.startswith("127.")

    @cached_property
    def written_paths(self) -> dict[str, str]:
        """Paths nginx or its backends write to or serve from, with what each holds: logs, web root, temp."""
        paths: dict[str, str] = dict(_SYSTEM_PATHS)
        prefix = self.nginx_facts.get("prefix") or ""
        for flag in _CONFIGURE_PATH_FLAGS:
            value = _configure_value(self.nginx_facts.get("configure_arguments") or "", flag)
            if value:
                kind = "logs" if "log" in flag else "temp"
                paths.setdefault(_parent_if_file(value, kind), kind)
        if self.nginx:
            for directive in self.nginx.find(*_LOG_DIRECTIVES, *_TEMP_DIRECTIVES, "root", "alias"):
                target = directive.first_arg()
                if not target or target in ("off", "stderr") or ":" in target or "$" in target:
                    continue
                if not target.startswith("/"):
                    target = posixpath.join(prefix or "/", target)
                if directive.name in _LOG_DIRECTIVES:
                    paths.setdefault(posixpath.dirname(target), "logs")
                elif directive.name in _TEMP_DIRECTIVES:
                    paths.setdefault(target.rstrip("/") or "/", "temp")
                else:
                    paths.setdefault(target.rstrip("/") or "/", "web root")
        for service in self.collected.get("backend_services") or []:
            log_file = service.get("log_file")
            if log_file and str(log_file).startswith("/"):  # the backend's own log (fix502_backend_services)
                paths.setdefault(posixpath.dirname(str(log_file)), "logs")
        return paths

    def mount_of(self, path: str) -> dict[str, Any] | None:
        """The filesystem a path lives on: the longest mount point that is a prefix of it."""
        best: dict[str, Any] | None = None
        for fs in self.collected.get("filesystems") or []:
            mount = fs.get("mount", "")
            inside = path == mount or mount == "/" or path.startswith(mount.rstrip("/") + "/")
            if inside and (best is None or len(mount) > len(best["mount"])):
                best = fs
        return best


def _configure_value(arguments: str, flag: str) -> str | None:
    for token in arguments.split():
        if token.startswith(flag + "="):
            return token.split("=", 1)[1]
    return None


def _parent_if_file(path: str, kind: str) -> str:
    if path in ("stderr", "syslog"):
        return "/var/log"
    return posixpath.dirname(path) if kind == "logs" else path
