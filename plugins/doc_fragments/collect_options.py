# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of fix502.gateway.collect, documented once: the collect module takes them, and the
fix502.gateway.audit action passes them on to it (their spec is COLLECT_ARGUMENT_SPEC in
plugins/module_utils/_collect_spec.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
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
      - They are returned in RV(fix502.gateway.collect#module:collected.backend_services); for those managed
        by systemd, with the properties of their unit, all read with a single C(systemctl show) call.
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
          - Where the output of O(backend_services[].start_command) goes, or the backend's own log.
            Echoed back, not used here; the audit counts its directory among the log directories
            (C(RES001)) and the role fix502.gateway.disk_relief rotates it when it is too big.
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
        C(journalctl), C(dmesg), C(nft), C(iptables-save), C(ufw), C(firewall-cmd)).
      - Also the shared time limit of the C(statvfs) calls, of matching sockets to processes, of resolving the
        backends' host names and of reading the processes' open files.
      - Must be greater than 0.
    type: int
    default: 10
  max_dump_bytes:
    description:
      - Most bytes of C(nginx -T) output kept; a longer dump is cut and
        RV(fix502.gateway.collect#module:collected.nginx.dump_truncated) is true.
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
      - Most error logs read; the others are named in RV(fix502.gateway.collect#module:collected.problems).
      - Must be greater than 0.
    type: int
    default: 10
  error_log_since:
    description:
      - What was read last time, by path, as RV(fix502.gateway.collect#module:collected.error_logs) returned
        it, C({inode, size}).
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
  logrotate_config:
    description:
      - logrotate's main configuration file. It is read with every file it includes, as logrotate reads them
        (an included directory gives its files in byte order, leaving out the names that end in a taboo
        extension such as C(.dpkg-old), C(.rpmsave) or C(~)), and returned raw in
        RV(fix502.gateway.collect#module:collected.logrotate).
    type: path
    default: /etc/logrotate.conf
  logrotate_max_files:
    description:
      - Most logrotate configuration files read; the others are listed without their text and
        RV(fix502.gateway.collect#module:collected.logrotate.truncated) is true.
      - Must be greater than 0.
    type: int
    default: 500
  logrotate_max_bytes:
    description:
      - Most bytes of logrotate configuration read in all; past it files are cut or left unread and
        RV(fix502.gateway.collect#module:collected.logrotate.truncated) is true.
      - Must be greater than 0.
    type: int
    default: 2097152
  log_dirs:
    description:
      - Directories searched, with their subdirectories, for C(*.log) files, returned in
        RV(fix502.gateway.collect#module:collected.log_files) with nginx's logs and the backends'
        O(backend_services[].log_file).
    type: list
    elements: path
    default: [/var/log]
  log_files_max:
    description:
      - Most log files returned in RV(fix502.gateway.collect#module:collected.log_files); nginx's and the
        backends' come first. The number left out is named in
        RV(fix502.gateway.collect#module:collected.problems).
      - Must be greater than 0.
    type: int
    default: 2000
  container_sockets:
    description:
      - Unix sockets of the container engines to ask, with the Docker Engine API (HTTP/1.1), about their
        containers; each engine once (a socket that links to another is skipped).
      - A socket that does not exist is no problem (no engine there); one that does not answer within
        O(command_timeout) is named in RV(fix502.gateway.collect#module:collected.problems).
    type: list
    elements: path
    default: [/var/run/docker.sock, /run/podman/podman.sock]
  firewall_max_bytes:
    description:
      - Most bytes kept of each firewall listing (C(nft -j list ruleset), each C(iptables-save), the zones of
        C(firewall-cmd)); a longer one is cut and named in
        RV(fix502.gateway.collect#module:collected.problems).
      - Must be greater than 0.
    type: int
    default: 4194304
"""
