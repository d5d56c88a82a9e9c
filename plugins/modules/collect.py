#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: collect
short_description: Gather the evidence needed to find the causes of HTTP 502 on an nginx host
version_added: 0.1.0
author: fix502 developers (@fix502)
description:
  - Reads, in one round trip and without changing anything, what the fix502 controller needs to judge
    why nginx answers 502 Bad Gateway on this host.
  - "It gathers: the nginx binary, version and configure arguments, the running master and the full
    configuration as C(nginx -T) prints it; the listening TCP and unix sockets with the process and
    systemd unit that own them; the mounted filesystems with their space and inode use; memory and swap;
    out-of-memory kills in the kernel log; the tails of nginx's error logs and of php-fpm's logs; the host's
    own addresses; and the systemd properties of the declared backend services."
  - The module only reads. It is bounded in time and size, every command has a time limit
    (O(command_timeout)) and an output cap, and each C(statvfs) runs in a thread with a time limit so a
    hung network filesystem cannot hang the module.
  - A missing tool (no nginx, no systemd, no C(journalctl) or C(dmesg)) or missing privileges never make
    the module fail; each such gap is reported as an entry of RV(collected.problems).
  - The module fails only when its options are invalid.
  - Judging the evidence is the controller's job; this module returns raw facts.
options:
  nginx_binary:
    description:
      - Path of the nginx binary.
      - When not set, the executable of the running nginx master is used, then C(nginx) on E(PATH), then
        C(/usr/sbin/nginx) and C(/usr/local/nginx/sbin/nginx).
    type: path
  nginx_config:
    description:
      - Main nginx configuration file, passed to C(nginx -T) as C(-c).
      - When not set, the C(-c) of the running master is used, else the file compiled into nginx
        (C(--conf-path)).
    type: path
  nginx_prefix:
    description:
      - nginx prefix path, passed to C(nginx -T) as C(-p).
      - When not set, the C(-p) of the running master is used, else the prefix compiled into nginx.
    type: path
  backend_services:
    description:
      - The services nginx proxies to, as declared in the inventory.
      - They are returned in RV(collected.backend_services); for those managed by systemd, with the
        properties of their unit, all read with a single C(systemctl show) call.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name of the service.
        type: str
        required: true
      listen:
        description:
          - Where the service listens, C(HOST:PORT), C(PORT) or C(unix:/path).
          - An IPv6 host is written in brackets, as in C([::1]:8080).
        type: str
        required: true
      manager:
        description:
          - What keeps the service running.
        type: str
        choices: [systemd, command]
        default: systemd
      unit:
        description:
          - The systemd unit of the service.
          - Defaults to O(backend_services[].name) followed by C(.service) when
            O(backend_services[].manager=systemd).
        type: str
      start_command:
        description:
          - Command that starts the service when O(backend_services[].manager=command).
          - Not used by this module; it is echoed back for the fix role.
        type: str
      chdir:
        description:
          - Working directory of O(backend_services[].start_command). Echoed back, not used here.
        type: path
      log_file:
        description:
          - Where the output of O(backend_services[].start_command) goes. Echoed back, not used here.
        type: path
      depends_on:
        description:
          - Names of other backend services this one needs. Echoed back, not used here.
        type: list
        elements: str
        default: []
  command_timeout:
    description:
      - Time limit in seconds of every command the module runs (C(nginx -V), C(nginx -T), C(systemctl),
        C(journalctl), C(dmesg)).
      - Also the shared time limit of the C(statvfs) calls and of matching sockets to processes.
      - Must be greater than 0.
    type: int
    default: 10
  max_dump_bytes:
    description:
      - Most bytes of C(nginx -T) output kept; a longer dump is cut and RV(collected.nginx.dump_truncated)
        is true.
      - Must be greater than 0.
    type: int
    default: 4194304
  kernel_log_lines:
    description:
      - How many of the latest kernel log lines are searched for out-of-memory kills.
      - Must be greater than 0.
    type: int
    default: 5000
  error_log_max_bytes:
    description:
      - Most bytes read from the end of each error log (nginx's and php-fpm's); the tail starts at a line
        boundary.
      - Must be greater than 0.
    type: int
    default: 1048576
  error_log_max_files:
    description:
      - Most error logs read; the others are named in RV(collected.problems).
      - Must be greater than 0.
    type: int
    default: 10
  error_log_since:
    description:
      - What was read last time, by path, as RV(collected.error_logs) returned it, C({inode, size}).
      - For a log with the same inode and a size not smaller, only what was appended since is read; a
        rotated or truncated log is read from its end as usual.
    type: dict
    default: {}
  php_fpm_logs:
    description:
      - php-fpm logs to read, as paths or glob patterns; their C(server reached pm.max_children) warnings
        tell of a pool that is too small.
    type: list
    elements: path
    default: [/var/log/php*-fpm.log]
