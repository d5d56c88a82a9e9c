"""The ECS emulator checks signatures as the service does: the real SDK's requests pass, others do not."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.client import AcsClient
from aliyunsdkecs.request.v20140526 import (
    AuthorizeSecurityGroupRequest,
    DescribeInstancesRequest,
    DescribeSecurityGroupAttributeRequest,
    DescribeSecurityGroupsRequest,
)

from cloud_emulators._server import Keys
from cloud_emulators.aliyun_ecs import AliyunEcsEmulator

REGION = "cn-hangzhou"


def sdk(api: AliyunEcsEmulator, key_id: str, secret: str) -> AcsClient:
    return AcsClient(key_id, secret, REGION, auto_retry=False, port=api.port)


def send(client: AcsClient, request: Any, api: AliyunEcsEmulator) -> dict[str, Any]:
    request.set_endpoint("127.0.0.1")
    request.set_protocol_type("http")
    data: dict[str, Any] = json.loads(client.do_action_with_exception(request))
    return data


def raw_get(api: AliyunEcsEmulator, keys: Keys, **params: str) -> tuple[int, dict[str, Any], str]:
    """A request signed by the SDK's own RPC signer, sent with urllib: returns (status, body, url)."""
    query = {"Action": "DescribeSecurityGroups", "Version": "2014-05-26", "RegionId": REGION, **params}
    url, _ = rpc_signature_composer.get_signed_url(query, keys.key_id, keys.secret, "JSON", "GET", {})
    return (*fetch(api.url + url), url)


