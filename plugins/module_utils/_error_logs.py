# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tails of nginx's error logs and php-fpm's logs; private to this collection.

Which files: every error_log directive of the nginx -T dump (stderr, syslog: and memory: are not
files; a relative path is relative to the prefix, as in nginx), the log compiled into nginx
(--error-log-path, else logs/error.log under the prefix), and the php-fpm logs given as globs.
Each file is read from its end, at most max_bytes, starting at a line boundary; with a "since"
record (the inode and size seen last time) only what was appended since is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import stat

DEFAULT_ERROR_LOG = "logs/error.log"
_NOT_FILES = ("stderr",)
_NOT_FILE_PREFIXES = ("syslog:", "memory:")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|([;{}])|([^\s;{}"\']+)')


def _without_comments(text):
    """The dump without its comments (a # outside quotes to the end of the line)."""
    out = []
    for line in text.splitlines():
        quote = None
        for index, char in enumerate(line):
            if quote:
                if char == quote:
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "#":
                line = line[:index]
                break
        out.append(line)
    return "\n".join(out)


def config_error_logs(dump):
    """The first argument of every error_log directive of an nginx -T dump, in order."""
    found = []
    at_statement_start = True
    want_argument = False
    for match in _TOKEN.finditer(_without_comments(dump)):
        double, single, punct, bare = match.groups()
        if punct is not None:
            at_statement_start = True
            want_argument = False
            continue
        word = double if double is not None else single if single is not None else bare
        if want_argument:
            found.append(word)
            want_argument = False
        elif at_statement_start and bare == "error_log":
            want_argument = True
        at_statement_start = False
    return found


def _compiled_error_log(configure_arguments):
    for token in (configure_arguments or "").split():
        if token.startswith("--error-log-path="):
            return token.split("=", 1)[1]
    return DEFAULT_ERROR_LOG


def _is_file_target(value):
    return value not in _NOT_FILES and not value.startswith(_NOT_FILE_PREFIXES) and value != ""


def error_log_paths(dump, prefix, configure_arguments):
    """[(path, named_by_config)] of nginx's error logs, without duplicates."""
    named = [(value, True) for value in config_error_logs(dump or "")]
    if configure_arguments is not None:
        named.append((_compiled_error_log(configure_arguments), False))
    paths = []
    for value, from_config in named:
        if not _is_file_target(value):
            continue
        if not value.startswith("/"):
            value = os.path.join(prefix or "/", value)
        paths.append((os.path.normpath(value), from_config))
    return paths


def php_fpm_paths(patterns):
    paths = []
    for pattern in patterns:
        paths.extend(sorted(glob.glob(pattern)))
    return paths


def read_tail(path, max_bytes, since=None):
    """The entry of one log, or None when it is not a regular file. OSError when it cannot be read."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        size = info.st_size
        start = 0
        if since and since.get("inode") == info.st_ino and 0 <= since.get("size", -1) <= size:
            start = since["size"]
        truncated = size - start > max_bytes
        if truncated:
            start = size - max_bytes
        at_line_start = start == 0
        if not at_line_start:
            handle.seek(start - 1)
            at_line_start = handle.read(1) == b"\n"
        handle.seek(start)
        data = handle.read(size - start)
    if not at_line_start:
        newline = data.find(b"\n")
        skipped = len(data) if newline == -1 else newline + 1
        data = data[skipped:]
        start += skipped
    return {
        "path": path,
        "size": size,
        "inode": info.st_ino,
        "mtime": int(info.st_mtime),
        "offset": start,
        "tail": data.decode("utf-8", "replace"),
        "truncated": truncated,
    }


def error_logs(nginx, php_fpm_patterns, max_bytes, max_files, since):
    """(entries, problems): the tails of nginx's error logs, then of php-fpm's logs."""
    problems = []
    candidates = error_log_paths(nginx.get("dump"), nginx.get("prefix"), nginx.get("configure_arguments"))
    candidates += [(path, True) for path in php_fpm_paths(php_fpm_patterns)]
    seen = set()
    paths = []
    for path, must_exist in candidates:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            paths.append((path, must_exist))
    entries = []
    for path, must_exist in paths:
        if len(entries) >= max_files:
            problems.append(
                {
                    "source": path,
                    "message": "not read: error_log_max_files (%d) logs were read already" % max_files,
                }
            )
            continue
        try:
            entry = read_tail(path, max_bytes, since.get(path))
        except FileNotFoundError:
            if must_exist:
                problems.append({"source": path, "message": "error log does not exist"})
            continue
        except OSError as exc:
            problems.append({"source": path, "message": "cannot read: %s" % (exc.strerror or exc)})
            continue
        if entry is not None:
            entries.append(entry)
    return entries, problems
