#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: audit
short_description: Find the causes of HTTP 502 on a host and explain them in plain words
version_added: 0.1.0
description:
  - Runs M(fix502.gateway.collect) on the host to gather evidence in one round trip, then judges it
    on the controller with the checks of the fix502 catalogue (see C(docs/checks.md)).
  - Each finding has a stable ID, a severity, a category, the evidence (file and line, unit, port,
    socket, log lines), the cause and the fix in English or Chinese, and whether a role of this
    collection can fix it automatically.
  - This is an action plugin; it changes nothing on the host.
  - The options of M(fix502.gateway.collect) are passed on to it as they are. A finding about an address a
    declared service of O(backend_services) listens on names that service, and becomes fixable
    automatically. O(error_log_since) takes RV(error_log_state) of an earlier audit, to judge only the
    error log lines written since. The containers found through O(container_sockets) that nginx proxies
    to are judged (C(container) checks) and can be fixed automatically.
author: fix502 developers (@fix502)
requirements:
  - the C(fix502) Python package on the controller
extends_documentation_fragment:
  - fix502.gateway.collect_options
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
  checks:
    description:
      - Check IDs (such as C(UPS001)) or categories (such as C(resources)) to run.
      - All checks when empty.
    type: list
    elements: str
    default: []
  lang:
    description: Language of titles, causes and fixes.
    type: str
    choices: [en, zh]
    default: en
  thresholds:
    description:
      - Limits to judge against, by name, for example C(disk_used_percent_high=85).
      - See C(docs/checks.md) for the names and their defaults.
    type: dict
    default: {}
seealso:
  - module: fix502.gateway.collect
"""

EXAMPLES = r"""
- name: Audit the host for causes of 502
  fix502.gateway.audit:
    backend_services:
      - name: app
        listen: 127.0.0.1:8000
        unit: app.service
  register: fix502_audit_result

- name: Show what was found
  ansible.builtin.debug:
    msg: "{{ item.id }} {{ item.title }}: {{ item.cause }}"
  loop: "{{ fix502_audit_result.findings }}"

- name: Only the resource checks, in Chinese
  fix502.gateway.audit:
    checks: [resources]
    lang: zh
"""

RETURN = r"""
findings:
  description: The findings, worst first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Stable check ID from the catalogue.
      type: str
      sample: UPS001
    severity:
      description: One of critical, high, medium, low, info.
      type: str
      sample: critical
    category:
      description: The catalogue category.
      type: str
      sample: upstream
    host:
      description: Inventory name of the host.
      type: str
    title:
      description: One line naming the problem.
      type: str
    cause:
      description: Why this leads to 502, in plain words, with the values seen.
      type: str
    fix:
      description: What to do about it.
      type: str
    autofix:
      description: Whether a role of this collection fixes it on this host.
      type: bool
    fixed_by:
      description: The role that fixes it, when there is one.
      type: str
      sample: fix502.gateway.backend_recovery
    evidence:
      description:
        - Where it was seen, with the keys that apply (file, line, unit, port, socket, address, path,
          rule, log_lines, values).
      type: dict
      sample: {"file": "/etc/nginx/conf.d/app.conf", "line": 12, "port": 8000, "address": "127.0.0.1"}
    doc:
      description: Where the check is documented.
      type: str
error_log_state:
  description:
    - The inode and size of every error log read, by path; give it as O(error_log_since) to a later audit to
      judge only what was logged in between.
  returned: success
  type: dict
  sample: {"/var/log/nginx/error.log": {"inode": 1311234, "size": 52044}}
finding_ids:
  description: The distinct check IDs found, sorted.
  returned: success
  type: list
  elements: str
  sample: [RES001, UPS001]
probes:
  description: The sites nginx serves, as the verify play probes them from the host itself.
  returned: success
  type: list
  elements: dict
  sample: [{"url": "http://127.0.0.1:8080/", "host_header": "www.example.com"}]
report:
  description:
    - The host's report (name, status, message, sites, checks_run, findings, backends) as the fix502
      CLI reads it; C(backends) lists the TCP addresses nginx proxies to (C(address), C(port), and
      C(local) when the address is the host's own), which C(fix502.gateway.cloud_audit) takes the
      backend ports from.
  returned: success
  type: dict
"""
