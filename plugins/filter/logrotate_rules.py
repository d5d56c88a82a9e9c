# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
name: logrotate_rules
short_description: The logrotate rule files that give the logs of an audit's LRT001 findings a rule
version_added: 0.1.0
author: fix502 developers (@fix502)
description:
  - Reads the findings of M(fix502.gateway.audit) and returns, for each set of logs that no logrotate rule
    rotates (finding C(LRT001), auto-fixable), the rule file the role fix502.gateway.logrotate writes.
  - One file per set, C(fix502-SET) in the rule directory; nginx's logs are one set, each backend's another.
  - nginx's logs get a C(postrotate) that sends USR1 to nginx's master (it reopens its logs) and a C(create)
    with the mode and owner the log has now; a backend's logs get C(copytruncate), unless a command that
    makes it reopen its log is given.
  - A C(su) line is added when a log's directory is writable by others or by a group other than root, which
    logrotate refuses otherwise.
  - With no O(stats), the list of the paths to stat is returned instead (C(paths_only)).
options:
  _input:
    description: The C(findings) returned by M(fix502.gateway.audit).
    type: list
    elements: dict
    required: true
  stats:
    description:
      - The C(results) of M(ansible.builtin.stat) looped over the paths this filter names with
        C(paths_only=true).
    type: list
    elements: dict
    default: []
  settings:
    description:
      - The role's settings, C(rule_dir), C(frequency), C(maxsize), C(rotate), C(compress),
        C(delaycompress), C(backend_postrotate) (backend name to command), C(nginx_postrotate).
    type: dict
    default: {}
  paths_only:
    description: Return the logs and their directories to stat, not the rules.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Plan the rules from an audit's findings
  ansible.builtin.set_fact:
    my_rules: "{{ my_findings | fix502.gateway.logrotate_rules(my_stats.results, {'rotate': 30}) }}"
"""

RETURN = r"""
_value:
  description:
    - Each rule as C(name) (the set), C(dest) (the rule file), C(paths) (the logs) and C(content) (the file's
      text); or, with O(paths_only), the paths to stat.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleFilterError

try:
    from fix502.logrotate_rules import paths_to_stat as _paths_to_stat
    from fix502.logrotate_rules import plan as _plan
except ImportError as import_error:
    FIX502_IMPORT_ERROR = import_error
else:
    FIX502_IMPORT_ERROR = None


def logrotate_rules(findings, stats=None, settings=None, paths_only=False):
    if FIX502_IMPORT_ERROR is not None:
        raise AnsibleFilterError(
            "logrotate_rules needs the fix502 Python package on the controller: %s" % FIX502_IMPORT_ERROR
        )
    try:
        if paths_only:
            return _paths_to_stat(list(findings))
        return _plan(list(findings), list(stats or []), dict(settings or {}))
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError("logrotate_rules: %s" % exc) from exc


class FilterModule:
    def filters(self):
        return {"logrotate_rules": logrotate_rules}
