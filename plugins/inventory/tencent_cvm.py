# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: tencent_cvm
short_description: Tencent Cloud CVM instances as inventory hosts, grouped by tag and security group
version_added: 0.1.0
description:
  - Lists the CVM instances of one or more regions (C(DescribeInstances), every page) and makes each a host
    whose variables are the instance's attributes in snake_case, as M(amazon.aws.aws_ec2) does for EC2.
  - Besides the API's fields each host has C(tags) (a dict), C(security_group_ids) (a list),
    C(private_ip_address), C(public_ip_address), C(zone), C(region), and the C(fix502_cloud_*) variables the
    cloud audit reads to find a tier's security groups.
  - With C(keyed_groups) on C(tags) and C(security_group_ids) the hosts land in groups such as
    C(tag_tier_web) and C(security_group_sg_abcd1234).
  - Credentials come from the Tencent Cloud default chain (C(TENCENTCLOUD_SECRET_ID) and
    C(TENCENTCLOUD_SECRET_KEY), C(~/.tencentcloud/credentials)) unless given here. They are never printed.
  - The configuration file must end in C(tencent_cvm.yml) or C(tencent_cvm.yaml).
author: fix502 developers (@fix502)
requirements:
  - the C(fix502) Python package on the controller
  - tencentcloud-sdk-python-common, -vpc and -cvm (C(pip install 'fix502[tencent]'))
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin; it makes the file this plugin's configuration.
    required: true
    type: str
    choices: [fix502.gateway.tencent_cvm]
  regions:
    description: Regions to list the instances of, such as C(ap-guangzhou).
    required: true
    type: list
    elements: str
  filters:
    description:
      - Filters of CVM C(DescribeInstances), name to value or list of values, such as
        C(instance-state), C(vpc-id), C(zone), C(security-group-id) or C(tag:NAME).
    type: dict
    default: {}
  hostnames:
    description:
      - Host variables to name a host by, in order of preference; the first that is set wins.
      - For example C(instance_name), C(private_ip_address), C(public_ip_address).
    type: list
    elements: str
    default: [instance_id]
  access_key:
    description:
      - SecretId; leave it out to use the default credential chain. It is never printed.
    type: str
  secret_key:
    description:
      - SecretKey, with I(access_key). Keep it in a vault; it is never printed.
    type: str
  security_token:
    description: The token of temporary credentials, with I(access_key) and I(secret_key).
    type: str
  profile:
    description: A section of C(~/.tencentcloud/credentials).
    type: str
  account:
    description: The account ID to report; asked of STS C(GetCallerIdentity) when left out.
    type: str
  endpoint_url:
    description:
      - Send every call to this C(http(s)://host[:port]) instead of the service's endpoint (a proxy or a
        test emulator).
    type: str
"""

EXAMPLES = r"""
# inventories/prod.tencent_cvm.yml
plugin: fix502.gateway.tencent_cvm
regions: [ap-guangzhou]
filters:
  instance-state: RUNNING
  tag:app: shop
hostnames: [instance_name, instance_id]
compose:
  ansible_host: public_ip_address | default(private_ip_address, true)
keyed_groups:
  - key: tags
    prefix: tag
  - key: security_group_ids
    prefix: security_group
"""

from ansible.errors import AnsibleParserError

from ansible_collections.fix502.gateway.plugins.plugin_utils._cloud_inventory import (
    CloudInventoryBase,
)


class InventoryModule(CloudInventoryBase):
    NAME = "fix502.gateway.tencent_cvm"
    PROVIDER = "tencent"
    FILE_SUFFIXES = ("tencent_cvm.yml", "tencent_cvm.yaml")

    def records(self, provider, filters):
        api_filters = []
        for key, value in filters.items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, (dict, list, bool)) or v is None for v in values):
                raise AnsibleParserError(
                    f"{self.NAME}: filters.{key}: expected a string or a list of strings"
                )
            api_filters.append({"Name": str(key), "Values": [str(v) for v in values]})
        return provider.raw_instances(api_filters)

    def hostvars(self, record, region):
        tags = {t["Key"]: t["Value"] for t in record.get("Tags") or []}
        private = list(record.get("PrivateIpAddresses") or [])
        public = list(record.get("PublicIpAddresses") or [])
        zone = (record.get("Placement") or {}).get("Zone")
        return self.instance_hostvars(record, region, tags, private, public, zone=zone)
