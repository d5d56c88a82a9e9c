# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: start_order
short_description: Backend services to start, dependencies first
version_added: 0.1.0
author: fix502 developers (@fix502)
description:
  - Given the declared backend services and the names of those to start, returns those services
    and every service they depend on (C(depends_on)), each once, dependencies before dependants.
  - Fails naming the service when a name is not declared or when dependencies form a cycle.
options:
  _input:
    description:
      - The declared services (C(fix502_backend_services)), each a dict with C(name) and optional
        C(depends_on).
    type: list
    elements: dict
    required: true
  names:
    description: Names of the services to start.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Start order for the app and what it needs
  ansible.builtin.debug:
    msg: "{{ fix502_backend_services | fix502.gateway.start_order(['app']) | map(attribute='name') }}"
  # with app depending on db: ['db', 'app']
"""

RETURN = r"""
_value:
  description: The services to start, in order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

try:
    from fix502.plugin_api import start_order as _start_order
except ImportError as import_error:
    FIX502_IMPORT_ERROR = import_error
else:
    FIX502_IMPORT_ERROR = None


def start_order(services, names):
    if FIX502_IMPORT_ERROR is not None:
        raise AnsibleFilterError(
            "start_order needs the fix502 Python package on the controller: %s" % FIX502_IMPORT_ERROR
        )
    try:
        return _start_order(list(services), list(names))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"start_order": start_order}