attributes:
  check_mode:
    description:
      - Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module never changes anything; it runs the same way in check mode.
  diff_mode:
    description:
      - Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description:
      - Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - Linux only in practice, it reads C(/proc).
  - Run it as root (C(become=true)) for complete results; as another user, sockets of other users'
    processes have no owner, and C(nginx -T) and the kernel log may not be readable. Each gap is reported
    in RV(collected.problems).
  - Commands run with the C locale so that their messages can be parsed.
seealso:
  - name: nginx command-line parameters
    description: The C(-T), C(-V), C(-c) and C(-p) switches.
    link: https://nginx.org/en/docs/switches.html
"""

EXAMPLES = r"""
- name: Gather 502 evidence with the defaults
  fix502.gateway.collect:
  become: true
  register: evidence

- name: Gather evidence for an nginx with its own config and prefix, and two backends
  fix502.gateway.collect:
    nginx_config: /srv/shop/nginx/nginx.conf
    nginx_prefix: /srv/shop/nginx/
    backend_services:
      - name: shop-api
        listen: 127.0.0.1:8080
      - name: shop-images
        listen: unix:/run/shop/images.sock
        manager: command
        start_command: /srv/shop/bin/images --socket /run/shop/images.sock
        chdir: /srv/shop
        log_file: /var/log/shop/images.log
        depends_on: [shop-api]
    command_timeout: 20
  become: true
  register: evidence

- name: Show the processes listening on TCP
  ansible.builtin.debug:
    msg: "{{ evidence.collected.listeners.tcp | map(attribute='port') | list }}"
