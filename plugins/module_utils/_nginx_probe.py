# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find nginx, its master and its configuration, and dump it with nginx -T; private to this collection.

Precedence for each of binary, main config file and prefix: the module's options, then the
running master (its process title keeps the command line it was started with, e.g.
"nginx: master process /usr/sbin/nginx -c /tmp/x/nginx.conf -p /tmp/x/"), then the values
compiled in (nginx -V).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import os
import re
import shlex
import shutil

from ansible_collections.fix502.gateway.plugins.module_utils._bounded import (
    c_locale_env,
    describe_failure,
    run_bounded,
)
from ansible_collections.fix502.gateway.plugins.module_utils._sockets import parent_pid

MASTER_TITLE = "nginx: master process"
FALLBACK_BINARIES = ("/usr/sbin/nginx", "/usr/local/nginx/sbin/nginx")
DEFAULT_PREFIX = "/usr/local/nginx/"
MAX_TEST_MESSAGES = 50
_VERSION_RE = re.compile(r"nginx version:\s*\S+?/(\S+)")


def parse_master_title(title):
    """Split a master's process title into {binary, config, prefix, globals}.

    The title is the original command line joined with spaces, without quoting, so a value
    is one word, except -g whose directives run up to a word ending in ";".
    """
    rest = title[len(MASTER_TITLE) :].strip() if title.startswith(MASTER_TITLE) else title.strip()
    words = rest.split()
    found = {"binary": None, "config": None, "prefix": None, "globals": None}
    if not words:
        return found
    found["binary"] = words[0]
    i = 1
    while i < len(words):
        word = words[i]
        i += 1
        if len(word) < 2 or word[0] != "-" or word[1] not in "cpg":
            continue
        key = {"c": "config", "p": "prefix", "g": "globals"}[word[1]]
        if len(word) > 2:
            value = word[2:]
        elif i < len(words):
            value = words[i]
            i += 1
        else:
            break
        if key == "globals":
            parts = [value]
            while not parts[-1].endswith(";") and i < len(words):
                parts.append(words[i])
                i += 1
            value = " ".join(parts)
        found[key] = value
    return found


def _read_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as handle:
        raw = handle.read(65536)
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0")]


def _mount_namespace(pid):
    try:
        return os.readlink("/proc/%s/ns/mnt" % pid)
    except OSError:
        return None


def find_masters():
    """Running nginx masters: list of {pid, title, exe, cwd}, by pid.

    Masters in another mount namespace (containers on this host) see other files under the
    same paths: their configuration is not this host's, so they are left out.
    """
    masters = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return masters
    own_namespace = _mount_namespace("self")
    for name in sorted((n for n in names if n.isdigit()), key=int):
        pid = int(name)
        if own_namespace is not None and _mount_namespace(pid) != own_namespace:
            continue
        try:
            argv = _read_cmdline(pid)
        except OSError:
            continue
        if not argv or not argv[0].startswith(MASTER_TITLE):
            continue
        title = " ".join(part for part in argv if part).strip()
        exe = cwd = None
        with contextlib.suppress(OSError):
            exe = os.readlink("/proc/%d/exe" % pid)
        with contextlib.suppress(OSError):
            cwd = os.readlink("/proc/%d/cwd" % pid)
        masters.append({"pid": pid, "title": title, "exe": exe, "cwd": cwd})
    # A worker just forked still carries its master's title for a moment: leave out the
    # "masters" whose parent is one.
    pids = set(m["pid"] for m in masters)
    return [m for m in masters if parent_pid(m["pid"]) not in pids]


def _usable_exe(path):
    if not path:
        return None
    if path.endswith(" (deleted)"):
        path = path[: -len(" (deleted)")]
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return None


def find_binary(option, master):
    """The nginx binary to run: the option, the master's executable, PATH, then the usual places."""
    if option:
        return option
    if master is not None:
        exe = _usable_exe(master.get("exe"))
        if exe:
            return exe
    found = shutil.which("nginx")
    if found:
        return found
    for path in FALLBACK_BINARIES:
        if _usable_exe(path):
            return path
    return None


def parse_version_output(text):
    """(version, configure_arguments) from nginx -V output; either may be None."""
    version = None
    arguments = None
    for line in text.splitlines():
        if version is None:
            match = _VERSION_RE.search(line)
            if match:
                version = match.group(1)
        if line.startswith("configure arguments:"):
            arguments = line[len("configure arguments:") :].strip()
    return version, arguments


def configure_option(arguments, name):
    """The value of --NAME=VALUE in a configure arguments string, or None."""
    if not arguments:
        return None
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    prefix = "--%s=" % name
    for word in words:
        if word.startswith(prefix):
            return word[len(prefix) :]
    return None


def _absolute(path, base):
    if path is None or os.path.isabs(path) or not base:
        return path
    return os.path.join(base, path)


def master_config(master, compiled_prefix=None, compiled_conf=None):
    """(config file, prefix) a running master uses, absolute where they can be made so; either may be None."""
    parsed = parse_master_title(master["title"])
    prefix = _absolute(parsed["prefix"], master.get("cwd")) if parsed["prefix"] else compiled_prefix
    config = parsed["config"] or compiled_conf
    return _absolute(config, prefix), prefix


def _same_file(a, b):
    return bool(a) and bool(b) and os.path.normpath(a) == os.path.normpath(b)


