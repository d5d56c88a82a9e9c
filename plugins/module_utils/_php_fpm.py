# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""php-fpm's pools as their configuration files declare them; private to this collection.

Files read: the main configurations (MAIN_GLOBS: Debian's /etc/php/VERSION/fpm/php-fpm.conf,
Red Hat's /etc/php-fpm.conf, /etc/phpN/php-fpm.conf, the official container images'
/usr/local/etc/php-fpm.conf) with the files their ``include=`` lines name, then the pool
directories (POOL_GLOBS), each file once. A relative include is relative to php-fpm's prefix,
taken as the directory above the main file's (/usr/local for /usr/local/etc/php-fpm.conf).

Each ``[name]`` section other than ``[global]`` is a pool; the settings kept are KEYS, each with
the file and line that set it last, ``$pool`` replaced by the pool's name as php-fpm does.
At most MAX_FILES files of MAX_FILE_BYTES each.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

MAIN_GLOBS = (
    "/etc/php/*/fpm/php-fpm.conf",
    "/etc/php-fpm.conf",
    "/etc/php*/php-fpm.conf",
    "/usr/local/etc/php-fpm.conf",
)
POOL_GLOBS = (
    "/etc/php/*/fpm/pool.d/*.conf",
    "/etc/php-fpm.d/*.conf",
    "/etc/php*/php-fpm.d/*.conf",
    "/usr/local/etc/php-fpm.d/*.conf",
)
KEYS = (
    "listen",
    "listen.owner",
    "listen.group",
    "listen.mode",
    "listen.acl_users",
    "listen.acl_groups",
    "listen.allowed_clients",
    "user",
    "group",
    "pm",
    "pm.max_children",
)
MAX_FILES = 100
MAX_FILE_BYTES = 256 * 1024
MAX_INCLUDE_DEPTH = 4


def _value(raw):
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(";", 1)[0].strip()


def parse_pool_file(text, path):
    """(pools, includes) of one php-fpm configuration file.

    ``pools`` is a list of {name, file, line, settings: {key: {value, file, line}}} in file order;
    ``includes`` the values of the ``include`` lines of its global part, in order.
    """
    pools = []
    includes = []
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        if stripped.startswith("[") and "]" in stripped:
            name = stripped[1 : stripped.index("]")].strip()
            if name.lower() == "global":
                current = None
                continue
            current = next((p for p in pools if p["name"] == name), None)
            if current is None:
                current = {"name": name, "file": path, "line": number, "settings": {}}
                pools.append(current)
            continue
        key, sep, raw = stripped.partition("=")
        if not sep:
            continue
        key = key.strip()
        value = _value(raw)
        if current is None:
            if key == "include":
                includes.append(value)
            continue
        if key in KEYS:
            value = value.replace("$pool", current["name"])
            current["settings"][key] = {"value": value, "file": path, "line": number}
    return pools, includes


def _expand(pattern, base):
    if not os.path.isabs(pattern):
        pattern = os.path.join(base, pattern)
    return sorted(glob.glob(pattern))


def php_fpm(root="/"):
    """The collector's "php_fpm" key ({files, pools}) and a list of problems.

    ``root`` is where the file system starts: "/" on a host.
    """
    problems = []
    files = []
    pools = []
    seen = set()

    def under_root(pattern):
        return os.path.join(root, pattern.lstrip("/"))

    def shown(path):
        return "/" + os.path.relpath(path, root) if root != "/" else path

    def read(path, prefix, depth):
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        if len(files) >= MAX_FILES:
            problems.append({"source": shown(path), "message": "left out: more than %d files" % MAX_FILES})
            return
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_FILE_BYTES).decode("utf-8", "replace")
        except OSError as exc:
            problems.append({"source": shown(path), "message": "cannot read: %s" % (exc.strerror or exc)})
            return
        files.append(shown(path))
        found, includes = parse_pool_file(text, shown(path))
        pools.extend(found)
        if depth >= MAX_INCLUDE_DEPTH:
            return
        for pattern in includes:
            if os.path.isabs(pattern):
                pattern = under_root(pattern)
            for included in _expand(pattern, prefix):
                read(included, prefix, depth + 1)

    for pattern in MAIN_GLOBS:
        for path in sorted(glob.glob(under_root(pattern))):
            if os.path.isfile(path):
                read(path, os.path.dirname(os.path.dirname(path)), 0)
    for pattern in POOL_GLOBS:
        for path in sorted(glob.glob(under_root(pattern))):
            if os.path.isfile(path):
                read(path, os.path.dirname(os.path.dirname(path)), 1)
    return {"files": files, "pools": pools}, problems
