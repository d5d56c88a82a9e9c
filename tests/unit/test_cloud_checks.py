"""The cloud checks on the provider-neutral model: priorities and deny rules (Alibaba Cloud, Tencent
Cloud), target health, and the configuration file's one-line errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fix502.checks.cloud import CLOUD_REGISTRY
from fix502.cloud.audit import credential_selector
from fix502.cloud.config import CloudConfigError, load_config
from fix502.cloud.context import CloudContext, Tier, denied_part
from fix502.cloud.model import (
    Action,
    Direction,
    LoadBalancer,
    Peer,
    Rule,
    SecurityGroup,
    Target,
    TargetGroup,
)

WORLD = Peer.cidr("0.0.0.0/0")


def rule(port: int, peer: Peer, action: Action = Action.ALLOW, priority: int | None = None) -> Rule:
    return Rule(Direction.INGRESS, "tcp", port, port, peer, action, priority)


def group(group_id: str, *rules: Rule, provider: str = "aliyun") -> SecurityGroup:
    return SecurityGroup(provider, "1234", "cn-hangzhou", group_id, rules=rules)


def ctx(*groups: SecurityGroup, **kwargs: object) -> CloudContext:
    return CloudContext("aliyun", "1234", "cn-hangzhou", {g.group_id: g for g in groups}, **kwargs)  # type: ignore[arg-type]


def hits(check_id: str, context: CloudContext) -> list[str]:
    return [f"{h.evidence.resource}: {h.evidence.rule}" for h in CLOUD_REGISTRY[check_id](context)]


def test_a_deny_that_comes_first_shadows_an_allow_and_hides_the_port() -> None:
    web = group("sg-web", rule(443, WORLD, Action.DENY, priority=1), rule(443, WORLD, priority=10))
    context = ctx(web, tiers={"web": Tier("web", (("sg-web",),))}, client_ranges=(WORLD,), web_ports=(443,))
    assert hits("CLD005", context) == ["sg-web: ingress allow tcp 443 from 0.0.0.0/0 (priority 10)"]
    assert hits("CLD001", context) == ["sg-web: ingress allow tcp 443 from 0.0.0.0/0"]
    [shadow] = list(CLOUD_REGISTRY["CLD005"](context))
    assert shadow.values["deny"] == "ingress deny tcp 443 from 0.0.0.0/0 (priority 1)"


def test_a_deny_that_comes_later_changes_nothing() -> None:
    web = group("sg-web", rule(443, WORLD, priority=1), rule(443, WORLD, Action.DENY, priority=10))
    context = ctx(web, tiers={"web": Tier("web", (("sg-web",),))}, client_ranges=(WORLD,), web_ports=(443,))
    assert hits("CLD005", context) == []
    assert hits("CLD001", context) == []


def test_a_partial_deny_leaves_part_of_the_clients_out() -> None:
    rules = [
        (group("g"), rule(443, Peer.cidr("198.51.100.0/24"), Action.DENY, priority=1)),
        (group("g"), rule(443, WORLD, priority=5)),
    ]
    left = denied_part(rules, "tcp", 443, [Peer.cidr("198.51.0.0/16").network])  # type: ignore[list-item]
    assert [str(n) for n in left] == ["198.51.100.0/24"]


def test_a_deny_at_the_same_priority_wins() -> None:
    g = group("g", rule(6379, WORLD, priority=1), rule(6379, WORLD, Action.DENY, priority=1))
    assert hits("CLD005", ctx(g)) == ["g: ingress allow tcp 6379 from 0.0.0.0/0 (priority 1)"]
    assert hits("CLD003", ctx(g, sensitive_ports=(6379,))) == []


def test_world_open_databases_are_found_and_ssh_ranges_are_left_to_a_person() -> None:
    g = group(
        "sg-db",
        Rule(Direction.INGRESS, "tcp", 0, 65535, WORLD),
        rule(5432, Peer.cidr("::/0")),
        rule(5432, Peer.cidr("10.0.0.0/8")),
    )
    found = list(CLOUD_REGISTRY["CLD003"](ctx(g, sensitive_ports=(5432, 6379))))
    assert [(h.evidence.rule, h.values["ports"], h.autofix) for h in found] == [
        ("ingress allow tcp all ports from 0.0.0.0/0", "TCP 5432, TCP 6379", False),
        ("ingress allow tcp 5432 from ::/0", "TCP 5432", False),
    ]


def app_target_group(*targets: Target) -> TargetGroup:
    """The app's HTTP target group on 8080, health-checked on the traffic port."""
    return TargetGroup("arn:tg/app", "app", "HTTP", 8080, "HTTP", "traffic-port", targets=targets)


def test_unhealthy_targets_are_named_with_their_reason() -> None:
    tg = app_target_group(
        Target("i-1", 8080, "healthy"),
        Target("i-2", 8080, "unhealthy", "Target.Timeout"),
        Target("i-3", 8080, "unhealthy", "Target.ResponseCodeMismatch"),
    )
    lb = LoadBalancer("aws", "1", "eu-west-1", "arn:lb/site", "site", "application", target_groups=(tg,))
    [hit] = list(CLOUD_REGISTRY["CLD007"](ctx(load_balancers=(lb,))))
    assert hit.values["count"] == "2" and hit.values["total"] == "3"
    assert hit.values["targets"] == "i-2:8080, i-3:8080"
    assert hit.values["reasons"] == "Target.ResponseCodeMismatch, Target.Timeout"
    assert hits("CLD006", ctx(load_balancers=(lb,))) == []


