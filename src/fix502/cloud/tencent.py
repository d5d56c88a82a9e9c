"""Tencent Cloud: VPC security groups (and CVM instances) on tencentcloud-sdk-python.

Packages: ``tencentcloud-sdk-python-common`` and ``-vpc`` for the groups, ``-cvm`` for the instances (the
tier discovery and the inventory plugin). Credentials, first found wins (the SDK's default chain):

1. explicit :class:`~fix502.cloud.provider.Credentials` (a module's no_log options);
2. the environment: ``TENCENTCLOUD_SECRET_ID`` / ``TENCENTCLOUD_SECRET_KEY`` (and
   ``TENCENTCLOUD_SESSION_TOKEN`` for temporary keys);
3. the credentials file ``~/.tencentcloud/credentials`` (or ``/etc/tencentcloud/credentials``), INI with
   ``secret_id``/``secret_key``: the section is the configured profile, else ``TENCENTCLOUD_PROFILE``,
   else ``default``;
4. the CVM instance role, only when ``options["cvm_role"]`` names it (or is ``auto``) — the metadata
   service is asked for nothing otherwise.

Calls are signed TC3-HMAC-SHA256 and go through :func:`fix502.cloud.retry.call` (``RequestLimitExceeded``
is retried with backoff and jitter; the SDK's own retryer and region breaker are off). Rules are
ordered: ``PolicyIndex`` 0 is matched first, so it becomes the neutral rule's ``priority`` (lower wins),
and ``Action`` ACCEPT/DROP becomes allow/deny.
"""

from __future__ import annotations

import configparser
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fix502.cloud.base import ProviderBase, filter_batches, tag_filters
from fix502.cloud.model import (
    Action,
    Change,
    Direction,
    Instance,
    LoadBalancer,
    Peer,
    PeerKind,
    Rule,
    SecurityGroup,
    rule_lines,
)
from fix502.cloud.provider import ProviderConfig
from fix502.cloud.retry import CloudError, SdkMissingError

try:
    from tencentcloud.common import credential as tc_credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.vpc.v20170312 import models as vpc_models
    from tencentcloud.vpc.v20170312 import vpc_client
except ImportError as exc:  # pragma: no cover - exercised where the SDK is absent
    raise SdkMissingError(
        f"provider tencent needs tencentcloud-sdk-python-common and -vpc ({exc}); "
        "install them with: pip install 'fix502[tencent]'"
    ) from None

T = TypeVar("T")

PAGE = 100  # DescribeSecurityGroups and CVM DescribeInstances: Limit at most 100
VALUES_PER_FILTER = 100
AUTH_ERRORS = frozenset(
    {
        "AuthFailure.SignatureFailure",
        "AuthFailure.SecretIdNotFound",
        "AuthFailure.InvalidSecretId",
        "AuthFailure.InvalidAuthorization",
        "AuthFailure.TokenFailure",
    }
)
_PROTOCOLS = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "ICMPV6": "icmpv6", "ALL": "all"}


def _profile_file() -> Path | None:
    for path in (Path.home() / ".tencentcloud" / "credentials", Path("/etc/tencentcloud/credentials")):
        if path.is_file():
            return path
    return None


