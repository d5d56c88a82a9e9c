"""Alibaba Cloud: ECS security groups and instances on aliyun-python-sdk-core + aliyun-python-sdk-ecs.

Credentials, first found wins (the order of Alibaba Cloud's default credential chain):

1. explicit :class:`~fix502.cloud.provider.Credentials` (a module's no_log options);
2. the environment: ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` (and
   ``ALIBABA_CLOUD_SECURITY_TOKEN`` for STS), or the older ``ALICLOUD_ACCESS_KEY`` / ``ALICLOUD_SECRET_KEY``
   (``ALICLOUD_SECURITY_TOKEN``) that the alicloud Ansible modules and Terraform read;
3. the credentials file, ``ALIBABA_CLOUD_CREDENTIALS_FILE`` or ``~/.alibabacloud/credentials`` (INI; the
   section is the configured profile, else ``ALIBABA_CLOUD_PROFILE``, else ``default``; types
   ``access_key``, ``sts``, ``ecs_ram_role``, ``ram_role_arn``);
4. the Alibaba Cloud CLI's ``~/.aliyun/config.json`` (the named profile, else its current one);
5. the ECS instance RAM role named by ``ALIBABA_CLOUD_ECS_METADATA``.

The SDK's own retries are off (``auto_retry=False``): :func:`fix502.cloud.retry.call` retries
``Throttling`` with backoff and jitter. Every list call pages (``PageNumber``/``PageSize``,
``NextToken`` for a group's rules). ``Policy`` Accept/Drop and ``Priority`` 1-100 (1 wins; on a tie Drop
wins) become the neutral rule's action and priority, so the core's shadowing check applies.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fix502.cloud.base import ProviderBase, id_batches
from fix502.cloud.model import (
    Action,
    Direction,
    Instance,
    LoadBalancer,
    Peer,
    PeerKind,
    Rule,
    SecurityGroup,
)
from fix502.cloud.provider import ProviderConfig
from fix502.cloud.retry import CloudError, SdkMissingError

try:
    from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
    from aliyunsdkcore.auth import credentials as ali_credentials
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest, RpcRequest
    from aliyunsdkecs.request.v20140526 import (
        AuthorizeSecurityGroupRequest,
        DescribeInstancesRequest,
        DescribeSecurityGroupAttributeRequest,
        DescribeSecurityGroupsRequest,
        RevokeSecurityGroupRequest,
    )
except ImportError as exc:  # pragma: no cover - exercised where the SDK is absent
    raise SdkMissingError(
        f"provider aliyun needs aliyun-python-sdk-core and aliyun-python-sdk-ecs ({exc}); "
        "install them with: pip install 'fix502[aliyun]'"
    ) from None

# The SDK logs every server error at ERROR level; fix502 reports them itself, once, without the
# request's string-to-sign.
logging.getLogger("aliyunsdkcore").addHandler(logging.NullHandler())
logging.getLogger("aliyunsdkcore").propagate = False

T = TypeVar("T")

GROUP_PAGE = 50  # DescribeSecurityGroups: PageSize at most 50
INSTANCE_PAGE = 100  # DescribeInstances: PageSize at most 100
RULE_PAGE = 1000  # DescribeSecurityGroupAttribute: MaxResults at most 1000
IDS_PER_CALL = 100  # SecurityGroupIds / InstanceIds: at most 100 in one call
TAGS_PER_CALL = 20
DEFAULT_PRIORITY = 1
# Errors that mean "these credentials were not accepted": reported without the server's message, which
# repeats the string-to-sign (and so the AccessKey ID).
AUTH_ERRORS = frozenset(
    {
        "SignatureDoesNotMatch",
        "InvalidAccessKeySecret",
        "IncompleteSignature",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "InvalidSecurityToken.Expired",
        "InvalidSecurityToken.Malformed",
        "InvalidSecurityToken.MismatchWithAccessKey",
    }
)
_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6", "all": "all"}


def _credentials_file() -> Path:
    override = os.environ.get("ALIBABA_CLOUD_CREDENTIALS_FILE")
    return Path(override) if override else Path.home() / ".alibabacloud" / "credentials"


def _from_ini(path: Path, profile: str, explicit: bool) -> Any | None:
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise CloudError(
            f"aliyun: {path}: cannot parse the credentials file ({exc.__class__.__name__})"
        ) from None
    if not parser.has_section(profile):
        if explicit:
            raise CloudError(f"aliyun: {path}: no profile [{profile}]")
        return None
    section = parser[profile]
    if section.get("enable", "true").strip().lower() == "false":
        return None
    kind = section.get("type", "access_key").strip()
    need: dict[str, tuple[str, ...]] = {
        "access_key": ("access_key_id", "access_key_secret"),
        "sts": ("access_key_id", "access_key_secret", "security_token"),
        "ecs_ram_role": ("role_name",),
        "ram_role_arn": ("access_key_id", "access_key_secret", "role_arn"),
    }
    if kind not in need:
        raise CloudError(f"aliyun: {path}: profile [{profile}]: unsupported type {kind!r}")
    missing = [key for key in need[kind] if not section.get(key, "").strip()]
    if missing:
        raise CloudError(f"aliyun: {path}: profile [{profile}] lacks {', '.join(missing)}")
    value = {key: section.get(key, "").strip() for key in section}
    if kind == "access_key":
        return ali_credentials.AccessKeyCredential(value["access_key_id"], value["access_key_secret"])
    if kind == "sts":
        return ali_credentials.StsTokenCredential(
            value["access_key_id"], value["access_key_secret"], value["security_token"]
        )
    if kind == "ecs_ram_role":
        return ali_credentials.EcsRamRoleCredential(value["role_name"])
    return ali_credentials.RamRoleArnCredential(
        value["access_key_id"],
        value["access_key_secret"],
        value["role_arn"],
        value.get("role_session_name", "fix502"),
    )


def _from_cli_config(path: Path, profile: str | None) -> Any | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wanted = profile or data.get("current") or "default"
    for entry in data.get("profiles", []):
        if entry.get("name") != wanted:
            continue
        mode = entry.get("mode", "AK")
        if mode == "AK" and entry.get("access_key_id") and entry.get("access_key_secret"):
            return ali_credentials.AccessKeyCredential(entry["access_key_id"], entry["access_key_secret"])
        if mode == "StsToken" and entry.get("access_key_id") and entry.get("sts_token"):
            return ali_credentials.StsTokenCredential(
                entry["access_key_id"], entry.get("access_key_secret", ""), entry["sts_token"]
            )
        if mode == "EcsRamRole" and entry.get("ram_role_name"):
            return ali_credentials.EcsRamRoleCredential(entry["ram_role_name"])
        if mode == "RamRoleArn" and entry.get("ram_role_arn") and entry.get("access_key_id"):
            return ali_credentials.RamRoleArnCredential(
                entry["access_key_id"],
                entry.get("access_key_secret", ""),
                entry["ram_role_arn"],
                entry.get("ram_session_name") or "fix502",
            )
    return None


def resolve_credentials(config: ProviderConfig) -> Any:
    """An aliyunsdkcore credential object from the chain above; CloudError when there is none."""
    creds = config.credentials
    if creds is not None:
        if creds.session_token:
            return ali_credentials.StsTokenCredential(creds.access_key, creds.secret_key, creds.session_token)
        return ali_credentials.AccessKeyCredential(creds.access_key, creds.secret_key)
    if config.profile is None:
        for key_id, secret, token in (
            (
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                "ALIBABA_CLOUD_SECURITY_TOKEN",
            ),
            ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
        ):
            if os.environ.get(key_id) and os.environ.get(secret):
                if os.environ.get(token):
                    return ali_credentials.StsTokenCredential(
                        os.environ[key_id], os.environ[secret], os.environ[token]
                    )
                return ali_credentials.AccessKeyCredential(os.environ[key_id], os.environ[secret])
    profile = config.profile or os.environ.get("ALIBABA_CLOUD_PROFILE")
    path = _credentials_file()
    if path.is_file():
        found = _from_ini(path, profile or "default", explicit=profile is not None)
        if found is not None:
            return found
    cli = Path.home() / ".aliyun" / "config.json"
    if cli.is_file():
        found = _from_cli_config(cli, profile)
        if found is not None:
            return found
    if profile is not None:
        raise CloudError(f"aliyun: profile {profile!r} is in neither {path} nor {cli}")
    role = os.environ.get("ALIBABA_CLOUD_ECS_METADATA")
    if role:
        return ali_credentials.EcsRamRoleCredential(role)
    raise CloudError(
        "aliyun: no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
        "or a profile in ~/.alibabacloud/credentials, or ALIBABA_CLOUD_ECS_METADATA on an ECS instance"
    )


# -- rules: API shape ↔ neutral model ----------------------------------------------------------------


def _ports(protocol: str, port_range: str) -> tuple[int, int]:
    if protocol not in ("tcp", "udp"):
        return (0, 65535)
    low_text, _, high_text = port_range.partition("/")
    try:
        low, high = int(low_text), int(high_text or low_text)
    except ValueError:
        return (0, 65535)
    if low < 0 or high < 0 or (low <= 1 and high == 65535):
        return (0, 65535)
    return (low, high)


def rule_from_permission(perm: Mapping[str, Any]) -> Rule | None:
    """The neutral rule of one ``Permission``; None for what the model has no words for (GRE)."""
    protocol = _PROTOCOLS.get(str(perm.get("IpProtocol", "")).lower())
    if protocol is None:
        return None
    direction = Direction.EGRESS if perm.get("Direction") == "egress" else Direction.INGRESS
    side = "Source" if direction is Direction.INGRESS else "Dest"
    peer: Peer | None = None
    if perm.get(f"{side}CidrIp"):
        peer = Peer.cidr(str(perm[f"{side}CidrIp"]))
    elif perm.get(f"Ipv6{side}CidrIp"):
        peer = Peer.cidr(str(perm[f"Ipv6{side}CidrIp"]))
    elif perm.get(f"{side}GroupId"):
        owner = perm.get(f"{side}GroupOwnerAccount") or None
        peer = Peer.group(str(perm[f"{side}GroupId"]), str(owner) if owner else None)
    elif perm.get(f"{side}PrefixListId"):
        peer = Peer.prefix_list(str(perm[f"{side}PrefixListId"]))
    if peer is None:
        return None
    low, high = _ports(protocol, str(perm.get("PortRange", "-1/-1")))
    priority_text = str(perm.get("Priority") or DEFAULT_PRIORITY)
    return Rule(
        direction=direction,
        protocol=protocol,
        port_from=low,
        port_to=high,
        peer=peer,
        action=Action.DENY if str(perm.get("Policy", "")).lower() == "drop" else Action.ALLOW,
        priority=int(priority_text) if priority_text.isdigit() else DEFAULT_PRIORITY,
        description=str(perm.get("Description") or ""),
        rule_id=str(perm.get("SecurityGroupRuleId") or "") or None,
    )


def permission_for(rule: Rule) -> dict[str, str]:
    """The ``Permissions.N`` entry of AuthorizeSecurityGroup that adds ``rule``."""
    tcp_or_udp = rule.protocol in ("tcp", "udp")
    port_range = f"{max(rule.port_from, 1)}/{rule.port_to}" if tcp_or_udp else "-1/-1"
    perm = {
        "IpProtocol": rule.protocol,
        "PortRange": port_range,
        "Policy": "drop" if rule.action is Action.DENY else "accept",
        "Priority": str(rule.priority if rule.priority is not None else DEFAULT_PRIORITY),
    }
    if rule.description:
        perm["Description"] = rule.description
    peer = rule.peer
    if peer.kind is PeerKind.CIDR:
        network = peer.network
        perm["Ipv6SourceCidrIp" if network is not None and network.version == 6 else "SourceCidrIp"] = (
            peer.value
        )
    elif peer.kind is PeerKind.GROUP:
        perm["SourceGroupId"] = peer.value
        if peer.owner:
            perm["SourceGroupOwnerAccount"] = peer.owner
    else:
        perm["SourcePrefixListId"] = peer.value
    if not 1 <= int(perm["Priority"]) <= 100:
        raise CloudError(f"aliyun: a rule's priority is 1-100, not {perm['Priority']}: {rule.describe()}")
    return perm


def _tags(raw: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    items = (raw or {}).get("Tag", []) if isinstance(raw, Mapping) else []
    return tuple(sorted((str(t.get("TagKey", "")), str(t.get("TagValue", ""))) for t in items))


def _tag_params(tags: Mapping[str, str] | None) -> dict[str, str]:
    params: dict[str, str] = {}
    items = list((tags or {}).items())
    if len(items) > TAGS_PER_CALL:
        raise CloudError(f"aliyun: at most {TAGS_PER_CALL} tags can filter one call, not {len(items)}")
    for n, (key, value) in enumerate(items, start=1):
        params[f"Tag.{n}.Key"] = key
        if value != "*":
            params[f"Tag.{n}.Value"] = value
    return params


def _filter_params(tags: Mapping[str, str] | None, vpc: str | None) -> dict[str, str]:
    params = _tag_params(tags)
    if vpc:
        params["VpcId"] = vpc
    return params


class AliyunProvider(ProviderBase):
    """One Alibaba Cloud account and region."""

    name = "aliyun"

    def __init__(self, config: ProviderConfig, client: Any, endpoint: tuple[str, str] | None) -> None:
        super().__init__(config)
        self._client = client
        self._endpoint = endpoint  # (scheme, host) when the endpoint is overridden

    @classmethod
    def from_config(cls, config: ProviderConfig) -> AliyunProvider:
        credential = resolve_credentials(config)
        port = 80
        endpoint: tuple[str, str] | None = None
        if config.endpoint_url:
            parts = urlsplit(config.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise CloudError(f"aliyun: endpoint_url {config.endpoint_url!r} is not http(s)://host[:port]")
            endpoint = (parts.scheme, parts.hostname)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        kwargs: dict[str, Any] = {
            "region_id": config.region,
            "auto_retry": False,
            "max_retry_time": 0,
            "port": port,
            "connect_timeout": 10,
            "timeout": 60,
            "user_agent": "fix502",
        }
        if isinstance(credential, ali_credentials.AccessKeyCredential):
            kwargs.update(ak=credential.access_key_id, secret=credential.access_key_secret)
        else:
            kwargs["credential"] = credential
        verify = config.options.get("verify")
        if verify is not None:
            kwargs["verify"] = verify.lower() not in ("false", "no", "0")
        try:
            client = AcsClient(**kwargs)
        except ClientException as exc:
            raise CloudError(
                f"aliyun {config.region}: {exc.get_error_code()}: {exc.get_error_msg()}"
            ) from None
        return cls(config, client, endpoint)

    # -- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def _error_code(exc: BaseException) -> str | None:
        return str(exc.get_error_code()) if isinstance(exc, ServerException) else None

    def _prepare(self, request: Any) -> Any:
        request.set_accept_format("JSON")
        if self._endpoint is not None:
            scheme, host = self._endpoint
            request.set_protocol_type(scheme)
            request.set_endpoint(host)
        else:
            request.set_protocol_type("https")
        return request

    def _do(self, operation: str, make: Callable[[], Any]) -> dict[str, Any]:
        """One API call (built fresh for each attempt: a nonce is single-use), retried when throttled."""

        def attempt() -> dict[str, Any]:
            body = self._client.do_action_with_exception(self._prepare(make()))
            data: dict[str, Any] = json.loads(body)
            return data

        try:
            return self._retry(operation, attempt)
        except ServerException as exc:
            code = str(exc.get_error_code())
            if code in AUTH_ERRORS:
                message = (
                    "the credentials were rejected (check the AccessKey ID and secret, or the STS token)"
                )
            else:
                message = str(exc.get_error_msg())
            raise CloudError(f"{self._where()}: {operation}: {code}: {message}") from None
        except ClientException as exc:
            raise CloudError(
                f"{self._where()}: {operation}: {exc.get_error_code()}: {exc.get_error_msg()}"
            ) from None

    @staticmethod
    def _request(cls_: type[RpcRequest], params: Mapping[str, str]) -> Callable[[], Any]:
        def make() -> Any:
            request = cls_()
            for key, value in params.items():
                request.add_query_param(key, value)
            return request

        return make

    def caller_account(self) -> str:
        """The account ID of the credentials (STS GetCallerIdentity)."""

        def make() -> Any:
            request = CommonRequest(domain=None, version="2015-04-01", action_name="GetCallerIdentity")
            request.set_product("Sts")
            request.set_method("POST")
            if self._endpoint is None:
                request.set_domain("sts.aliyuncs.com")
            return request

        identity = self._do("GetCallerIdentity", make)
        return str(identity.get("AccountId") or "unknown")

    # -- security groups ------------------------------------------------------------------------------

    def _group_pages(self, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        page = 1
        seen = 0
        while True:
            query = {**params, "PageNumber": str(page), "PageSize": str(GROUP_PAGE)}
            data = self._do(
                "DescribeSecurityGroups",
                self._request(DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest, query),
            )
            items = data.get("SecurityGroups", {}).get("SecurityGroup", [])
            yield from items
            seen += len(items)
            if not items or seen >= int(data.get("TotalCount", 0)):
                return
            page += 1

    def _permissions(self, group_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The group's attributes and every rule of both directions, page by page."""
        token = ""
        perms: list[dict[str, Any]] = []
        while True:
            query = {"SecurityGroupId": group_id, "Direction": "all", "MaxResults": str(RULE_PAGE)}
            if token:
                query["NextToken"] = token
            data = self._do(
                "DescribeSecurityGroupAttribute",
                self._request(
                    DescribeSecurityGroupAttributeRequest.DescribeSecurityGroupAttributeRequest, query
                ),
            )
            perms += data.get("Permissions", {}).get("Permission", [])
            token = str(data.get("NextToken") or "")
            if not token:
                return data, perms

    def _group(
        self, summary: Mapping[str, Any], attributes: Mapping[str, Any], perms: list[dict[str, Any]]
    ) -> SecurityGroup:
        rules = [rule for rule in (rule_from_permission(p) for p in perms) if rule is not None]
        return SecurityGroup(
            provider=self.name,
            account=self.account,
            region=self.region,
            group_id=str(attributes.get("SecurityGroupId") or summary.get("SecurityGroupId")),
            name=str(summary.get("SecurityGroupName") or attributes.get("SecurityGroupName") or ""),
            vpc=str(summary.get("VpcId") or attributes.get("VpcId") or "") or None,
            rules=tuple(rules),
            tags=_tags(summary.get("Tags")),
            description=str(summary.get("Description") or attributes.get("Description") or ""),
        )

    def _find_groups(
        self, group_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[tuple[str, Callable[[], SecurityGroup]]]:
        for params in id_batches(
            _filter_params(tags, vpc),
            group_ids,
            IDS_PER_CALL,
            lambda params, chunk: {**params, "SecurityGroupIds": json.dumps(chunk)},
        ):
            for summary in self._group_pages(params):
                gid = str(summary["SecurityGroupId"])
                yield gid, partial(self._read_group, summary, gid)

    def _read_group(self, summary: Mapping[str, Any], group_id: str) -> SecurityGroup:
        attributes, perms = self._permissions(group_id)
        return self._group(summary, attributes, perms)

    def _one_group(self, group_id: str) -> SecurityGroup:
        return self._read_group({}, group_id)

    # -- instances -------------------------------------------------------------------------------------

    def raw_instances(self, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """DescribeInstances' ``Instance`` records, every page, for the given request parameters
        (``VpcId``, ``ZoneId``, ``Status``, ``SecurityGroupId``, ``InstanceIds``, ``Tag.N.Key``, ...)."""
        params = dict(params or {})
        page = 1
        seen = 0
        out: list[dict[str, Any]] = []
        while True:
            query = {**params, "PageNumber": str(page), "PageSize": str(INSTANCE_PAGE)}
            data = self._do(
                "DescribeInstances", self._request(DescribeInstancesRequest.DescribeInstancesRequest, query)
            )
            items = data.get("Instances", {}).get("Instance", [])
            out += items
            seen += len(items)
            if not items or seen >= int(data.get("TotalCount", 0)):
                return out
            page += 1

    def _find_instances(
        self, instance_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[Instance]:
        for params in id_batches(
            _filter_params(tags, vpc),
            instance_ids,
            IDS_PER_CALL,
            lambda params, chunk: {**params, "InstanceIds": json.dumps(chunk)},
        ):
            for raw in self.raw_instances(params):
                yield self._instance(raw)

    def _instance(self, raw: Mapping[str, Any]) -> Instance:
        vpc_attrs = raw.get("VpcAttributes") or {}
        private = list(vpc_attrs.get("PrivateIpAddress", {}).get("IpAddress", []))
        private += list((raw.get("InnerIpAddress") or {}).get("IpAddress", []))
        public = list((raw.get("PublicIpAddress") or {}).get("IpAddress", []))
        eip = (raw.get("EipAddress") or {}).get("IpAddress")
        if eip:
            public.append(eip)
        return Instance(
            provider=self.name,
            account=self.account,
            region=self.region,
            instance_id=str(raw["InstanceId"]),
            group_ids=tuple((raw.get("SecurityGroupIds") or {}).get("SecurityGroupId", [])),
            name=str(raw.get("InstanceName") or ""),
            vpc=str(vpc_attrs.get("VpcId") or "") or None,
            private_ips=tuple(dict.fromkeys(private)),
            public_ips=tuple(dict.fromkeys(public)),
            tags=_tags(raw.get("Tags")),
            state=str(raw.get("Status") or ""),
        )

    def list_load_balancers(self) -> list[LoadBalancer]:
        """Server Load Balancer is another product (SLB/ALB); not audited here."""
        return []

    # -- changes ------------------------------------------------------------------------------------------

    def _effective(self, rule: Rule) -> Rule:
        effective = rule if rule.priority is not None else replace(rule, priority=DEFAULT_PRIORITY)
        permission_for(effective)  # raises for a priority the API does not take, in check mode too
        return effective

    def _authorize(self, group_id: str, rule: Rule) -> None:
        perm = permission_for(rule)
        params = {"SecurityGroupId": group_id, **{f"Permissions.1.{k}": v for k, v in perm.items()}}
        self._do(
            "AuthorizeSecurityGroup",
            self._request(AuthorizeSecurityGroupRequest.AuthorizeSecurityGroupRequest, params),
        )

    def _revoke(self, group_id: str, rule: Rule, present: list[Rule]) -> None:
        params = {"SecurityGroupId": group_id}
        ids = [r.rule_id for r in present if r.rule_id]
        if len(ids) == len(present):
            params.update({f"SecurityGroupRuleId.{n}": rid for n, rid in enumerate(ids, start=1)})
        else:  # an older API answer without rule IDs: revoke by content
            for n, existing in enumerate(present, start=1):
                params.update(
                    {
                        f"Permissions.{n}.{k}": v
                        for k, v in permission_for(existing).items()
                        if k != "Description"
                    }
                )
        self._do(
            "RevokeSecurityGroup",
            self._request(RevokeSecurityGroupRequest.RevokeSecurityGroupRequest, params),
        )
