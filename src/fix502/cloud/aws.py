"""AWS: EC2 security groups and instances, ELBv2 load balancers, on boto3.

Credentials come from boto3's standard chain (environment, shared config and profile, container or
instance role) unless a :class:`~fix502.cloud.provider.Credentials` is given; with ``assume_role_arn``
those credentials assume the role first (STS AssumeRole). botocore's own retries are
off: :mod:`fix502.cloud.retry` retries throttled calls, page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any, TypeVar

from fix502.cloud.base import ProviderBase, filter_batches, tag_filters
from fix502.cloud.model import (
    Action,
    Direction,
    Instance,
    LoadBalancer,
    Peer,
    PeerKind,
    Rule,
    SecurityGroup,
    Target,
    TargetGroup,
)
from fix502.cloud.provider import ProviderConfig
from fix502.cloud.retry import CloudError, SdkMissingError

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError as exc:  # pragma: no cover - exercised where boto3 is absent
    raise SdkMissingError(
        f"provider aws needs boto3 ({exc}); install it with: pip install 'fix502[aws]'"
    ) from None

T = TypeVar("T")

# The most items one page may hold: DescribeSecurityGroups and DescribeInstances 1000, ELBv2 400.
EC2_PAGE = 1000
ELB_PAGE = 400
# Values one EC2 filter takes at most.
FILTER_VALUES = 200
MANAGED_TAG = ("managed-by", "fix502")

_PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
_PROTOCOL_API = {"all": "-1", "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}


def _protocol(raw: str) -> str:
    text = str(raw).lower()
    if text in ("tcp", "udp", "icmp", "icmpv6"):
        return text
    if text in _PROTOCOL_NAMES:
        return _PROTOCOL_NAMES[text]
    return f"ip-{int(text)}" if text.isdigit() else "all"


def _ports(protocol: str, perm: Mapping[str, Any]) -> tuple[int, int]:
    if protocol not in ("tcp", "udp"):
        return (0, 65535)
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if low is None or high is None or int(low) < 0 or int(high) < 0:
        return (0, 65535)
    return (int(low), int(high))


def rules_from_permissions(perms: Iterable[Mapping[str, Any]], direction: Direction) -> list[Rule]:
    """The neutral rules of an IpPermissions (or IpPermissionsEgress) list: one per peer."""
    rules: list[Rule] = []
    for perm in perms:
        protocol = _protocol(perm.get("IpProtocol", "-1"))
        low, high = _ports(protocol, perm)
        peers: list[tuple[Peer, str]] = []
        peers += [(Peer.cidr(r["CidrIp"]), r.get("Description", "")) for r in perm.get("IpRanges", [])]
        peers += [(Peer.cidr(r["CidrIpv6"]), r.get("Description", "")) for r in perm.get("Ipv6Ranges", [])]
        peers += [
            (Peer.prefix_list(r["PrefixListId"]), r.get("Description", ""))
            for r in perm.get("PrefixListIds", [])
        ]
        peers += [
            (Peer.group(r["GroupId"], r.get("UserId")), r.get("Description", ""))
            for r in perm.get("UserIdGroupPairs", [])
            if r.get("GroupId")
        ]
        for peer, description in peers:
            rules.append(Rule(direction, protocol, low, high, peer, Action.ALLOW, None, description or ""))
    return rules


def permission_for(rule: Rule, *, with_description: bool) -> dict[str, Any]:
    """The IpPermissions entry that adds or revokes ``rule``."""
    if rule.action is not Action.ALLOW or rule.priority is not None:
        raise CloudError(f"aws: security groups have allow rules only, without priority: {rule.describe()}")
    perm: dict[str, Any] = {"IpProtocol": _PROTOCOL_API.get(rule.protocol, rule.protocol.removeprefix("ip-"))}
    if rule.protocol in ("tcp", "udp"):
        perm["FromPort"], perm["ToPort"] = rule.port_from, rule.port_to
    extra = {"Description": rule.description} if with_description and rule.description else {}
    peer = rule.peer
    if peer.kind is PeerKind.CIDR:
        network = peer.network
        if network is not None and network.version == 6:
            perm["Ipv6Ranges"] = [{"CidrIpv6": peer.value, **extra}]
        else:
            perm["IpRanges"] = [{"CidrIp": peer.value, **extra}]
    elif peer.kind is PeerKind.GROUP:
        pair: dict[str, Any] = {"GroupId": peer.value, **extra}
        if peer.owner:
            pair["UserId"] = peer.owner
        perm["UserIdGroupPairs"] = [pair]
    else:
        perm["PrefixListIds"] = [{"PrefixListId": peer.value, **extra}]
    return perm


def _tags(items: Iterable[Mapping[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(t["Key"]), str(t.get("Value", ""))) for t in items or ()))


class AwsProvider(ProviderBase):
    name = "aws"

    def __init__(self, config: ProviderConfig, session: Any) -> None:
        super().__init__(config)
        self._session = session
        self._clients: dict[str, Any] = {}
        # options["page_size"] asks for smaller pages (tests); the API's maximum is the default.
        size = str(config.options.get("page_size", ""))
        self._ec2_page = min(EC2_PAGE, max(5, int(size))) if size.isdigit() else EC2_PAGE
        self._elb_page = min(ELB_PAGE, max(1, int(size))) if size.isdigit() else ELB_PAGE

    @classmethod
    def from_config(cls, config: ProviderConfig) -> AwsProvider:
        creds = config.credentials
        try:
            session = boto3.session.Session(
                profile_name=config.profile,
                region_name=config.region,
                aws_access_key_id=creds.access_key if creds else None,
                aws_secret_access_key=creds.secret_key if creds else None,
                aws_session_token=creds.session_token if creds else None,
            )
        except botocore.exceptions.ProfileNotFound:
            raise CloudError(f"aws: profile {config.profile!r} is not in the shared config files") from None
        provider = cls(config, session)
        if config.assume_role_arn:
            provider._assume_role(config.assume_role_arn)
        return provider

    def _assume_role(self, role_arn: str) -> None:
        """Switch to the temporary credentials of ``role_arn``, assumed with the chain's credentials."""
        if not role_arn.startswith("arn:") or ":role/" not in role_arn:
            raise CloudError(
                f"aws: assume_role_arn {role_arn!r} is not a role ARN (arn:aws:iam::ID:role/NAME)"
            )
        sts = self._client("sts")
        answer = self._call("AssumeRole", lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="fix502"))
        temporary = answer["Credentials"]
        with self._lock:
            self._session = boto3.session.Session(
                region_name=self.region,
                aws_access_key_id=temporary["AccessKeyId"],
                aws_secret_access_key=temporary["SecretAccessKey"],
                aws_session_token=temporary["SessionToken"],
            )
            self._clients.clear()

    # -- plumbing -------------------------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                cfg = botocore.config.Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=60,
                    user_agent_extra="fix502",
                )
                self._clients[service] = self._session.client(
                    service, endpoint_url=self.config.endpoint_url, config=cfg
                )
            return self._clients[service]

    @staticmethod
    def _error_code(exc: BaseException) -> str | None:
        if isinstance(exc, botocore.exceptions.ClientError):
            return str(exc.response.get("Error", {}).get("Code", ""))
        return None

    def _call(self, operation: str, func: Callable[[], T]) -> T:
        try:
            return self._retry(operation, func)
        except botocore.exceptions.NoCredentialsError:
            raise CloudError(
                f"{self._where()}: {operation}: no AWS credentials found in the standard chain "
                "(environment, shared config/profile, container or instance role)"
            ) from None
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "error"), error.get("Message", "")
            raise CloudError(f"{self._where()}: {operation}: {code}: {message}".rstrip()) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise CloudError(f"{self._where()}: {operation}: {exc}") from None

    def _pages(
        self, service: str, operation: str, params: Mapping[str, Any], page_size: int, token_key: str
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paginated operation, one API call each; a throttled page is retried alone."""
        paginator = self._client(service).get_paginator(operation)
        token: str | None = None
        while True:
            config: dict[str, Any] = {"PageSize": page_size}
            if token:
                config["StartingToken"] = token

            def first_page(config: dict[str, Any] = config) -> dict[str, Any]:
                page: dict[str, Any] = next(iter(paginator.paginate(**params, PaginationConfig=config)))
                return page

            page = self._call(_api_name(operation), first_page)
            yield page
            token = page.get(token_key)
            if not token:
                return

    def caller_account(self) -> str:
        identity = self._call("GetCallerIdentity", lambda: self._client("sts").get_caller_identity())
        return str(identity["Account"])

    # -- security groups ------------------------------------------------------------------------------

    def _group(self, raw: Mapping[str, Any]) -> SecurityGroup:
        rules = rules_from_permissions(raw.get("IpPermissions", []), Direction.INGRESS)
        rules += rules_from_permissions(raw.get("IpPermissionsEgress", []), Direction.EGRESS)
        return SecurityGroup(
            provider=self.name,
            account=str(raw.get("OwnerId") or self.account),
            region=self.region,
            group_id=str(raw["GroupId"]),
            name=str(raw.get("GroupName", "")),
            vpc=raw.get("VpcId"),
            rules=tuple(rules),
            tags=_tags(raw.get("Tags")),
            description=str(raw.get("Description", "")),
        )

    def _find_groups(
        self, group_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[tuple[str, Callable[[], SecurityGroup]]]:
        # Group IDs go in a filter, not GroupIds: GroupIds cannot be paginated and fails on one unknown ID.
        for filters in filter_batches(tag_filters(tags, vpc), "group-id", group_ids, FILTER_VALUES):
            params = {"Filters": filters} if filters else {}
            for page in self._pages("ec2", "describe_security_groups", params, self._ec2_page, "NextToken"):
                for raw in page.get("SecurityGroups", []):
                    yield str(raw["GroupId"]), partial(self._group, raw)

    def _one_group(self, group_id: str) -> SecurityGroup:
        found = self.list_groups(group_ids=[group_id])
        if not found:
            raise CloudError(f"{self._where()}: security group {group_id} does not exist")
        return found[0]

    # -- instances -------------------------------------------------------------------------------------

    def _find_instances(
        self, instance_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[Instance]:
        base = tag_filters(tags, vpc)
        base.append({"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]})
        for filters in filter_batches(base, "instance-id", instance_ids, FILTER_VALUES):
            params = {"Filters": filters}
            for page in self._pages("ec2", "describe_instances", params, self._ec2_page, "NextToken"):
                for reservation in page.get("Reservations", []):
                    owner = str(reservation.get("OwnerId") or "")
                    for raw in reservation.get("Instances", []):
                        yield self._instance(raw, owner)

    def _instance(self, raw: Mapping[str, Any], owner: str) -> Instance:
        groups = [g["GroupId"] for g in raw.get("SecurityGroups", [])]
        private = [raw["PrivateIpAddress"]] if raw.get("PrivateIpAddress") else []
        public = [raw["PublicIpAddress"]] if raw.get("PublicIpAddress") else []
        for eni in raw.get("NetworkInterfaces", []):
            groups += [g["GroupId"] for g in eni.get("Groups", [])]
            private += [
                a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", []) if a.get("PrivateIpAddress")
            ]
            private += [a["Ipv6Address"] for a in eni.get("Ipv6Addresses", []) if a.get("Ipv6Address")]
        tags = _tags(raw.get("Tags"))
        return Instance(
            provider=self.name,
            account=owner or self.account,
            region=self.region,
            instance_id=str(raw["InstanceId"]),
            group_ids=tuple(dict.fromkeys(groups)),
            name=dict(tags).get("Name", ""),
            vpc=raw.get("VpcId"),
            private_ips=tuple(dict.fromkeys(private)),
            public_ips=tuple(public),
            tags=tags,
            state=str(raw.get("State", {}).get("Name", "")),
        )

    # -- load balancers ---------------------------------------------------------------------------------

    def list_load_balancers(self) -> list[LoadBalancer]:
        balancers: list[dict[str, Any]] = []
        for page in self._pages("elbv2", "describe_load_balancers", {}, self._elb_page, "NextMarker"):
            balancers += page.get("LoadBalancers", [])
        if not balancers:
            return []
        groups: list[dict[str, Any]] = []
        for page in self._pages("elbv2", "describe_target_groups", {}, self._elb_page, "NextMarker"):
            groups += page.get("TargetGroups", [])
        elb = self._client("elbv2")
        target_groups: dict[str, TargetGroup] = {}
        for raw in groups:
            arn = str(raw["TargetGroupArn"])
            if not raw.get("LoadBalancerArns"):
                continue
            health: dict[str, Any] = self._call(
                "DescribeTargetHealth", partial(elb.describe_target_health, TargetGroupArn=arn)
            )
            targets = tuple(
                Target(
                    target_id=str(d["Target"]["Id"]),
                    port=d["Target"].get("Port"),
                    health=str(d.get("TargetHealth", {}).get("State", "")),
                    reason=str(d.get("TargetHealth", {}).get("Reason", "")),
                    description=str(d.get("TargetHealth", {}).get("Description", "")),
                )
                for d in health.get("TargetHealthDescriptions", [])
            )
            target_groups[arn] = TargetGroup(
                target_group_id=arn,
                name=str(raw.get("TargetGroupName", "")),
                protocol=str(raw.get("Protocol", "")),
                port=raw.get("Port"),
                health_check_protocol=str(raw.get("HealthCheckProtocol", "")),
                health_check_port=str(raw.get("HealthCheckPort", "traffic-port")),
                health_check_path=str(raw.get("HealthCheckPath", "")),
                targets=targets,
                load_balancer_ids=tuple(raw.get("LoadBalancerArns", [])),
            )
        out: list[LoadBalancer] = []
        for raw in balancers:
            arn = str(raw["LoadBalancerArn"])
            kind = str(raw.get("Type", "application"))
            idle: int | None = None
            if kind == "application":
                attributes: dict[str, Any] = self._call(
                    "DescribeLoadBalancerAttributes",
                    partial(elb.describe_load_balancer_attributes, LoadBalancerArn=arn),
                )
                for item in attributes.get("Attributes", []):
                    if (
                        item.get("Key") == "idle_timeout.timeout_seconds"
                        and str(item.get("Value", "")).isdigit()
                    ):
                        idle = int(item["Value"])
            out.append(
                LoadBalancer(
                    provider=self.name,
                    account=self.account,
                    region=self.region,
                    load_balancer_id=arn,
                    name=str(raw.get("LoadBalancerName", "")),
                    kind=kind,
                    scheme=str(raw.get("Scheme", "")),
                    vpc=raw.get("VpcId"),
                    group_ids=tuple(raw.get("SecurityGroups", [])),
                    idle_timeout=idle,
                    target_groups=tuple(tg for tg in target_groups.values() if arn in tg.load_balancer_ids),
                )
            )
        return out

    # -- changes ------------------------------------------------------------------------------------------

    def _authorize(self, group_id: str, rule: Rule) -> None:
        ec2 = self._client("ec2")
        perm = permission_for(rule, with_description=True)
        tag_spec = [
            {
                "ResourceType": "security-group-rule",
                "Tags": [{"Key": MANAGED_TAG[0], "Value": MANAGED_TAG[1]}],
            }
        ]
        self._call(
            "AuthorizeSecurityGroupIngress",
            lambda: ec2.authorize_security_group_ingress(
                GroupId=group_id, IpPermissions=[perm], TagSpecifications=tag_spec
            ),
        )

    def _rule_ids(self, group_id: str, rule: Rule) -> list[str]:
        """The IDs (sgr-) of the group's rules that are ``rule``: a revoke by ID removes exactly them."""
        params = {"Filters": [{"Name": "group-id", "Values": [group_id]}]}
        ids: list[str] = []
        for page in self._pages("ec2", "describe_security_group_rules", params, self._ec2_page, "NextToken"):
            rules = page.get("SecurityGroupRules", [])
            ids += [r["SecurityGroupRuleId"] for r in rules if _same_rule(r, rule)]
        return ids

    def _revoke(self, group_id: str, rule: Rule, present: list[Rule]) -> None:
        ec2 = self._client("ec2")
        ids = self._rule_ids(group_id, rule)
        if not ids:
            raise CloudError(f"{self._where()}: {group_id}: no rule ID found for {rule.describe()}")
        self._call(
            "RevokeSecurityGroupIngress",
            lambda: ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=ids),
        )


def _same_rule(raw: Mapping[str, Any], rule: Rule) -> bool:
    """Whether a DescribeSecurityGroupRules entry is ``rule`` (direction, protocol, ports, peer)."""
    if bool(raw.get("IsEgress")) != (rule.direction is Direction.EGRESS):
        return False
    protocol = _protocol(raw.get("IpProtocol", "-1"))
    if protocol != rule.protocol or _ports(protocol, raw) != (rule.port_from, rule.port_to):
        return False
    if rule.peer.kind is PeerKind.CIDR:
        text = raw.get("CidrIpv4") or raw.get("CidrIpv6")
        return bool(text) and Peer.cidr(str(text)).value == rule.peer.value
    if rule.peer.kind is PeerKind.GROUP:
        return bool(raw.get("ReferencedGroupInfo", {}).get("GroupId") == rule.peer.value)
    return bool(raw.get("PrefixListId") == rule.peer.value)


def _api_name(operation: str) -> str:
    """describe_security_groups → DescribeSecurityGroups."""
    return "".join(part.capitalize() for part in operation.split("_"))
