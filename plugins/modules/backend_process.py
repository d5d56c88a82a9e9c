#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backend_process
short_description: Make sure a backend that is not managed by systemd is running and listening
version_added: 0.1.0
description:
  - For backends started by a plain command rather than a systemd unit or a container engine.
  - When something already accepts connections on O(listen), nothing is done.
  - Otherwise the command is started detached from Ansible (its own session, output appended to
    O(log_file)) and the module waits until O(listen) accepts connections.
  - The command is run without a shell.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports that the backend would be started, without starting it.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  name:
    description: Name of the backend, used in messages.
    type: str
    required: true
  listen:
    description:
      - Where the backend accepts connections, C(HOST:PORT), C(PORT) (on 127.0.0.1) or C(unix:/path).
    type: str
    required: true
  command:
    description: The command that starts the backend in the foreground, split like a shell would split it.
    type: str
    required: true
  chdir:
    description: Directory to start the command in.
    type: path
  log_file:
    description: File the backend's standard output and error are appended to. Created when missing.
    type: path
    required: true
  wait_timeout:
    description: Seconds to wait for O(listen) to accept connections after the start.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Bring the app back when it is down
  fix502.gateway.backend_process:
    name: app
    listen: 127.0.0.1:8000
    command: /srv/app/bin/gunicorn --bind 127.0.0.1:8000 app:wsgi
    chdir: /srv/app
    log_file: /var/log/app/fix502-start.log
"""

RETURN = r"""
pid:
  description: Process ID of the started command.
  returned: when the command was started
  type: int
  sample: 4242
listening:
  description:
    - Whether O(listen) accepts connections when the module ends.
    - Always false in check mode when it was down.
  returned: always
  type: bool
"""

import os
import shlex
import socket
import time

from ansible.module_utils.basic import AnsibleModule


def parse_listen(listen):
    if listen.startswith("unix:"):
        return ("unix", listen[len("unix:") :])
    if listen.isdigit():
        return ("tcp", ("127.0.0.1", int(listen)))
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError("listen must be HOST:PORT, PORT or unix:/path, not %r" % listen)
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return ("tcp", (host, int(port)))


def accepts(target):
    kind, where = target
    try:
        if kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(1)
            sock.connect(where)
        else:
            sock = socket.create_connection(where, timeout=1)
    except (OSError, socket.timeout):
        return False
    sock.close()
    return True


def start_detached(argv, chdir, log_file):
    """Start argv in a new session, not a child of this module; returns its pid."""
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:
        try:
            os.close(read_end)
            os.setsid()
            second = os.fork()
            if second:
                os.write(write_end, str(second).encode())
                os._exit(0)
            if chdir:
                os.chdir(chdir)
            devnull = os.open(os.devnull, os.O_RDONLY)
            log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
            os.dup2(devnull, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(write_end)
            os.execvp(argv[0], argv)
        except Exception:  # nothing to report to from here but the log
            os._exit(127)
    os.close(write_end)
    os.waitpid(first, 0)
    data = os.read(read_end, 32)
    os.close(read_end)
    return int(data) if data else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            listen=dict(type="str", required=True),
            command=dict(type="str", required=True),
            chdir=dict(type="path"),
            log_file=dict(type="path", required=True),
            wait_timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        target = parse_listen(params["listen"])
    except ValueError as exc:
        module.fail_json(msg="%s: %s" % (params["name"], exc))
    if accepts(target):
        module.exit_json(changed=False, listening=True)
    if module.check_mode:
        module.exit_json(changed=True, listening=False, msg="%s would be started" % params["name"])
    argv = shlex.split(params["command"])
    if not argv:
        module.fail_json(msg="%s: command is empty" % params["name"])
    if params["chdir"] and not os.path.isdir(params["chdir"]):
        module.fail_json(msg="%s: chdir %s is not a directory" % (params["name"], params["chdir"]))
    log_dir = os.path.dirname(params["log_file"])
    if log_dir and not os.path.isdir(log_dir):
        os.makedirs(log_dir, 0o750)
    pid = start_detached(argv, params["chdir"], params["log_file"])
    deadline = time.time() + max(params["wait_timeout"], 0)
    while True:
        if accepts(target):
            module.exit_json(changed=True, listening=True, pid=pid)
        if time.time() >= deadline:
            break
        time.sleep(0.2)
    module.fail_json(
        changed=True,
        listening=False,
        pid=pid,
        msg="%s was started (pid %s) but %s did not accept connections within %d s; see %s"
        % (params["name"], pid, params["listen"], params["wait_timeout"], params["log_file"]),
    )


if __name__ == "__main__":
    main()
