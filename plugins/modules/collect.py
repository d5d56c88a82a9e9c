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
extends_documentation_fragment:
  - fix502.gateway.collect_options
description:
  - Reads, in one round trip and without changing anything, what the fix502 controller needs to judge
    why nginx answers 502 Bad Gateway on this host.
  - "It gathers: the nginx binary, version and configure arguments, the running master and the full
    configuration as C(nginx -T) prints it; the listening TCP and unix sockets with the process and
    systemd unit that own them; the mounted filesystems with their space and inode use; memory and swap;
    out-of-memory kills in the kernel log; the tails of nginx's error logs and of php-fpm's logs; the host's
    own addresses; the systemd properties of the declared backend services; and the host firewall's rules
    (nftables, iptables of both backends, ufw, firewalld)."
  - "It also reads the systemd properties of the units that own listening sockets (so that the controller
    can judge backends nobody declared) and, on each socket of O(container_sockets) where a Docker Engine API
    answers (Docker, podman), every container with its state, restart policy and published ports."
  - "For the backends nginx connects to (a light scan of the C(nginx -T) dump names them): each host name
    resolved with getaddrinfo, the nameservers of C(/etc/resolv.conf) and the C(/etc/hosts) lines naming one;
    each unix socket's owner, group and mode and those of every directory above it; the accounts nginx's
    workers may run as; php-fpm's pools from their configuration files; SELinux's mode, the booleans that let
    the web server connect out, and nginx's denials in the audit log; the processes of nginx and of the
    backends with their open files and open-file limits; the load average, the CPU count and pressure stall
    information."
  - The module only reads. It is bounded in time and size, every command has a time limit
    (O(command_timeout)) and an output cap, and each C(statvfs) runs in a thread with a time limit so a
    hung network filesystem cannot hang the module.
  - A missing tool (no nginx, no systemd, no C(journalctl) or C(dmesg)) or missing privileges never make
    the module fail; each such gap is reported as an entry of RV(collected.problems).
  - The module fails only when its options are invalid.
  - Judging the evidence is the controller's job; this module returns raw facts.
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
    targets:
      description:
        - What the host says about the backends nginx connects to. The collector cannot parse nginx's
          configuration, so it looks for them with a light scan of the C(nginx -T) dump (a hint list, see
          RV(collected.targets.hints)); the controller matches what it parsed against it.
      returned: always
      type: dict
      contains:
        hints:
          description:
            - What the scan found. C(names), the host names of the first argument of C(proxy_pass),
              C(fastcgi_pass), C(uwsgi_pass), C(scgi_pass), C(grpc_pass), C(memcached_pass) and C(server)
              lines, of C(set $var VALUE) values that look like a backend and of C(nginx -T)'s C(host not
              found in upstream) messages (upstream block names left out; at most 64); C(sockets), the
              C(unix:) paths (at most 64); C(ports), the TCP ports (at most 128); C(users) and C(groups),
              the arguments of C(user).
          returned: always
          type: dict
          sample: {"names": ["api.internal"], "sockets": ["/run/php/php8.2-fpm.sock"], "ports": [80, 8000],
                   "users": ["www-data"], "groups": []}
        resolution:
          description:
            - Each hinted name resolved with getaddrinfo on the host, all at once within O(command_timeout).
            - C(name), C(addresses) (in the order getaddrinfo gave them), C(error) (its message, or null),
              C(error_code) (as C(EAI_NONAME), or null), C(ms) (how long it took), C(timed_out).
          returned: always
          type: list
          elements: dict
          sample: [{"name": "api.internal", "addresses": [], "error": "Name or service not known",
                    "error_code": "EAI_NONAME", "ms": 3, "timed_out": false}]
        resolv_conf:
          description:
            - C(/etc/resolv.conf), C(path), C(nameservers), C(search), C(options), C(error) (null when read).
          returned: always
          type: dict
          sample: {"path": "/etc/resolv.conf", "nameservers": ["10.0.0.2"], "search": ["internal"],
                   "options": [], "error": null}
        hosts_file:
          description:
            - C(/etc/hosts), C(path), C(entries) (the lines naming a hinted name, each C(address), C(names),
              C(line)), C(count) (how many entries the file has), C(error) (null when read).
          returned: always
          type: dict
          sample: {"path": "/etc/hosts", "entries": [{"address": "10.0.0.7", "names": ["api.internal"],
                   "line": 4}], "count": 9, "error": null}
        sockets:
          description:
            - Each hinted unix socket path, following symlinks, with C(type) (C(socket), C(directory),
              C(file), C(other), null when it cannot be looked at), C(mode) (octal, as C(0660)), C(uid),
              C(gid), C(owner), C(group), C(error) (as C(No such file or directory), or null), and
              C(parents), the same for every directory from C(/) down to the one holding it.
          returned: always
          type: list
          elements: dict
          sample:
            - {"path": "/run/app/app.sock", "type": "socket", "mode": "0600", "uid": 0, "gid": 0,
               "owner": "root", "group": "root", "error": null,
               "parents": [{"path": "/", "type": "directory", "mode": "0755", "uid": 0, "gid": 0,
                            "owner": "root", "group": "root", "error": null}]}
        accounts:
          description:
            - The accounts nginx's workers may run as, from the user database (C(/etc/passwd),
              C(/etc/group)), for the arguments of C(user), C(--user) and C(--group) of nginx's configure
              arguments, C(www-data), C(nginx) and C(nobody), and the groups of the same names and
              C(nogroup).
            - C(users), each C(name), C(exists), C(uid), C(gid), C(groups) (every group id, as initgroups
              gives them) and C(group_names); C(groups), each C(name), C(exists), C(gid).
          returned: always
          type: dict
          sample: {"users": [{"name": "www-data", "exists": true, "uid": 33, "gid": 33, "groups": [33],
                              "group_names": ["www-data"]}],
                   "groups": [{"name": "www-data", "exists": true, "gid": 33}]}
    processes:
      description:
        - The running nginx master and its children, and the backends, the processes owning a listening
          socket on a hinted port or socket or on a declared backend's address, with their direct children
          (at most 64).
        - Each C(pid), C(ppid), C(role) (C(nginx-master), C(nginx-worker), C(nginx-helper) for the cache
          processes, C(backend)), C(name), C(unit), C(user), C(uid), C(gid), C(groups) (effective, from
          C(/proc/PID/status)), C(fd_count) (entries of C(/proc/PID/fd)), C(nofile_soft) and C(nofile_hard)
          (C(Max open files) of C(/proc/PID/limits); null for unlimited or unknown) and C(serves) (for a
          backend, the addresses that brought it in).
      returned: always
      type: list
      elements: dict
      sample:
        - {"pid": 812, "ppid": 1, "role": "nginx-master", "name": "nginx", "unit": "nginx.service",
           "user": "root", "uid": 0, "gid": 0, "groups": [], "fd_count": 12, "nofile_soft": 1024,
           "nofile_hard": 524288, "serves": []}
    php_fpm:
      description:
        - php-fpm's pools as its configuration files declare them (Debian's C(/etc/php/*/fpm),
          C(/etc/php-fpm.conf), C(/etc/php-fpm.d), C(/etc/php*/php-fpm.d), C(/usr/local/etc/php-fpm.conf)
          and C(php-fpm.d), with the C(include) lines of the main files).
        - C(files), the files read; C(pools), each C(name), C(file), C(line) (of its C([name]) line) and
          C(settings), by key (C(listen), C(listen.owner), C(listen.group), C(listen.mode),
          C(listen.acl_users), C(listen.acl_groups), C(listen.allowed_clients), C(user), C(group), C(pm),
          C(pm.max_children)), each C(value), C(file), C(line).
      returned: always
      type: dict
      sample: {"files": ["/etc/php/8.2/fpm/php-fpm.conf", "/etc/php/8.2/fpm/pool.d/www.conf"],
               "pools": [{"name": "www", "file": "/etc/php/8.2/fpm/pool.d/www.conf", "line": 4,
                          "settings": {"listen": {"value": "/run/php/php8.2-fpm.sock",
                                                  "file": "/etc/php/8.2/fpm/pool.d/www.conf", "line": 41}}}]}
    selinux:
      description:
        - SELinux from selinuxfs (C(/sys/fs/selinux)); C(enabled), C(enforcing) (null when not enabled),
          C(booleans) (C(httpd_can_network_connect), C(httpd_can_network_relay), C(httpd_graceful_shutdown),
          their current value, null when unknown), C(audit_log) (C(path), C(read), C(denials), the last 50
          AVC denial lines about nginx in the last MiB of the audit log).
      returned: always
      type: dict
      sample: {"enabled": true, "enforcing": true,
               "booleans": {"httpd_can_network_connect": false, "httpd_can_network_relay": false,
                            "httpd_graceful_shutdown": true},
               "audit_log": {"path": "/var/log/audit/audit.log", "read": true, "denials": []}}
    load:
      description:
        - C(/proc/loadavg), C(load1), C(load5), C(load15), C(runnable) and C(entities) (the scheduling
          entities runnable now and in all), and C(cpus) (the host's CPU count); null for what could not be
          read.
      returned: always
      type: dict
      sample: {"load1": 0.95, "load5": 0.71, "load15": 0.75, "runnable": 4, "entities": 169, "cpus": 2}
    pressure:
      description:
        - Pressure stall information of C(/proc/pressure), by resource (C(cpu), C(memory), C(io)), each with
          C(some) and C(full) (null when the kernel does not say), each C(avg10), C(avg60), C(avg300)
          (percent of the time tasks were stalled) and C(total) (microseconds); a resource is null without
          PSI.
      returned: always
      type: dict
      sample: {"memory": {"some": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total": 7745},
                          "full": {"avg10": 0.0, "avg60": 0.0, "avg300": 0.0, "total": 4759}},
               "cpu": null, "io": null}
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
    units:
      description:
        - The properties (the same as the C(properties) of each of RV(collected.backend_services)) of the
          systemd services that own a listening socket and of the declared backends' units, by unit name,
          read with the same single C(systemctl show) call. Empty when systemd is not running.
        - At most 200 units of listeners; the others are named in RV(collected.problems).
      returned: always
      type: dict
      sample: {"shop-api.service": {"Id": "shop-api.service", "LoadState": "loaded", "Restart": "no"}}
    containers:
      description: The container engines that answered on O(container_sockets) and their containers.
      returned: always
      type: dict
      contains:
        engines:
          description:
            - Each engine, C(socket), C(product) (C(docker) or C(podman)), C(version), C(api_version).
          returned: always
          type: list
          elements: dict
          sample: [{"socket": "/run/podman/podman.sock", "product": "podman", "version": "4.3.1",
                    "api_version": "1.41"}]
        items:
          description:
            - Every container (running or not, at most 500), from C(GET /containers/{id}/json).
            - C(engine) (the socket), C(id), C(name), C(image), C(image_id), C(state) (C(State.Status)),
              C(running), C(exit_code), C(oom_killed), C(error), C(started_at), C(finished_at),
              C(restart_count), C(restart_policy) (C(name), C(maximum_retry_count)), C(auto_remove),
              C(network_mode), C(labels), C(pid), C(addresses) (its own IP addresses).
            - C(port_bindings) (from C(HostConfig.PortBindings), kept while it is stopped) and C(ports) (from
              C(NetworkSettings.Ports), empty unless it runs), each C(container_port), C(protocol),
              C(host_ip), C(host_port) (null for a port exposed but not published); C(exposed), the
              ports of C(Config.ExposedPorts) (C(port), C(protocol)).
            - C(listening), the TCP C(address) and C(port) its processes listen on inside its network
              namespace (C(/proc/PID/net/tcp)), null when it does not run, shares the host's network or
              cannot be read.
          returned: always
          type: list
          elements: dict
          sample:
            - {"engine": "/var/run/docker.sock", "id": "25000ba5ae22a127...", "name": "shop-api",
               "image": "shop/api:1.4", "state": "exited", "running": false, "exit_code": 137,
               "oom_killed": true, "restart_count": 0,
               "restart_policy": {"name": "no", "maximum_retry_count": 0},
               "port_bindings": [{"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1",
                                  "host_port": 8000}], "ports": [], "listening": null}
    logrotate:
      description:
        - logrotate's configuration as the host has it, raw, for the controller to parse.
      returned: always
      type: dict
      contains:
        config:
          description: The main file, O(logrotate_config).
          returned: always
          type: str
          sample: /etc/logrotate.conf
        home:
          description: The home directory a C(~/) in an C(include) stands for.
          returned: always
          type: str
          sample: /root
        paths:
          description:
            - Every path read, in the order logrotate reads it, the main file first, each once.
            - Each has C(path) and C(kind), one of C(file), C(directory), C(missing), C(other) (neither a file
              nor a directory) or C(unreadable) (with C(error)); files and directories also have C(mode)
              (permission bits), C(uid) and C(size).
            - A file has C(text) (invalid UTF-8 replaced) and C(truncated), true when it was cut or not read
              because of O(logrotate_max_files) or O(logrotate_max_bytes).
            - A directory has C(entries), the names in it in byte order, the taboo ones included (they are
              listed, not read).
          returned: always
          type: list
          elements: dict
          sample:
            - {"path": "/etc/logrotate.conf", "kind": "file", "mode": 420, "uid": 0, "size": 52,
               "text": "weekly\nrotate 4\ninclude /etc/logrotate.d\n", "truncated": false}
            - {"path": "/etc/logrotate.d", "kind": "directory", "mode": 493, "uid": 0, "size": 4096,
               "entries": ["apt", "nginx", "nginx.dpkg-old"]}
        truncated:
          description: Whether a file was cut or left unread because of the bounds.
          returned: always
          type: bool
          sample: false
    log_files:
      description:
        - The host's log files, each once, at most O(log_files_max); those nginx writes (C(access_log) and
          C(error_log) of the C(nginx -T) dump, a variable in a path matching anything, and the logs compiled
          in), then the backends' O(backend_services[].log_file), then every C(*.log) under O(log_dirs).
        - Only regular files that exist are listed.
      returned: always
      type: list
      elements: dict
      contains:
        path:
          description: The log's path.
          returned: always
          type: str
          sample: /var/log/nginx/access.log
        size:
          description: Its size in bytes.
          returned: always
          type: int
          sample: 10485760
        mtime:
          description: When it was last written, in seconds since the epoch.
          returned: always
          type: int
          sample: 1714557600
        inode:
          description: Its inode number.
          returned: always
          type: int
          sample: 1311234
        writer:
          description: C(nginx), C(backend), or null for a log only found under O(log_dirs).
          returned: always
          type: str
          sample: nginx
        backend:
          description: The O(backend_services[].name) whose C(log_file) it is, else null.
          returned: always
          type: str
          sample: null
        directive:
          description: For nginx's logs, C(access_log) or C(error_log), else null.
          returned: always
          type: str
          sample: access_log
    journald:
      description: journald's configuration, raw, and what the journal takes on disk.
      returned: always
      type: dict
      contains:
        config_files:
          description:
            - Each of C(/etc/systemd/journald.conf), C(/run/systemd/journald.conf),
              C(/usr/local/lib/systemd/journald.conf), C(/usr/lib/systemd/journald.conf) that exists, then the
              C(*.conf) drop-ins of C(journald.conf.d) under C(/etc/systemd), C(/run/systemd),
              C(/usr/local/lib/systemd) and C(/usr/lib/systemd), each with C(path), C(text) (at most 256 KiB),
              C(truncated) and C(masked) (a link to C(/dev/null)).
          returned: always
          type: list
          elements: dict
          sample:
            - {"path": "/etc/systemd/journald.conf", "text": "[Journal]\n#SystemMaxUse=\n",
               "truncated": false, "masked": false}
        journal_dirs:
          description:
            - C(/var/log/journal) (persistent) and C(/run/log/journal) (volatile), each with C(path),
              C(exists), C(files) and C(bytes), the space its files take on disk.
          returned: always
          type: list
          elements: dict
          sample:
            - {"path": "/var/log/journal", "exists": true, "files": 4, "bytes": 33554432}
        disk_usage_bytes:
          description: The space all journal files take on disk, as C(journalctl --disk-usage) counts it.
          returned: always
          type: int
          sample: 33554432
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
    firewall:
      description:
        - The host firewall's rules as its own tools print them, for the controller to tell what happens to a
          TCP connection to the ports nginx needs. Nothing is changed.
        - A tool that is not installed has a null C(binary) and no problem entry.
      returned: always
      type: dict
      contains:
        interfaces:
          description: The host's network interfaces by name, from C(/sys/class/net).
          returned: always
          type: list
          elements: str
          sample: ["eth0", "lo"]
        nft:
          description: nftables.
          returned: always
          type: dict
          contains:
            binary:
              description: Path of C(nft); null when not installed.
              returned: always
              type: str
              sample: /usr/sbin/nft
            ruleset:
              description:
                - The list under C(nftables) of C(nft -j list ruleset) (tables, chains, rules, sets, maps),
                  rules of iptables' nf_tables backend included; null when it could not be read or was cut.
              returned: always
              type: list
              elements: dict
              sample: [{"table": {"family": "inet", "name": "filter", "handle": 1}}]
            truncated:
              description:
                - Whether the listing was cut at O(firewall_max_bytes); RV(collected.firewall.nft.ruleset) is
                  then null.
              returned: always
              type: bool
              sample: false
        iptables:
          description:
            - One entry per C(iptables-save) output read, IPv4 and IPv6; C(iptables-nft-save) and
              C(iptables-legacy-save) when installed (the legacy one only when the kernel has legacy tables),
              else C(iptables-save).
          returned: always
          type: list
          elements: dict
          contains:
            command:
              description: The command that printed it.
              returned: always
              type: str
              sample: iptables-nft-save
            family:
              description: 4 or 6.
              returned: always
              type: int
              sample: 4
            backend:
              description: C(nf_tables) or C(legacy).
              returned: always
              type: str
              sample: nf_tables
            text:
              description: The output, in iptables-save's format.
              returned: always
              type: str
              sample: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n"
            truncated:
              description: Whether the output was cut at O(firewall_max_bytes).
              returned: always
              type: bool
              sample: false
        ufw:
          description: ufw.
          returned: always
          type: dict
          contains:
            binary:
              description: Path of C(ufw); null when not installed.
              returned: always
              type: str
              sample: /usr/sbin/ufw
            status:
              description:
                - C(active) or C(inactive) as C(ufw status) says; without root, C(enabled at boot) or
                  C(disabled at boot) from C(/etc/ufw/ufw.conf); null when unknown.
              returned: always
              type: str
              sample: active
            status_text:
              description: The output of C(ufw status verbose); null when it could not be run.
              returned: always
              type: str
              sample: "Status: active\nDefault: deny (incoming), allow (outgoing), deny (routed)\n"
            user_rules:
              description: C(/etc/ufw/user.rules); null when absent.
              returned: always
              type: str
              sample: "*filter\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
            user6_rules:
              description: C(/etc/ufw/user6.rules); null when absent.
              returned: always
              type: str
              sample: null
        firewalld:
          description: firewalld.
          returned: always
          type: dict
          contains:
            binary:
              description: Path of C(firewall-cmd); null when not installed.
              returned: always
              type: str
              sample: /usr/bin/firewall-cmd
            state:
              description: What C(firewall-cmd --state) says, C(running) or C(not running); null when unknown.
              returned: always
              type: str
              sample: running
            default_zone:
              description: C(firewall-cmd --get-default-zone) when firewalld runs, else null.
              returned: always
              type: str
              sample: public
            zones:
              description: C(firewall-cmd --list-all-zones) when firewalld runs, else null.
              returned: always
              type: str
              sample: "public (active)\n  target: default\n  interfaces: eth0\n  services: ssh\n"
