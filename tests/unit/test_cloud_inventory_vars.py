"""Which security groups to audit, from inventory host variables; the backend ports the host audit lists.

The host variables are those ``ansible-inventory --list`` prints: a static inventory's, amazon.aws.aws_ec2's
(``instance_id``, ``placement.region``, ``security_groups``; values an API gave wrapped as
``{"__ansible_unsafe": ...}``) and fix502.gateway.aliyun_ecs/tencent_cvm's (``fix502_cloud_*``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from nginx_cases import NGINX, write

from fix502 import catalogue
from fix502.cloud.config import CloudConfig, CloudConfigError, TierSpec, parse_config
from fix502.cloud.inventory import (
    backend_ports,
    cloud_configured,
    from_hostvars,
    inventory_config,
    resolve_path,
)
from fix502.engine import COLLECTED_SCHEMA, judge_host, new_report
from fix502.model import Backend, HostReport, HostStatus
from fix502.report import json_format


def unsafe(value: str) -> dict[str, str]:
    return {"__ansible_unsafe": value}


AWS_EC2_HOST = {
    # what amazon.aws.aws_ec2 sets (trimmed), as ansible-inventory --list prints it
    "instance_id": unsafe("i-0web"),
    "placement": {"availability_zone": unsafe("eu-west-1a"), "region": unsafe("eu-west-1")},
    "security_groups": [{"group_id": unsafe("sg-0web"), "group_name": unsafe("web")}],
    "tags": {"tier": unsafe("web")},
}


def test_amazon_aws_ec2_hosts_are_aws_instances_of_the_web_tier() -> None:
    found = from_hostvars({"ip-10-0-1-5": AWS_EC2_HOST}, CloudConfig())
    [config] = found.configs
    assert config.provider == "aws" and config.regions == ("eu-west-1",)
    assert config.tier("web").instances == ("i-0web",)
    assert config.tier("web").group_sets == ()  # an instance's groups come from the provider
    assert config.tier("proxy") == config.tier("web")
    assert config.origins == {"i-0web": "ip-10-0-1-5: instance_id"}
    assert found.tiers == {"ip-10-0-1-5": ("web",)} and found.nginx_hosts == ["ip-10-0-1-5"]


def test_fix502_variables_tiers_and_the_plain_list_of_groups() -> None:
    hostvars: dict[str, dict[str, Any]] = {
        # what fix502.gateway.aliyun_ecs sets
        "web-1": {
            "fix502_cloud_provider": "aliyun",
            "fix502_cloud_region": unsafe("cn-hangzhou"),
            "fix502_cloud_instance_id": unsafe("i-bp1web"),
            "fix502_cloud_security_groups": [unsafe("sg-bp1web")],
        },
        # a static host: its groups, no instance ID
        "web-2": {"fix502_cloud_region": "eu-west-1", "fix502_cloud_security_groups": ["sg-2a", "sg-2b"]},
        # a backend host found by tag; the plain list of groups (group_vars/all) seen on every host
        "app-1": {
            "fix502_cloud_tier": "backend",
            "fix502_cloud_region": "eu-west-1",
            "fix502_cloud_instance_tags": {"tier": "app", "env": 3},
        },
        "db-1": {
            "fix502_cloud_tier": ["backend"],
            "fix502_cloud_security_groups": [
                {"id": "sg-db", "tier": "backend", "region": "eu-west-1"},
                {
                    "group_id": "sg-cache",
                    "tier": ["backend", "proxy"],
                    "provider": "tencent",
                    "region": "ap-guangzhou",
                },
            ],
        },
        "off": {"fix502_cloud_enabled": False, "fix502_cloud_instance_id": "i-off"},
        "plain": {},
    }
    found = from_hostvars(hostvars, CloudConfig())
    aws, aliyun, tencent = found.configs
    assert [c.provider for c in found.configs] == ["aws", "aliyun", "tencent"]
    assert aws.regions == ("eu-west-1",)
    assert aws.tier("web") == TierSpec(group_sets=(("sg-2a", "sg-2b"),))
    assert aws.tier("backend") == TierSpec(
        groups=("sg-db",), instance_tag_sets=((("env", "3"), ("tier", "app")),)
    )
    assert aws.origins["sg-db"] == "db-1: fix502_cloud_security_groups[0]"
    assert aws.origins["sg-2b"] == "web-2: fix502_cloud_security_groups"
    assert aliyun.regions == ("cn-hangzhou",) and aliyun.tier("web").instances == ("i-bp1web",)
    assert aliyun.endpoint_url is None
    assert tencent.regions == ("ap-guangzhou",)
    assert tencent.tier("backend").groups == ("sg-cache",) and tencent.tier("proxy").groups == ("sg-cache",)
    assert "off" not in found.tiers and found.tiers["plain"] == ("web",)
    assert found.nginx_hosts == ["plain", "web-1", "web-2"]


def test_a_configured_web_tier_makes_the_nginx_hosts_the_proxy_tier() -> None:
    base = parse_config(
        {
            "regions": ["eu-west-1"],
            "tiers": {"web": {"load_balancers": ["site-alb"]}},
            "backend_ports": [8080],
        },
        "cloud.yml",
    )
    found = from_hostvars({"web-1": {"fix502_cloud_instance_id": "i-1"}}, base)
    [config] = found.configs
    assert config.tier("web").load_balancers == ("site-alb",) and not config.tier("web").instances
    assert config.tier("proxy").instances == ("i-1",)
    assert config.regions == ("eu-west-1",) and config.backend_ports == (8080,)


def test_other_providers_keep_the_judgement_settings_not_the_places() -> None:
    base = parse_config(
        {
            "endpoint_url": "http://127.0.0.1:1",
            "regions": ["eu-west-1"],
            "web_ports": [443],
            "groups": ["sg-x"],
        },
        "cloud.yml",
    )
    found = from_hostvars(
        {
            "h": {
                "fix502_cloud_provider": "tencent",
                "fix502_cloud_region": "ap-guangzhou",
                "fix502_cloud_instance_id": "ins-1",
            }
        },
        base,
    )
    aws, tencent = found.configs
    assert aws is not None and aws.groups == ("sg-x",) and aws.endpoint_url == "http://127.0.0.1:1"
    assert tencent.web_ports == (443,) and tencent.groups == () and tencent.endpoint_url is None


def test_no_host_naming_anything_and_no_region_means_nothing_to_audit() -> None:
    assert from_hostvars({"web-1": {}, "web-2": {"fix502_cloud_tier": "web"}}, CloudConfig()).configs == []
    assert not cloud_configured({"web-1": {}, "web-2": AWS_EC2_HOST})
    assert cloud_configured({"web-1": {}, "web-2": {**AWS_EC2_HOST, "fix502_cloud_enabled": True}})
    assert cloud_configured({"web-1": {"fix502_cloud_security_groups": ["sg-1"]}})
    assert not cloud_configured(
        {"web-1": {"fix502_cloud_security_groups": ["sg-1"], "fix502_cloud_enabled": "no"}}
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"fix502_cloud_tier": "db"}, "web-1: fix502_cloud_tier: 'db' is not a tier (web, proxy, backend)"),
        ({"fix502_cloud_tier": []}, "web-1: fix502_cloud_tier: expected a tier (web, proxy, backend)"),
        ({"fix502_cloud_provider": "gcp"}, "web-1: fix502_cloud_provider: unknown provider 'gcp'"),
        (
            {"fix502_cloud_enabled": "maybe"},
            "web-1: fix502_cloud_enabled: expected true or false, got 'maybe'",
        ),
        (
            {"fix502_cloud_instance_id": 5},
            "web-1: fix502_cloud_instance_id: expected a non-empty string, got 5",
        ),
        (
            {"fix502_cloud_instance_id": "i-1"},
            "web-1: fix502_cloud_instance_id: no region for aws: set fix502_cloud_region",
        ),
        (
            {"fix502_cloud_region": "eu-west-1", "fix502_cloud_security_groups": "sg-1,sg-2"},
            None,
        ),
        (
            {"fix502_cloud_region": "eu-west-1", "fix502_cloud_security_groups": {"sg": 1}},
            "web-1: fix502_cloud_security_groups: expected a list of security group IDs, got dict",
        ),
        (
            {"fix502_cloud_region": "eu-west-1", "fix502_cloud_security_groups": ["sg-1", 7]},
            "web-1: fix502_cloud_security_groups[1]: expected a non-empty string, got 7",
        ),
        (
            {"fix502_cloud_security_groups": [{"id": "sg-1", "region": "eu-west-1", "colour": "red"}]},
            "web-1: fix502_cloud_security_groups[0].colour: unknown field (known: id, group_id, provider,",
        ),
        (
            {"fix502_cloud_security_groups": [{"region": "eu-west-1"}]},
            "web-1: fix502_cloud_security_groups[0].group_id: expected a non-empty string, got nothing",
        ),
        (
            {"fix502_cloud_security_groups": [{"id": "sg-1", "region": "eu-west-1", "tier": "cache"}]},
            "web-1: fix502_cloud_security_groups[0].tier: 'cache' is not a tier",
        ),
        (
            {"fix502_cloud_security_groups": [{"id": "sg-1"}]},
            "web-1: fix502_cloud_security_groups[0]: no region for aws",
        ),
        (
            {"fix502_cloud_region": "eu-west-1", "fix502_cloud_instance_tags": ["web"]},
            "web-1: fix502_cloud_instance_tags: expected a mapping of tag: value, got list",
        ),
        (
            {"fix502_cloud_region": "eu-west-1", "fix502_cloud_instance_tags": {"tier": None}},
            "web-1: fix502_cloud_instance_tags.tier: expected a tag value, got nothing",
        ),
    ],
)
def test_bad_host_variables_are_one_line_naming_host_and_variable(
    variables: dict[str, Any], message: str | None
) -> None:
    if message is None:  # a single string is one group ID, not a comma-separated list
        [config] = from_hostvars({"web-1": variables}, CloudConfig()).configs
        assert config.tier("web").group_sets == (("sg-1,sg-2",),)
        return
    with pytest.raises(CloudConfigError) as caught:
        from_hostvars({"web-1": variables}, CloudConfig())
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_configuration_file_the_hosts_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inventory_dir = tmp_path / "inventory"
    inventory_dir.mkdir()
    (inventory_dir / "cloud.yml").write_text("regions: [eu-west-1]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    hostvars = {"a": {"fix502_cloud_config": "cloud.yml"}, "b": {"fix502_cloud_config": "cloud.yml"}, "c": {}}
    assert inventory_config(hostvars, [str(inventory_dir)]) == str(inventory_dir / "cloud.yml")
    assert inventory_config({"a": {}}, [str(inventory_dir)]) is None
    assert resolve_path("/abs/cloud.yml", [str(inventory_dir)]) == "/abs/cloud.yml"
    with pytest.raises(
        CloudConfigError, match=r"^b: fix502_cloud_config: 'other.yml' is not a's 'cloud.yml'"
    ):
        inventory_config(
            {"a": {"fix502_cloud_config": "cloud.yml"}, "b": {"fix502_cloud_config": "other.yml"}}, []
        )
    with pytest.raises(CloudConfigError, match=r"^a: fix502_cloud_config: .* is a template"):
        inventory_config({"a": {"fix502_cloud_config": "{{ inventory_dir }}/cloud.yml"}}, [])


# -- the host audit's backends -------------------------------------------------------------------------


def _dump(conf: Path) -> str:
    done = subprocess.run(
        [NGINX, "-T", "-c", str(conf), "-p", f"{conf.parent}/"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


SITE = """
http {
    upstream app { server 10.20.1.50:8080; server 10.20.1.51:8080; server 10.0.0.9:9000 backup; }
    upstream php { server unix:/run/php/fpm.sock; }
    server {
        listen 127.0.0.1:8081;
        location / { proxy_pass http://app; }
        location /api/ { proxy_pass http://127.0.0.1:5000; }
        location /own/ { proxy_pass http://192.0.2.10:7000; }
        location ~ \\.php$ { fastcgi_pass php; }
        location /dyn/ { proxy_pass http://$host:81; }
    }
}
"""


def test_the_host_audit_lists_the_backends_and_the_cloud_takes_the_remote_ports(tmp_path: Path) -> None:
    conf = write(tmp_path, SITE)
    collected = {"schema": COLLECTED_SCHEMA, "nginx": {"dump": _dump(conf)}, "addresses": ["192.0.2.10"]}
    report = judge_host("web-1", collected, catalogue.select(["upstream"])).report
    assert report.backends == [
        Backend("10.0.0.9", 9000, False),
        Backend("10.20.1.50", 8080, False),
        Backend("10.20.1.51", 8080, False),
        Backend("127.0.0.1", 5000, True),
        Backend("192.0.2.10", 7000, True),  # the host's own address
    ]
    unreachable = HostReport("web-2", HostStatus.UNREACHABLE, "ssh: timed out")
    older = HostReport("web-3", HostStatus.OK)  # a report without backends (not known)
    found = backend_ports([report, unreachable, older])
    assert found.ports == [8080, 9000] and found.unknown == ["web-2", "web-3"]

    # the JSON report carries them (additively: a report without them is unchanged) and reads them back
    text = json_format.render(new_report([report, unreachable], catalogue.select(["upstream"]), "en"))
    doc = json.loads(text)
    assert doc["hosts"][0]["backends"][0] == {"address": "10.0.0.9", "port": 9000, "local": False}
    assert "backends" not in doc["hosts"][1]
    schema = json.loads((Path(catalogue.__file__).parent.parent / "schemas" / "report-v1.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    loaded = json_format.load(text)
    assert loaded.hosts[0].backends == report.backends and loaded.hosts[1].backends is None
    doc["hosts"][0]["backends"][0]["port"] = 0
    with pytest.raises(json_format.ReportFormatError, match=r"hosts\[0\]\.backends\[0\]: expected an object"):
        json_format.load(json.dumps(doc))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(doc))


def test_a_configuration_from_files_has_no_backends_list(tmp_path: Path) -> None:
    from fix502.nginx_config import parse_files

    conf = write(tmp_path, SITE)
    judged = judge_host("files", {"schema": COLLECTED_SCHEMA}, [], config=parse_files(str(conf)))
    assert judged.report.backends is None and "backends" not in judged.report.to_dict()
