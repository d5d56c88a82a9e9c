# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log rotation evidence: logrotate's rule files, the host's log files, journald; private to this collection.

logrotate: the main file and every file it includes, read the way logrotate reads them (an included
directory gives its files in byte order, without the ones whose names end in a taboo extension such as
.dpkg-old, .rpmsave or ~), as raw texts with their paths, modes and owners, bounded in files and bytes.
Which files are included is found with a light scan of each text (the include, tabooext and taboopat
lines outside scripts); the controller parses the texts for real.

Log files: those nginx writes (access_log and error_log of the nginx -T dump, and the logs compiled
in), the backends' log_file, and every *.log under the log directories, each with its size, mtime and
inode.

journald: its configuration files (main file and drop-ins under /etc, /run, /usr/local/lib and
/usr/lib) as raw texts, and the size of the journal files under /var/log/journal and /run/log/journal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import glob
import os
import re
import stat

from ansible_collections.fix502.gateway.plugins.module_utils._error_logs import (
    _TOKEN,
    _without_comments,
    error_log_paths,
)

# logrotate 3.21 (Debian 12) skips the files of an included directory whose names end in one of these.
DEFAULT_TABOO_EXTENSIONS = (
    ",v",
    ".bak",
    ".cfsaved",
    ".disabled",
    ".dpkg-bak",
    ".dpkg-del",
    ".dpkg-dist",
    ".dpkg-new",
    ".dpkg-old",
    ".dpkg-tmp",
    ".rhn-cfg-tmp-*",
    ".rpmnew",
    ".rpmorig",
    ".rpmsave",
    ".swp",
    ".ucf-dist",
    ".ucf-new",
    ".ucf-old",
    "~",
)
MAX_NESTING = 16
SCRIPT_KEYWORDS = ("prerotate", "postrotate", "firstaction", "lastaction", "preremove")
JOURNALD_MAIN = (
    "/etc/systemd/journald.conf",
    "/run/systemd/journald.conf",
    "/usr/local/lib/systemd/journald.conf",
    "/usr/lib/systemd/journald.conf",
)
JOURNALD_DROPIN_DIRS = (
    "/etc/systemd/journald.conf.d",
    "/run/systemd/journald.conf.d",
    "/usr/local/lib/systemd/journald.conf.d",
    "/usr/lib/systemd/journald.conf.d",
)
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")
JOURNALD_MAX_BYTES = 256 * 1024
# Walking the log directories stops after this many directories, whatever log_files_max says.
MAX_LOG_DIRS_WALKED = 5000
MAX_JOURNAL_FILES = 20000
_WORD = re.compile(r"[A-Za-z]+")
_VARIABLE = re.compile(r"\$(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)")


def _taboo_patterns():
    return ["*" + ext for ext in DEFAULT_TABOO_EXTENSIONS]


def is_taboo(name, patterns):
    """Whether logrotate skips this file name of an included directory (fnmatch with FNM_PERIOD)."""
    for pattern in patterns:
        if name.startswith(".") and not pattern.startswith("."):
            continue  # FNM_PERIOD: a leading dot is matched by a dot only
        if fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def scan_directives(text):
    """(line number, keyword, value) of the include, tabooext and taboopat lines outside scripts."""
    found = []
    in_script = False
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        match = _WORD.match(stripped)
        word = match.group(0) if match else ""
        if in_script:
            if word == "endscript":
                in_script = False
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if word in SCRIPT_KEYWORDS:
            in_script = True
        elif word in ("include", "tabooext", "taboopat"):
            value = stripped[len(word) :].strip()
            if value.startswith("="):
                value = value[1:].strip()
            if value:
                found.append((number, word, value))
    return found


def _update_taboo(patterns, keyword, value):
    if value.startswith("+"):
        value = value[1:].strip()
    else:
        del patterns[:]
    for item in re.split(r"[\s,]+", value):
        if item:
            patterns.append(("*" + item) if keyword == "tabooext" else item)


def _entry_info(info):
    return {"mode": stat.S_IMODE(info.st_mode), "uid": info.st_uid, "size": info.st_size}


