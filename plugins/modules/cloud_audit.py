#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloud_audit
short_description: Audit the cloud security groups in front of the site that the inventory names
version_added: 0.1.0
description:
  - Runs the cloud checks of the fix502 catalogue (C(CLD001)-C(CLD008), see C(docs/cloud.md)) on the
    controller, with each provider's SDK and its standard credential chain, over the instances and
    security groups the inventory's host variables name and a cloud configuration file.
  - Host variables read (all optional) are C(fix502_cloud_provider), C(fix502_cloud_region),
    C(fix502_cloud_instance_id), C(fix502_cloud_security_groups), C(fix502_cloud_instance_tags),
    C(fix502_cloud_tier) and C(fix502_cloud_enabled), and the ones P(amazon.aws.aws_ec2#inventory) sets
    (C(instance_id), C(placement.region), C(security_groups)). A bad value fails the task with one
    line naming the host and the variable.
  - The backend ports come from the host audit's reports (O(host_reports), what M(fix502.gateway.audit)
    returns as C(report)), from O(backend_ports) and from the configuration file.
  - When no host sets a C(fix502_cloud_*) variable and there is no configuration file, the task is skipped.
  - This is an action plugin; it reads the providers' APIs and changes nothing.
author: fix502 developers (@fix502)
requirements:
  - the C(fix502) Python package on the controller, with the provider's SDK (C(pip install 'fix502[aws]'),
    C([aliyun]) or C([tencent]))
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  config:
    description:
      - A cloud configuration file (C(cloud.yml), see C(docs/cloud.md)) on the controller; its tiers,
        regions and settings come first, the inventory's hosts are added to them.
      - When empty, the file the hosts name in C(fix502_cloud_config) (the same for every host), if any.
      - A relative path is looked up in the current directory, then in the host's C(inventory_dir).
    type: str
    default: ""
  hosts:
    description: The inventory hosts whose variables are read; all of them when empty.
    type: list
    elements: str
    default: []
  host_reports:
    description:
      - Reports of the host audit (the C(report) that M(fix502.gateway.audit) returns); the ports of the
        backends they list on other machines are the backend ports the security groups must let through.
    type: list
    elements: dict
    default: []
  backend_ports:
    description: More backend ports.
    type: list
    elements: int
    default: []
  checks:
    description: Cloud check IDs (such as C(CLD002)) to run; all of them when empty.
    type: list
    elements: str
    default: []
  lang:
    description: Language of titles, causes and fixes.
    type: str
    choices: [en, zh]
    default: en
"""

EXAMPLES = r"""
- name: Audit the security groups the inventory names
  fix502.gateway.cloud_audit:
    host_reports: >-
      {{ ansible_play_hosts | map('extract', hostvars, 'fix502_audit_before')
         | select('defined') | map(attribute='report') | list }}
  run_once: true
  register: fix502_cloud_before

- name: Fix what can be fixed
  ansible.builtin.include_role:
    name: fix502.gateway.cloud_security_group
    apply:
      delegate_to: localhost
      run_once: true
  vars:
    cloud_security_group_findings: "{{ fix502_cloud_before.findings }}"
  when: fix502_cloud_before is not skipped
"""

RETURN = r"""
report:
  description:
    - The cloud audit's report, as C(fix502 cloud --format json) writes it (one host per provider,
      account and region).
  returned: success
  type: dict
findings:
  description:
    - The findings of every account and region, flattened; what the role
      C(fix502.gateway.cloud_security_group) takes as C(cloud_security_group_findings).
  returned: success
  type: list
  elements: dict
finding_ids:
  description: The distinct check IDs found, sorted.
  returned: success
  type: list
  elements: str
  sample: [CLD001, CLD002]
failed:
  description:
    - Why an account or region could not be audited (an API error, throttling that outlasted the
      retries, a group or instance not found).
  returned: success
  type: list
  elements: str
backend_ports:
  description:
    - The backend ports judged, from the configuration, O(backend_ports) and the host audit's reports.
  returned: success
  type: list
  elements: int
  sample: [8080]
backends_unknown:
  description:
    - The hosts of O(host_reports) that do not say which backends they proxy to (unreachable, failed,
      or audited by an older fix502).
  returned: success
  type: list
  elements: str
endpoint_urls:
  description:
    - The endpoint each provider's calls went to, when the configuration sets one (an emulator, a
      proxy).
  returned: success
  type: dict
calls:
  description: How many API calls the audit made.
  returned: success
  type: int
"""