def test_a_stopped_instance_takes_no_traffic_but_an_unregistered_one_is_not_a_finding() -> None:
    # DescribeTargetHealth: a registered instance that is stopped is "unused" with Target.InvalidState.
    tg = app_target_group(
        Target("i-1", 8080, "unused", "Target.InvalidState", "Target is in the stopped state"),
        Target("i-2", 8080, "unused", "Target.NotInUse"),
        Target("i-3", 8080, "draining", "Target.DeregistrationInProgress"),
        Target("i-4", 8080, "initial", "Elb.RegistrationInProgress"),
    )
    lb = LoadBalancer("aws", "1", "eu-west-1", "arn:lb/site", "site", "application", target_groups=(tg,))
    [hit] = list(CLOUD_REGISTRY["CLD007"](ctx(load_balancers=(lb,))))
    assert (hit.values["count"], hit.values["total"], hit.values["targets"]) == ("1", "4", "i-1:8080")
    assert hit.values["reasons"] == "Target.InvalidState"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tiers:\n  backend:\n    groups: [sg-1, 5]\n",
            "cloud.yml: tiers.backend.groups[1]: expected a non-empty string, got 5",
        ),
        ("tiers:\n  db: {}\n", "cloud.yml: tiers.db: unknown field (known: web, proxy, backend)"),
        ("backend_ports: [8080, 70000]\n", "cloud.yml: backend_ports[1]: 70000 is out of range (1-65535)"),
        (
            "client_ranges: [example.com]\n",
            "cloud.yml: client_ranges[0]: 'example.com' is neither a CIDR nor a prefix list ID "
            "(pl-..., ipm-...)",
        ),
        (
            "provider: gcp\n",
            "cloud.yml: provider: unknown provider 'gcp' (expected one of: aws, aliyun, tencent)",
        ),
        ("regions: [eu-west-1\n", "cloud.yml: line 2: expected ',' or ']', but got '<stream end>'"),
        ("retry: {max_attempts: 0}\n", "cloud.yml: retry.max_attempts: 0 is out of range (1-50)"),
        (
            "provider: aliyun\naccounts: [{assume_role_arn: 'acs:ram::1:role/x'}]\n",
            "cloud.yml: accounts[0].assume_role_arn: only for provider aws, not aliyun",
        ),
        (
            "accounts: [{assume_role_arn: fix502}]\n",
            "cloud.yml: accounts[0].assume_role_arn: 'fix502' is not a role ARN "
            "(arn:aws:iam::ACCOUNT:role/NAME)",
        ),
        (
            "accounts: [{profile: prod, key: AKIA}]\n",
            "cloud.yml: accounts[0].key: unknown field (known: profile, account, assume_role_arn, regions)",
        ),
    ],
)
def test_configuration_errors_are_one_line_naming_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cloud.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CloudConfigError) as error:
        load_config("cloud.yml")
    assert str(error.value) == message
    assert "\n" not in str(error.value)


def test_a_full_configuration_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cloud.yml"
    path.write_text(
        "provider: aws\nregions: [eu-west-1, us-east-1]\naccounts: [{profile: prod}, {profile: staging}]\n"
        "tiers:\n  web: {load_balancers: [site]}\n  proxy: {instance_tags: {role: nginx}}\n"
        "  backend: {group_tags: {role: app}, addresses: [10.0.2.0/24]}\n"
        "client_ranges: [pl-3b927c52, 130.176.0.0/16]\nbackend_ports: [8080]\n"
        "backend_keepalive_seconds: 75\n",
        encoding="utf-8",
    )
    config = load_config(str(path))
    assert [a.profile for a in config.accounts] == ["prod", "staging"]
    assert config.tier("backend").group_tags == (("role", "app"),)
    assert [p.describe() for p in config.client_ranges] == ["prefix list pl-3b927c52", "130.176.0.0/16"]
    assert config.tier("proxy").instance_tags == (("role", "nginx"),)


def test_each_account_has_its_selector_and_every_finding_carries_it(tmp_path: Path) -> None:
    path = tmp_path / "cloud.yml"
    path.write_text(
        "provider: aws\nregions: [eu-west-1]\nendpoint_url: http://127.0.0.1:5000\naccounts:\n"
        "  - {profile: prod, account: '123456789012'}\n"
        "  - {profile: audit, assume_role_arn: 'arn:aws:iam::210987654321:role/fix502',\n"
        "     regions: [us-east-1]}\n",
        encoding="utf-8",
    )
    config = load_config(str(path))
    second = config.accounts[1]
    assert (second.assume_role_arn, second.regions) == (
        "arn:aws:iam::210987654321:role/fix502",
        ("us-east-1",),
    )
    selector = credential_selector(replace(config, accounts=(second,)))
    assert dict(selector) == {
        "profile": "audit",
        "assume_role_arn": "arn:aws:iam::210987654321:role/fix502",
        "endpoint_url": "http://127.0.0.1:5000",
    }
    web = group("sg-web", rule(443, WORLD, priority=1))
    context = ctx(
        web,
        tiers={"web": Tier("web", (("sg-web",),))},
        client_ranges=(WORLD,),
        web_ports=(80, 443),
        selector=selector,
    )
    [hit] = list(CLOUD_REGISTRY["CLD001"](context))
    values = dict(hit.evidence.values)
    assert {k: values[k] for k in ("account", "profile", "assume_role_arn", "endpoint_url")} == {
        "account": "1234",
        **dict(selector),
    }
    assert not {"access_key", "secret_key", "security_token"} & set(values)
    # without a selector (the default chain, the provider's endpoint) the values name none
    [plain] = list(
        CLOUD_REGISTRY["CLD001"](ctx(web, tiers=context.tiers, client_ranges=(WORLD,), web_ports=(80,)))
    )
    assert not {"profile", "assume_role_arn", "endpoint_url"} & {k for k, _ in plain.evidence.values}