def resolve_credentials(config: ProviderConfig) -> Any:
    """A tencentcloud credential object from the chain above; CloudError when there is none."""
    creds = config.credentials
    if creds is not None:
        return tc_credential.Credential(creds.access_key, creds.secret_key, creds.session_token)
    if config.profile is None:
        secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID")
        secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY")
        if secret_id and secret_key:
            return tc_credential.Credential(
                secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None
            )
    profile = config.profile or os.environ.get("TENCENTCLOUD_PROFILE")
    path = _profile_file()
    if path is not None:
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise CloudError(
                f"tencent: {path}: cannot parse the credentials file ({exc.__class__.__name__})"
            ) from None
        section = profile or "default"
        if parser.has_section(section):
            secret_id = parser[section].get("secret_id", "").strip()
            secret_key = parser[section].get("secret_key", "").strip()
            if not secret_id or not secret_key:
                raise CloudError(f"tencent: {path}: profile [{section}] lacks secret_id or secret_key")
            token = parser[section].get("token", "").strip() or None
            return tc_credential.Credential(secret_id, secret_key, token)
        if profile is not None:
            raise CloudError(f"tencent: {path}: no profile [{section}]")
    elif profile is not None:
        raise CloudError(f"tencent: profile {profile!r}: no ~/.tencentcloud/credentials file")
    role = config.options.get("cvm_role")
    if role:
        return tc_credential.CVMRoleCredential(None if role == "auto" else role)
    raise CloudError(
        "tencent: no credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or a profile in "
        "~/.tencentcloud/credentials, or the cvm_role option on a CVM instance"
    )


# -- rules: API shape ↔ neutral model ----------------------------------------------------------------


def _port_ranges(protocol: str, port: str) -> list[tuple[int, int]]:
    if protocol not in ("tcp", "udp"):
        return [(0, 65535)]
    text = (port or "ALL").strip()
    if text.upper() == "ALL":
        return [(0, 65535)]
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        low_text, _, high_text = part.strip().partition("-")
        low, high = int(low_text), int(high_text or low_text)
        out.append((0, 65535) if (low <= 1 and high == 65535) else (low, high))
    return out


def rules_from_policy(policy: Mapping[str, Any], direction: Direction) -> list[Rule]:
    """The neutral rules of one SecurityGroupPolicy: one per port of a "80,443" list; [] for what the model
    has no words for (GRE, protocol-port templates)."""
    protocol = _PROTOCOLS.get(str(policy.get("Protocol") or "").upper())
    if protocol is None:
        return []
    template = policy.get("AddressTemplate") or {}
    peer: Peer | None = None
    if policy.get("CidrBlock"):
        peer = Peer.cidr(str(policy["CidrBlock"]))
    elif policy.get("Ipv6CidrBlock"):
        peer = Peer.cidr(str(policy["Ipv6CidrBlock"]))
    elif policy.get("SecurityGroupId"):
        peer = Peer.group(str(policy["SecurityGroupId"]))
    elif template.get("AddressId") or template.get("AddressGroupId"):
        peer = Peer.prefix_list(str(template.get("AddressId") or template.get("AddressGroupId")))
    if peer is None:
        return []
    action = Action.DENY if str(policy.get("Action", "")).upper() == "DROP" else Action.ALLOW
    return [
        Rule(
            direction=direction,
            protocol=protocol,
            port_from=low,
            port_to=high,
            peer=peer,
            action=action,
            priority=int(policy.get("PolicyIndex") or 0),
            description=str(policy.get("PolicyDescription") or ""),
        )
        for low, high in _port_ranges(protocol, str(policy.get("Port") or ""))
    ]


def policy_for(rule: Rule) -> dict[str, Any]:
    """The SecurityGroupPolicy that CreateSecurityGroupPolicies takes for ``rule`` (no PolicyIndex)."""
    policy: dict[str, Any] = {
        "Protocol": rule.protocol.upper(),
        "Action": "DROP" if rule.action is Action.DENY else "ACCEPT",
    }
    if rule.protocol in ("tcp", "udp"):
        if rule.all_ports or (rule.port_from <= 1 and rule.port_to == 65535):
            policy["Port"] = "ALL"
        elif rule.port_from == rule.port_to:
            policy["Port"] = str(rule.port_from)
        else:
            policy["Port"] = f"{rule.port_from}-{rule.port_to}"
    if rule.description:
        policy["PolicyDescription"] = rule.description
    peer = rule.peer
    if peer.kind is PeerKind.CIDR:
        network = peer.network
        policy["Ipv6CidrBlock" if network is not None and network.version == 6 else "CidrBlock"] = peer.value
    elif peer.kind is PeerKind.GROUP:
        policy["SecurityGroupId"] = peer.value
    else:
        key = "AddressGroupId" if peer.value.startswith("ipmg-") else "AddressId"
        policy["AddressTemplate"] = {key: peer.value}
    return policy


