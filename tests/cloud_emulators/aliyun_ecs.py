"""An emulator of the Alibaba Cloud ECS RPC API, version 2014-05-26, for the security-group calls.

Signature (as the service checks it): the request's parameters (query string and form body together,
``Signature`` left out) sorted by name, each name and value percent-encoded as RFC 3986 says (UTF-8,
only ``A-Z a-z 0-9 - _ . ~`` left as they are, space as ``%20``), joined with ``=`` and ``&``; then
``StringToSign = METHOD & percentEncode("/") & percentEncode(that)``; the signature is the base64 of
HMAC-SHA1 keyed with ``AccessKeySecret + "&"``. ``SignatureNonce`` is single-use and ``Timestamp``
(``YYYY-MM-DDThh:mm:ssZ``, UTC) must be within 15 minutes of the server's clock.

Implemented actions: DescribeSecurityGroups, DescribeSecurityGroupAttribute, AuthorizeSecurityGroup,
RevokeSecurityGroup, DescribeInstances; and STS GetCallerIdentity (2015-04-01) for the account ID.
Errors use the documented codes and HTTP statuses: IncompleteSignature (400), SignatureDoesNotMatch
(400), InvalidAccessKeyId.NotFound (404), SignatureNonceUsed (400), InvalidTimeStamp.Format /
InvalidTimeStamp.Expired (400), Throttling (400), InvalidSecurityGroupId.NotFound (404),
MissingParameter / InvalidParameter (400), ...
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import hmac
import ipaddress
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from cloud_emulators._server import ApiError, Emulator, Request, Response, request_id

API_VERSION = "2014-05-26"
STS_VERSION = "2015-04-01"  # GetCallerIdentity, so the provider can name the account
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMP_WINDOW = 15 * 60
PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "gre": "GRE", "all": "ALL"}
SOURCE_FIELDS = ("SourceCidrIp", "Ipv6SourceCidrIp", "SourceGroupId", "SourcePrefixListId")
DEST_FIELDS = ("DestCidrIp", "Ipv6DestCidrIp", "DestGroupId", "DestPrefixListId")
RULE_FIELDS = (
    "Policy",
    "Priority",
    "IpProtocol",
    "PortRange",
    "SourcePortRange",
    "NicType",
    "Description",
    "SourceGroupOwnerAccount",
    "SourceGroupOwnerId",
    *SOURCE_FIELDS,
    *DEST_FIELDS,
)


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: only unreserved characters stay as they are."""
    return quote(value, safe="~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(secret: str, text: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _now_iso() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def _missing(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def _invalid(name: str, detail: str = "") -> ApiError:
    message = f"The specified parameter {name} is not valid."
    return ApiError("InvalidParameter", f"{message} {detail}".strip())


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name) from None
    if not low <= value <= high:
        raise _invalid(name, f"Valid values: {low} to {high}.")
    return value


def _json_list(params: dict[str, str], name: str, limit: int) -> list[str] | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ApiError(f"Invalid{name}.Malformed", f"The specified parameter {name} is not valid.") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > limit:
        raise ApiError(f"Invalid{name}.Malformed", f"The specified parameter {name} is not valid.")
    return value


def _tag_filters(params: dict[str, str]) -> list[tuple[str, str | None]]:
    tags: list[tuple[str, str | None]] = []
    for n in range(1, 21):
        key = params.get(f"Tag.{n}.Key")
        if key is None:
            continue
        tags.append((key, params.get(f"Tag.{n}.Value")))
    return tags


def _tags_match(tags: list[list[str]], wanted: list[tuple[str, str | None]]) -> bool:
    mine = {k: v for k, v in tags}
    return all(k in mine and (v is None or mine[k] == v) for k, v in wanted)


def _tag_shape(tags: list[list[str]]) -> dict[str, Any]:
    return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags]}


def _canonical_cidr(text: str) -> str:
    return str(ipaddress.ip_network(text, strict=False)) if text else ""


