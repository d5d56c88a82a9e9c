#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: disk_relief
short_description: Free space on full filesystems by compressing logs, never by deleting them
version_added: 0.1.0
description:
  - Works only on the filesystems named by O(filesystems), typically those the audit found almost
    full (findings C(RES001) and C(RES002) of M(fix502.gateway.audit)).
  - Rotated logs that are still uncompressed (C(NAME.1), C(NAME.log.2), C(NAME-YYYYMMDD)) in
    O(log_dirs), or next to O(log_files), are gzipped in place (C(NAME.1.gz)); the original is
    removed only once its compressed copy is complete and on disk. A rotated log still open by a
    process is left alone (removing it would free nothing while the process writes to it).
  - An active log (a name matching O(log_patterns), or one of O(log_files)) bigger than
    O(max_log_size) is copied into C(NAME.1.gz) and then truncated, the way logrotate's
    C(copytruncate) does; rotated files C(NAME.N) and C(NAME.N.gz) already there move up by one, so
    C(.1) stays the newest. What the writer appends while the copy is made is caught up in further
    gzip members before the file is truncated.
  - When the filesystem has no room for the compressed copy, it is streamed into a private
    directory on another filesystem (the first of O(staging_dirs) with room), the original is then
    removed or truncated, and the copy, smaller than what it replaces, is moved back.
  - The systemd journal in O(journal_dirs) is vacuumed to O(journal_max_size)
    (C(journalctl --vacuum-size)) when it uses more; only archived journal files are removed.
  - Files older than O(temp_min_age) are removed from O(temp_dirs), and from nowhere else. No other
    file is ever removed.
  - Every action reports the bytes it freed, and every filesystem the bytes freed on it.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports every action it would take and about how many bytes each would free (the compressed
        sizes are estimated from samples of the files), without writing anything.
  diff_mode:
    support: full
    details: The files that change, with their sizes, before and after.
  platform:
    platforms: posix
options:
  filesystems:
    description:
      - Paths on the filesystems to relieve (their mount points, usually). Nothing on any other
        filesystem is touched.
    type: list
    elements: path
    required: true
  log_dirs:
    description:
      - Directories searched, with their subdirectories, for logs to compress or rotate.
      - Directories that do not exist are ignored.
    type: list
    elements: path
    default: [/var/log]
  log_files:
    description:
      - Active logs to rotate when too big whatever their names, such as a backend's own log
        (C(log_file) of C(fix502_backend_services)); their rotated siblings are compressed too.
    type: list
    elements: path
    default: []
  log_patterns:
    description: Shell patterns of the names of active logs in O(log_dirs).
    type: list
    elements: str
    default: ["*.log", "*_log", syslog, messages]
  max_log_size:
    description:
      - An active log bigger than this is rotated into a gzip and truncated (C(50M), C(1G), bytes).
    type: str
    default: 50M
  compress_level:
    description: The gzip compression level, 1 (fastest) to 9 (smallest).
    type: int
    default: 6
  vacuum_journal:
    description: Whether to vacuum the systemd journal on the filesystems.
    type: bool
    default: true
  journal_max_size:
    description: The size the journal is vacuumed down to (C(journalctl --vacuum-size)).
    type: str
    default: 64M
  journal_dirs:
    description: Where the journal lives; those on the filesystems are vacuumed.
    type: list
    elements: path
    default: [/var/log/journal, /run/log/journal]
  temp_dirs:
    description:
      - Directories whose files older than O(temp_min_age) are removed (regular files only, on the same
        filesystem, not open by any process, with a single link). Directories are kept.
      - Top-level system directories such as C(/), C(/var), C(/var/log) or C(/etc) are refused.
    type: list
    elements: path
    default: []
  temp_min_age:
    description:
      - How old a file in O(temp_dirs) must be to be removed, by its newest of modification and access
        time (C(7d), C(12h), C(30m), C(45s), or seconds).
    type: str
    default: 7d
  staging_dirs:
    description:
      - Where a compressed copy is made when its own filesystem is too full for it; the first one on
        another filesystem with room is used (in a private subdirectory removed afterwards).
    type: list
    elements: path
    default: [/var/tmp, /tmp]
notes:
  - Truncating an active log after copying it is what logrotate's C(copytruncate) does; a writer that
    does not open its log with O_APPEND keeps writing at its old offset and leaves a sparse file.
seealso:
  - module: fix502.gateway.audit
"""

EXAMPLES = r"""
- name: Free space on the log partition the audit found full
  fix502.gateway.disk_relief:
    filesystems: [/var/log]
    log_files: [/var/log/shop/images.log]
    temp_dirs: [/var/lib/php/sessions]
    temp_min_age: 2d
  register: relief

- name: Show what was freed
  ansible.builtin.debug:
    msg: "{{ relief.summary }}"
"""

RETURN = r"""
freed_bytes:
  description: Bytes freed on all the filesystems (in check mode, about how many would be).
  returned: always
  type: int
  sample: 196083712
