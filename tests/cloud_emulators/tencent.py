"""An emulator of Tencent Cloud API 3.0: VPC security groups and CVM instances, both version 2017-03-12
(and STS GetCallerIdentity, 2018-08-13, for the account ID).

Signature TC3-HMAC-SHA256, checked the way the service does::

    CanonicalRequest = Method \\n "/" \\n CanonicalQueryString \\n CanonicalHeaders \\n SignedHeaders \\n
                       hex(SHA256(payload))
    StringToSign     = "TC3-HMAC-SHA256" \\n X-TC-Timestamp \\n Date/service/tc3_request \\n
                       hex(SHA256(CanonicalRequest))
    SecretDate = HMAC_SHA256("TC3" + SecretKey, Date); SecretService = HMAC_SHA256(SecretDate, service);
    SecretSigning = HMAC_SHA256(SecretService, "tc3_request");
    Signature = hex(HMAC_SHA256(SecretSigning, StringToSign))

The canonical query string is the URL's query for GET and empty for POST; the canonical headers are
the signed headers (at least ``content-type`` and ``host``), name and value lower-cased and trimmed,
``name:value\\n`` each, in the order of ``SignedHeaders``; the payload is the body for POST and empty
for GET (or the literal ``UNSIGNED-PAYLOAD`` when ``X-TC-Content-SHA256`` says so). ``X-TC-Timestamp``
must be within 5 minutes of the server's clock and its UTC date must be the credential scope's date.
The scope's service (``vpc``, ``cvm`` or ``sts``) picks which API answers: one emulator serves both.

Errors are HTTP 200 with ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``:
AuthFailure.SignatureFailure, AuthFailure.SignatureExpire, AuthFailure.SecretIdNotFound,
AuthFailure.InvalidAuthorization, RequestLimitExceeded, InvalidSecurityGroupID.NotFound, ...
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import ipaddress
import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from cloud_emulators._server import ApiError, Emulator, Request, Response, request_id

API_VERSION = "2017-03-12"
VERSIONS = {"vpc": API_VERSION, "cvm": API_VERSION, "sts": "2018-08-13"}
ALGORITHM = "TC3-HMAC-SHA256"
TIMESTAMP_WINDOW = 300
PROTOCOLS = {"TCP", "UDP", "ICMP", "ICMPV6", "GRE", "ALL"}
PEER_FIELDS = ("CidrBlock", "Ipv6CidrBlock", "SecurityGroupId", "AddressTemplate")
POLICY_FIELDS = {
    "PolicyIndex",
    "Protocol",
    "Port",
    "ServiceTemplate",
    "CidrBlock",
    "Ipv6CidrBlock",
    "SecurityGroupId",
    "AddressTemplate",
    "Action",
    "PolicyDescription",
    "ModifyTime",
    "Priority",
}
_AUTH = re.compile(
    r"(?P<algorithm>\S+) Credential=(?P<secret_id>[^/,]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z0-9]+)/"
    r"(?P<terminal>[^,]+), ?SignedHeaders=(?P<signed>[a-z0-9;_-]+), ?Signature=(?P<signature>[0-9a-f]{64})"
)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, service: str, text: str) -> str:
    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(signing, text.encode(), hashlib.sha256).hexdigest()


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """GET parameters ``Filters.0.Values.1=x`` back into the JSON shape POST sends."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        parts = name.split(".")
        node: Any = root
        for here, nxt in itertools.pairwise(parts):
            key: Any = int(here) if isinstance(node, list) else here
            child_is_list = nxt.isdigit()
            if isinstance(node, list):
                while len(node) <= key:
                    node.append(None)
                if node[key] is None:
                    node[key] = [] if child_is_list else {}
                node = node[key]
            else:
                node = node.setdefault(key, [] if child_is_list else {})
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


def _need_str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            "InvalidParameter", f"The value type of parameter `{name}` is not valid, expected String."
        )
    return value


