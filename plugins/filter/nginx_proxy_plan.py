# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: nginx_proxy_plan
short_description: The files the role nginx_proxy writes or edits to fix the proxy findings of an audit
version_added: 0.1.0
author: fix502 developers (@fix502)
description:
  - Reads the output of C(nginx -T) and the findings of M(fix502.gateway.audit) and returns what to
    change so that the auto-fixable findings owned by the role fix502.gateway.nginx_proxy are fixed,
    the least that really takes effect.
  - A managed snippet at http level holds the settings that nothing at http level sets already;
    it is included from the http block when no include there loads it.
  - A value that is too low where a server or location sets it is changed in place; a block with
    proxy_set_header lines of its own gets an include of a small snippet that clears the
    Connection header.
  - Fails when the output holds no configuration.
options:
  _input:
    description: The standard output of C(nginx -T).
    type: str
    required: true
  findings:
    description: The C(findings) returned by M(fix502.gateway.audit).
    type: list
    elements: dict
    required: true
  settings:
    description:
      - The role's settings, C(snippet_path), C(location_snippet_path), C(http_version),
        C(clear_connection_header), C(connect_timeout), C(read_timeout), C(fastcgi_read_timeout),
        C(buffer_size), C(buffers), C(fastcgi_buffer_size), C(fastcgi_buffers), C(next_upstream),
        C(next_upstream_tries). An empty value leaves that setting alone.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan the tuning from nginx -T (registered as my_dump) and an audit's findings
  ansible.builtin.set_fact:
    my_plan: "{{ my_dump.stdout | fix502.gateway.nginx_proxy_plan(my_findings, {'read_timeout': '60s'}) }}"
"""

RETURN = r"""
_value:
  description:
    - C(files), each a dict with C(path) and either C(content) (a managed snippet) or C(edits)
      (for M(fix502.gateway.nginx_edit)); C(main_file), C(snippet_path), C(location_snippet_path);
      C(notes), what was left alone and why.
  type: dict
"""

from ansible.errors import AnsibleFilterError

try:
    from fix502.proxy_tuning import plan as _plan
except ImportError as import_error:
    FIX502_IMPORT_ERROR = import_error
else:
    FIX502_IMPORT_ERROR = None


def nginx_proxy_plan(dump, findings, settings):
    if FIX502_IMPORT_ERROR is not None:
        raise AnsibleFilterError(
            "nginx_proxy_plan needs the fix502 Python package on the controller: %s" % FIX502_IMPORT_ERROR
        )
    try:
        return _plan(str(dump), list(findings), dict(settings))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"nginx_proxy_plan": nginx_proxy_plan}
