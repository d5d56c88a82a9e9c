# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether systemd runs the host, and the properties of declared units; private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.fix502.gateway.plugins.module_utils._bounded import (
    c_locale_env,
    describe_failure,
    run_bounded,
)

UNIT_PROPERTIES = (
    "Id",
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "Restart",
    "RestartUSec",
    "NRestarts",
    "Result",
    "ExecMainStatus",
    "MainPID",
    "LimitNOFILE",
)
_FALLBACK_SYSTEMCTL = ("/usr/bin/systemctl", "/bin/systemctl")


def systemd_running():
    """True when systemd is the init system (the test sd_booted() does)."""
    return os.path.exists("/run/systemd/system")


def find_tool(name, fallbacks=()):
    found = shutil.which(name)
    if found:
        return found
    for path in fallbacks:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def parse_show_output(text):
    """Split `systemctl show` output for several units into one {Prop: value} dict per unit, in order."""
    blocks = []
    current = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def unit_properties(units, timeout):
    """Properties of each unit with one `systemctl show` call.

    Returns ({unit: {Prop: value}}, problems). Units are matched to the output blocks by
    position (systemctl prints them in argument order), which also holds for aliases whose Id
    differs from the name asked for.
    """
    problems = []
    wanted = []
    for unit in units:
        if unit and unit not in wanted:
            wanted.append(unit)
    if not wanted:
        return {}, problems
    if not systemd_running():
        problems.append(
            {
                "source": "systemctl show",
                "message": "systemd is not running on this host; properties of %s not collected"
                % ", ".join(wanted),
            }
        )
        return {}, problems
    systemctl = find_tool("systemctl", _FALLBACK_SYSTEMCTL)
    if systemctl is None:
        problems.append({"source": "systemctl show", "message": "systemctl not found"})
        return {}, problems
    argv = [systemctl, "show", "--no-pager", "-p", ",".join(UNIT_PROPERTIES), "--", *wanted]
    try:
        run = run_bounded(argv, timeout, 1 << 20, env=c_locale_env())
    except OSError as exc:
        problems.append({"source": "systemctl show", "message": "cannot run: %s" % (exc.strerror or exc)})
        return {}, problems
    failure = describe_failure(run, timeout)
    if failure:
        problems.append({"source": "systemctl show", "message": failure})
        if run.timed_out:
            return {}, problems
    blocks = parse_show_output(run.stdout)
    result = {}
    if len(blocks) == len(wanted):
        result = dict(zip(wanted, blocks))  # noqa: B905 (zip(strict=) needs Python 3.10; lengths are equal)
    else:
        by_id = dict((block.get("Id"), block) for block in blocks)
        for unit in wanted:
            name = unit if "." in unit else unit + ".service"
            if name in by_id:
                result[unit] = by_id[name]
    return result, problems
