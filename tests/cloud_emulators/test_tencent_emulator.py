"""The Tencent Cloud emulator checks TC3-HMAC-SHA256 as the service does: the SDK's requests pass."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import cvm_client
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.vpc.v20170312 import models, vpc_client

from cloud_emulators._server import Keys
from cloud_emulators.tencent import TencentEmulator

REGION = "ap-guangzhou"


def vpc(api: TencentEmulator, secret_id: str, secret_key: str, method: str = "POST") -> vpc_client.VpcClient:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=api.host, protocol="http", reqMethod=method))
    profile.disable_region_breaker = True
    return vpc_client.VpcClient(Credential(secret_id, secret_key), REGION, profile)


def tc3_post(
    api: TencentEmulator,
    keys: Keys,
    action: str,
    body: dict[str, Any],
    *,
    service: str = "vpc",
    tamper: bytes | None = None,
    stamp: int | None = None,
) -> dict[str, Any]:
    """A request signed by this test's own TC3 implementation, written from the documentation."""
    payload = json.dumps(body).encode()
    timestamp = int(time.time()) if stamp is None else stamp
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    headers = {"content-type": "application/json; charset=utf-8", "host": api.host}
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            "".join(f"{k}:{v}\n" for k, v in headers.items()),
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + keys.secret).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        api.url + "/",
        data=tamper if tamper is not None else payload,
        method="POST",
        headers={
            "Content-Type": headers["content-type"],
            "Authorization": f"TC3-HMAC-SHA256 Credential={keys.key_id}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}",
            "X-TC-Action": action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2017-03-12",
            "X-TC-Region": REGION,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        data: dict[str, Any] = json.loads(response.read())["Response"]
        return data


def test_the_sdk_requests_are_accepted(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    group = tencent_api.add_group(REGION, name="web", tags={"tier": "web"})
    tencent_api.add_instance(REGION, group_ids=[group], tags={"tier": "web"})
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret)
    request = models.DescribeSecurityGroupsRequest()
    request.Offset, request.Limit = "0", "10"
    response = client.DescribeSecurityGroups(request)
    assert response.TotalCount == 1
    assert response.SecurityGroupSet[0].SecurityGroupId == group
    assert response.SecurityGroupSet[0].TagSet[0].Key == "tier"
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=tencent_api.host, protocol="http"))
    cvm = cvm_client.CvmClient(Credential(tencent_keys.key_id, tencent_keys.secret), REGION, profile)
    instances = cvm.DescribeInstances(cvm_models.DescribeInstancesRequest())
    assert instances.TotalCount == 1
    assert instances.InstanceSet[0].SecurityGroupIds == [group]
    assert tencent_api.actions() == ["DescribeSecurityGroups", "DescribeInstances"]


def test_get_requests_sign_the_query(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    tencent_api.add_group(REGION, tags={"tier": "web"})
    tencent_api.add_group(REGION, tags={"tier": "app"})
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret, method="GET")
    request = models.DescribeSecurityGroupsRequest()
    request.from_json_string(json.dumps({"Filters": [{"Name": "tag:tier", "Values": ["app"]}]}))
    assert client.DescribeSecurityGroups(request).TotalCount == 1


def test_a_wrong_secret_is_rejected(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret[:-1] + "0")
    with pytest.raises(TencentCloudSDKException) as err:
        client.DescribeSecurityGroups(models.DescribeSecurityGroupsRequest())
    assert err.value.get_code() == "AuthFailure.SignatureFailure"
    assert tencent_api.calls == []
    client = vpc(tencent_api, "AKIDnobody", tencent_keys.secret)
    with pytest.raises(TencentCloudSDKException) as err:
        client.DescribeSecurityGroups(models.DescribeSecurityGroupsRequest())
    assert err.value.get_code() == "AuthFailure.SecretIdNotFound"


def test_an_independent_signer_agrees_and_tampering_is_caught(
    tencent_api: TencentEmulator, tencent_keys: Keys
) -> None:
    group = tencent_api.add_group(REGION)
    ok = tc3_post(tencent_api, tencent_keys, "DescribeSecurityGroupPolicies", {"SecurityGroupId": group})
    assert ok["SecurityGroupPolicySet"]["Version"] == "0"
    other = tencent_api.add_group(REGION)
    tampered = json.dumps({"SecurityGroupId": other}).encode()
    bad = tc3_post(
        tencent_api,
        tencent_keys,
        "DescribeSecurityGroupPolicies",
        {"SecurityGroupId": group},
        tamper=tampered,
    )
    assert bad["Error"]["Code"] == "AuthFailure.SignatureFailure"
    # Signed correctly, but six seconds past the five minutes the service allows.
    expired = tc3_post(tencent_api, tencent_keys, "DescribeSecurityGroups", {}, stamp=int(time.time()) - 301)
    assert expired["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_an_expired_timestamp_is_refused(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    tencent_api.clock = lambda: time.time() + 600
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret)
    with pytest.raises(TencentCloudSDKException) as err:
        client.DescribeSecurityGroups(models.DescribeSecurityGroupsRequest())
    assert err.value.get_code() == "AuthFailure.SignatureExpire"