def fetch(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_sdk_request_is_accepted(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    group = aliyun_api.add_group(REGION, name="web", tags={"tier": "web"})
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret)
    request = DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest()
    request.set_SecurityGroupIds(json.dumps([group]))
    data = send(client, request, aliyun_api)
    assert data["TotalCount"] == 1
    (item,) = data["SecurityGroups"]["SecurityGroup"]
    assert item["SecurityGroupId"] == group
    assert item["Tags"] == {"Tag": [{"TagKey": "tier", "TagValue": "web"}]}
    assert aliyun_api.actions() == ["DescribeSecurityGroups"]


def test_a_wrong_secret_is_rejected(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    aliyun_api.add_group(REGION)
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret + "x")
    with pytest.raises(ServerException) as err:
        send(client, DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest(), aliyun_api)
    # The SDK turns SignatureDoesNotMatch into InvalidAccessKeySecret when the server's string-to-sign
    # equals its own: proof that the emulator canonicalises exactly as the SDK does.
    assert err.value.get_http_status() == 400
    assert err.value.get_error_code() == "InvalidAccessKeySecret"
    assert aliyun_api.rejected == ["SignatureDoesNotMatch"]
    assert aliyun_api.calls == []


def test_an_unknown_access_key_is_rejected(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    client = sdk(aliyun_api, "LTAInobody", aliyun_keys.secret)
    with pytest.raises(ServerException) as err:
        send(client, DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest(), aliyun_api)
    assert (err.value.get_http_status(), err.value.get_error_code()) == (404, "InvalidAccessKeyId.NotFound")


def test_a_tampered_parameter_breaks_the_signature(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    status, body, url = raw_get(aliyun_api, aliyun_keys, PageSize="10")
    assert status == 200, body
    _, again = fetch(aliyun_api.url + url.replace("PageSize=10", "PageSize=50"))
    assert again["Code"] == "SignatureDoesNotMatch"
    assert "server string to sign is:GET&%2F&" in again["Message"]


def test_a_nonce_is_single_use(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    status, _, url = raw_get(aliyun_api, aliyun_keys)
    assert status == 200
    status, body = fetch(aliyun_api.url + url)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


def test_a_missing_signature_is_incomplete(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    aliyun_api.clock = lambda: 0.0  # every signed request is refused before its nonce is spent
    _, _, url = raw_get(aliyun_api, aliyun_keys)
    aliyun_api.clock = time.time
    unsigned = "&".join(part for part in url.split("&") if not part.startswith("Signature="))
    status, body = fetch(aliyun_api.url + unsigned)
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    sha256 = url.replace("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256")
    status, body = fetch(aliyun_api.url + sha256)
    assert (status, body["Code"]) == (400, "IncompleteSignature")


def test_an_old_timestamp_is_refused(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    aliyun_api.clock = lambda: time.time() + 16 * 60
    status, body, _ = raw_get(aliyun_api, aliyun_keys)
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")
    aliyun_api.clock = time.time
    _, _, url = raw_get(aliyun_api, aliyun_keys)
    stamp = next(part for part in url.split("&") if part.startswith("Timestamp="))
    status, body = fetch(aliyun_api.url + url.replace(stamp, "Timestamp=yesterday"))
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Format")


def test_throttling_is_injected_then_stops(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret)
    aliyun_api.throttle_next(1)
    with pytest.raises(ServerException) as err:
        send(client, DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest(), aliyun_api)
    assert err.value.get_error_code() == "Throttling"
    assert (
        send(client, DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest(), aliyun_api)["TotalCount"]
        == 0
    )


def test_pages_and_filters(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    for n in range(23):
        aliyun_api.add_group(REGION, vpc="vpc-a" if n < 20 else "vpc-b", tags={"n": str(n % 2)})
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret)
    sizes = []
    for page in (1, 2, 3):
        request = DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest()
        request.set_PageNumber(page)
        request.set_PageSize(10)
        data = send(client, request, aliyun_api)
        assert (data["TotalCount"], data["PageNumber"]) == (23, page)
        sizes.append(len(data["SecurityGroups"]["SecurityGroup"]))
    assert sizes == [10, 10, 3]
    request = DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest()
    request.set_VpcId("vpc-a")
    request.set_Tags([{"Key": "n", "Value": "1"}])
    assert send(client, request, aliyun_api)["TotalCount"] == 10
    request = DescribeSecurityGroupsRequest.DescribeSecurityGroupsRequest()
    request.set_PageSize(51)
    with pytest.raises(ServerException) as err:
        send(client, request, aliyun_api)
    assert err.value.get_error_code() == "InvalidParameter"


def test_rules_are_kept_and_validated(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    group = aliyun_api.add_group(REGION)
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret)

    def authorize(**fields: str) -> None:
        request = AuthorizeSecurityGroupRequest.AuthorizeSecurityGroupRequest()
        request.set_SecurityGroupId(group)
        request.set_Permissions([fields])
        send(client, request, aliyun_api)

    authorize(IpProtocol="tcp", PortRange="8080/8080", SourceCidrIp="10.0.0.0/8", Policy="drop", Priority="5")
    authorize(IpProtocol="tcp", PortRange="8080/8080", SourceCidrIp="10.0.0.0/8", Policy="drop", Priority="5")
    request = DescribeSecurityGroupAttributeRequest.DescribeSecurityGroupAttributeRequest()
    request.set_SecurityGroupId(group)
    (perm,) = send(client, request, aliyun_api)["Permissions"]["Permission"]
    assert (perm["Policy"], perm["Priority"], perm["PortRange"], perm["IpProtocol"]) == (
        "Drop",
        "5",
        "8080/8080",
        "TCP",
    )
    for bad, code in (
        ({"PortRange": "80"}, "InvalidPortRange.Malformed"),
        ({"Priority": "101"}, "InvalidPriority.Malformed"),
        ({"IpProtocol": "sctp"}, "InvalidIpProtocol.Malformed"),
        ({"Policy": "reject"}, "InvalidPolicy.Malformed"),
    ):
        with pytest.raises(ServerException) as err:
            authorize(**{"IpProtocol": "tcp", "PortRange": "80/80", "SourceCidrIp": "0.0.0.0/0", **bad})
        assert err.value.get_error_code() == code
    request = DescribeSecurityGroupAttributeRequest.DescribeSecurityGroupAttributeRequest()
    request.set_SecurityGroupId("sg-nosuchgroup")
    with pytest.raises(ServerException) as err:
        send(client, request, aliyun_api)
    assert (err.value.get_http_status(), err.value.get_error_code()) == (
        404,
        "InvalidSecurityGroupId.NotFound",
    )


def test_instances_page_and_filter(aliyun_api: AliyunEcsEmulator, aliyun_keys: Keys) -> None:
    web = aliyun_api.add_group(REGION)
    app = aliyun_api.add_group(REGION)
    for n in range(12):
        aliyun_api.add_instance(
            REGION, group_ids=[web if n < 5 else app], tags={"tier": "web" if n < 5 else "app"}
        )
    client = sdk(aliyun_api, aliyun_keys.key_id, aliyun_keys.secret)
    request = DescribeInstancesRequest.DescribeInstancesRequest()
    request.set_SecurityGroupId(web)
    data = send(client, request, aliyun_api)
    assert data["TotalCount"] == 5
    assert {i["SecurityGroupIds"]["SecurityGroupId"][0] for i in data["Instances"]["Instance"]} == {web}
    request = DescribeInstancesRequest.DescribeInstancesRequest()
    request.set_Tags([{"Key": "tier", "Value": "app"}])
    request.set_PageSize(5)
    request.set_PageNumber(2)
    data = send(client, request, aliyun_api)
    assert (data["TotalCount"], data["PageNumber"], len(data["Instances"]["Instance"])) == (7, 2, 2)