"""

RETURN = r"""
collected:
  description: Everything gathered on the host, in one versioned structure.
  returned: always
  type: dict
  contains:
    schema:
      description: Version of this structure.
      returned: always
      type: int
      sample: 1
    hostname:
      description: The host's name, as C(socket.gethostname()) tells it.
      returned: always
      type: str
      sample: web1
    addresses:
      description:
        - The host's own IP addresses, IPv4 ones (local C(/32) entries of C(/proc/net/fib_trie)) first, then
          IPv6 ones (C(/proc/net/if_inet6)).
      returned: always
      type: list
      elements: str
      sample: ["127.0.0.1", "10.0.0.5", "::1"]
    duration_ms:
      description: How long the module took, in milliseconds.
      returned: always
      type: int
      sample: 412
    problems:
      description:
        - What could not be gathered and why. An empty list means everything was read.
        - Each entry has a C(source) (the command or file) and a one-line C(message).
      returned: always
      type: list
      elements: dict
      sample: [{"source": "nginx -T", "message": "timed out after 10 s"}]
      contains:
        source:
          description: The command, file or part that had the problem.
          returned: always
          type: str
          sample: nginx -T
        message:
          description: What went wrong, in one line.
          returned: always
          type: str
          sample: timed out after 10 s
    nginx:
      description: The nginx installation and its configuration.
      returned: always
      type: dict
      contains:
        binary:
          description: Path of the nginx binary that was run; null when none was found.
          returned: always
          type: str
          sample: /usr/sbin/nginx
        version:
          description: nginx version from C(nginx -V); null when unknown.
          returned: always
          type: str
          sample: 1.22.1
        configure_arguments:
          description: The C(configure arguments) line of C(nginx -V); null when unknown.
          returned: always
          type: str
          sample: --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --with-threads
        config_file:
          description:
            - The main configuration file, the C(-c) used or the compiled C(--conf-path); null when unknown.
          returned: always
          type: str
          sample: /etc/nginx/nginx.conf
        prefix:
          description: The prefix, the C(-p) used or the compiled C(--prefix); null when unknown.
          returned: always
          type: str
          sample: /usr/share/nginx
        master_pid:
          description: Process id of the running nginx master; null when none runs.
          returned: always
          type: int
          sample: 812
        running:
          description: Whether an nginx master process runs.
          returned: always
          type: bool
          sample: true
        dump:
          description:
            - Standard output of C(nginx -T), every configuration file preceded by its path.
            - Empty when nginx is absent.
          returned: always
          type: str
          sample: "# configuration file /etc/nginx/nginx.conf:\nevents {}\n"
        dump_truncated:
          description: Whether RV(collected.nginx.dump) was cut at O(max_dump_bytes) or by the time limit.
          returned: always
          type: bool
          sample: false
        test_ok:
          description:
            - Whether C(nginx -T) exited with status 0; null when nginx is absent or the test timed out.
          returned: always
          type: bool
          sample: true
        test_messages:
          description:
            - The lines C(nginx -T) wrote on standard error (warnings, C(syntax is ok), emerg messages).
            - At most 50, the first 25 and the last 25 when there were more.
          returned: always
          type: list
          elements: str
          sample:
            - "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok"
            - "nginx: configuration file /etc/nginx/nginx.conf test is successful"
    listeners:
      description: The listening sockets and their owners.
      returned: always
      type: dict
      contains:
        tcp:
          description:
            - Listening TCP sockets, IPv4 and IPv6, one per address, port and family.
            - Each has C(address) (C(0.0.0.0) and C(::) as they are, IPv4-mapped IPv6 as C(::ffff:a.b.c.d)),
              C(port), C(family) (4 or 6), and C(pid), C(process) and C(unit) of the owner, null when unknown.
          returned: always
          type: list
          elements: dict
          sample:
            - {"address": "127.0.0.1", "port": 8080, "family": 4, "pid": 901, "process": "gunicorn",
               "unit": "shop-api.service"}
        unix:
          description:
            - Listening unix sockets that have a name (abstract ones start with C(@)).
            - Each has C(path), and C(pid), C(process) and C(unit) of the owner, null when unknown.
          returned: always
          type: list
          elements: dict
          sample:
            - {"path": "/run/php/php8.2-fpm.sock", "pid": 700, "process": "php-fpm8.2",
               "unit": "php8.2-fpm.service"}
    filesystems:
      description:
        - Mounted filesystems without the pseudo ones (tmpfs and overlay are kept), one per mount point.
        - Each has C(mount), C(device), C(fstype), C(size_bytes), C(avail_bytes), C(used_percent) (as C(df)
          computes it, one decimal), C(inodes_total), C(inodes_free) and C(inodes_used_percent) (null when the
          filesystem has no inode count).
      returned: always
      type: list
      elements: dict
      sample:
        - {"mount": "/", "device": "/dev/sda1", "fstype": "ext4", "size_bytes": 52589998080,
           "avail_bytes": 20480000000, "used_percent": 59.2, "inodes_total": 3276800, "inodes_free": 2900000,
           "inodes_used_percent": 11.5}
    memory:
      description: From C(/proc/meminfo), in kB; 0 when a value cannot be read.
      returned: always
      type: dict
      sample: {"total_kb": 2030000, "available_kb": 1200000, "swap_total_kb": 0, "swap_free_kb": 0}
      contains:
        total_kb:
          description: MemTotal.
          returned: always
          type: int
        available_kb:
          description: MemAvailable.
          returned: always
          type: int
        swap_total_kb:
          description: SwapTotal.
          returned: always
          type: int
        swap_free_kb:
          description: SwapFree.
          returned: always
          type: int
    kernel_log:
      description: Out-of-memory evidence from the kernel log.
      returned: always
      type: dict
      contains:
        source:
          description:
            - Where the lines came from, C(journalctl -k), C(dmesg --time-format iso), C(dmesg) or
              C(/var/log/kern.log); null when no source could be read.
          returned: always
          type: str
          sample: journalctl -k
        lines_scanned:
          description: How many kernel log lines were searched.
          returned: always
          type: int
          sample: 5000
        oom_lines:
          description: The lines telling of the OOM killer, the last 200 at most.
          returned: always
          type: list
          elements: str
          sample: ["2024-05-01T10:00:00+0000 web1 kernel: Out of memory: Killed process 901 (gunicorn)"]
    systemd:
      description: Whether systemd runs the host (C(/run/systemd/system) exists).
      returned: always
      type: dict
      contains:
        running:
          description: True when systemd is the init system.
          returned: always
          type: bool
          sample: true
    error_logs:
      description:
        - The end of each error log, nginx's first, then php-fpm's; at most O(error_log_max_files) logs.
        - nginx's are named by the C(error_log) directives of the C(nginx -T) dump (not C(stderr),
          C(syslog:) or C(memory:); a relative path is relative to the prefix) and by the log compiled into
          nginx (C(--error-log-path)); php-fpm's by O(php_fpm_logs).
        - A log that does not exist, or cannot be read, is left out and named in RV(collected.problems).
      returned: always
      type: list
      elements: dict
      contains:
        path:
          description: The log's path.
          returned: always
          type: str
          sample: /var/log/nginx/error.log
        size:
          description: Its size in bytes when it was read.
          returned: always
          type: int
          sample: 52044
        inode:
          description: Its inode number; with RV(collected.error_logs[].size), what O(error_log_since) takes.
          returned: always
          type: int
          sample: 1311234
        mtime:
          description: When it was last written, in seconds since the epoch.
          returned: always
          type: int
          sample: 1714557600
        offset:
          description:
            - Where RV(collected.error_logs[].tail) starts in the file, always at a line boundary; 0 when it
              starts at the file's start.
          returned: always
          type: int
          sample: 0
        tail:
          description:
            - The text from RV(collected.error_logs[].offset) to the end, at most O(error_log_max_bytes) bytes
              (invalid UTF-8 replaced).
          returned: always
          type: str
          sample: "2024/05/01 10:00:00 [error] 812#812: *7 connect() failed (111: Connection refused) ...\n"
        truncated:
          description:
            - True when bytes of the log (since the start, or since O(error_log_since)) were left unread
              because of O(error_log_max_bytes).
          returned: always
          type: bool
          sample: false
    backend_services:
      description:
        - O(backend_services) as given (C(name), C(listen), C(manager), C(unit), C(start_command), C(chdir),
          C(log_file), C(depends_on)), with defaults filled in, each with C(properties), the unit's
          properties from C(systemctl show) (C(Id), C(LoadState), C(ActiveState), C(SubState),
          C(UnitFileState), C(Restart), C(RestartUSec), C(NRestarts), C(Result), C(ExecMainStatus),
          C(MainPID), C(LimitNOFILE)) as strings.
        - C(properties) is empty for services not managed by systemd and when systemd is not running.
      returned: always
      type: list
      elements: dict
      sample:
        - {"name": "shop-api", "listen": "127.0.0.1:8080", "manager": "systemd", "unit": "shop-api.service",
           "start_command": null, "chdir": null, "log_file": null, "depends_on": [],
           "properties": {"Id": "shop-api.service", "LoadState": "loaded", "ActiveState": "active",
                          "SubState": "running", "Restart": "no", "NRestarts": "0", "MainPID": "901"}}
