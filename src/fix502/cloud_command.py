"""``fix502 cloud``: audit the cloud security groups and load balancers in front of the site.

Runs on the controller with the provider's SDK and its standard credential chain. Each (account,
region) is one "host" of the report, named ``provider:account/region``. Same formats, --fail-on and exit
codes as ``fix502 audit``: 0 nothing at or above --fail-on, 1 findings at or above it, 2 a usage,
configuration or API error (including throttling that outlasted the retries).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import replace
from pathlib import Path

from fix502 import catalogue, output
from fix502.catalogue import CLOUD_CATEGORIES, CheckDef
from fix502.cloud import PROVIDERS
from fix502.cloud.config import AccountSpec, CloudConfig, load_config
from fix502.cloud.model import Peer
from fix502.engine import new_report
from fix502.errors import UsageError
from fix502.model import HostReport
from fix502.report import FORMATS, render
from fix502.report_options import add_report_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider", choices=sorted(PROVIDERS), help="cloud provider (default: the config's, or aws)"
    )
    parser.add_argument(
        "--region", action="append", help="region to audit (repeatable; default: the config's)"
    )
    parser.add_argument(
        "--profile",
        action="append",
        help="credentials profile of the SDK's standard chain (repeatable: accounts)",
    )
    parser.add_argument("--groups", action="append", help="security group IDs to audit, comma-separated")
    parser.add_argument("--config", help="cloud.yml: tiers, client ranges, backend ports (docs/cloud.md)")
    parser.add_argument("--endpoint-url", help="send the API calls to this endpoint (an emulator)")
    parser.add_argument(
        "--backend-port", action="append", type=int, default=[], help="a backend port (repeatable)"
    )
    parser.add_argument(
        "--nginx-config",
        action="append",
        default=[],
        metavar="NGINX_CONF",
        help="take backend ports and keepalive_timeout from this nginx configuration (repeatable)",
    )
    parser.add_argument(
        "--client-range",
        action="append",
        default=[],
        help="where the site's clients are (CIDR or prefix list)",
    )
    parser.add_argument("--all-groups", action="store_true", help="audit every group of the regions")
    parser.add_argument(
        "-i",
        "--inventory",
        action="append",
        metavar="INVENTORY",
        help="take instances, groups and tiers from this Ansible inventory's host variables (repeatable)",
    )
    parser.add_argument("-l", "--limit", help="only the inventory's hosts matching this host pattern")
    parser.add_argument(
        "--host-report",
        action="append",
        default=[],
        metavar="FILE",
        help="take backend ports from a host audit's JSON report (fix502 audit --format json; repeatable)",
    )
    parser.add_argument(
        "--no-host-audit",
        action="store_true",
        help="with --inventory: do not audit the hosts to find the backend ports",
    )
    parser.add_argument(
        "--checks", action="append", help="check IDs to run, comma-separated (default: every cloud check)"
    )
    add_report_options(parser, threshold_example=None)


def cloud_checks(selectors: list[str] | None) -> list[CheckDef]:
    try:
        chosen = catalogue.select(selectors or list(CLOUD_CATEGORIES))
    except ValueError as exc:
        raise UsageError(f"--checks: {exc}") from None
    other = [c.id for c in chosen if c.category not in CLOUD_CATEGORIES]
    if other:
        raise UsageError(f"--checks: {', '.join(other)} judge hosts; run them with fix502 audit")
    return chosen


def nginx_backends(paths: list[str]) -> tuple[list[int], int | None]:
    """The TCP ports of the non-loopback backends the configurations proxy to, and keepalive_timeout."""
    from fix502.nginx_config import parse_files
    from fix502.nginx_units import parse_time
    from fix502.upstreams import endpoints

    ports: list[int] = []
    keepalive: int | None = None
    for path in paths:
        try:
            config = parse_files(path)
        except OSError as exc:
            raise UsageError(f"--nginx-config {path}: {exc.strerror or exc}") from None
        for endpoint in endpoints(config)[0]:
            address = endpoint.address
            if address.port is None or address.host is None or _loopback(address.host):
                continue
            ports.append(address.port)
        for directive in config.find("keepalive_timeout"):
            if directive.context and directive.context[-1] == "http" and directive.args:
                seconds = parse_time(directive.args[0])
                if seconds is not None:
                    keepalive = int(seconds)
        if keepalive is None:
            keepalive = 75  # nginx's default keepalive_timeout
    return list(dict.fromkeys(ports)), keepalive


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_config(args: argparse.Namespace, path: str | None = None) -> CloudConfig:
    """The configuration file (--config, or ``path`` the inventory names) with the command line's options."""
    path = args.config or path
    config = load_config(path) if path else CloudConfig()
    changes: dict[str, object] = {}
    if args.provider:
        changes["provider"] = args.provider
    if args.region:
        changes["regions"] = tuple(dict.fromkeys(r.strip() for r in args.region if r.strip()))
    if args.profile:
        changes["accounts"] = tuple(AccountSpec(profile=p) for p in args.profile)
    if args.endpoint_url:
        changes["endpoint_url"] = args.endpoint_url
    if args.groups:
        ids = [g.strip() for raw in args.groups for g in raw.split(",") if g.strip()]
        changes["groups"] = tuple(dict.fromkeys([*config.groups, *ids]))
    ports = list(config.backend_ports)
    for port in args.backend_port:
        if not 1 <= port <= 65535:
            raise UsageError(f"--backend-port {port}: out of range (1-65535)")
        ports.append(port)
    if args.nginx_config:
        found, keepalive = nginx_backends(args.nginx_config)
        ports += found
        if config.backend_keepalive_seconds is None and keepalive is not None:
            changes["backend_keepalive_seconds"] = keepalive
    changes["backend_ports"] = tuple(dict.fromkeys(ports))
    if args.client_range:
        peers = []
        for item in args.client_range:
            try:
                peers.append(Peer.cidr(item))
            except ValueError:
                if not item.startswith(("pl-", "ipm-", "ipmg-")):
                    raise UsageError(
                        f"--client-range {item!r}: neither a CIDR nor a prefix list ID"
                    ) from None
                peers.append(Peer.prefix_list(item))
        changes["client_ranges"] = tuple(peers)
    if args.all_groups:
        changes["audit_all_groups"] = True
    config = replace(config, **changes)  # type: ignore[arg-type]
    if not config.regions and not args.inventory:
        raise UsageError("cloud: no region: give --region or regions: in --config")
    return config


