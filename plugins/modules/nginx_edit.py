#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: nginx_edit
short_description: Change single statements of an nginx configuration file, or write a managed snippet
version_added: 0.1.0
description:
  - With O(edits), changes only the statements they name, each addressed by the line it starts on
    and its directive name; every other byte of the file is kept. Fails, changing nothing, when a
    named directive is not where the edit says (the file changed since it was read).
  - With O(content), the file holds exactly that text (for snippets this collection manages).
  - Idempotent; the old file is copied to O(backup_dir) before it is replaced, and the file is
    replaced in one step (a temporary file renamed over it), keeping its owner and mode.
  - Does not validate the result; run C(nginx -t) afterwards, as the role
    fix502.gateway.nginx_proxy does, and put the backup back when it fails.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  path:
    description: The file to change or write.
    type: path
    required: true
  edits:
    description:
      - The statements to change. Each is located in the file as it is before any of them is
        applied, so line numbers need no adjusting.
    type: list
    elements: dict
    suboptions:
      line:
        description: The line the directive starts on (1-based).
        type: int
        required: true
      directive:
        description: The directive's name, which must start a statement on O(edits[].line).
        type: str
        required: true
      action:
        description:
          - V(set) replaces the directive's arguments with O(edits[].value).
          - V(append_after) puts the statement O(edits[].value) right after the directive.
          - V(insert_in_block) puts the statement O(edits[].value) first inside the block the
            directive opens.
        type: str
        choices: [set, append_after, insert_in_block]
        default: set
      value:
        description: The new arguments (V(set)), or the whole statement to add, with its C(;).
        type: str
        required: true
  content:
    description: The whole text of the file. Parent directories are created when missing.
    type: str
  mode:
    description: Mode of a file created with O(content).
    type: str
    default: "0644"
  backup_dir:
    description:
      - Where the file is copied before it is changed, under its own absolute path with a
        timestamp appended. Never next to the file, where an nginx C(include) glob could load it.
      - No backup when empty.
    type: path
    default: ""
"""

EXAMPLES = r"""
- name: Raise a proxy_read_timeout that is too short, where it is set
  fix502.gateway.nginx_edit:
    path: /etc/nginx/sites-enabled/shop.conf
    edits:
      - line: 23
        directive: proxy_read_timeout
        value: 60s
    backup_dir: /var/backups/fix502/nginx

- name: Write the managed snippet
  fix502.gateway.nginx_edit:
    path: /etc/nginx/conf.d/fix502-proxy-tuning.conf
    content: |
      proxy_http_version 1.1;
"""

RETURN = r"""
backup_file:
  description: The copy of the file as it was before the change.
  returned: when the file existed and was changed, outside check mode, with O(backup_dir)
  type: str
  sample: /var/backups/fix502/nginx/etc/nginx/sites-enabled/shop.conf.20250101T120000.123456
created:
  description: Whether the file did not exist before (with O(content)).
  returned: always
  type: bool
edits_applied:
  description: How many of O(edits) changed the file (the others were already in place).
  returned: always
  type: int
"""

import datetime
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fix502.gateway.plugins.module_utils._nginx_edit import (
    ACTIONS,
    EditError,
    apply_edits,
)


def _read(path):
    try:
        with open(path, "r", encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _backup(path, backup_dir):
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S.%f")
    target = os.path.join(backup_dir, path.lstrip("/")) + "." + stamp
    os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
    shutil.copy2(path, target)
    return target


def _write(path, text, mode):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fix502-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if os.path.exists(path):
            stat = os.stat(path)
            os.chmod(tmp, stat.st_mode & 0o7777)
            os.chown(tmp, stat.st_uid, stat.st_gid)
        else:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            edits=dict(
                type="list",
                elements="dict",
                options=dict(
                    line=dict(type="int", required=True),
                    directive=dict(type="str", required=True),
                    action=dict(type="str", choices=list(ACTIONS), default="set"),
                    value=dict(type="str", required=True),
                ),
            ),
            content=dict(type="str"),
            mode=dict(type="str", default="0644"),
            backup_dir=dict(type="path", default=""),
        ),
        mutually_exclusive=[("edits", "content")],
        required_one_of=[("edits", "content")],
        supports_check_mode=True,
    )
    path = module.params["path"]
    before = _read(path)
    result = dict(changed=False, path=path, created=before is None, edits_applied=0)
    if module.params["content"] is not None:
        after = module.params["content"]
    else:
        if before is None:
            module.fail_json(msg="%s does not exist" % path, **result)
        try:
            after, result["edits_applied"] = apply_edits(before, module.params["edits"])
        except EditError as exc:
            module.fail_json(msg="%s: %s" % (path, to_native(exc)), **result)
    if after == before:
        result["created"] = False
        module.exit_json(**result)
    result["changed"] = True
    if module._diff:
        result["diff"] = dict(
            before=before or "",
            after=after,
            before_header=path if before is not None else "/dev/null",
            after_header=path,
        )
    if module.check_mode:
        module.exit_json(**result)
    try:
        if before is not None and module.params["backup_dir"]:
            result["backup_file"] = _backup(path, module.params["backup_dir"])
        _write(path, after, int(module.params["mode"], 8))
    except (OSError, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (path, to_native(exc)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