"""

import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fix502.gateway.plugins.module_utils._addresses import addresses
from ansible_collections.fix502.gateway.plugins.module_utils._collect_spec import COLLECT_ARGUMENT_SPEC
from ansible_collections.fix502.gateway.plugins.module_utils._error_logs import error_logs
from ansible_collections.fix502.gateway.plugins.module_utils._filesystems import filesystems
from ansible_collections.fix502.gateway.plugins.module_utils._kernel_log import kernel_log
from ansible_collections.fix502.gateway.plugins.module_utils._memory import memory
from ansible_collections.fix502.gateway.plugins.module_utils._nginx_probe import probe
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners
from ansible_collections.fix502.gateway.plugins.module_utils._systemd import systemd_running, unit_properties

SCHEMA_VERSION = 1
_HOST_PORT = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):(\d+)$")


def listen_error(listen):
    """Why a backend's listen value is invalid, or None."""
    if listen.startswith("unix:"):
        if not listen[5:].startswith("/"):
            return "a unix listen address must be an absolute path, as in unix:/run/app.sock"
        return None
    port = None
    if listen.isdigit():
        port = int(listen)
    else:
        match = _HOST_PORT.match(listen)
        if match:
            port = int(match.group(1))
    if port is None:
        return "must be HOST:PORT, PORT or unix:/path"
    if not 0 < port < 65536:
        return "port %d is out of range 1-65535" % port
    return None