def _warn(message: str) -> None:
    print(f"fix502: cloud: {message}", file=sys.stderr)


def host_reports(paths: list[str]) -> list[HostReport]:
    """The hosts of host audit reports (fix502 audit --format json) that say what their backends are."""
    from fix502.report import json_format

    hosts: list[HostReport] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--host-report {path}: {exc.strerror or exc}") from None
        try:
            report = json_format.load(text)
        except ValueError as exc:
            raise UsageError(f"--host-report {path}: {exc}") from None
        if not any(h.backends is not None for h in report.hosts):
            raise UsageError(
                f"--host-report {path}: no host of the report lists its backends "
                "(not a host audit, or made by an older fix502): run fix502 audit --format json again"
            )
        hosts += report.hosts
    return hosts


def audit_hosts(args: argparse.Namespace, hosts: list[str]) -> list[HostReport]:
    """Audit the inventory's nginx hosts, for the backends they proxy to."""
    from fix502.audit import AuditRequest, run_audit

    request = AuditRequest(
        inventories=args.inventory,
        limit=",".join(hosts),
        checks=catalogue.select(None),
        lang=args.lang,
        thresholds={},
        progress=False,
    )
    return run_audit(request).hosts


def plan(args: argparse.Namespace) -> list[CloudConfig]:
    """The configurations to audit: the command line's and the configuration's, with the inventory's
    instances, groups and tiers, and the backend ports of the host audit."""
    if not args.inventory:
        config = build_config(args)
        configs = [config]
        nginx_hosts: list[str] = []
    else:
        from fix502 import inventory
        from fix502.cloud.inventory import from_hostvars, inventory_config, source_dirs
        from fix502.collection import ansible_env, collection_root

        inv = inventory.load(args.inventory, args.limit, ansible_env(collection_root()))
        config = build_config(args, inventory_config(inv.hostvars, source_dirs(args.inventory)))
        found = from_hostvars(inv.hostvars, config)
        if not found.configs:
            raise UsageError(
                f"cloud: inventory {', '.join(args.inventory)}: no host names a cloud instance or security "
                'group (docs/cloud.md, "From the inventory"), and no region is configured'
            )
        configs = found.configs
        nginx_hosts = found.nginx_hosts
    reports: list[HostReport] = []
    if args.host_report:
        reports = host_reports(args.host_report)
    elif nginx_hosts and not config.backend_ports and not args.no_host_audit:
        reports = audit_hosts(args, nginx_hosts)
    if not reports:
        return configs
    from fix502.cloud.inventory import backend_ports

    found_ports = backend_ports(reports)
    for name in found_ports.unknown:
        _warn(f"{name}: the host audit does not say which backends it proxies to (give --backend-port)")
    ports = tuple(dict.fromkeys([*config.backend_ports, *found_ports.ports]))
    return [replace(c, backend_ports=ports) for c in configs]


def run(args: argparse.Namespace) -> int:
    from fix502.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_OK, parse_severity
    from fix502.cloud.audit import CloudAuditRequest, run_cloud_audit

    if args.format not in FORMATS:
        raise UsageError(f"--format: unknown format {args.format!r} (known: {', '.join(FORMATS)})")
    fail_on = parse_severity(args.fail_on)
    checks = cloud_checks(args.checks)
    if args.output:
        output.check_writable(args.output)
    configs = plan(args)
    audits = [run_cloud_audit(CloudAuditRequest(config=c, checks=checks, lang=args.lang)) for c in configs]
    report = audits[0].report
    if len(audits) > 1:
        report = new_report([h for a in audits for h in a.report.hosts], checks, args.lang)
    color = args.color == "always" or (args.color == "auto" and args.output is None and sys.stdout.isatty())
    output.write(render(report, args.format, color=color), args.output)
    if report.failed():
        for host in report.failed():
            print(f"fix502: cloud: {host.message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_DRIFT if report.count_at_or_above(fail_on) else EXIT_OK