class _ConfigReader(object):
    """Reads the main file and what it includes, depth first, each path at most once."""

    def __init__(self, max_files, max_bytes, home):
        self.max_files = max_files
        self.bytes_left = max_bytes
        self.home = home
        self.paths = []
        self.seen = set()
        self.taboo = _taboo_patterns()
        self.problems = []
        self.truncated = False
        self.files_read = 0

    def _resolve(self, path, cwd):
        if path.startswith("~/"):
            path = os.path.join(self.home, path[2:])
        if not path.startswith("/"):
            path = os.path.join(cwd, path)
        return os.path.normpath(path)

    def read_path(self, path, cwd, depth):
        if path in self.seen:
            return
        self.seen.add(path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self.paths.append({"path": path, "kind": "missing"})
            return
        except OSError as exc:
            self.paths.append({"path": path, "kind": "unreadable", "error": exc.strerror or str(exc)})
            return
        if stat.S_ISDIR(info.st_mode):
            self._read_dir(path, info, depth)
        elif stat.S_ISREG(info.st_mode):
            self._read_file(path, info, cwd, depth)
        else:
            entry = {"path": path, "kind": "other"}
            entry.update(_entry_info(info))
            self.paths.append(entry)

    def _read_dir(self, path, info, depth):
        try:
            names = sorted(os.listdir(path), key=lambda n: n.encode("utf-8", "surrogateescape"))
        except OSError as exc:
            self.paths.append({"path": path, "kind": "unreadable", "error": exc.strerror or str(exc)})
            return
        entry = {"path": path, "kind": "directory", "entries": names}
        entry.update(_entry_info(info))
        self.paths.append(entry)
        for name in names:
            if is_taboo(name, self.taboo):
                continue
            self.read_path(os.path.join(path, name), path, depth)

    def _read_file(self, path, info, cwd, depth):
        entry = {"path": path, "kind": "file", "text": "", "truncated": False}
        entry.update(_entry_info(info))
        self.paths.append(entry)
        if self.files_read >= self.max_files or self.bytes_left <= 0:
            entry["truncated"] = True
            self.truncated = True
            return
        self.files_read += 1
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.bytes_left + 1)
        except OSError as exc:
            entry["kind"] = "unreadable"
            entry["error"] = exc.strerror or str(exc)
            return
        if len(data) > self.bytes_left:
            data = data[: self.bytes_left]
            entry["truncated"] = True
            self.truncated = True
        self.bytes_left -= len(data)
        entry["text"] = data.decode("utf-8", "replace")
        if depth >= MAX_NESTING:
            return
        for _number, keyword, value in scan_directives(entry["text"]):
            if keyword == "include":
                self.read_path(self._resolve(value, cwd), cwd, depth + 1)
            else:
                _update_taboo(self.taboo, keyword, value)


def read_logrotate(config, max_files, max_bytes):
    """(the "logrotate" structure, problems)."""
    home = os.environ.get("HOME") or "/root"
    reader = _ConfigReader(max_files, max_bytes, home)
    config = os.path.normpath(config)
    reader.read_path(config, "/", 0)
    problems = reader.problems
    if reader.paths and reader.paths[0]["kind"] == "missing":
        problems.append({"source": config, "message": "logrotate configuration does not exist"})
    for entry in reader.paths:
        if entry["kind"] == "unreadable":
            problems.append({"source": entry["path"], "message": "cannot read: %s" % entry["error"]})
    if reader.truncated:
        problems.append(
            {
                "source": config,
                "message": "logrotate rule files cut at logrotate_max_files (%d) or logrotate_max_bytes (%d)"
                % (max_files, max_bytes),
            }
        )
    return {"config": config, "home": home, "paths": reader.paths, "truncated": reader.truncated}, problems


def config_directive_args(dump, name):
    """The arguments of every NAME directive of an nginx -T dump, in order, as lists of words."""
    found = []
    current = None
    at_statement_start = True
    for match in _TOKEN.finditer(_without_comments(dump)):
        double, single, punct, bare = match.groups()
        if punct is not None:
            if current is not None:
                found.append(current)
            current = None
            at_statement_start = True
            continue
        word = double if double is not None else single if single is not None else bare
        if current is not None:
            current.append(word)
        elif at_statement_start and bare == name:
            current = []
        at_statement_start = False
    return found


def _configure_value(arguments, flag):
    for token in (arguments or "").split():
        if token.startswith(flag + "="):
            return token.split("=", 1)[1]
    return None


