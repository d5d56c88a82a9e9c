"""The cloud audit's configuration file (``cloud.yml``): where to look and what the tiers are.

Every field is optional; a wrong one is reported in one line naming the file and the field, e.g.
``cloud.yml: tiers.backend.groups[1]: expected a string, got 5``. docs/cloud.md has the full schema.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fix502.cloud import PROVIDERS
from fix502.cloud.model import Peer
from fix502.cloud.retry import RetryPolicy
from fix502.errors import UsageError

TIERS = ("web", "proxy", "backend")
DEFAULT_WEB_PORTS = (80, 443)
# Databases and caches: MySQL, PostgreSQL, Redis, MongoDB, Elasticsearch, memcached.
DEFAULT_SENSITIVE_PORTS = (3306, 5432, 6379, 27017, 9200, 11211)
DEFAULT_CLIENT_RANGES = ("0.0.0.0/0", "::/0")
# Never changed by fix502, never opened or closed by it.
PROTECTED_PORTS = (22, 3389)


class CloudConfigError(UsageError):
    """A bad field in the cloud configuration."""


@dataclass(frozen=True)
class TierSpec:
    """How to find one tier: any mix of groups, instances and load balancers, by ID or by tag."""

    groups: tuple[str, ...] = ()
    group_tags: tuple[tuple[str, str], ...] = ()
    instances: tuple[str, ...] = ()
    instance_tags: tuple[tuple[str, str], ...] = ()
    load_balancers: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    # From the inventory (fix502.cloud.inventory): the groups attached together to one host, each a
    # group set of its own, and more instance tag selectors, each listed on its own.
    group_sets: tuple[tuple[str, ...], ...] = ()
    instance_tag_sets: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.groups
            or self.group_tags
            or self.instances
            or self.instance_tags
            or self.load_balancers
            or self.addresses
            or self.group_sets
            or self.instance_tag_sets
        )

    @property
    def tag_selectors(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Every instance tag selector of the tier: the configured one and the inventory's."""
        found = [self.instance_tags] if self.instance_tags else []
        return tuple(dict.fromkeys([*found, *self.instance_tag_sets]))


