"""Which security groups to audit, from an Ansible inventory's host variables.

Every variable is optional; a host that names no instance, group or instance tag adds nothing.

``fix502_cloud_provider``
    ``aws``, ``aliyun`` or ``tencent``. Default: ``aws`` for a host of ``amazon.aws.aws_ec2`` (it has
    ``placement.region``), else the configuration's provider.
``fix502_cloud_region``
    Default: ``placement.region`` (``amazon.aws.aws_ec2``), else the configuration's regions.
``fix502_cloud_instance_id``
    The host's instance. Default: ``instance_id`` of ``amazon.aws.aws_ec2``.
``fix502_cloud_security_groups``
    A list. A string is a group ID attached to the host (what ``fix502.gateway.aliyun_ecs`` and
    ``tencent_cvm`` set): the host's groups are one group set of its tier, used when the host has no
    instance ID (an instance's groups come from the provider). A mapping ``{id, provider, region,
    tier}`` names a group of a tier outright: the plain list of groups, e.g. in ``group_vars/all``.
    Default: ``security_groups`` of ``amazon.aws.aws_ec2`` (``[{group_id, group_name}]``).
``fix502_cloud_instance_tags``
    ``{key: value}``: the host's instances by tag, from the provider's instance list.
``fix502_cloud_tier``
    ``web``, ``proxy`` or ``backend``, or a list of them. Default: the hosts of the inventory run nginx,
    so they are the ``web`` tier (which is the proxy tier too), or the ``proxy`` tier when the
    configuration names a web tier of its own (a load balancer in front). Backend hosts say
    ``backend`` (in ``group_vars`` of their group, or as a host variable).
``fix502_cloud_enabled``
    ``false`` leaves the host out; ``true`` turns the playbook's cloud side on for an inventory whose
    hosts carry only ``amazon.aws.aws_ec2``'s variables.

Bad values stop the run with one line naming the host and the variable:
``web1: fix502_cloud_tier: 'db' is not a tier (web, proxy, backend)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fix502.cloud import PROVIDERS
from fix502.cloud.config import TIERS, CloudConfig, CloudConfigError, TierSpec, _kind
from fix502.model import HostReport, HostStatus

PREFIX = "fix502_cloud_"
# The host variables read here: what the playbook's action passes on from hostvars.
VARIABLES = (
    "fix502_cloud_enabled",
    "fix502_cloud_provider",
    "fix502_cloud_region",
    "fix502_cloud_instance_id",
    "fix502_cloud_security_groups",
    "fix502_cloud_instance_tags",
    "fix502_cloud_tier",
    "fix502_cloud_config",
    # amazon.aws.aws_ec2
    "instance_id",
    "placement",
    "security_groups",
)
# A host with one of these (or fix502_cloud_enabled: true) turns the playbook's cloud side on.
_CLOUD_MARKERS = (
    "fix502_cloud_config",
    "fix502_cloud_instance_id",
    "fix502_cloud_security_groups",
    "fix502_cloud_instance_tags",
)


@dataclass
class _Tiers:
    """What the hosts add to one provider's tiers."""

    regions: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_sets: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    instances: dict[str, list[str]] = field(default_factory=dict)
    tag_sets: dict[str, list[tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def add(self, table: dict[str, list[Any]], tier: str, item: Any) -> None:
        items = table.setdefault(tier, [])
        if item not in items:
            items.append(item)

    def region(self, region: str) -> None:
        if region not in self.regions:
            self.regions.append(region)

    def origin(self, key: str, where: str) -> None:
        self.origins.setdefault(key, where)


@dataclass
class InventoryCloud:
    """The configurations to audit (one per provider) and the tiers of each host (but those left out)."""

    configs: list[CloudConfig]
    tiers: dict[str, tuple[str, ...]]

    @property
    def nginx_hosts(self) -> list[str]:
        """The hosts that run nginx: every host but the backend-only ones."""
        return [h for h, tiers in self.tiers.items() if tiers != ("backend",)]


def plain(value: Any) -> Any:
    """Values as JSON has them: ``ansible-inventory --list`` wraps a plugin's API values in
    ``{"__ansible_unsafe": ...}``; the action plugin's values may be subclasses of str, list and dict."""
    if isinstance(value, Mapping):
        if set(value) == {"__ansible_unsafe"}:
            return plain(value["__ansible_unsafe"])
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Sequence | set | frozenset):
        return [plain(v) for v in value]
    return value


class _Host:
    def __init__(self, name: str, variables: Mapping[str, Any]) -> None:
        self.name = name
        self.vars = {k: plain(v) for k, v in variables.items() if k in VARIABLES}
        placement = self.vars.get("placement")
        # amazon.aws.aws_ec2 sets placement.region (with instance_id and security_groups).
        self.aws_ec2 = isinstance(placement, dict) and isinstance(placement.get("region"), str)

    def fail(self, variable: str, message: str) -> CloudConfigError:
        return CloudConfigError(f"{self.name}: {variable}: {message}")

    def string(self, variable: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(variable, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def optional(self, variable: str) -> str | None:
        value = self.vars.get(variable)
        return None if value is None or value == "" else self.string(variable, value)

    def enabled(self) -> bool:
        value = self.vars.get("fix502_cloud_enabled")
        if value is None:
            return True
        if isinstance(value, str) and value.strip().lower() in (
            "true",
            "yes",
            "on",
            "1",
            "false",
            "no",
            "off",
            "0",
        ):
            return value.strip().lower() in ("true", "yes", "on", "1")
        if not isinstance(value, bool):
            raise self.fail("fix502_cloud_enabled", f"expected true or false, got {_kind(value)}")
        return value

    def provider(self, default: str) -> str:
        name = self.optional("fix502_cloud_provider")
        if name is None:
            return "aws" if self.aws_ec2 else default
        return self.provider_name("fix502_cloud_provider", name)

    def provider_name(self, variable: str, name: str) -> str:
        if name not in PROVIDERS:
            raise self.fail(variable, f"unknown provider {name!r} (expected one of: {', '.join(PROVIDERS)})")
        return name

    def region(self) -> tuple[str | None, str]:
        region = self.optional("fix502_cloud_region")
        if region is not None:
            return region, "fix502_cloud_region"
        if self.aws_ec2:
            return self.string("placement.region", self.vars["placement"]["region"]), "placement.region"
        return None, "fix502_cloud_region"

    def instance(self) -> tuple[str | None, str]:
        instance = self.optional("fix502_cloud_instance_id")
        if instance is not None:
            return instance, "fix502_cloud_instance_id"
        if self.aws_ec2 and self.vars.get("instance_id"):
            return self.string("instance_id", self.vars["instance_id"]), "instance_id"
        return None, "fix502_cloud_instance_id"

    def tiers(self, variable: str, value: Any) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.fail(
                variable, f"expected a tier ({', '.join(TIERS)}) or a list of them, got {_kind(value)}"
            )
        out = []
        for item in items:
            if not isinstance(item, str) or item.strip() not in TIERS:
                raise self.fail(variable, f"{_kind(item)} is not a tier ({', '.join(TIERS)})")
            out.append(item.strip())
        return tuple(dict.fromkeys(out))

    def host_tiers(self, default: str) -> tuple[str, ...]:
        value = self.vars.get("fix502_cloud_tier")
        if value is None or value == "":
            return (default,)
        return self.tiers("fix502_cloud_tier", value)

    def groups(self) -> tuple[str, list[Any]]:
        if self.vars.get("fix502_cloud_security_groups") not in (None, ""):
            variable = "fix502_cloud_security_groups"
            value = self.vars[variable]
        elif self.aws_ec2 and self.vars.get("security_groups"):
            variable = "security_groups"
            value = self.vars[variable]
        else:
            return "fix502_cloud_security_groups", []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(variable, f"expected a list of security group IDs, got {_kind(value)}")
        return variable, value

    def tags(self) -> tuple[tuple[str, str], ...]:
        value = self.vars.get("fix502_cloud_instance_tags")
        if value is None or value == {}:
            return ()
        if not isinstance(value, dict):
            raise self.fail(
                "fix502_cloud_instance_tags", f"expected a mapping of tag: value, got {_kind(value)}"
            )
        out = []
        for key, item in value.items():
            if isinstance(item, bool) or not isinstance(item, str | int) or str(item) == "":
                raise self.fail(
                    f"fix502_cloud_instance_tags.{key}", f"expected a tag value, got {_kind(item)}"
                )
            out.append((str(key), str(item)))
        return tuple(sorted(out))


_GROUP_KEYS = ("id", "group_id", "provider", "region", "tier")


def _read_host(host: _Host, base: CloudConfig, found: dict[str, _Tiers]) -> tuple[str, ...] | None:
    """Add what one host names to ``found`` (by provider); its tiers, or None when it is left out."""
    if not host.enabled():
        return None
    provider = host.provider(base.provider)
    web_configured = not base.tiers.get("web", TierSpec()).empty
    default_tier = "proxy" if provider == base.provider and web_configured else "web"
    tiers = host.host_tiers(default_tier)
    region, region_var = host.region()
    instance, instance_var = host.instance()
    groups_var, group_items = host.groups()
    tags = host.tags()
    attached: list[str] = []
    named: list[tuple[str, str, str | None, tuple[str, ...], str]] = []
    for index, item in enumerate(group_items):
        where = f"{groups_var}[{index}]"
        if isinstance(item, dict):
            if groups_var == "security_groups":  # amazon.aws.aws_ec2: {group_id, group_name}
                attached.append(host.string(f"{where}.group_id", item.get("group_id")))
                continue
            unknown = [k for k in item if k not in _GROUP_KEYS]
            if unknown:
                raise host.fail(f"{where}.{unknown[0]}", f"unknown field (known: {', '.join(_GROUP_KEYS)})")
            key = "id" if "id" in item else "group_id"
            group_id = host.string(f"{where}.{key}", item.get(key))
            item_provider = (
                host.provider_name(f"{where}.provider", host.string(f"{where}.provider", item["provider"]))
                if item.get("provider") not in (None, "")
                else provider
            )
            item_region = (
                host.string(f"{where}.region", item["region"])
                if item.get("region") not in (None, "")
                else None
            )
            item_tiers = (
                host.tiers(f"{where}.tier", item["tier"]) if item.get("tier") not in (None, "") else tiers
            )
            named.append((group_id, item_provider, item_region, item_tiers, where))
        else:
            attached.append(host.string(where, item))
    if instance is not None:
        attached = []  # the instance's groups come from the provider, with its addresses
    if not (instance or attached or tags or named):
        return tiers

    def place(item_provider: str, item_region: str | None, variable: str) -> _Tiers:
        entry = found.setdefault(item_provider, _Tiers())
        if item_region is not None:
            entry.region(item_region)
        elif not (item_provider == base.provider and base.regions):
            raise host.fail(
                variable,
                f"no region for {item_provider}: set fix502_cloud_region "
                "(or regions: in the cloud configuration)",
            )
        return entry

    if instance or attached or tags:
        variable = instance_var if instance else (groups_var if attached else "fix502_cloud_instance_tags")
        entry = place(provider, region, region_var if region else variable)
        for tier in tiers:
            if instance:
                entry.add(entry.instances, tier, instance)
                entry.origin(instance, f"{host.name}: {instance_var}")
            if attached:
                entry.add(entry.group_sets, tier, tuple(dict.fromkeys(attached)))
                for group_id in attached:
                    entry.origin(group_id, f"{host.name}: {groups_var}")
            if tags:
                entry.add(entry.tag_sets, tier, tags)
    for group_id, item_provider, item_region, item_tiers, where in named:
        entry = place(
            item_provider,
            item_region if item_region else (region if item_provider == provider else None),
            where,
        )
        for tier in item_tiers:
            entry.add(entry.groups, tier, group_id)
        entry.origin(group_id, f"{host.name}: {where}")
    return tiers


def _merged(config: CloudConfig, extra: _Tiers) -> CloudConfig:
    tiers: dict[str, TierSpec] = dict(config.tiers)
    for name in TIERS:
        groups = extra.groups.get(name, [])
        group_sets = extra.group_sets.get(name, [])
        instances = extra.instances.get(name, [])
        tag_sets = extra.tag_sets.get(name, [])
        if not (groups or group_sets or instances or tag_sets):
            continue
        spec = config.tiers.get(name, TierSpec())
        tiers[name] = replace(
            spec,
            groups=tuple(dict.fromkeys([*spec.groups, *groups])),
            group_sets=tuple(dict.fromkeys([*spec.group_sets, *group_sets])),
            instances=tuple(dict.fromkeys([*spec.instances, *instances])),
            instance_tag_sets=tuple(dict.fromkeys([*spec.instance_tag_sets, *tag_sets])),
        )
    return replace(
        config,
        regions=tuple(dict.fromkeys([*config.regions, *extra.regions])),
        tiers=tiers,
        origins={**extra.origins, **config.origins},
    )


def _for_provider(base: CloudConfig, provider: str) -> CloudConfig:
    """Another provider's configuration: the base's judgement settings, none of its places."""
    return CloudConfig(
        provider=provider,
        client_ranges=base.client_ranges,
        web_ports=base.web_ports,
        backend_ports=base.backend_ports,
        sensitive_ports=base.sensitive_ports,
        backend_keepalive_seconds=base.backend_keepalive_seconds,
        check_load_balancers=base.check_load_balancers,
        max_workers=base.max_workers,
        retry=base.retry,
    )


def from_hostvars(hostvars: Mapping[str, Mapping[str, Any]], base: CloudConfig) -> InventoryCloud:
    """The configurations to audit: ``base`` (when it has regions or hosts of its provider) with the
    hosts' instances and groups added to its tiers, and one for each other provider the hosts name.

    CloudConfigError names the host and the variable at fault.
    """
    found: dict[str, _Tiers] = {}
    host_tiers: dict[str, tuple[str, ...]] = {}
    for name in sorted(hostvars):
        tiers = _read_host(_Host(name, hostvars[name]), base, found)
        if tiers is not None:
            host_tiers[name] = tiers
    configs: list[CloudConfig] = []
    if base.regions or base.provider in found:
        configs.append(_merged(base, found.get(base.provider, _Tiers())))
    for provider in sorted(found):
        if provider != base.provider:
            configs.append(_merged(_for_provider(base, provider), found[provider]))
    return InventoryCloud(configs=configs, tiers=host_tiers)


def cloud_configured(hostvars: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the inventory turns the playbook's cloud side on: a host sets fix502_cloud_enabled: true,
    or names a cloud configuration, an instance, security groups or instance tags (and is not turned off)."""
    for name, variables in hostvars.items():
        host = _Host(name, variables)
        enabled = host.vars.get("fix502_cloud_enabled")
        if enabled is not None and not host.enabled():
            continue
        if enabled is not None or any(host.vars.get(v) not in (None, "", [], {}) for v in _CLOUD_MARKERS):
            return True
    return False


@dataclass
class HostBackends:
    """The backend ports the host audit found, and the hosts it could not tell about."""

    ports: list[int]
    unknown: list[str]


def backend_ports(reports: Iterable[HostReport]) -> HostBackends:
    """The ports of the backends nginx proxies to on other machines (the ones a security group
    decides), from the host audit's reports; hosts that were not audited are named in ``unknown``."""
    ports: list[int] = []
    unknown: list[str] = []
    for report in reports:
        if report.status is not HostStatus.OK or report.backends is None:
            unknown.append(report.name)
            continue
        ports += [b.port for b in report.backends if not b.local]
    return HostBackends(sorted(set(ports)), unknown)


def inventory_config(hostvars: Mapping[str, Mapping[str, Any]], base_dirs: Sequence[str]) -> str | None:
    """The cloud configuration file the hosts name (``fix502_cloud_config``, one for all of them), a
    relative path found in the current directory or else in the inventory's directory; None if unnamed."""
    chosen: tuple[str, str] | None = None
    for name in sorted(hostvars):
        value = plain(hostvars[name].get("fix502_cloud_config"))
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise CloudConfigError(f"{name}: fix502_cloud_config: expected a path, got {_kind(value)}")
        if "{{" in value or "{%" in value:
            raise CloudConfigError(
                f"{name}: fix502_cloud_config: {value!r} is a template, which ansible-inventory does not "
                "expand: give a path (or --config)"
            )
        if chosen is None:
            chosen = (name, value)
        elif chosen[1] != value:
            raise CloudConfigError(
                f"{name}: fix502_cloud_config: {value!r} is not {chosen[0]}'s {chosen[1]!r}: "
                "the cloud side takes one configuration file"
            )
    return None if chosen is None else resolve_path(chosen[1], base_dirs)


def resolve_path(path: str, base_dirs: Sequence[str]) -> str:
    """``path`` as given when it is absolute or exists; else the first inventory directory holding it."""
    if Path(path).is_absolute() or Path(path).exists():
        return path
    for base in base_dirs:
        candidate = Path(base) / path
        if candidate.exists():
            return str(candidate)
    return path


def source_dirs(sources: Sequence[str]) -> list[str]:
    """The directories of inventory sources: a file's parent, a directory itself (host lists have none)."""
    dirs: list[str] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            dirs.append(str(path))
        elif path.exists():
            dirs.append(str(path.parent))
    return dirs
