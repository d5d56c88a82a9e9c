# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of fix502.gateway.collect, in one place: the collect module validates them, and the
fix502.gateway.audit action passes exactly these on to it. Private to this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COLLECT_ARGUMENT_SPEC = dict(
    nginx_binary=dict(type="path"),
    nginx_config=dict(type="path"),
    nginx_prefix=dict(type="path"),
    backend_services=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            name=dict(type="str", required=True),
            listen=dict(type="str", required=True),
            manager=dict(type="str", choices=["systemd", "command"], default="systemd"),
            unit=dict(type="str"),
            start_command=dict(type="str"),
            chdir=dict(type="path"),
            log_file=dict(type="path"),
            depends_on=dict(type="list", elements="str", default=[]),
        ),
    ),
    command_timeout=dict(type="int", default=10),
    max_dump_bytes=dict(type="int", default=4194304),
    kernel_log_lines=dict(type="int", default=5000),
    error_log_max_bytes=dict(type="int", default=1048576),
    error_log_max_files=dict(type="int", default=10),
    error_log_since=dict(type="dict", default={}),
    php_fpm_logs=dict(type="list", elements="path", default=["/var/log/php*-fpm.log"]),
    logrotate_config=dict(type="path", default="/etc/logrotate.conf"),
    logrotate_max_files=dict(type="int", default=500),
    logrotate_max_bytes=dict(type="int", default=2097152),
    log_dirs=dict(type="list", elements="path", default=["/var/log"]),
    log_files_max=dict(type="int", default=2000),
    container_sockets=dict(
        type="list", elements="path", default=["/var/run/docker.sock", "/run/podman/podman.sock"]
    ),
    firewall_max_bytes=dict(type="int", default=4194304),
)


def action_spec():
    """The same options for the audit action: no defaults (the module applies its own), no suboptions
    (the module checks them), so that an option left out stays out of the call."""
    spec = {}
    for name, option in COLLECT_ARGUMENT_SPEC.items():
        spec[name] = dict((key, value) for key, value in option.items() if key in ("type", "elements"))
    return spec