@dataclass(frozen=True)
class AccountSpec:
    """How to sign in to one account: never a secret, only which credentials of the SDK's chain to use.

    ``account`` is the account ID the credentials must belong to (the fix checks it); ``regions``, when
    given, replace the top-level regions for this account.
    """

    profile: str | None = None
    account: str | None = None
    assume_role_arn: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloudConfig:
    provider: str = "aws"
    regions: tuple[str, ...] = ()
    accounts: tuple[AccountSpec, ...] = (AccountSpec(),)
    endpoint_url: str | None = None
    groups: tuple[str, ...] = ()
    audit_all_groups: bool = False
    tiers: Mapping[str, TierSpec] = field(default_factory=dict)
    client_ranges: tuple[Peer, ...] = tuple(Peer.cidr(c) for c in DEFAULT_CLIENT_RANGES)
    web_ports: tuple[int, ...] = DEFAULT_WEB_PORTS
    backend_ports: tuple[int, ...] = ()
    sensitive_ports: tuple[int, ...] = DEFAULT_SENSITIVE_PORTS
    backend_keepalive_seconds: int | None = None
    check_load_balancers: bool = True
    max_workers: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Where an instance or group ID came from, for messages: "web1: fix502_cloud_instance_id".
    origins: Mapping[str, str] = field(default_factory=dict)

    def tier(self, name: str) -> TierSpec:
        """The tier's spec; the proxy tier defaults to the web tier."""
        spec = self.tiers.get(name)
        if spec is None and name == "proxy":
            spec = self.tiers.get("web")
        return spec or TierSpec()


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> CloudConfigError:
        return CloudConfigError(f"{self.source}: {where}: {message}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected a mapping, got {_kind(value)}")
        return value

    def only(self, data: Mapping[str, Any], where: str, known: tuple[str, ...]) -> None:
        for key in data:
            if key not in known:
                raise self.fail(
                    f"{where}.{key}" if where else str(key), f"unknown field (known: {', '.join(known)})"
                )

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of strings, got {_kind(value)}")
        return tuple(self.string(item, f"{where}[{i}]") for i, item in enumerate(value))

    def tags(self, value: Any, where: str) -> tuple[tuple[str, str], ...]:
        data = self.mapping(value, where)
        out = []
        for key, item in data.items():
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise self.fail(f"{where}.{key}", f"expected a tag value (a string), got {_kind(item)}")
            out.append((str(key), str(item)))
        return tuple(out)

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"{value} is out of range ({low}-{high})")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(where, f"expected a number of seconds, got {_kind(value)}")
        return float(value)

    def ports(self, value: Any, where: str) -> tuple[int, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of ports, got {_kind(value)}")
        return tuple(dict.fromkeys(self.integer(p, f"{where}[{i}]", 1, 65535) for i, p in enumerate(value)))

    def cidr(self, value: Any, where: str) -> str:
        text = self.string(value, where)
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise self.fail(where, f"{text!r} is not an IP address or CIDR") from None

    def range_peer(self, value: Any, where: str) -> Peer:
        text = self.string(value, where)
        try:
            return Peer.cidr(text)
        except ValueError:
            pass
        if text.startswith(("pl-", "ipm-", "ipmg-")) or "prefix" in text:
            return Peer.prefix_list(text)
        raise self.fail(where, f"{text!r} is neither a CIDR nor a prefix list ID (pl-..., ipm-...)")

    def tier(self, value: Any, where: str) -> TierSpec:
        data = self.mapping(value, where)
        known = ("groups", "group_tags", "instances", "instance_tags", "load_balancers", "addresses")
        self.only(data, where, known)
        return TierSpec(
            groups=self.strings(data.get("groups", []), f"{where}.groups"),
            group_tags=self.tags(data.get("group_tags", {}), f"{where}.group_tags"),
            instances=self.strings(data.get("instances", []), f"{where}.instances"),
            instance_tags=self.tags(data.get("instance_tags", {}), f"{where}.instance_tags"),
            load_balancers=self.strings(data.get("load_balancers", []), f"{where}.load_balancers"),
            addresses=tuple(
                self.cidr(a, f"{where}.addresses[{i}]")
                for i, a in enumerate(_as_list(data.get("addresses", [])))
            ),
        )


_TOP = (
    "provider",
    "regions",
    "accounts",
    "endpoint_url",
    "groups",
    "audit_all_groups",
    "tiers",
    "client_ranges",
    "web_ports",
    "backend_ports",
    "sensitive_ports",
    "backend_keepalive_seconds",
    "check_load_balancers",
    "max_workers",
    "retry",
)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float):
        return str(value)
    return type(value).__name__


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def parse_config(data: Any, source: str) -> CloudConfig:
    """A CloudConfig from parsed YAML; CloudConfigError names ``source`` and the field."""
    r = _Reader(source)
    if data is None:
        data = {}
    top = r.mapping(data, "top level")
    r.only(top, "", _TOP)
    provider = r.string(top.get("provider", "aws"), "provider")
    if provider not in PROVIDERS:
        raise r.fail("provider", f"unknown provider {provider!r} (expected one of: {', '.join(PROVIDERS)})")
    accounts: tuple[AccountSpec, ...] = (AccountSpec(),)
    if "accounts" in top:
        raw_accounts = top["accounts"]
        if not isinstance(raw_accounts, list) or not raw_accounts:
            raise r.fail("accounts", f"expected a non-empty list, got {_kind(raw_accounts)}")
        parsed = []
        for i, item in enumerate(raw_accounts):
            entry = r.mapping(item, f"accounts[{i}]")
            r.only(entry, f"accounts[{i}]", ("profile", "account", "assume_role_arn", "regions"))
            role_arn = None
            if "assume_role_arn" in entry:
                if provider != "aws":
                    raise r.fail(f"accounts[{i}].assume_role_arn", f"only for provider aws, not {provider}")
                role_arn = r.string(entry["assume_role_arn"], f"accounts[{i}].assume_role_arn")
                if not role_arn.startswith("arn:") or ":role/" not in role_arn:
                    raise r.fail(
                        f"accounts[{i}].assume_role_arn",
                        f"{role_arn!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                    )
            parsed.append(
                AccountSpec(
                    profile=r.string(entry["profile"], f"accounts[{i}].profile")
                    if "profile" in entry
                    else None,
                    account=str(r.string(str(entry["account"]), f"accounts[{i}].account"))
                    if "account" in entry
                    else None,
                    assume_role_arn=role_arn,
                    regions=r.strings(entry.get("regions", []), f"accounts[{i}].regions"),
                )
            )
        accounts = tuple(parsed)
    tiers: dict[str, TierSpec] = {}
    if "tiers" in top:
        raw_tiers = r.mapping(top["tiers"], "tiers")
        r.only(raw_tiers, "tiers", TIERS)
        tiers = {name: r.tier(spec, f"tiers.{name}") for name, spec in raw_tiers.items()}
    retry = RetryPolicy()
    if "retry" in top:
        raw_retry = r.mapping(top["retry"], "retry")
        r.only(raw_retry, "retry", ("max_attempts", "base_seconds", "cap_seconds"))
        retry = RetryPolicy(
            max_attempts=r.integer(
                raw_retry.get("max_attempts", retry.max_attempts), "retry.max_attempts", 1, 50
            ),
            base=r.number(raw_retry.get("base_seconds", retry.base), "retry.base_seconds"),
            cap=r.number(raw_retry.get("cap_seconds", retry.cap), "retry.cap_seconds"),
        )
    client_ranges = CloudConfig().client_ranges
    if "client_ranges" in top:
        raw_ranges = _as_list(top["client_ranges"])
        if not isinstance(raw_ranges, list) or not raw_ranges:
            raise r.fail("client_ranges", f"expected a non-empty list, got {_kind(raw_ranges)}")
        client_ranges = tuple(r.range_peer(c, f"client_ranges[{i}]") for i, c in enumerate(raw_ranges))
    keepalive = top.get("backend_keepalive_seconds")
    return CloudConfig(
        provider=provider,
        regions=r.strings(top.get("regions", []), "regions"),
        accounts=accounts,
        endpoint_url=r.string(top["endpoint_url"], "endpoint_url") if "endpoint_url" in top else None,
        groups=r.strings(top.get("groups", []), "groups"),
        audit_all_groups=r.boolean(top.get("audit_all_groups", False), "audit_all_groups"),
        tiers=tiers,
        client_ranges=client_ranges,
        web_ports=r.ports(top.get("web_ports", list(DEFAULT_WEB_PORTS)), "web_ports"),
        backend_ports=r.ports(top.get("backend_ports", []), "backend_ports"),
        sensitive_ports=r.ports(top.get("sensitive_ports", list(DEFAULT_SENSITIVE_PORTS)), "sensitive_ports"),
        backend_keepalive_seconds=None
        if keepalive is None
        else r.integer(keepalive, "backend_keepalive_seconds", 1, 86400),
        check_load_balancers=r.boolean(top.get("check_load_balancers", True), "check_load_balancers"),
        max_workers=r.integer(top.get("max_workers", 8), "max_workers", 1, 64),
        retry=retry,
    )


def load_config(path: str) -> CloudConfig:
    """Read and check ``path``; CloudConfigError (one line) when it is missing or wrong."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CloudConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CloudConfigError(f"{path}: cannot read it ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise CloudConfigError(f"{path}:{line}: {problem}") from None
    return parse_config(data, path)