class AliyunEcsEmulator(Emulator):
    """ECS in memory: ``keys`` maps AccessKeyId → AccessKeySecret; state is per region."""

    REGIONS = ("cn-hangzhou", "cn-shanghai")
    ACCOUNT_ID = "1234567890123456"

    def __init__(
        self, keys: dict[str, str], regions: tuple[str, ...] | None = None, account_id: str | None = None
    ) -> None:
        super().__init__(keys, regions, account_id)
        self._nonces: set[str] = set()

    # -- seeding (what the tests set up) -----------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-emu{next(self._ids):012x}"

    def add_group(
        self,
        region: str,
        *,
        name: str = "",
        vpc: str = "vpc-emu1",
        tags: dict[str, str] | None = None,
        description: str = "",
        group_id: str | None = None,
    ) -> str:
        with self.lock:
            gid = group_id or self._new_id("sg")
            self.regions[region]["groups"][gid] = {
                "SecurityGroupId": gid,
                "SecurityGroupName": name or gid,
                "Description": description,
                "VpcId": vpc,
                "CreationTime": _now_iso(),
                "Tags": [[k, v] for k, v in (tags or {}).items()],
                "Permissions": [],
            }
            return gid

    def add_rule(self, region: str, group_id: str, *, direction: str = "ingress", **fields: str) -> str:
        """A rule as AuthorizeSecurityGroup(Egress) would add it: ``IpProtocol="tcp", PortRange="80/80",
        SourceCidrIp="0.0.0.0/0", Policy="drop", Priority="5"``."""
        with self.lock:
            group = self._group(region, group_id)
            perm = self._permission(fields, direction)
            group["Permissions"].append(perm)
            return str(perm["SecurityGroupRuleId"])

    def add_instance(
        self,
        region: str,
        *,
        group_ids: list[str],
        name: str = "",
        private_ip: str = "172.16.0.10",
        public_ip: str | None = None,
        tags: dict[str, str] | None = None,
        vpc: str = "vpc-emu1",
        status: str = "Running",
        zone: str | None = None,
        instance_id: str | None = None,
    ) -> str:
        with self.lock:
            iid = instance_id or self._new_id("i")
            self.regions[region]["instances"][iid] = {
                "InstanceId": iid,
                "InstanceName": name or iid,
                "HostName": name or iid,
                "Description": "",
                "RegionId": region,
                "ZoneId": zone or f"{region}-a",
                "Status": status,
                "InstanceType": "ecs.g7.large",
                "Cpu": 2,
                "Memory": 8192,
                "OSName": "Debian 12.5 64bit",
                "OSType": "linux",
                "ImageId": "debian_12_5_x64_20G_alibase_20240101.vhd",
                "InstanceNetworkType": "vpc",
                "InstanceChargeType": "PostPaid",
                "InternetChargeType": "PayByTraffic",
                "InternetMaxBandwidthOut": 5 if public_ip else 0,
                "CreationTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                "ExpiredTime": "2099-12-31T15:59Z",
                "SerialNumber": iid.replace("i-", ""),
                "ResourceGroupId": "",
                "VpcAttributes": {
                    "VpcId": vpc,
                    "VSwitchId": "vsw-emu1",
                    "NatIpAddress": "",
                    "PrivateIpAddress": {"IpAddress": [private_ip]},
                },
                "PublicIpAddress": {"IpAddress": [public_ip] if public_ip else []},
                "InnerIpAddress": {"IpAddress": []},
                "EipAddress": {"IpAddress": "", "AllocationId": "", "InternetChargeType": "", "Bandwidth": 0},
                "SecurityGroupIds": {"SecurityGroupId": list(group_ids)},
                "Tags": _tag_shape([[k, v] for k, v in (tags or {}).items()]),
                "NetworkInterfaces": {
                    "NetworkInterface": [
                        {
                            "Type": "Primary",
                            "NetworkInterfaceId": self._new_id("eni"),
                            "MacAddress": "00:16:3e:00:00:01",
                            "PrimaryIpAddress": private_ip,
                            "PrivateIpSets": {
                                "PrivateIpSet": [{"PrivateIpAddress": private_ip, "Primary": True}]
                            },
                        }
                    ]
                },
            }
            return iid

    def rules(self, region: str, group_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._group(region, group_id)["Permissions"])

    # -- serving ---------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        rid = request_id()
        try:
            params = self._authenticate(request)
            action = params["Action"]
            region = params.get("RegionId", "")
            self.count_call(
                action, region, ApiError("Throttling", "Request was denied due to request throttling.", 400)
            )
            sts = action == "GetCallerIdentity"
            if (params["Version"] == STS_VERSION) != sts:
                raise ApiError("InvalidVersion", "Specified parameter Version is not valid.")
            if sts:
                body = {
                    "IdentityType": "Account",
                    "AccountId": self.account_id,
                    "PrincipalId": self.account_id,
                    "UserId": self.account_id,
                    "Arn": f"acs:ram::{self.account_id}:root",
                    "RequestId": rid,
                }
                return 200, self._headers(rid), json.dumps(body).encode()
            handler = getattr(self, f"_do_{action}", None)
            if handler is None:
                raise ApiError(
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                    404,
                )
            if not region:
                raise _missing("RegionId")
            if region not in self.regions:
                raise ApiError("InvalidRegionId.NotFound", "The specified RegionId does not exist.", 404)
            with self.lock:
                body = handler(region, params)
            body["RequestId"] = rid
            return 200, self._headers(rid), json.dumps(body).encode()
        except ApiError as err:
            body = {
                "RequestId": rid,
                "HostId": "ecs.aliyuncs.com",
                "Code": err.code,
                "Message": err.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product=Ecs",
            }
            return err.status, self._headers(rid), json.dumps(body).encode()

    @staticmethod
    def _headers(rid: str) -> dict[str, str]:
        return {"Content-Type": "application/json;charset=utf-8", "x-acs-request-id": rid}

    def _authenticate(self, request: Request) -> dict[str, str]:
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        content_type = request.headers.get("content-type", "")
        if request.body and content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(request.body.decode(), keep_blank_values=True))
        return self.authenticated(lambda: self._check_signature(request.method, params))

    def _check_signature(self, method: str, params: dict[str, str]) -> dict[str, str]:
        incomplete = ApiError(
            "IncompleteSignature", "The request signature does not conform to Aliyun standards."
        )
        for name in ("Signature", "AccessKeyId", "SignatureNonce"):
            if not params.get(name):
                raise incomplete
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise incomplete
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            raise ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        stamp = params.get("Timestamp", "")
        try:
            when = datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise ApiError(
                "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            ) from None
        if abs(self.clock() - when) > TIMESTAMP_WINDOW:
            raise ApiError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        expected_text = string_to_sign(method, params)
        if not hmac.compare_digest(sign(secret, expected_text), params["Signature"]):
            raise ApiError(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:"
                + expected_text,
            )
        with self.lock:
            if params["SignatureNonce"] in self._nonces:
                raise ApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(params["SignatureNonce"])
        if not params.get("Action"):
            raise _missing("Action")
        if params.get("Version") not in (API_VERSION, STS_VERSION):
            raise ApiError("InvalidVersion", "Specified parameter Version is not valid.")
        if params.get("Format", "JSON").upper() != "JSON":
            raise _invalid("Format", "This emulator answers JSON only.")
        return params

    # -- helpers ---------------------------------------------------------------------------------
    def _group(self, region: str, group_id: str) -> dict[str, Any]:
        group: dict[str, Any] | None = self.regions[region]["groups"].get(group_id)
        if group is None:
            raise ApiError(
                "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.", 404
            )
        return group

    def _permission(self, fields: dict[str, str], direction: str) -> dict[str, Any]:
        """A validated rule in the shape DescribeSecurityGroupAttribute returns."""
        raw_protocol = fields.get("IpProtocol", "")
        if not raw_protocol:
            raise _missing("IpProtocol")
        protocol = PROTOCOLS.get(raw_protocol.lower())
        if protocol is None:
            raise ApiError("InvalidIpProtocol.Malformed", "The specified parameter IpProtocol is not valid.")
        port_range = fields.get("PortRange", "")
        if not port_range:
            raise _missing("PortRange")
        match = re.fullmatch(r"(-?\d+)/(-?\d+)", port_range)
        bad_range = ApiError("InvalidPortRange.Malformed", "The specified parameter PortRange is not valid.")
        if match is None:
            raise bad_range
        low, high = int(match.group(1)), int(match.group(2))
        if protocol in ("TCP", "UDP"):
            if not 1 <= low <= high <= 65535:
                raise bad_range
        elif (low, high) != (-1, -1):
            raise bad_range
        policy = (fields.get("Policy") or "accept").lower()
        if policy not in ("accept", "drop"):
            raise ApiError("InvalidPolicy.Malformed", "The specified parameter Policy is not valid.")
        priority_text = fields.get("Priority") or "1"
        if not priority_text.isdigit() or not 1 <= int(priority_text) <= 100:
            raise ApiError("InvalidPriority.Malformed", "The specified parameter Priority is not valid.")
        peers = SOURCE_FIELDS if direction == "ingress" else DEST_FIELDS
        given = [name for name in peers if fields.get(name)]
        if not given:
            raise _missing(" or ".join(peers))
        if len(given) > 1:
            raise _invalid(given[1], f"{' and '.join(given)} cannot be specified together.")
        for name in given:
            if "Cidr" in name:
                try:
                    net = ipaddress.ip_network(fields[name], strict=False)
                except ValueError:
                    raise _invalid(name) from None
                if ("Ipv6" in name) != (net.version == 6):
                    raise _invalid(name)
            elif name.endswith("GroupId") and not any(
                fields[name] in r["groups"] for r in self.regions.values()
            ):
                raise ApiError(
                    "InvalidSecurityGroupId.NotFound", f"The specified {name} does not exist.", 404
                )
        perm: dict[str, Any] = {
            "SecurityGroupRuleId": self._new_id("sgr"),
            "Direction": direction,
            "IpProtocol": protocol,
            "PortRange": f"{low}/{high}",
            "Policy": policy.capitalize(),
            "Priority": str(int(priority_text)),
            "NicType": fields.get("NicType") or "intranet",
            "Description": fields.get("Description", ""),
            "SourcePortRange": fields.get("SourcePortRange", ""),
            "SourceGroupOwnerAccount": fields.get("SourceGroupOwnerAccount", ""),
            "SourceGroupName": "",
            "DestGroupOwnerAccount": "",
            "DestGroupName": "",
            "SourcePrefixListName": "",
            "DestPrefixListName": "",
            "CreateTime": _now_iso(),
        }
        for name in (*SOURCE_FIELDS, *DEST_FIELDS):
            perm[name] = fields.get(name, "") if name in peers else ""
        return perm

    @staticmethod
    def _identity(perm: dict[str, Any]) -> tuple[Any, ...]:
        return (
            perm["Direction"],
            perm["IpProtocol"],
            perm["PortRange"],
            perm["Policy"],
            perm["Priority"],
            perm["NicType"],
            perm.get("SourcePortRange", ""),
            _canonical_cidr(perm["SourceCidrIp"]),
            _canonical_cidr(perm["Ipv6SourceCidrIp"]),
            perm["SourceGroupId"],
            perm["SourcePrefixListId"],
            _canonical_cidr(perm["DestCidrIp"]),
            _canonical_cidr(perm["Ipv6DestCidrIp"]),
            perm["DestGroupId"],
            perm["DestPrefixListId"],
        )

    @staticmethod
    def _rule_requests(params: dict[str, str]) -> list[dict[str, str]]:
        """The rules of an Authorize/Revoke call: ``Permissions.N.*`` or the flat (older) parameters."""
        indexed: dict[int, dict[str, str]] = {}
        for name, value in params.items():
            match = re.fullmatch(r"Permissions\.(\d+)\.(\w+)", name)
            if match and match.group(2) in RULE_FIELDS:
                indexed.setdefault(int(match.group(1)), {})[match.group(2)] = value
        if indexed:
            return [indexed[n] for n in sorted(indexed)]
        flat = {name: params[name] for name in RULE_FIELDS if name in params}
        return [flat]

    # -- actions ---------------------------------------------------------------------------------
    def _do_DescribeSecurityGroups(self, region: str, params: dict[str, str]) -> dict[str, Any]:
        page = _int_param(params, "PageNumber", 1, 1, 10**9)
        size = _int_param(params, "PageSize", 10, 1, 50)
        ids = _json_list(params, "SecurityGroupIds", 100)
        tags = _tag_filters(params)
        groups = [
            g
            for g in self.regions[region]["groups"].values()
            if (ids is None or g["SecurityGroupId"] in ids)
            and (not params.get("SecurityGroupId") or g["SecurityGroupId"] == params["SecurityGroupId"])
            and (not params.get("VpcId") or g["VpcId"] == params["VpcId"])
            and (not params.get("SecurityGroupName") or g["SecurityGroupName"] == params["SecurityGroupName"])
            and _tags_match(g["Tags"], tags)
        ]
        chunk = groups[(page - 1) * size : page * size]
        instances = self.regions[region]["instances"].values()
        out = []
        for g in chunk:
            attached = sum(
                1 for i in instances if g["SecurityGroupId"] in i["SecurityGroupIds"]["SecurityGroupId"]
            )
            out.append(
                {
                    "SecurityGroupId": g["SecurityGroupId"],
                    "SecurityGroupName": g["SecurityGroupName"],
                    "Description": g["Description"],
                    "VpcId": g["VpcId"],
                    "CreationTime": g["CreationTime"],
                    "SecurityGroupType": "normal",
                    "ServiceManaged": False,
                    "ResourceGroupId": "",
                    "EcsCount": attached,
                    "AvailableInstanceAmount": 2000 - attached,
                    "RuleCount": len(g["Permissions"]),
                    "GroupToGroupRuleCount": sum(1 for p in g["Permissions"] if p["SourceGroupId"]),
                    "Tags": _tag_shape(g["Tags"]),
                }
            )
        return {
            "RegionId": region,
            "TotalCount": len(groups),
            "PageNumber": page,
            "PageSize": size,
            "SecurityGroups": {"SecurityGroup": out},
        }

    def _do_DescribeSecurityGroupAttribute(self, region: str, params: dict[str, str]) -> dict[str, Any]:
        gid = params.get("SecurityGroupId")
        if not gid:
            raise _missing("SecurityGroupId")
        group = self._group(region, gid)
        direction = params.get("Direction") or "all"
        if direction not in ("all", "ingress", "egress"):
            raise _invalid("Direction")
        nic = params.get("NicType") or "intranet"
        perms = [
            p
            for p in group["Permissions"]
            if (direction == "all" or p["Direction"] == direction) and p["NicType"] == nic
        ]
        next_token = ""
        if params.get("MaxResults"):
            limit = _int_param(params, "MaxResults", 100, 10, 1000)
            token = params.get("NextToken") or ""
            try:
                start = int(token, 16) if token else 0
            except ValueError:
                raise ApiError(
                    "InvalidNextToken.Malformed", "The specified parameter NextToken is not valid."
                ) from None
            perms, rest = perms[start : start + limit], perms[start + limit :]
            next_token = format(start + limit, "x") if rest else ""
        return {
            "RegionId": region,
            "SecurityGroupId": gid,
            "SecurityGroupName": group["SecurityGroupName"],
            "Description": group["Description"],
            "VpcId": group["VpcId"],
            "InnerAccessPolicy": "Accept",
            "NextToken": next_token,
            "Permissions": {"Permission": copy.deepcopy(perms)},
        }

    def _do_AuthorizeSecurityGroup(self, region: str, params: dict[str, str]) -> dict[str, Any]:
        gid = params.get("SecurityGroupId")
        if not gid:
            raise _missing("SecurityGroupId")
        group = self._group(region, gid)
        new = [self._permission(fields, "ingress") for fields in self._rule_requests(params)]
        present = {self._identity(p) for p in group["Permissions"]}
        for perm in new:
            # An identical rule is not added twice: the call succeeds and nothing changes.
            if self._identity(perm) not in present:
                group["Permissions"].append(perm)
                present.add(self._identity(perm))
        return {}

    def _do_RevokeSecurityGroup(self, region: str, params: dict[str, str]) -> dict[str, Any]:
        gid = params.get("SecurityGroupId")
        if not gid:
            raise _missing("SecurityGroupId")
        group = self._group(region, gid)
        rule_ids = [v for k, v in sorted(params.items()) if re.fullmatch(r"SecurityGroupRuleId\.\d+", k)]
        if rule_ids:
            known = {p["SecurityGroupRuleId"]: p for p in group["Permissions"] if p["Direction"] == "ingress"}
            for rule_id in rule_ids:
                if rule_id not in known:
                    raise ApiError(
                        "InvalidSecurityGroupRuleId.NotFound",
                        f"The specified rule {rule_id} does not exist.",
                        404,
                    )
            group["Permissions"] = [
                p for p in group["Permissions"] if p["SecurityGroupRuleId"] not in rule_ids
            ]
            return {}
        gone = {self._identity(self._permission(fields, "ingress")) for fields in self._rule_requests(params)}
        # Revoking a rule that does not exist succeeds and changes nothing, as the service does.
        group["Permissions"] = [p for p in group["Permissions"] if self._identity(p) not in gone]
        return {}

    def _do_DescribeInstances(self, region: str, params: dict[str, str]) -> dict[str, Any]:
        page = _int_param(params, "PageNumber", 1, 1, 10**9)
        size = _int_param(params, "PageSize", 10, 1, 100)
        ids = _json_list(params, "InstanceIds", 100)
        tags = _tag_filters(params)
        name = params.get("InstanceName")
        found = []
        for inst in self.regions[region]["instances"].values():
            inst_tags = [[t["TagKey"], t["TagValue"]] for t in inst["Tags"]["Tag"]]
            if ids is not None and inst["InstanceId"] not in ids:
                continue
            if params.get("VpcId") and inst["VpcAttributes"]["VpcId"] != params["VpcId"]:
                continue
            if (
                params.get("SecurityGroupId")
                and params["SecurityGroupId"] not in inst["SecurityGroupIds"]["SecurityGroupId"]
            ):
                continue
            if params.get("Status") and inst["Status"] != params["Status"]:
                continue
            if params.get("ZoneId") and inst["ZoneId"] != params["ZoneId"]:
                continue
            if name and not fnmatch.fnmatchcase(inst["InstanceName"], name):
                continue
            if not _tags_match(inst_tags, tags):
                continue
            found.append(inst)
        chunk = found[(page - 1) * size : page * size]
        return {
            "TotalCount": len(found),
            "PageNumber": page,
            "PageSize": size,
            "NextToken": "",
            "Instances": {"Instance": copy.deepcopy(chunk)},
        }