"""

import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fix502.gateway.plugins.module_utils._addresses import addresses
from ansible_collections.fix502.gateway.plugins.module_utils._collect_spec import COLLECT_ARGUMENT_SPEC
from ansible_collections.fix502.gateway.plugins.module_utils._docker_api import containers
from ansible_collections.fix502.gateway.plugins.module_utils._error_logs import error_logs
from ansible_collections.fix502.gateway.plugins.module_utils._filesystems import filesystems
from ansible_collections.fix502.gateway.plugins.module_utils._firewall import firewall
from ansible_collections.fix502.gateway.plugins.module_utils._kernel_log import kernel_log
from ansible_collections.fix502.gateway.plugins.module_utils._load import load
from ansible_collections.fix502.gateway.plugins.module_utils._logrotate import (
    journald,
    log_files,
    read_logrotate,
)
from ansible_collections.fix502.gateway.plugins.module_utils._memory import memory
from ansible_collections.fix502.gateway.plugins.module_utils._nginx_probe import configure_option, probe
from ansible_collections.fix502.gateway.plugins.module_utils._php_fpm import php_fpm
from ansible_collections.fix502.gateway.plugins.module_utils._processes import processes
from ansible_collections.fix502.gateway.plugins.module_utils._selinux import selinux
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import listeners
from ansible_collections.fix502.gateway.plugins.module_utils._systemd import systemd_running, unit_properties
from ansible_collections.fix502.gateway.plugins.module_utils._targets import targets

SCHEMA_VERSION = 1
MAX_LISTENER_UNITS = 200
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
        "logrotate_max_files",
        "logrotate_max_bytes",
        "log_files_max",
        "firewall_max_bytes",
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


def listener_units(sockets, limit=MAX_LISTENER_UNITS):
    """The systemd services owning listening sockets, each once: what the controller may find behind nginx."""
    units = []
    for entry in sockets["tcp"] + sockets["unix"]:
        unit = entry.get("unit")
        if unit and unit.endswith(".service") and unit not in units:
            units.append(unit)
    if len(units) > limit:
        problem = "%d services own listening sockets; the properties of the first %d were read" % (
            len(units),
            limit,
        )
        return units[:limit], [{"source": "systemctl show", "message": problem}]
    return units, []


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
    owning, found = listener_units(sockets)
    problems.extend(found)
    units.extend(owning)
    properties, found = unit_properties(units, timeout)
    problems.extend(found)
    for backend in backends:
        if backend["manager"] == "systemd" and backend["unit"] in properties:
            backend["properties"] = properties[backend["unit"]]

    rules, found = firewall(timeout, params["firewall_max_bytes"])
    problems.extend(found)

    engines, found = containers(params["container_sockets"], timeout)
    problems.extend(found)

    rotation, found = read_logrotate(
        params["logrotate_config"], params["logrotate_max_files"], params["logrotate_max_bytes"]
    )
    problems.extend(found)

    logfiles, found = log_files(nginx, backends, params["log_dirs"], params["log_files_max"])
    problems.extend(found)

    journal, found = journald()
    problems.extend(found)

    live, found = targets(
        nginx["dump"],
        nginx["test_messages"],
        configure_option(nginx["configure_arguments"], "user"),
        configure_option(nginx["configure_arguments"], "group"),
        timeout,
    )
    problems.extend(found)

    processes_found, found = processes(
        nginx["master_pid"],
        sockets,
        live["hints"]["ports"],
        live["hints"]["sockets"],
        [b["listen"] for b in backends],
        time.monotonic() + timeout,
    )
    problems.extend(found)

    pools, found = php_fpm()
    problems.extend(found)

    selinux_state, found = selinux()
    problems.extend(found)

    load_average, pressure, found = load()
    problems.extend(found)

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
        "targets": live,
        "processes": processes_found,
        "php_fpm": pools,
        "selinux": selinux_state,
        "load": load_average,
        "pressure": pressure,
        "backend_services": backends,
        "logrotate": rotation,
        "log_files": logfiles,
        "journald": journal,
        "units": dict((unit, properties[unit]) for unit in units if unit in properties),
        "containers": engines,
        "firewall": rules,
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