filesystems:
  description: Each filesystem relieved, with its space before and after.
  returned: always
  type: list
  elements: dict
  contains:
    mount:
      description: Its mount point.
      type: str
    size_bytes:
      description: Its size.
      type: int
    avail_before_bytes:
      description: Bytes available before the module ran.
      type: int
    avail_after_bytes:
      description: Bytes available afterwards (in check mode, the estimate).
      type: int
    used_percent_before:
      description: How full it was, as df(1) computes it.
      type: float
    used_percent_after:
      description: How full it is afterwards (in check mode, the estimate).
      type: float
    freed_bytes:
      description: The bytes the actions on it freed.
      type: int
actions:
  description: What was done (in check mode, what would be done), one entry per file or directory.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description:
        - V(compress) (a rotated log gzipped in place), V(rotate) (an active log copied into a gzip and
          truncated), V(vacuum_journal) or V(clean_temp).
      type: str
    path:
      description: The log, journal directory or temp directory.
      type: str
    mount:
      description: The mount point of its filesystem.
      type: str
    dest:
      description: The gzip written, or null.
      type: str
    size_bytes:
      description: Bytes of log compressed, of journal before the vacuum, or of temp files removed.
      type: int
    compressed_bytes:
      description: Size of the gzip (in check mode, the estimate), or null.
      type: int
    freed_bytes:
      description: Bytes freed on the filesystem by this action (in check mode, the estimate).
      type: int
    staged_in:
      description:
        - The directory on another filesystem the gzip was made in first, when its own filesystem had
          no room for it; else null.
      type: str
    renamed:
      description: Older rotated files moved up by one number, as C([old, new]) pairs.
      type: list
      elements: list
    estimated:
      description: Whether the numbers are estimates (check mode).
      type: bool
    files_removed:
      description: For V(clean_temp), how many files were removed.
      type: int
      returned: for clean_temp
    removed:
      description: For V(clean_temp), the files removed (at most 200 of them).
      type: list
      elements: str
      returned: for clean_temp
skipped:
  description: Files that would have been acted on but were left alone, each with the reason.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file or directory.
      type: str
    reason:
      description: Why it was left alone.
      type: str
summary:
  description: One line per filesystem and per action, with the bytes freed, for people.
  returned: always
  type: list
  elements: str
  sample:
    - "/var/log: freed 187.0 MiB (196083712 bytes)"
    - "compress /var/log/app/app.log.1 -> /var/log/app/app.log.1.gz: freed 98.2 MiB (102970368 bytes)"
errors:
  description: Actions that failed; the module fails when there is any. No log content is lost by a failure.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.fix502.gateway.plugins.module_utils._disk_relief import (
    Relief,
    ReliefError,
    parse_age,
)

ARGUMENT_SPEC = dict(
    filesystems=dict(type="list", elements="path", required=True),
    log_dirs=dict(type="list", elements="path", default=["/var/log"]),
    log_files=dict(type="list", elements="path", default=[]),
    log_patterns=dict(type="list", elements="str", default=["*.log", "*_log", "syslog", "messages"]),
    max_log_size=dict(type="str", default="50M"),
    compress_level=dict(type="int", default=6),
    vacuum_journal=dict(type="bool", default=True),
    journal_max_size=dict(type="str", default="64M"),
    journal_dirs=dict(type="list", elements="path", default=["/var/log/journal", "/run/log/journal"]),
    temp_dirs=dict(type="list", elements="path", default=[]),
    temp_min_age=dict(type="str", default="7d"),
    staging_dirs=dict(type="list", elements="path", default=["/var/tmp", "/tmp"]),
)


def _size(module, key):
    try:
        return int(human_to_bytes(module.params[key]))
    except ValueError as exc:
        module.fail_json(msg="%s %r: %s" % (key, module.params[key], to_native(exc)))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)
    params["max_log_size"] = _size(module, "max_log_size")
    params["journal_max_size"] = _size(module, "journal_max_size")
    if not 1 <= params["compress_level"] <= 9:
        module.fail_json(msg="compress_level %d: must be from 1 to 9" % params["compress_level"])
    try:
        params["temp_min_age"] = parse_age(params["temp_min_age"])
        relief = Relief(params, module.check_mode, journalctl=module.get_bin_path("journalctl"))
        result = relief.run()
    except ReliefError as exc:
        module.fail_json(msg=to_native(exc))
    if module._diff and result["changed"]:
        result["diff"] = dict(
            before="\n".join(relief.diff_before) + "\n",
            after="\n".join(relief.diff_after) + "\n",
            before_header="disk_relief: before",
            after_header="disk_relief: after",
        )
    result["msg"] = "; ".join(result["summary"][: len(result["filesystems"])]) or "no filesystem to relieve"
    if result["errors"]:
        result["msg"] = "; ".join(result["errors"])
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
