"""The cloud audit: every (account, region) of one provider concurrently, one report "host" each.

For one (account, region) it makes a handful of paginated list calls — instances of the tiers, the
load balancers, the groups — then judges the neutral model with the CLD checks. The number of calls
grows with the number of pages, never with the number of groups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from fix502.catalogue import CheckDef
from fix502.checks.cloud import CLOUD_REGISTRY
from fix502.cloud import open_provider
from fix502.cloud.config import TIERS, AccountSpec, CloudConfig, TierSpec
from fix502.cloud.context import CloudContext, Network, Tier
from fix502.cloud.model import CallStats, Instance, LoadBalancer, SecurityGroup
from fix502.cloud.provider import Credentials, Provider, ProviderConfig
from fix502.cloud.retry import CloudError, SdkMissingError, ThrottledError
from fix502.engine import finding_from_hit, new_report
from fix502.model import HostReport, HostStatus, Report


@dataclass
class CloudAuditRequest:
    config: CloudConfig
    checks: Sequence[CheckDef]
    lang: str = "en"
    credentials: Credentials | None = None


@dataclass
class RegionResult:
    report: HostReport
    stats: CallStats
    found_groups: set[str] = field(default_factory=set)
    groups_audited: int = 0
    found_instances: set[str] = field(default_factory=set)


@dataclass
class CloudAudit:
    report: Report
    results: list[RegionResult]

    @property
    def calls(self) -> int:
        return sum(r.stats.calls for r in self.results)


def _tag_match(tags: dict[str, str], wanted: tuple[tuple[str, str], ...]) -> bool:
    return all(key in tags and (value == "*" or tags[key] == value) for key, value in wanted)


def _networks(addresses: Sequence[str]) -> list[Network]:
    out: list[Network] = []
    for text in addresses:
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue
    return out


def configured_groups(config: CloudConfig) -> list[str]:
    """Every group ID the configuration names, top level and tiers (and the inventory's group sets)."""
    ids = list(config.groups)
    for name in TIERS:
        spec = config.tier(name)
        ids += spec.groups
        ids += [g for group_set in spec.group_sets for g in group_set]
    return list(dict.fromkeys(ids))


def configured_instances(config: CloudConfig) -> list[str]:
    """Every instance ID the tiers name."""
    return list(dict.fromkeys(i for name in TIERS for i in config.tier(name).instances))


def _named(ids: list[str], origins: Mapping[str, str]) -> str:
    return ", ".join(f"{i} ({origins[i]})" if i in origins else i for i in ids)


class _RegionAudit:
    def __init__(self, provider: Provider, config: CloudConfig) -> None:
        self.provider = provider
        self.config = config

    def instances(self) -> dict[str, list[Instance]]:
        """Each tier's instances, by ID and by tag, one paginated listing per selector."""
        out: dict[str, list[Instance]] = {}
        for name in TIERS:
            spec = self.config.tier(name)
            found: dict[str, Instance] = {}
            if spec.instances:
                for inst in self.provider.list_instances(instance_ids=spec.instances):
                    found[inst.instance_id] = inst
            for selector in spec.tag_selectors:
                for inst in self.provider.list_instances(tags=dict(selector)):
                    found[inst.instance_id] = inst
            out[name] = list(found.values())
        return out

    def load_balancers(self) -> list[LoadBalancer]:
        named = any(self.config.tier(n).load_balancers for n in TIERS)
        if not (self.config.check_load_balancers or named):
            return []
        return self.provider.list_load_balancers()

    def groups(
        self, instances: dict[str, list[Instance]], lbs: list[LoadBalancer]
    ) -> dict[str, SecurityGroup]:
        config = self.config
        tiers_given = any(not config.tier(n).empty for n in TIERS)
        if config.audit_all_groups or not (tiers_given or config.groups):
            return {g.group_id: g for g in self.provider.list_groups()}
        wanted = configured_groups(config)
        for name in TIERS:
            for inst in instances.get(name, []):
                wanted += inst.group_ids
            for lb in _named_lbs(config.tier(name), lbs):
                wanted += lb.group_ids
        groups = {g.group_id: g for g in self.provider.list_groups(group_ids=list(dict.fromkeys(wanted)))}
        seen_tags: set[tuple[tuple[str, str], ...]] = set()
        for name in TIERS:
            tags = config.tier(name).group_tags
            if tags and tags not in seen_tags:
                seen_tags.add(tags)
                groups.update({g.group_id: g for g in self.provider.list_groups(tags=dict(tags))})
        return groups

    def tier(
        self,
        name: str,
        groups: dict[str, SecurityGroup],
        instances: list[Instance],
        lbs: list[LoadBalancer],
    ) -> Tier:
        spec = self.config.tier(name)
        sets: list[tuple[str, ...]] = []
        named = [g for g in spec.groups if g in groups]
        if spec.group_tags:
            named += sorted(g.group_id for g in groups.values() if _tag_match(g.tag_map, spec.group_tags))
        if named:
            sets.append(tuple(dict.fromkeys(named)))
        chosen_lbs = _named_lbs(spec, lbs)
        attached = [*spec.group_sets, *(i.group_ids for i in instances), *(lb.group_ids for lb in chosen_lbs)]
        for item in attached:
            present = tuple(g for g in item if g in groups)
            if present and present not in sets:
                sets.append(present)
        addresses = _networks(spec.addresses)
        for inst in instances:
            addresses += _networks(inst.private_ips)
        return Tier(
            name=name,
            group_sets=tuple(sets),
            addresses=tuple(dict.fromkeys(addresses)),
            instances=tuple(instances),
            load_balancers=tuple(chosen_lbs),
        )


def _named_lbs(spec: TierSpec, lbs: list[LoadBalancer]) -> list[LoadBalancer]:
    wanted = set(spec.load_balancers)
    return [lb for lb in lbs if lb.name in wanted or lb.load_balancer_id in wanted]


def credential_selector(config: CloudConfig) -> tuple[tuple[str, str], ...]:
    """Which credentials of the SDK's chain the audit of ``config``'s (first) account used, and where it
    sent the calls: the profile, the role it assumed, the endpoint. Never a key or a secret; the fix
    (``security_group_rule``) uses the same selector and checks the account before changing anything."""
    account = config.accounts[0] if config.accounts else AccountSpec()
    found = {
        "profile": account.profile,
        "assume_role_arn": account.assume_role_arn,
        "endpoint_url": config.endpoint_url,
    }
    return tuple((key, value) for key, value in found.items() if value)


def audit_region(
    provider: Provider, config: CloudConfig, checks: Sequence[CheckDef], lang: str
) -> RegionResult:
    """Audit one (account, region); a CloudError or throttling that outlasted the retries becomes a
    failed report whose message says which call gave up."""
    name = f"{provider.name}:{config.accounts[0].account or '?'}/{provider.region}"
    try:
        account = provider.account
        name = f"{provider.name}:{account}/{provider.region}"
        work = _RegionAudit(provider, config)
        instances = work.instances()
        lbs = work.load_balancers()
        groups = work.groups(instances, lbs)
        tiers = {t: work.tier(t, groups, instances.get(t, []), lbs) for t in TIERS}
        named_lbs = [lb for t in tiers.values() for lb in t.load_balancers]
        ctx = CloudContext(
            provider=provider.name,
            account=account,
            region=provider.region,
            groups=groups,
            tiers=tiers,
            client_ranges=config.client_ranges,
            web_ports=config.web_ports,
            backend_ports=config.backend_ports,
            sensitive_ports=config.sensitive_ports,
            load_balancers=tuple(named_lbs or lbs),
            backend_keepalive_seconds=config.backend_keepalive_seconds,
            selector=credential_selector(config),
        )
    except ThrottledError as exc:
        message = f"{name}: {exc}"
        return RegionResult(HostReport(name=name, status=HostStatus.FAILED, message=message), provider.stats)
    except CloudError as exc:
        return RegionResult(HostReport(name=name, status=HostStatus.FAILED, message=str(exc)), provider.stats)
    findings = [
        finding_from_hit(hit, name, lang) for check in checks for hit in CLOUD_REGISTRY[check.id](ctx)
    ]
    findings.sort(key=lambda f: (-f.severity, f.id, f.evidence.where()))
    message = ""
    if provider.stats.retries:
        message = f"throttled: {provider.stats.retries} call(s) retried"
    report = HostReport(
        name=name, status=HostStatus.OK, message=message, findings=findings, checks_run=[c.id for c in checks]
    )
    found_instances = {i.instance_id for tier in tiers.values() for i in tier.instances}
    return RegionResult(report, provider.stats, set(groups), len(groups), found_instances)


def run_cloud_audit(request: CloudAuditRequest) -> CloudAudit:
    """Audit every (account, region) of the configuration concurrently."""
    config = request.config
    if not config.regions and not all(a.regions for a in config.accounts):
        raise CloudError("no region to audit: give --region or regions: in the configuration")
    targets: list[tuple[AccountSpec, str]] = [
        (a, r) for a in config.accounts for r in (a.regions or config.regions)
    ]

    def one(target: tuple[AccountSpec, str]) -> RegionResult:
        account, region = target
        provider_config = ProviderConfig(
            provider=config.provider,
            region=region,
            account=account.account,
            profile=account.profile,
            assume_role_arn=account.assume_role_arn,
            endpoint_url=config.endpoint_url,
            credentials=request.credentials,
            retry=config.retry,
        )
        try:
            provider = open_provider(provider_config)
        except SdkMissingError:
            raise
        except CloudError as exc:
            where = f"{config.provider}:{account.account or account.profile or '?'}/{region}"
            return RegionResult(
                HostReport(name=where, status=HostStatus.FAILED, message=str(exc)), CallStats()
            )
        single = replace(config, accounts=(account,))
        return audit_region(provider, single, request.checks, request.lang)

    workers = max(1, min(config.max_workers, len(targets)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fix502-cloud") as pool:
        results = list(pool.map(one, targets))
    hosts = [r.report for r in results]
    ok = [r for r in results if r.report.status is HostStatus.OK]
    found = set().union(*(r.found_groups for r in ok)) if ok else set()
    missing = [g for g in configured_groups(config) if g not in found]
    found_instances = set().union(*(r.found_instances for r in ok)) if ok else set()
    missing_instances = [i for i in configured_instances(config) if i not in found_instances]
    problems = []
    if missing:
        problems.append(
            f"security groups not found in any audited account/region: {_named(missing, config.origins)}"
        )
    if missing_instances:
        problems.append(
            f"instances not found in any audited account/region: {_named(missing_instances, config.origins)}"
        )
    if problems and ok:
        hosts.append(
            HostReport(
                name=f"{config.provider}:configuration",
                status=HostStatus.FAILED,
                message="; ".join(problems),
            )
        )
    return CloudAudit(new_report(hosts, request.checks, request.lang), results)
