# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for fix502.gateway.audit: collect on the host, judge on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.fix502.gateway.plugins.module_utils._collect_spec import (
    COLLECT_ARGUMENT_SPEC,
    action_spec,
)

try:
    from fix502.plugin_api import audit_host
except ImportError as import_error:  # the Python package is a controller requirement
    FIX502_IMPORT_ERROR: ImportError | None = import_error
else:
    FIX502_IMPORT_ERROR = None

ARGUMENT_SPEC = {
    "checks": {"type": "list", "elements": "str", "default": []},
    "lang": {"type": "str", "default": "en", "choices": ["en", "zh"]},
    "thresholds": {"type": "dict", "default": {}},
}
ARGUMENT_SPEC.update(action_spec())


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if FIX502_IMPORT_ERROR is not None:
            raise AnsibleActionFail(
                "fix502.gateway.audit needs the fix502 Python package on the controller "
                "(pip install fix502): %s" % FIX502_IMPORT_ERROR
            )
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        collect_args = dict((k, args[k]) for k in COLLECT_ARGUMENT_SPEC if args.get(k) is not None)
        collected = self._execute_module(
            module_name="fix502.gateway.collect", module_args=collect_args, task_vars=task_vars
        )
        if collected.get("failed"):
            collected["msg"] = "collecting evidence failed: %s" % collected.get("msg", "no message")
            return collected
        host = (task_vars or {}).get("inventory_hostname", "localhost")
        try:
            judged = audit_host(
                host,
                collected["collected"],
                checks=args["checks"],
                lang=args["lang"],
                thresholds=args["thresholds"],
            )
        except ValueError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        report = judged["report"]
        findings = report["findings"]
        result.update(
            changed=False,
            report=report,
            probes=judged["probes"],
            findings=findings,
            finding_ids=sorted(set(f["id"] for f in findings)),
            error_log_state=dict(
                (log["path"], {"inode": log["inode"], "size": log["size"]})
                for log in collected["collected"].get("error_logs", [])
            ),
            msg="%d finding(s) on %s" % (len(findings), host),
        )
        return result