def pick_master(masters, config_option=None, prefix_option=None, compiled_prefix=None, compiled_conf=None):
    """The master to report: the first one, or with nginx_config set, the one using that file, or None."""
    if not masters:
        return None
    if not config_option:
        return masters[0]
    for master in masters:
        config, prefix = master_config(master, compiled_prefix, compiled_conf)
        if _same_file(config, _absolute(config_option, prefix_option or prefix)):
            return master
    return None


def _test_messages(stderr):
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    if len(lines) > MAX_TEST_MESSAGES:
        half = MAX_TEST_MESSAGES // 2
        lines = lines[:half] + lines[-half:]
    return lines


def _note_master(result, problems, masters, master, config_option):
    """Record the chosen master in result, and in problems when the choice was not obvious."""
    pids = ", ".join(str(m["pid"]) for m in masters)
    if master is not None:
        result["running"] = True
        result["master_pid"] = master["pid"]
        if len(masters) > 1:
            problems.append(
                {
                    "source": "nginx",
                    "message": "%d nginx masters are running (pids %s); probed pid %d"
                    % (len(masters), pids, master["pid"]),
                }
            )
    elif masters:
        problems.append(
            {
                "source": "nginx",
                "message": "no running nginx master uses %s; other masters run (pids %s)"
                % (config_option, pids),
            }
        )


def probe(binary_option=None, config_option=None, prefix_option=None, timeout=10, max_dump_bytes=4 << 20):
    """Everything the collector reports under "nginx", plus a list of problems."""
    problems = []
    result = {
        "binary": None,
        "version": None,
        "configure_arguments": None,
        "config_file": None,
        "prefix": None,
        "master_pid": None,
        "running": False,
        "dump": "",
        "dump_truncated": False,
        "test_ok": None,
        "test_messages": [],
    }
    masters = find_masters()
    # A first pick, to choose the binary; the final one needs the compiled defaults from nginx -V.
    master = pick_master(masters, config_option, prefix_option)
    binary = find_binary(binary_option, master or (masters[0] if masters else None))
    if binary is None:
        problems.append(
            {
                "source": "nginx",
                "message": "nginx binary not found (not running, not in PATH, not in %s)"
                % ", ".join(FALLBACK_BINARIES),
            }
        )
    elif binary_option and not _usable_exe(binary_option):
        problems.append(
            {"source": "nginx", "message": "nginx_binary %s is not an executable file" % binary_option}
        )
        binary = None
    if binary is None:
        _note_master(result, problems, masters, master, config_option)
        return result, problems
    result["binary"] = binary
    env = c_locale_env()

    compiled_prefix = compiled_conf = None
    try:
        version_run = run_bounded([binary, "-V"], timeout, 256 * 1024, env=env)
    except OSError as exc:
        problems.append(
            {"source": "nginx -V", "message": "cannot run %s: %s" % (binary, exc.strerror or exc)}
        )
        version_run = None
    if version_run is not None:
        failure = describe_failure(version_run, timeout)
        if failure:
            problems.append({"source": "nginx -V", "message": failure})
        version, arguments = parse_version_output(version_run.stderr + "\n" + version_run.stdout)
        result["version"] = version
        result["configure_arguments"] = arguments
        compiled_prefix = configure_option(arguments, "prefix") or (DEFAULT_PREFIX if version else None)
        compiled_conf = configure_option(arguments, "conf-path")
        if compiled_conf is None and compiled_prefix:
            compiled_conf = "conf/nginx.conf"

    master = pick_master(masters, config_option, prefix_option, compiled_prefix, compiled_conf)
    _note_master(result, problems, masters, master, config_option)
    parsed = parse_master_title(master["title"]) if master is not None else {}

    # -p: option, else the master's (relative to the master's working directory), else compiled.
    prefix_arg = prefix_option
    if prefix_arg is None and parsed.get("prefix"):
        prefix_arg = _absolute(parsed["prefix"], master.get("cwd"))
    result["prefix"] = prefix_arg or compiled_prefix

    # -c: option, else the master's; a relative file name is relative to the prefix, as in nginx.
    config_arg = config_option
    if config_arg is None and parsed.get("config"):
        config_arg = parsed["config"]
    if config_arg:
        result["config_file"] = _absolute(config_arg, result["prefix"])
    elif compiled_conf:
        result["config_file"] = _absolute(compiled_conf, result["prefix"])

    argv = [binary, "-T"]
    if config_arg:
        argv += ["-c", config_arg]
    if prefix_arg:
        argv += ["-p", prefix_arg]
    if parsed.get("globals") and config_option is None and prefix_option is None:
        argv += ["-g", parsed["globals"]]
    try:
        dump_run = run_bounded(argv, timeout, max_dump_bytes, env=env)
    except OSError as exc:
        problems.append(
            {"source": "nginx -T", "message": "cannot run %s: %s" % (binary, exc.strerror or exc)}
        )
        return result, problems
    result["dump"] = dump_run.stdout
    result["dump_truncated"] = bool(dump_run.stdout_truncated or dump_run.timed_out)
    result["test_messages"] = _test_messages(dump_run.stderr)
    if dump_run.timed_out:
        problems.append({"source": "nginx -T", "message": describe_failure(dump_run, timeout)})
    else:
        result["test_ok"] = dump_run.rc == 0
        if dump_run.rc != 0 and hasattr(os, "geteuid") and os.geteuid() != 0:
            problems.append(
                {
                    "source": "nginx -T",
                    "message": "the test failed while not running as root; "
                    "it may only be a permission problem",
                }
            )
    if dump_run.stdout_truncated:
        problems.append(
            {
                "source": "nginx -T",
                "message": "configuration dump cut at max_dump_bytes (%d bytes)" % max_dump_bytes,
            }
        )
    return result, problems