def _tags(items: Iterable[Mapping[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(t.get("Key", "")), str(t.get("Value", ""))) for t in items or ()))


class TencentProvider(ProviderBase):
    """One Tencent Cloud account and region."""

    name = "tencent"

    def __init__(self, config: ProviderConfig, cred: Any) -> None:
        super().__init__(config)
        self._cred = cred
        self._clients: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: ProviderConfig) -> TencentProvider:
        if config.endpoint_url:
            parts = urlsplit(config.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise CloudError(
                    f"tencent: endpoint_url {config.endpoint_url!r} is not http(s)://host[:port]"
                )
        return cls(config, resolve_credentials(config))

    # -- plumbing -------------------------------------------------------------------------------------

    def _profile(self, service: str) -> Any:
        http = HttpProfile(reqTimeout=60)
        if self.config.endpoint_url:
            parts = urlsplit(self.config.endpoint_url)
            http.endpoint = parts.netloc
            http.protocol = http.scheme = parts.scheme
        else:
            http.endpoint = f"{service}.tencentcloudapi.com"
        profile = ClientProfile(httpProfile=http, language="en-US")
        # One place retries (fix502.cloud.retry); no switching to a backup endpoint behind our back.
        profile.disable_region_breaker = True
        profile.request_client = "fix502"
        return profile

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                if service == "vpc":
                    self._clients[service] = vpc_client.VpcClient(
                        self._cred, self.region, self._profile("vpc")
                    )
                elif service == "cvm":
                    try:
                        from tencentcloud.cvm.v20170312 import cvm_client
                    except ImportError:
                        raise SdkMissingError(
                            "provider tencent: the instance list needs tencentcloud-sdk-python-cvm; "
                            "install it with: pip install 'fix502[tencent]'"
                        ) from None
                    self._clients[service] = cvm_client.CvmClient(
                        self._cred, self.region, self._profile("cvm")
                    )
                else:
                    self._clients[service] = CommonClient(
                        service, "2018-08-13", self._cred, self.region, self._profile(service)
                    )
            return self._clients[service]

    @staticmethod
    def _error_code(exc: BaseException) -> str | None:
        return str(exc.get_code()) if isinstance(exc, TencentCloudSDKException) else None

    def _call(self, operation: str, func: Callable[[], T]) -> T:
        try:
            return self._retry(operation, func)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code())
            if code in AUTH_ERRORS:
                message = "the credentials were rejected (check the SecretId and SecretKey, or the token)"
            else:
                message = str(exc.get_message())
            raise CloudError(f"{self._where()}: {operation}: {code}: {message}") from None

    def _vpc(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        client = self._client("vpc")

        def attempt() -> dict[str, Any]:
            request = getattr(vpc_models, f"{action}Request")()
            request.from_json_string(json.dumps(params))
            response = getattr(client, action)(request)
            data: dict[str, Any] = json.loads(response.to_json_string())
            return data

        return self._call(action, attempt)

    def caller_account(self) -> str:
        """The account ID of the credentials (STS GetCallerIdentity)."""
        client = self._client("sts")
        identity: dict[str, Any] = self._call(
            "GetCallerIdentity", lambda: client.call_json("GetCallerIdentity", {})
        )
        return str(identity.get("Response", {}).get("AccountId") or "unknown")

    # -- security groups ------------------------------------------------------------------------------

    def _group_pages(self, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            params: dict[str, Any] = {"Offset": str(offset), "Limit": str(PAGE)}
            if filters:
                params["Filters"] = filters
            data = self._vpc("DescribeSecurityGroups", params)
            items = data.get("SecurityGroupSet") or []
            yield from items
            offset += len(items)
            if not items or offset >= int(data.get("TotalCount") or 0):
                return

    def _policies(self, group_id: str) -> dict[str, Any]:
        data = self._vpc("DescribeSecurityGroupPolicies", {"SecurityGroupId": group_id})
        policy_set: dict[str, Any] = data.get("SecurityGroupPolicySet") or {}
        return policy_set

    @staticmethod
    def _rules(policy_set: Mapping[str, Any]) -> list[Rule]:
        rules: list[Rule] = []
        for key, direction in (("Ingress", Direction.INGRESS), ("Egress", Direction.EGRESS)):
            for policy in policy_set.get(key) or []:
                rules += rules_from_policy(policy, direction)
        return rules

    def _group(self, summary: Mapping[str, Any], policy_set: Mapping[str, Any]) -> SecurityGroup:
        return SecurityGroup(
            provider=self.name,
            account=self.account,
            region=self.region,
            group_id=str(summary["SecurityGroupId"]),
            name=str(summary.get("SecurityGroupName") or ""),
            vpc=None,  # Tencent Cloud security groups belong to a project and region, not to a VPC
            rules=tuple(self._rules(policy_set)),
            tags=_tags(summary.get("TagSet")),
            description=str(summary.get("SecurityGroupDesc") or ""),
        )

    def _find_groups(
        self, group_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[tuple[str, Callable[[], SecurityGroup]]]:
        """``vpc`` is ignored: a Tencent Cloud security group is not bound to a VPC."""
        for filters in filter_batches(tag_filters(tags), "security-group-id", group_ids, VALUES_PER_FILTER):
            for summary in self._group_pages(filters):
                gid = str(summary["SecurityGroupId"])
                yield gid, partial(self._read_group, summary, gid)

    def _read_group(self, summary: Mapping[str, Any], group_id: str) -> SecurityGroup:
        return self._group(summary, self._policies(group_id))

    # -- instances -------------------------------------------------------------------------------------

    def raw_instances(
        self, filters: list[dict[str, Any]] | None = None, instance_ids: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """CVM DescribeInstances' ``InstanceSet`` records, every page; ``filters`` are the API's
        (``{"Name": "tag:tier", "Values": ["web"]}``, ``instance-state``, ``vpc-id``, ...)."""
        client = self._client("cvm")
        from tencentcloud.cvm.v20170312 import models as cvm_models

        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            params: dict[str, Any] = {"Offset": offset, "Limit": PAGE}
            if filters:
                params["Filters"] = filters
            if instance_ids:
                params["InstanceIds"] = instance_ids

            def attempt(params: dict[str, Any] = params) -> dict[str, Any]:
                request = cvm_models.DescribeInstancesRequest()
                request.from_json_string(json.dumps(params))
                data: dict[str, Any] = json.loads(client.DescribeInstances(request).to_json_string())
                return data

            data = self._call("DescribeInstances", attempt)
            items = data.get("InstanceSet") or []
            out += items
            offset += len(items)
            if not items or offset >= int(data.get("TotalCount") or 0):
                return out

    def _find_instances(
        self, instance_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[Instance]:
        for filters in filter_batches(tag_filters(tags, vpc), "instance-id", instance_ids, VALUES_PER_FILTER):
            for raw in self.raw_instances(filters):
                yield self._instance(raw)

    def _instance(self, raw: Mapping[str, Any]) -> Instance:
        vpc = raw.get("VirtualPrivateCloud") or {}
        private = list(raw.get("PrivateIpAddresses") or []) + list(raw.get("IPv6Addresses") or [])
        return Instance(
            provider=self.name,
            account=self.account,
            region=self.region,
            instance_id=str(raw["InstanceId"]),
            group_ids=tuple(raw.get("SecurityGroupIds") or ()),
            name=str(raw.get("InstanceName") or ""),
            vpc=str(vpc.get("VpcId") or "") or None,
            private_ips=tuple(dict.fromkeys(private)),
            public_ips=tuple(raw.get("PublicIpAddresses") or ()),
            tags=_tags(raw.get("Tags")),
            state=str(raw.get("InstanceState") or ""),
        )

    def list_load_balancers(self) -> list[LoadBalancer]:
        """CLB is another product; not audited here."""
        return []

    # -- changes ------------------------------------------------------------------------------------------

    def ensure_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        self._require_ingress(rule)
        policy_set = self._policies(group_id)
        ingress_raw = list(policy_set.get("Ingress") or [])
        current = [r for p in ingress_raw for r in rules_from_policy(p, Direction.INGRESS)]
        before = rule_lines(current)
        if any(existing.same_as(rule) for existing in current):
            return Change(False, group_id, rule, before, before, check_mode, "the rule is present")
        at = len(ingress_raw) if rule.priority is None else rule.priority
        if not 0 <= at <= len(ingress_raw):
            raise CloudError(
                f"{self._where()}: {group_id}: priority {rule.priority} is past the end of the "
                f"{len(ingress_raw)} ingress rules"
            )
        policy = policy_for(rule)
        simulated = [*ingress_raw[:at], policy, *ingress_raw[at:]]
        after_rules = [
            r
            for n, p in enumerate(simulated)
            for r in rules_from_policy({**p, "PolicyIndex": n}, Direction.INGRESS)
        ]
        effective = replace(rule, priority=at)
        if not check_mode:
            entry = dict(policy)
            if rule.priority is not None:
                entry["PolicyIndex"] = at
            self._vpc(
                "CreateSecurityGroupPolicies",
                {
                    "SecurityGroupId": group_id,
                    # The version read above: a concurrent change fails this instead of misplacing the rule.
                    "SecurityGroupPolicySet": {**_version(policy_set), "Ingress": [entry]},
                },
            )
        return Change(True, group_id, effective, before, rule_lines(after_rules), check_mode, "rule added")

    def revoke_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        self._require_ingress(rule)
        policy_set = self._policies(group_id)
        ingress_raw = list(policy_set.get("Ingress") or [])
        expanded = [(p, rules_from_policy(p, Direction.INGRESS)) for p in ingress_raw]
        before = rule_lines([r for _p, rules in expanded for r in rules])
        doomed: list[int] = []
        for policy, rules in expanded:
            if not any(r.same_as(rule) for r in rules):
                continue
            if len(rules) > 1:
                raise CloudError(
                    f"{self._where()}: {group_id}: rule {policy.get('PolicyIndex')} ({policy.get('Port')}) "
                    f"covers more than {rule.describe()}; change that multi-port rule by hand"
                )
            doomed.append(int(policy.get("PolicyIndex") or 0))
        if not doomed:
            return Change(False, group_id, rule, before, before, check_mode, "the rule is absent")
        kept = [p for p in ingress_raw if int(p.get("PolicyIndex") or 0) not in doomed]
        # The rules after the removed ones move up: their PolicyIndex (priority) is their new position.
        after = rule_lines(
            [
                r
                for n, p in enumerate(kept)
                for r in rules_from_policy({**p, "PolicyIndex": n}, Direction.INGRESS)
            ]
        )
        if not check_mode:
            self._vpc(
                "DeleteSecurityGroupPolicies",
                {
                    "SecurityGroupId": group_id,
                    "SecurityGroupPolicySet": {
                        **_version(policy_set),
                        "Ingress": [{"PolicyIndex": n} for n in doomed],
                    },
                },
            )
        return Change(True, group_id, rule, before, after, check_mode, "rule removed")


def _version(policy_set: Mapping[str, Any]) -> dict[str, str]:
    """The rules' version as read, so that a concurrent change fails the write instead of being overrun."""
    version = policy_set.get("Version")
    return {"Version": str(version)} if version not in (None, "") else {}