def check_options(params):
    """The first invalid option as a one-line message, or None."""
    for name in (
        "command_timeout",
        "max_dump_bytes",
        "kernel_log_lines",
        "error_log_max_bytes",
        "error_log_max_files",
    ):
        if params[name] <= 0:
            return "%s must be greater than 0, got %d" % (name, params[name])
    for path, seen in params["error_log_since"].items():
        if not isinstance(seen, dict) or not all(
            isinstance(seen.get(key), int) and seen.get(key) >= 0 for key in ("inode", "size")
        ):
            return "error_log_since[%r] must be {inode, size} with whole numbers, got %r" % (path, seen)
    names = set()
    for index, service in enumerate(params["backend_services"]):
        where = "backend_services[%d]" % index
        if not service["name"].strip():
            return "%s.name must not be empty" % where
        if service["name"] in names:
            return "%s.name %s is declared twice" % (where, service["name"])
        names.add(service["name"])
        problem = listen_error(service["listen"].strip())
        if problem:
            return "%s.listen %r: %s" % (where, service["listen"], problem)
    return None


def backend_entries(services):
    entries = []
    for service in services:
        unit = service.get("unit")
        if not unit and service["manager"] == "systemd":
            unit = service["name"] + ".service"
        entries.append(
            {
                "name": service["name"],
                "listen": service["listen"].strip(),
                "manager": service["manager"],
                "unit": unit or None,
                "start_command": service.get("start_command"),
                "chdir": service.get("chdir"),
                "log_file": service.get("log_file"),
                "depends_on": list(service.get("depends_on") or []),
                "properties": {},
            }
        )
    return entries


def collect(params):
    """Gather everything; returns the "collected" structure."""
    started = time.monotonic()
    timeout = params["command_timeout"]
    problems = []

    hostname, own_addresses, found = addresses()
    problems.extend(found)

    nginx, found = probe(
        binary_option=params["nginx_binary"],
        config_option=params["nginx_config"],
        prefix_option=params["nginx_prefix"],
        timeout=timeout,
        max_dump_bytes=params["max_dump_bytes"],
    )
    problems.extend(found)

    sockets, found = listeners(deadline=time.monotonic() + timeout)
    problems.extend(found)

    mounts, found = filesystems(timeout)
    problems.extend(found)

    mem, found = memory()
    problems.extend(found)

    klog, found = kernel_log(params["kernel_log_lines"], timeout)
    problems.extend(found)

    logs, found = error_logs(
        nginx,
        params["php_fpm_logs"],
        params["error_log_max_bytes"],
        params["error_log_max_files"],
        params["error_log_since"],
    )
    problems.extend(found)

    backends = backend_entries(params["backend_services"])
    units = [b["unit"] for b in backends if b["manager"] == "systemd" and b["unit"]]
    properties, found = unit_properties(units, timeout)
    problems.extend(found)
    for backend in backends:
        if backend["manager"] == "systemd" and backend["unit"] in properties:
            backend["properties"] = properties[backend["unit"]]

    return {
        "schema": SCHEMA_VERSION,
        "hostname": hostname,
        "addresses": own_addresses,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "problems": problems,
        "nginx": nginx,
        "listeners": sockets,
        "filesystems": mounts,
        "memory": mem,
        "kernel_log": klog,
        "error_logs": logs,
        "systemd": {"running": systemd_running()},
        "backend_services": backends,
    }


def main():
    module = AnsibleModule(
        argument_spec=COLLECT_ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    error = check_options(module.params)
    if error:
        module.fail_json(msg=error)
    module.exit_json(changed=False, collected=collect(module.params))


if __name__ == "__main__":
    main()
