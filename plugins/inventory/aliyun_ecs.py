# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: aliyun_ecs
short_description: Alibaba Cloud ECS instances as inventory hosts, grouped by tag and security group
version_added: 0.1.0
description:
  - Lists the ECS instances of one or more regions (C(DescribeInstances), every page) and makes each a host
    whose variables are the instance's attributes in snake_case, as M(amazon.aws.aws_ec2) does for EC2.
  - Besides the API's fields each host has C(tags) (a dict), C(security_group_ids) (a list),
    C(private_ip_address), C(public_ip_address), C(region), and the C(fix502_cloud_*) variables the cloud
    audit reads to find a tier's security groups.
  - With C(keyed_groups) on C(tags) and C(security_group_ids) the hosts land in groups such as
    C(tag_tier_web) and C(security_group_sg_bp1...).
  - Credentials come from the Alibaba Cloud default chain (C(ALIBABA_CLOUD_ACCESS_KEY_ID) and
    C(ALIBABA_CLOUD_ACCESS_KEY_SECRET), C(~/.alibabacloud/credentials), the CLI's C(~/.aliyun/config.json),
    the ECS RAM role named by C(ALIBABA_CLOUD_ECS_METADATA)) unless given here. They are never printed.
  - The configuration file must end in C(aliyun_ecs.yml) or C(aliyun_ecs.yaml).
author: fix502 developers (@fix502)
requirements:
  - the C(fix502) Python package on the controller
  - aliyun-python-sdk-core and aliyun-python-sdk-ecs (C(pip install 'fix502[aliyun]'))
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin; it makes the file this plugin's configuration.
    required: true
    type: str
    choices: [fix502.gateway.aliyun_ecs]
  regions:
    description: Region IDs to list the instances of, such as C(cn-hangzhou).
    required: true
    type: list
    elements: str
  filters:
    description:
      - Parameters of C(DescribeInstances) that select instances, such as C(VpcId), C(ZoneId), C(Status),
        C(SecurityGroupId), C(InstanceName) or C(InstanceIds).
      - A key C(tag:NAME) selects instances with that tag; its value C(*) matches any value of the tag.
    type: dict
    default: {}
  hostnames:
    description:
      - Host variables to name a host by, in order of preference; the first that is set wins.
      - For example C(instance_name), C(host_name), C(private_ip_address), C(public_ip_address).
    type: list
    elements: str
    default: [instance_id]
  access_key:
    description:
      - AccessKey ID; leave it out to use the default credential chain.
      - Keep it in a vault; it is never printed.
    type: str
  secret_key:
    description:
      - AccessKey secret, with I(access_key). Keep it in a vault; it is never printed.
    type: str
  security_token:
    description: STS security token, with I(access_key) and I(secret_key) of an STS credential.
    type: str
  profile:
    description: A profile of C(~/.alibabacloud/credentials) or of the Alibaba Cloud CLI's configuration.
    type: str
  account:
    description: The account ID to report; asked of STS C(GetCallerIdentity) when left out.
    type: str
  endpoint_url:
    description:
      - Send every call to this C(http(s)://host[:port]) instead of the regional ECS endpoint (a proxy or
        a test emulator).
    type: str
"""

EXAMPLES = r"""
# inventories/prod.aliyun_ecs.yml
plugin: fix502.gateway.aliyun_ecs
regions: [cn-hangzhou, cn-shanghai]
filters:
  Status: Running
  tag:app: shop
hostnames: [instance_name, instance_id]
compose:
  ansible_host: public_ip_address | default(private_ip_address, true)
keyed_groups:
  - key: tags
    prefix: tag
  - key: security_group_ids
    prefix: security_group
  - key: zone_id
    prefix: zone
"""

import json

from ansible.errors import AnsibleParserError

from ansible_collections.fix502.gateway.plugins.plugin_utils._cloud_inventory import (
    CloudInventoryBase,
    tag_filter_name,
    unwrap,
)


class InventoryModule(CloudInventoryBase):
    NAME = "fix502.gateway.aliyun_ecs"
    PROVIDER = "aliyun"
    FILE_SUFFIXES = ("aliyun_ecs.yml", "aliyun_ecs.yaml")

    def records(self, provider, filters):
        params = {}
        tag_number = 0
        for key, value in filters.items():
            tag = tag_filter_name(str(key))
            if tag is not None:
                tag_number += 1
                params["Tag.%d.Key" % tag_number] = tag
                if str(value) != "*":
                    params["Tag.%d.Value" % tag_number] = str(value)
            elif isinstance(value, list):
                params[str(key)] = json.dumps([str(v) for v in value])
            elif isinstance(value, (dict, bool)) or value is None:
                raise AnsibleParserError(f"{self.NAME}: filters.{key}: expected a string or a list")
            else:
                params[str(key)] = str(value)
        return provider.raw_instances(params)

    def hostvars(self, record, region):
        flat = unwrap(record)
        tags = {t["TagKey"]: t["TagValue"] for t in flat.get("Tags") or []}
        private = list((flat.get("VpcAttributes") or {}).get("PrivateIpAddress") or [])
        private += list(flat.get("InnerIpAddress") or [])
        public = list(flat.get("PublicIpAddress") or [])
        eip = (flat.get("EipAddress") or {}).get("IpAddress")
        if eip:
            public.append(eip)
        return self.instance_hostvars(flat, region, tags, private, public)