def test_request_limit_is_injected(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret)
    tencent_api.throttle_next(2)
    for _ in range(2):
        with pytest.raises(TencentCloudSDKException) as err:
            client.DescribeSecurityGroups(models.DescribeSecurityGroupsRequest())
        assert err.value.get_code() == "RequestLimitExceeded"
    assert client.DescribeSecurityGroups(models.DescribeSecurityGroupsRequest()).TotalCount == 0


def test_offset_and_limit_are_strings(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    for _ in range(25):
        tencent_api.add_group(REGION)
    page = tc3_post(tencent_api, tencent_keys, "DescribeSecurityGroups", {"Offset": "20", "Limit": "10"})
    assert (page["TotalCount"], len(page["SecurityGroupSet"])) == (25, 5)
    wrong = tc3_post(tencent_api, tencent_keys, "DescribeSecurityGroups", {"Offset": 0, "Limit": 10})
    assert wrong["Error"]["Code"] == "InvalidParameter"
    big = tc3_post(tencent_api, tencent_keys, "DescribeSecurityGroups", {"Limit": "101"})
    assert big["Error"]["Code"] == "InvalidParameterValue.Range"
    both = tc3_post(
        tencent_api,
        tencent_keys,
        "DescribeSecurityGroups",
        {"SecurityGroupIds": ["sg-00000001"], "Filters": [{"Name": "security-group-name", "Values": ["x"]}]},
    )
    assert both["Error"]["Code"] == "InvalidParameter.Coexist"


def test_policies_are_ordered_versioned_and_kept(tencent_api: TencentEmulator, tencent_keys: Keys) -> None:
    group = tencent_api.add_group(REGION)
    client = vpc(tencent_api, tencent_keys.key_id, tencent_keys.secret)

    def create(policy_set: dict[str, Any]) -> None:
        request = models.CreateSecurityGroupPoliciesRequest()
        request.from_json_string(json.dumps({"SecurityGroupId": group, "SecurityGroupPolicySet": policy_set}))
        client.CreateSecurityGroupPolicies(request)

    create({"Ingress": [{"Protocol": "TCP", "Port": "8080", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}]})
    create(
        {
            "Version": "1",
            "Ingress": [
                {
                    "PolicyIndex": 0,
                    "Protocol": "TCP",
                    "Port": "8080",
                    "CidrBlock": "0.0.0.0/0",
                    "Action": "DROP",
                }
            ],
        }
    )
    request = models.DescribeSecurityGroupPoliciesRequest()
    request.SecurityGroupId = group
    policy_set = client.DescribeSecurityGroupPolicies(request).SecurityGroupPolicySet
    assert policy_set.Version == "2"
    assert [(p.PolicyIndex, p.Action, p.CidrBlock) for p in policy_set.Ingress] == [
        (0, "DROP", "0.0.0.0/0"),
        (1, "ACCEPT", "10.0.0.0/8"),
    ]
    with pytest.raises(TencentCloudSDKException) as err:
        create(
            {
                "Version": "1",
                "Ingress": [{"Protocol": "TCP", "Port": "80", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}],
            }
        )
    assert err.value.get_code() == "UnsupportedOperation.VersionMismatch"
    with pytest.raises(TencentCloudSDKException) as err:
        create(
            {"Ingress": [{"Protocol": "TCP", "Port": "8080", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}]}
        )
    assert err.value.get_code() == "UnsupportedOperation.DuplicatePolicy"
    with pytest.raises(TencentCloudSDKException) as err:
        create(
            {"Ingress": [{"Protocol": "TCP", "Port": "70000", "CidrBlock": "10.0.0.0/8", "Action": "ACCEPT"}]}
        )
    assert err.value.get_code() == "InvalidParameterValue.Range"
    delete = models.DeleteSecurityGroupPoliciesRequest()
    delete.from_json_string(
        json.dumps(
            {
                "SecurityGroupId": group,
                "SecurityGroupPolicySet": {"Version": "2", "Ingress": [{"PolicyIndex": 0}]},
            }
        )
    )
    client.DeleteSecurityGroupPolicies(delete)
    assert [p["Action"] for p in tencent_api.policies(REGION, group)] == ["ACCEPT"]
    request.SecurityGroupId = "sg-zzzzzzzz"
    with pytest.raises(TencentCloudSDKException) as err:
        client.DescribeSecurityGroupPolicies(request)
    assert err.value.get_code() == "InvalidSecurityGroupID.NotFound"