def nginx_log_paths(nginx):
    """[(path or glob, directive)] of the logs nginx writes: access_log, error_log, compiled ones.

    A path with variables ($host) becomes a glob, each variable a *; globs come after named files.
    """
    prefix = nginx.get("prefix") or "/"
    dump = nginx.get("dump") or ""
    found = []
    for args in config_directive_args(dump, "access_log"):
        if not args or args[0] == "off" or args[0].startswith(("syslog:", "memory:")):
            continue
        found.append((args[0], "access_log"))
    compiled = _configure_value(nginx.get("configure_arguments"), "--http-log-path")
    if compiled:
        found.append((compiled, "access_log"))
    for path, _from_config in error_log_paths(dump, prefix, nginx.get("configure_arguments")):
        found.append((path, "error_log"))
    paths = []
    for value, directive in found:
        value = _VARIABLE.sub("*", value)
        if not value.startswith("/"):
            value = os.path.join(prefix, value)
        paths.append((os.path.normpath(value), directive))
    # Named files first: a glob from a variable must not claim a file a directive names.
    return [p for p in paths if not _has_magic(p[0])] + [p for p in paths if _has_magic(p[0])]


def _stat_log(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return {
        "path": path,
        "size": info.st_size,
        "mtime": int(info.st_mtime),
        "inode": info.st_ino,
    }


def _has_magic(path):
    return any(char in path for char in "*?[")


class _LogList(object):
    def __init__(self, max_files):
        self.max_files = max_files
        self.entries = []
        self.by_path = {}
        self.dropped = 0

    def add(self, path, writer, backend, directive):
        path = os.path.normpath(path)
        if path in self.by_path:
            entry = self.by_path[path]
            if entry["writer"] is None and writer is not None:
                entry.update({"writer": writer, "backend": backend, "directive": directive})
            return
        if len(self.entries) >= self.max_files:
            self.dropped += 1
            return
        entry = _stat_log(path)
        if entry is None:
            return
        entry.update({"writer": writer, "backend": backend, "directive": directive})
        self.entries.append(entry)
        self.by_path[path] = entry


def log_files(nginx, backends, log_dirs, max_files):
    """(entries, problems): the log files of nginx, of the backends and under the log directories."""
    problems = []
    logs = _LogList(max_files)
    for path, directive in nginx_log_paths(nginx):
        matches = sorted(glob.glob(path)) if _has_magic(path) else [path]
        for match in matches:
            logs.add(match, "nginx", None, directive)
    for backend in backends:
        if backend.get("log_file"):
            logs.add(backend["log_file"], "backend", backend["name"], None)
    walked = 0
    for top in log_dirs:
        for current, dirs, names in os.walk(top):
            walked += 1
            if walked > MAX_LOG_DIRS_WALKED:
                problems.append(
                    {"source": top, "message": "stopped after %d directories" % MAX_LOG_DIRS_WALKED}
                )
                break
            dirs.sort()
            for name in sorted(names):
                if name.endswith(".log"):
                    logs.add(os.path.join(current, name), None, None, None)
        if walked > MAX_LOG_DIRS_WALKED:
            break
    if logs.dropped:
        problems.append(
            {
                "source": "log files",
                "message": "%d log files left out: log_files_max (%d) files were listed already"
                % (logs.dropped, max_files),
            }
        )
    return logs.entries, problems


def _read_small(path, max_bytes):
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    return data[:max_bytes].decode("utf-8", "replace"), len(data) > max_bytes


def _journal_dir(path):
    entry = {"path": path, "exists": os.path.isdir(path), "bytes": 0, "files": 0}
    if not entry["exists"]:
        return entry
    for current, _dirs, names in os.walk(path):
        for name in names:
            if entry["files"] >= MAX_JOURNAL_FILES:
                return entry
            try:
                info = os.lstat(os.path.join(current, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                entry["files"] += 1
                # What the files take on disk, as journalctl --disk-usage counts it.
                entry["bytes"] += getattr(info, "st_blocks", 0) * 512 or info.st_size
    return entry


def journald():
    """(the "journald" structure, problems)."""
    problems = []
    candidates = list(JOURNALD_MAIN)
    for directory in JOURNALD_DROPIN_DIRS:
        candidates.extend(sorted(glob.glob(os.path.join(directory, "*.conf"))))
    files = []
    for path in candidates:
        if not os.path.lexists(path):
            continue
        try:
            text, truncated = _read_small(path, JOURNALD_MAX_BYTES)
        except OSError as exc:
            problems.append({"source": path, "message": "cannot read: %s" % (exc.strerror or exc)})
            continue
        masked = os.path.realpath(path) == os.devnull
        files.append({"path": path, "text": text, "truncated": truncated, "masked": masked})
    dirs = [_journal_dir(path) for path in JOURNAL_DIRS]
    return {
        "config_files": files,
        "journal_dirs": dirs,
        "disk_usage_bytes": sum(entry["bytes"] for entry in dirs),
    }, problems
