# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fix502.gateway.cloud_audit: the security groups the inventory names (controller side)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    from fix502.cloud.inventory import VARIABLES
    from fix502.errors import Fix502Error
    from fix502.plugin_api import audit_cloud
except ImportError as import_error:  # the Python package is a controller requirement
    FIX502_IMPORT_ERROR: ImportError | None = import_error
else:
    FIX502_IMPORT_ERROR = None

ARGUMENT_SPEC = {
    "config": {"type": "str", "default": ""},
    "hosts": {"type": "list", "elements": "str", "default": []},
    "host_reports": {"type": "list", "elements": "dict", "default": []},
    "backend_ports": {"type": "list", "elements": "int", "default": []},
    "checks": {"type": "list", "elements": "str", "default": []},
    "lang": {"type": "str", "default": "en", "choices": ["en", "zh"]},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if FIX502_IMPORT_ERROR is not None:
            raise AnsibleActionFail(
                "fix502.gateway.cloud_audit needs the fix502 Python package on the controller "
                "(pip install 'fix502[aws]', [aliyun] or [tencent]): %s" % FIX502_IMPORT_ERROR
            )
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        task_vars = task_vars or {}
        hostvars = task_vars.get("hostvars", {})
        names = args["hosts"] or list(task_vars.get("groups", {}).get("all", []))
        variables = {}
        for name in names:
            if name not in hostvars:
                raise AnsibleActionFail("hosts: %s is not a host of the inventory" % name)
            host = hostvars[name]
            variables[name] = dict((key, host[key]) for key in VARIABLES if key in host)
        try:
            audited = audit_cloud(
                variables,
                config=args["config"],
                config_dirs=[task_vars["inventory_dir"]] if task_vars.get("inventory_dir") else [],
                host_reports=args["host_reports"],
                backend_ports=args["backend_ports"],
                checks=args["checks"],
                lang=args["lang"],
            )
        except (Fix502Error, ValueError) as exc:
            raise AnsibleActionFail(str(exc)) from None
        if audited is None:
            result.update(
                changed=False,
                skipped=True,
                msg="no cloud configured: no host sets fix502_cloud_* variables, and no configuration file",
            )
            return result
        findings = audited["findings"]
        result.update(changed=False, msg="%d cloud finding(s)" % len(findings), **audited)
        if audited["failed"]:
            result.update(failed=True, msg="the cloud audit failed: %s" % "; ".join(audited["failed"]))
        return result