def _need_int(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():  # GET sends everything as text
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(
            "InvalidParameter", f"The value type of parameter `{name}` is not valid, expected Integer."
        )
    return value


def _need_str_list(params: dict[str, Any], name: str) -> list[str] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError("InvalidParameter.NotList", f"The parameter `{name}` must be a list of strings.")
    return value


def _filters(params: dict[str, Any], known: set[str], code: str) -> list[tuple[str, list[str]]]:
    raw = params.get("Filters")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError("InvalidParameter.NotList", "The parameter `Filters` must be a list.")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(
                "InvalidParameter.FilterNotDict", "Each filter must be an object with Name and Values."
            )
        name, values = item.get("Name"), item.get("Values")
        if not isinstance(name, str):
            raise ApiError("InvalidParameter.FilterMissParameter", "A filter has no `Name`.")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ApiError(
                "InvalidParameter.FilterValuesNotList", f"The values of filter `{name}` are not a list."
            )
        if name not in known and not name.startswith("tag:"):
            raise ApiError(code, f"The filter `{name}` is not supported.")
        out.append((name, values))
    return out


def _tag_filter_ok(tags: list[dict[str, str]], name: str, values: list[str]) -> bool | None:
    """Whether ``tags`` pass a tag filter; None when ``name`` is not a tag filter."""
    if name == "tag-key":
        return any(t["Key"] in values for t in tags)
    if name == "tag-value":
        return any(t["Value"] in values for t in tags)
    if name.startswith("tag:"):
        key = name[4:]
        return any(t["Key"] == key and t["Value"] in values for t in tags)
    return None


def _touch(group: dict[str, Any]) -> None:
    """A change of the group's rules: a new version (what a concurrent writer's Version misses)."""
    group["Version"] += 1
    group["UpdateTime"] = _now_text()


def _apply_filters(
    items: list[dict[str, Any]],
    filters: list[tuple[str, list[str]]],
    tag_key: str,
    have: Callable[[dict[str, Any], str], list[str]],
) -> list[dict[str, Any]]:
    """The items that pass every filter: a tag filter reads ``item[tag_key]``; any other passes when one of
    ``have(item, name)`` is among the filter's values."""
    for name, values in filters:
        kept = []
        for item in items:
            ok = _tag_filter_ok(item[tag_key], name, values)
            if ok is None:
                ok = any(v in values for v in have(item, name))
            if ok:
                kept.append(item)
        items = kept
    return items


def _paging(offset: int, limit: int, items: list[Any]) -> list[Any]:
    return items[offset : offset + limit]


def _instance_values(inst: dict[str, Any], name: str) -> list[str]:
    """What a CVM DescribeInstances filter other than a tag filter compares."""
    values: list[str] = {
        "zone": [inst["Placement"]["Zone"]],
        "project-id": [str(inst["Placement"]["ProjectId"])],
        "vpc-id": [inst["VirtualPrivateCloud"]["VpcId"]],
        "subnet-id": [inst["VirtualPrivateCloud"]["SubnetId"]],
        "instance-id": [inst["InstanceId"]],
        "security-group-id": inst["SecurityGroupIds"],
        "instance-name": [inst["InstanceName"]],
        "instance-state": [inst["InstanceState"]],
        "private-ip-address": inst["PrivateIpAddresses"] or [],
        "public-ip-address": inst["PublicIpAddresses"] or [],
    }[name]
    return values


class TencentEmulator(Emulator):
    """VPC and CVM in memory: ``keys`` maps SecretId → SecretKey; state is per region."""

    REGIONS = ("ap-guangzhou", "ap-shanghai")
    ACCOUNT_ID = "100012345678"

    # -- seeding ---------------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):08x}"

    def add_group(
        self,
        region: str,
        *,
        name: str = "",
        tags: dict[str, str] | None = None,
        description: str = "",
        group_id: str | None = None,
    ) -> str:
        with self.lock:
            gid = group_id or self._new_id("sg")
            self.regions[region]["groups"][gid] = {
                "SecurityGroupId": gid,
                "SecurityGroupName": name or gid,
                "SecurityGroupDesc": description,
                "ProjectId": "0",
                "IsDefault": False,
                "CreatedTime": _now_text(),
                "UpdateTime": _now_text(),
                "TagSet": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
                "Version": 0,
                "Ingress": [],
                "Egress": [],
            }
            return gid

    def add_policy(self, region: str, group_id: str, *, direction: str = "Ingress", **fields: Any) -> None:
        """Append a rule as CreateSecurityGroupPolicies would: ``Protocol="TCP", Port="80",
        CidrBlock="0.0.0.0/0", Action="DROP"``."""
        with self.lock:
            group = self._group(region, group_id)
            group[direction].append(self._policy(fields))
            group["Version"] += 1

    def add_instance(
        self,
        region: str,
        *,
        group_ids: list[str],
        name: str = "",
        private_ip: str = "10.0.0.10",
        public_ip: str | None = None,
        tags: dict[str, str] | None = None,
        vpc: str = "vpc-emu00001",
        state: str = "RUNNING",
        zone: str | None = None,
        instance_id: str | None = None,
    ) -> str:
        with self.lock:
            iid = instance_id or self._new_id("ins")
            self.regions[region]["instances"][iid] = {
                "Placement": {"Zone": zone or f"{region}-3", "ProjectId": 0, "HostIds": None, "HostId": None},
                "InstanceId": iid,
                "InstanceType": "S5.MEDIUM4",
                "CPU": 2,
                "Memory": 4,
                "RestrictState": "NORMAL",
                "InstanceName": name or iid,
                "InstanceChargeType": "POSTPAID_BY_HOUR",
                "SystemDisk": {"DiskType": "CLOUD_PREMIUM", "DiskId": self._new_id("disk"), "DiskSize": 50},
                "DataDisks": None,
                "PrivateIpAddresses": [private_ip],
                "PublicIpAddresses": [public_ip] if public_ip else None,
                "InternetAccessible": {
                    "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                    "InternetMaxBandwidthOut": 10 if public_ip else 0,
                    "PublicIpAssigned": bool(public_ip),
                },
                "VirtualPrivateCloud": {
                    "VpcId": vpc,
                    "SubnetId": "subnet-emu00001",
                    "AsVpcGateway": False,
                    "PrivateIpAddresses": None,
                    "Ipv6AddressCount": 0,
                },
                "ImageId": "img-emu00001",
                "RenewFlag": None,
                "CreatedTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ExpiredTime": None,
                "OsName": "Debian Server 12.0 64bit",
                "SecurityGroupIds": list(group_ids),
                "LoginSettings": {"Password": None, "KeyIds": None, "KeepImageLogin": None},
                "InstanceState": state,
                "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
                "StopChargingMode": "NOT_APPLICABLE",
                "Uuid": f"00000000-0000-4000-8000-{next(self._ids):012x}",
                "LatestOperation": None,
                "LatestOperationState": None,
                "LatestOperationRequestId": None,
                "DisasterRecoverGroupId": "",
                "IPv6Addresses": None,
                "CamRoleName": "",
                "HpcClusterId": "",
                "RdmaIpAddresses": None,
                "IsolatedSource": "NOTISOLATED",
                "DisableApiTermination": False,
                "DefaultLoginUser": "root",
                "DefaultLoginPort": 22,
            }
            return iid

    def policies(self, region: str, group_id: str, direction: str = "Ingress") -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._group(region, group_id)[direction])

    # -- serving ---------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        rid = request_id()
        headers = {"Content-Type": "application/json", "X-TC-RequestId": rid}
        try:
            service, action, region, params = self.authenticated(lambda: self._check_signature(request))
            self.count_call(
                action,
                region,
                ApiError(
                    "RequestLimitExceeded",
                    "Your current request times equals to `21` in a second, which exceeds the frequency "
                    "limit `20` for a second. Please reduce the frequency of calls.",
                ),
            )
            handler = getattr(self, f"_{service}_{action}", None)
            if handler is None:
                raise ApiError("InvalidAction", f"The action `{action}` is not supported by `{service}`.")
            if not region:
                raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
            if region not in self.regions:
                raise ApiError("UnsupportedRegion", f"The region `{region}` is not supported by `{service}`.")
            with self.lock:
                body = handler(region, params)
            body["RequestId"] = rid
            return 200, headers, json.dumps({"Response": body}).encode()
        except ApiError as err:
            body = {"Error": {"Code": err.code, "Message": err.message}, "RequestId": rid}
            return 200, headers, json.dumps({"Response": body}).encode()

    def _check_signature(self, request: Request) -> tuple[str, str, str, dict[str, Any]]:
        h = request.headers
        match = _AUTH.fullmatch(h.get("authorization", "").strip())
        if match is None or match["algorithm"] != ALGORITHM or match["terminal"] != "tc3_request":
            raise ApiError(
                "AuthFailure.InvalidAuthorization", "The Authorization header is not in the TC3 format."
            )
        signed = match["signed"].split(";")
        if "content-type" not in signed or "host" not in signed:
            raise ApiError(
                "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host."
            )
        secret_key = self.keys.get(match["secret_id"])
        if secret_key is None:
            raise ApiError(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            )
        stamp = h.get("x-tc-timestamp", "")
        if not stamp.isdigit():
            raise ApiError("MissingParameter", "The request is missing a required parameter `Timestamp`.")
        if abs(self.clock() - int(stamp)) > TIMESTAMP_WINDOW:
            raise ApiError(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
            )
        if datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d") != match["date"]:
            raise ApiError(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        canonical_headers = "".join(f"{name}:{h.get(name, '').strip().lower()}\n" for name in signed)
        if request.method == "GET":
            query, payload = request.query, b""
        else:
            query, payload = "", request.body
        if h.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
            payload = b"UNSIGNED-PAYLOAD"
        payload_hash = hashlib.sha256(payload).hexdigest()
        canonical_request = "\n".join(
            [request.method, request.path or "/", query, canonical_headers, match["signed"], payload_hash]
        )
        scope = f"{match['date']}/{match['service']}/tc3_request"
        text = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
        if not hmac.compare_digest(
            tc3_signature(secret_key, match["date"], match["service"], text), match["signature"]
        ):
            raise ApiError(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        action = h.get("x-tc-action", "")
        if not action:
            raise ApiError("MissingParameter", "The request is missing a required parameter `Action`.")
        if match["service"] not in VERSIONS:
            raise ApiError("InvalidAction", f"The service `{match['service']}` is not emulated.")
        if h.get("x-tc-version") != VERSIONS[match["service"]]:
            raise ApiError("NoSuchVersion", f"The API version `{h.get('x-tc-version')}` does not exist.")
        if request.method == "GET":
            params = _unflatten(parse_qsl(request.query, keep_blank_values=True))
        else:
            if not h.get("content-type", "").startswith("application/json"):
                raise ApiError("InvalidParameter", "POST requests must send application/json.")
            try:
                params = json.loads(request.body or b"{}")
            except ValueError:
                raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
            if not isinstance(params, dict):
                raise ApiError("InvalidParameter", "The request body must be a JSON object.")
        return match["service"], action, h.get("x-tc-region", ""), params

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _only(params: dict[str, Any], allowed: set[str]) -> None:
        for name in params:
            if name not in allowed:
                raise ApiError("UnknownParameter", f"The parameter `{name}` is not recognized.")

    def _group(self, region: str, group_id: str) -> dict[str, Any]:
        if not re.fullmatch(r"sg-[0-9a-z]{8}", group_id):
            raise ApiError(
                "InvalidSecurityGroupID.Malformed", f"The security group ID `{group_id}` is malformed."
            )
        group: dict[str, Any] | None = self.regions[region]["groups"].get(group_id)
        if group is None:
            raise ApiError(
                "InvalidSecurityGroupID.NotFound", f"The security group `{group_id}` does not exist."
            )
        return group

    def _named_group(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """The group a request's ``SecurityGroupId`` names."""
        gid = _need_str(params, "SecurityGroupId")
        if not gid:
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `SecurityGroupId`."
            )
        return self._group(region, gid)

    def _policy_change(
        self, region: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        """The group, direction and rules of a change request, its ``Version`` checked against the group's."""
        group = self._named_group(region, params)
        direction, items, version = self._direction(params.get("SecurityGroupPolicySet"))
        self._check_version(group, version)
        return group, direction, items

    def _policy(self, fields: dict[str, Any]) -> dict[str, Any]:
        """A validated rule, stored as DescribeSecurityGroupPolicies returns it (PolicyIndex added then)."""
        for name in fields:
            if name not in POLICY_FIELDS:
                raise ApiError(
                    "UnknownParameter",
                    f"The parameter `SecurityGroupPolicySet.Ingress.{name}` is not recognized.",
                )
        protocol = str(fields.get("Protocol") or "").upper()
        if protocol not in PROTOCOLS:
            raise ApiError(
                "InvalidParameterValue.Malformed", f"Protocol `{fields.get('Protocol')}` is not valid."
            )
        port = str(fields.get("Port") or "").strip()
        if protocol in ("TCP", "UDP"):
            port = port or "ALL"
            if port.upper() != "ALL":
                for part in port.split(","):
                    bounds = part.split("-")
                    if (
                        len(bounds) > 2
                        or not all(b.isdigit() for b in bounds)
                        or not all(1 <= int(b) <= 65535 for b in bounds)
                        or int(bounds[0]) > int(bounds[-1])
                    ):
                        raise ApiError("InvalidParameterValue.Range", f"Port `{port}` is not valid.")
            else:
                port = "ALL"
        elif port and port.upper() != "ALL":
            raise ApiError("InvalidParameter.Coexist", f"Port cannot be given with protocol {protocol}.")
        else:
            port = "ALL"
        action = str(fields.get("Action") or "").upper()
        if action not in ("ACCEPT", "DROP"):
            raise ApiError(
                "InvalidParameterValue.Malformed", f"Action `{fields.get('Action')}` is not valid."
            )
        given = [name for name in PEER_FIELDS if fields.get(name)]
        if len(given) != 1:
            raise ApiError(
                "InvalidParameter.Coexist",
                "Exactly one of CidrBlock, Ipv6CidrBlock, SecurityGroupId and AddressTemplate must be given.",
            )
        cidr = str(fields.get("CidrBlock") or "")
        ipv6 = str(fields.get("Ipv6CidrBlock") or "")
        for text, version in ((cidr, 4), (ipv6, 6)):
            if text:
                try:
                    net = ipaddress.ip_network(text, strict=False)
                except ValueError:
                    raise ApiError(
                        "InvalidParameterValue.Malformed", f"`{text}` is not a CIDR block."
                    ) from None
                if net.version != version:
                    raise ApiError(
                        "InvalidParameterValue.Malformed", f"`{text}` is not an IPv{version} CIDR block."
                    )
        if cidr.startswith("0.0.0.0/"):
            cidr = "0.0.0.0/0"  # the service maps every 0.0.0.0/n to 0.0.0.0/0
        if ipv6 and protocol == "ICMP":
            raise ApiError("InvalidParameter.Coexist", "Ipv6CidrBlock needs ICMPV6, not ICMP.")
        peer_group = str(fields.get("SecurityGroupId") or "")
        if peer_group and not any(peer_group in r["groups"] for r in self.regions.values()):
            raise ApiError(
                "InvalidSecurityGroupID.NotFound", f"The security group `{peer_group}` does not exist."
            )
        template = fields.get("AddressTemplate") or {}
        return {
            "Protocol": protocol,
            "Port": port,
            "ServiceTemplate": {"ServiceId": "", "ServiceGroupId": ""},
            "CidrBlock": cidr,
            "Ipv6CidrBlock": ipv6,
            "SecurityGroupId": peer_group,
            "AddressTemplate": {
                "AddressId": str(template.get("AddressId", "")) if isinstance(template, dict) else "",
                "AddressGroupId": str(template.get("AddressGroupId", ""))
                if isinstance(template, dict)
                else "",
            },
            "Action": action,
            "PolicyDescription": str(fields.get("PolicyDescription") or ""),
            "ModifyTime": _now_text(),
        }

    @staticmethod
    def _identity(policy: dict[str, Any]) -> tuple[Any, ...]:
        return (
            policy["Protocol"],
            policy["Port"],
            policy["CidrBlock"],
            policy["Ipv6CidrBlock"],
            policy["SecurityGroupId"],
            policy["AddressTemplate"]["AddressId"],
            policy["AddressTemplate"]["AddressGroupId"],
            policy["Action"],
        )

    @staticmethod
    def _direction(policy_set: Any) -> tuple[str, list[dict[str, Any]], str | None]:
        if not isinstance(policy_set, dict):
            raise ApiError(
                "MissingParameter", "The request is missing a required parameter `SecurityGroupPolicySet`."
            )
        for name in policy_set:
            if name not in ("Version", "Ingress", "Egress", "PolicyStatistics"):
                raise ApiError(
                    "UnknownParameter", f"The parameter `SecurityGroupPolicySet.{name}` is not recognized."
                )
        ingress, egress = policy_set.get("Ingress") or [], policy_set.get("Egress") or []
        if bool(ingress) == bool(egress):
            raise ApiError(
                "InvalidParameter.Coexist", "One request creates or deletes rules of exactly one direction."
            )
        direction, items = ("Ingress", ingress) if ingress else ("Egress", egress)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ApiError(
                "InvalidParameter.NotList", f"`SecurityGroupPolicySet.{direction}` must be a list."
            )
        version = policy_set.get("Version")
        if version is not None and not isinstance(version, str):
            raise ApiError(
                "InvalidParameter", "The value type of parameter `Version` is not valid, expected String."
            )
        return direction, items, version

    @staticmethod
    def _check_version(group: dict[str, Any], version: str | None) -> None:
        if version is not None and version != str(group["Version"]):
            raise ApiError(
                "UnsupportedOperation.VersionMismatch",
                f"The version `{version}` does not match the rules' current version `{group['Version']}`.",
            )

    def _policy_set(self, group: dict[str, Any]) -> dict[str, Any]:
        def listed(direction: str) -> list[dict[str, Any]]:
            return [{"PolicyIndex": n, **copy.deepcopy(p)} for n, p in enumerate(group[direction])]

        def count(direction: str, v6: bool) -> int:
            return sum(1 for p in group[direction] if bool(p["Ipv6CidrBlock"]) == v6)

        return {
            "Version": str(group["Version"]),
            "Ingress": listed("Ingress"),
            "Egress": listed("Egress"),
            "PolicyStatistics": {
                "IngressIPv4TotalCount": count("Ingress", False),
                "IngressIPv6TotalCount": count("Ingress", True),
                "EgressIPv4TotalCount": count("Egress", False),
                "EgressIPv6TotalCount": count("Egress", True),
            },
        }

    # -- VPC ---------------------------------------------------------------------------------------
    def _vpc_DescribeSecurityGroups(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, {"SecurityGroupIds", "Filters", "Offset", "Limit", "OrderField", "OrderDirection"})
        ids = _need_str_list(params, "SecurityGroupIds")
        filters = _filters(
            params,
            {"security-group-id", "security-group-name", "project-id", "tag-key"},
            "InvalidParameter.FilterInvalidKey",
        )
        if ids is not None and filters:
            raise ApiError(
                "InvalidParameter.Coexist", "SecurityGroupIds and Filters cannot be given together."
            )
        offset_text = _need_str(params, "Offset") or "0"
        limit_text = _need_str(params, "Limit") or "20"
        if not offset_text.isdigit() or not limit_text.isdigit():
            raise ApiError("InvalidParameterValue.Malformed", "Offset and Limit must be decimal numbers.")
        offset, limit = int(offset_text), int(limit_text)
        if not 1 <= limit <= 100:
            raise ApiError("InvalidParameterValue.Range", f"Limit `{limit}` is not in the range 1-100.")
        groups = list(self.regions[region]["groups"].values())
        if ids is not None:
            for gid in ids:
                self._group(region, gid)
            groups = [g for g in groups if g["SecurityGroupId"] in ids]
        fields = {
            "security-group-id": "SecurityGroupId",
            "security-group-name": "SecurityGroupName",
            "project-id": "ProjectId",
        }
        groups = _apply_filters(groups, filters, "TagSet", lambda g, name: [str(g[fields[name]])])
        page = _paging(offset, limit, groups)
        keys = (
            "SecurityGroupId",
            "SecurityGroupName",
            "SecurityGroupDesc",
            "ProjectId",
            "IsDefault",
            "CreatedTime",
        )
        out = [
            {**{k: g[k] for k in keys}, "TagSet": copy.deepcopy(g["TagSet"]), "UpdateTime": g["UpdateTime"]}
            for g in page
        ]
        return {"SecurityGroupSet": out, "TotalCount": len(groups)}

    def _vpc_DescribeSecurityGroupPolicies(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, {"SecurityGroupId", "Filters"})
        return {"SecurityGroupPolicySet": self._policy_set(self._named_group(region, params))}

    def _vpc_CreateSecurityGroupPolicies(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, {"SecurityGroupId", "SecurityGroupPolicySet"})
        group, direction, items = self._policy_change(region, params)
        indexes = {item.get("PolicyIndex") for item in items}
        if len(indexes) > 1:
            raise ApiError(
                "InvalidParameterValue", "All rules of one request must have the same PolicyIndex."
            )
        index = indexes.pop()
        current = group[direction]
        if index is not None and (not isinstance(index, int) or not 0 <= index <= len(current)):
            raise ApiError("InvalidParameterValue.Range", f"PolicyIndex `{index}` is out of range.")
        new = [self._policy(item) for item in items]
        present = {self._identity(p) for p in current}
        for policy in new:
            if self._identity(policy) in present:
                raise ApiError(
                    "UnsupportedOperation.DuplicatePolicy", "The security group rule already exists."
                )
            present.add(self._identity(policy))
        at = len(current) if index is None else index
        group[direction] = current[:at] + new + current[at:]
        _touch(group)
        return {}

    def _vpc_DeleteSecurityGroupPolicies(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, {"SecurityGroupId", "SecurityGroupPolicySet"})
        group, direction, items = self._policy_change(region, params)
        current = group[direction]
        by_index = [item for item in items if set(item) == {"PolicyIndex"}]
        if by_index and len(by_index) != len(items):
            raise ApiError("InvalidParameter.Coexist", "Delete by PolicyIndex or by rule content, not both.")
        if by_index:
            doomed = set()
            for item in by_index:
                index = item["PolicyIndex"]
                if not isinstance(index, int) or not 0 <= index < len(current):
                    raise ApiError("InvalidParameterValue.Range", f"PolicyIndex `{index}` is out of range.")
                doomed.add(index)
            group[direction] = [p for n, p in enumerate(current) if n not in doomed]
        else:
            wanted = {
                self._identity(self._policy({k: v for k, v in item.items() if k != "PolicyIndex"}))
                for item in items
            }
            found = {self._identity(p) for p in current} & wanted
            if found != wanted:
                raise ApiError("ResourceNotFound", "A rule to delete does not exist in the security group.")
            group[direction] = [p for p in current if self._identity(p) not in wanted]
        _touch(group)
        return {}

    # -- STS ---------------------------------------------------------------------------------------
    def _sts_GetCallerIdentity(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, set())
        return {
            "Arn": f"qcs::cam::uin/{self.account_id}:uin/{self.account_id}",
            "AccountId": self.account_id,
            "UserId": self.account_id,
            "PrincipalId": self.account_id,
            "Type": "RootAccount",
        }

    # -- CVM ---------------------------------------------------------------------------------------
    def _cvm_DescribeInstances(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        self._only(params, {"InstanceIds", "Filters", "Offset", "Limit"})
        ids = _need_str_list(params, "InstanceIds")
        known = {
            "zone",
            "project-id",
            "vpc-id",
            "subnet-id",
            "instance-id",
            "security-group-id",
            "instance-name",
            "instance-state",
            "private-ip-address",
            "public-ip-address",
            "tag-key",
            "tag-value",
        }
        filters = _filters(params, known, "InvalidFilter")
        if ids is not None and filters:
            raise ApiError(
                "InvalidParameterCoexistInstanceIdsFilters",
                "InstanceIds and Filters cannot be given together.",
            )
        offset = _need_int(params, "Offset") or 0
        limit = _need_int(params, "Limit")
        limit = 20 if limit is None else limit
        if not 1 <= limit <= 100:
            raise ApiError(
                "InvalidParameterValue.LimitExceeded", f"Limit `{limit}` is not in the range 1-100."
            )
        found = list(self.regions[region]["instances"].values())
        if ids is not None:
            found = [i for i in found if i["InstanceId"] in ids]
        found = _apply_filters(found, filters, "Tags", _instance_values)
        return {"TotalCount": len(found), "InstanceSet": copy.deepcopy(_paging(offset, limit, found))}
