# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Free space on full filesystems without losing a byte of log; private to this collection.

Used by the module disk_relief. What it does, on the filesystems it is given only:

- rotated logs that are still uncompressed (``name.1``, ``name.log.2``, ``name-YYYYMMDD``) are
  gzipped in place (``name.1.gz``) and the original is removed once the copy is complete;
- an active log bigger than the limit is copied into ``name.1.gz`` (older ``name.N[.gz]`` move up
  by one, the way logrotate numbers them) and then truncated, never removed;
- the systemd journal is vacuumed to a size (``journalctl --vacuum-size``);
- files older than an age are removed from the temp directories it is given, and nowhere else.

When the filesystem has no room for a compressed copy, the copy is streamed into a staging directory
on another filesystem first, the original is removed or truncated, and the copy is moved back (it
is smaller than what it replaces). Every action reports the bytes it freed; in check mode it
reports what it would do and about how much it would free, without writing anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fnmatch
import gzip
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import zlib

from ansible_collections.fix502.gateway.plugins.module_utils._filesystems import usage_from_statvfs

CHUNK = 1 << 20
SAMPLE = 1 << 20
# Compressed logs are left alone; a name with one of these endings is never compressed again.
COMPRESSED = (".gz", ".xz", ".bz2", ".zst", ".lz4", ".lzma", ".z", ".Z", ".zip")
# name.N (logrotate), name-YYYYMMDD[HH][-epoch] (logrotate's dateext).
ROTATED = re.compile(r"^(?P<base>.+?)(?:\.(?P<num>\d{1,4})|-(?P<date>\d{8}(?:\d{2})?(?:-\d+)?))$")
OWN_PREFIX = ".fix502-"
# Directories whose files are never removed as "temp", whatever the options say.
NEVER_TEMP = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib64",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/usr",
        "/var",
        "/var/lib",
        "/var/log",
        "/var/www",
    ]
)
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class ReliefError(Exception):
    """An option that cannot be used; the message names it."""


class _Changed(Exception):
    """A file changed while it was being compressed; it is left as it was."""


def parse_age(text):
    """Seconds in an age such as 7d, 12h, 30m, 45s or a plain number of seconds."""
    match = _AGE.match(str(text))
    if not match:
        raise ReliefError("temp_min_age %r: must be a number followed by s, m, h, d or w" % (text,))
    return float(match.group(1)) * _AGE_UNITS[match.group(2)]


def allocated(st):
    """Bytes a file really occupies on its filesystem (what removing it frees)."""
    return st.st_blocks * 512


def mount_point(path):
    """The mount point of the filesystem ``path`` lives on."""
    path = os.path.realpath(path)
    while not os.path.ismount(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def classify(name, patterns):
    """'rotated', 'active' or None for a file name found in a log directory."""
    if name.startswith(OWN_PREFIX) or name.endswith(COMPRESSED):
        return None
    if ROTATED.match(name):
        return "rotated"
    for pattern in patterns:
        if fnmatch.fnmatchcase(name, pattern):
            return "active"
    return None


def open_files(proc="/proc"):
    """(st_dev, st_ino) of every regular file a process has open, each with 'PID (name)' of one of them."""
    found = {}
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    own = str(os.getpid())
    for pid in pids:
        if pid == own:
            continue
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        try:
            with open(os.path.join(proc, pid, "comm"), "rb") as handle:
                comm = handle.read(64).decode("utf-8", "replace").strip()
        except OSError:
            comm = "?"
        for fd in fds:
            try:
                st = os.stat(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.setdefault((st.st_dev, st.st_ino), "%s (%s)" % (pid, comm))
    return found


def estimate_gzip(path, size, level):
    """(bytes, exact): the size of ``path`` gzipped, from the whole file or from four 1 MiB samples."""
    with open(path, "rb") as handle:
        if size <= 4 * SAMPLE:
            compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
            total = 0
            while True:
                data = handle.read(CHUNK)
                if not data:
                    break
                total += len(compressor.compress(data))
            return total + len(compressor.flush()), True
        packed = raw = 0
        for index in range(4):
            handle.seek((size - SAMPLE) * index // 3)
            data = handle.read(SAMPLE)
            compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
            packed += len(compressor.compress(data)) + len(compressor.flush())
            raw += len(data)
        return int(size * packed / max(raw, 1)) + 64, False


def round_up(value, block):
    return -(-value // block) * block


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_owner(path, st):
    os.chmod(path, stat.S_IMODE(st.st_mode))
    try:
        os.chown(path, st.st_uid, st.st_gid)
    except OSError as exc:
        if exc.errno != errno.EPERM:
            raise


def _copy_attributes(path, st):
    _copy_owner(path, st)
    os.utime(path, (st.st_atime, st.st_mtime))


def _link_into_place(tmp, dest):
    """Give ``tmp`` the name ``dest`` without ever replacing an existing file."""
    os.link(tmp, dest)
    os.unlink(tmp)
    _fsync_dir(os.path.dirname(dest))


class Relief(object):
    """One run over the filesystems to relieve; ``run()`` returns the module's result."""

    def __init__(self, params, check_mode, journalctl=None, proc="/proc"):
        self.check_mode = check_mode
        self.level = params["compress_level"]
        self.max_log_size = params["max_log_size"]
        self.patterns = params["log_patterns"]
        self.vacuum = params["vacuum_journal"]
        self.journal_max_size = params["journal_max_size"]
        self.journalctl = journalctl
        self.temp_min_age = params["temp_min_age"]
        self.staging_dirs = params["staging_dirs"]
        self.actions = []
        self.skipped = []
        self.errors = []
        self.diff_before = []
        self.diff_after = []
        self._staging = {}
        # Check mode: the files the actions before would have made (True) or removed (False).
        self._planned = {}
        self.targets = {}
        for path in params["filesystems"]:
            try:
                st = os.stat(path)
            except OSError as exc:
                raise ReliefError("filesystems: %s: %s" % (path, exc.strerror)) from None
            if st.st_dev not in self.targets:
                mount = mount_point(path)
                usage = usage_from_statvfs(os.statvfs(mount))
                self.targets[st.st_dev] = {"mount": mount, "before": usage, "freed": 0}
        for directory in params["temp_dirs"]:
            real = os.path.realpath(directory)
            if not os.path.isabs(directory) or real in NEVER_TEMP:
                raise ReliefError("temp_dirs: %s is not a directory whose files may be removed" % directory)
        self.log_dirs = _outermost([os.path.realpath(d) for d in params["log_dirs"] if os.path.isdir(d)])
        self.log_files = [os.path.realpath(f) for f in params["log_files"]]
        self.journal_dirs = [os.path.realpath(d) for d in params["journal_dirs"] if os.path.isdir(d)]
        self.temp_dirs = [os.path.realpath(d) for d in params["temp_dirs"] if os.path.isdir(d)]
        self.busy = open_files(proc)

    # ----------------------------------------------------------------- finding the files

    def _in_target(self, st):
        return st.st_dev in self.targets

    def find_logs(self):
        """(rotated, active): lists of (path, stat) on the target filesystems, largest first."""
        seen = set()
        rotated, active = [], []

        def consider(path, kind):
            try:
                st = os.lstat(path)
            except OSError:
                return
            if not stat.S_ISREG(st.st_mode) or not self._in_target(st) or (st.st_dev, st.st_ino) in seen:
                return
            seen.add((st.st_dev, st.st_ino))
            (rotated if kind == "rotated" else active).append((path, st))

        for log_file in self.log_files:
            consider(log_file, "active")
            directory, name = os.path.split(log_file)
            try:
                siblings = os.listdir(directory)
            except OSError:
                continue
            for sibling in siblings:
                match = ROTATED.match(sibling)
                if match and match.group("base") == name and classify(sibling, ()) == "rotated":
                    consider(os.path.join(directory, sibling), "rotated")
        for top in self.log_dirs:
            for directory, dirs, files in os.walk(top, onerror=lambda _exc: None):
                try:
                    here = os.lstat(directory).st_dev
                except OSError:
                    dirs[:] = []
                    continue
                kept = []
                for sub in dirs:
                    full = os.path.join(directory, sub)
                    try:
                        sub_st = os.lstat(full)
                    except OSError:
                        continue
                    # Down into the same filesystem or a target one; never into the journal.
                    inside = sub_st.st_dev == here or self._in_target(sub_st)
                    if stat.S_ISDIR(sub_st.st_mode) and inside and full not in self.journal_dirs:
                        kept.append(sub)
                dirs[:] = kept
                for name in files:
                    kind = classify(name, self.patterns)
                    if kind:
                        consider(os.path.join(directory, name), kind)
        rotated.sort(key=lambda item: -allocated(item[1]))
        active.sort(key=lambda item: -allocated(item[1]))
        return rotated, active

    # ----------------------------------------------------------------- bookkeeping

    def _exists(self, path):
        planned = self._planned.get(path)
        return os.path.lexists(path) if planned is None else planned

    def _skip(self, path, reason):
        self.skipped.append({"path": path, "reason": reason})

    def _record(self, action, st_dev):
        action["mount"] = self.targets[st_dev]["mount"]
        action["estimated"] = self.check_mode
        self.targets[st_dev]["freed"] += action["freed_bytes"]
        self.actions.append(action)

    def _block(self, st_dev):
        return os.statvfs(self.targets[st_dev]["mount"]).f_frsize or 4096

    def _avail(self, st_dev):
        avail = usage_from_statvfs(os.statvfs(self.targets[st_dev]["mount"]))["avail_bytes"]
        if self.check_mode:  # as it would be after the actions before this one
            avail += self.targets[st_dev]["freed"]
        return avail

    def _staging_dir(self, source_dev, needed):
        """A private directory on another filesystem with ``needed`` bytes free, or None."""
        for base in self.staging_dirs:
            try:
                st = os.stat(base)
                usage = usage_from_statvfs(os.statvfs(base))
            except OSError:
                continue
            if st.st_dev == source_dev or usage["avail_bytes"] < needed:
                continue
            if self.check_mode:
                return base
            if base not in self._staging:
                self._staging[base] = tempfile.mkdtemp(prefix=OWN_PREFIX + "disk-relief-", dir=base)
            return self._staging[base]
        return None

    def _staging_base(self, staging):
        """The staging directory as the options name it, for a private directory made in it."""
        for base, private in self._staging.items():
            if private == staging:
                return base
        return staging

    def cleanup(self):
        for directory in self._staging.values():
            try:
                os.rmdir(directory)
            except OSError:
                self._skip(directory, "staging directory kept: it holds a compressed copy not moved back")

    # ----------------------------------------------------------------- compressing

    def _where_to_compress(self, path, st, estimate):
        """('here' | 'staging', staging dir or None) for a compressed copy of ``estimate`` bytes."""
        needed = round_up(estimate, self._block(st.st_dev)) + (1 << 20)
        if self._avail(st.st_dev) >= needed + needed // 10:
            return "here", None
        staging = self._staging_dir(st.st_dev, needed * 2)
        if staging is None:
            return None, None
        return "staging", staging

    def _gzip_to(self, directory, src_fd, name, st, truncate):
        """Compress the open file into a new temporary file in ``directory``; returns (tmp path, bytes read).

        With ``truncate``, data appended while compressing is caught up in extra gzip members until
        the file stops growing; only once the copy is complete and on disk is the file truncated.
        Without it, the file must not change while it is read (else _Changed).
        """
        fd, tmp = tempfile.mkstemp(prefix=OWN_PREFIX, suffix=".gz.tmp", dir=directory)
        truncated = False
        try:
            _copy_owner(tmp, st)
            with os.fdopen(fd, "wb") as out:
                offset = 0
                os.lseek(src_fd, 0, os.SEEK_SET)
                for _round in range(50):
                    member = gzip.GzipFile(
                        filename=name,
                        mode="wb",
                        compresslevel=self.level,
                        fileobj=out,
                        mtime=int(st.st_mtime),
                    )
                    while True:
                        data = os.read(src_fd, CHUNK)
                        if not data:
                            break
                        member.write(data)
                        offset += len(data)
                    member.close()
                    out.flush()
                    os.fsync(out.fileno())
                    now = os.fstat(src_fd)
                    if now.st_size < offset:
                        raise _Changed("it was truncated by something else while it was compressed")
                    if not truncate and (now.st_size != st.st_size or now.st_mtime != st.st_mtime):
                        raise _Changed("it was written to while it was compressed")
                    if not truncate or now.st_size == offset:
                        break
                else:
                    raise _Changed("it kept growing faster than it could be compressed")
                os.utime(tmp, (st.st_atime, st.st_mtime))
                if truncate:
                    # Everything up to offset is in tmp, on disk: only now may the log lose it.
                    os.ftruncate(src_fd, 0)
                    truncated = True
            return tmp, offset
        except BaseException:
            if not truncated:
                _unlink_quietly(tmp)
            raise

    def compress_rotated(self, path, st):
        dest = path + ".gz"
        if os.path.lexists(dest):
            return self._skip(path, "%s already exists" % dest)
        holder = self.busy.get((st.st_dev, st.st_ino))
        if holder:
            return self._skip(path, "still open by %s: compress it once the writer reopened its log" % holder)
        if st.st_nlink > 1:
            return self._skip(path, "has %d hard links: compressing it would free nothing" % st.st_nlink)
        if st.st_size == 0:
            return None
        estimate, _exact = estimate_gzip(path, st.st_size, self.level)
        gain = allocated(st) - round_up(estimate, self._block(st.st_dev))
        if gain <= 0:
            return self._skip(path, "compressing it would free nothing")
        action = {
            "action": "compress",
            "path": path,
            "dest": dest,
            "size_bytes": st.st_size,
            "compressed_bytes": estimate,
            "freed_bytes": gain,
            "staged_in": None,
            "renamed": [],
        }
        self.diff_before.append("%s  %d bytes" % (path, st.st_size))
        if self.check_mode:
            where, staging = self._where_to_compress(path, st, estimate)
            if where is None:
                self.diff_after.append("%s  %d bytes (no room for a compressed copy)" % (path, st.st_size))
                return self._skip(path, _NO_ROOM)
            action["staged_in"] = staging
            self.diff_after.append("%s  about %d bytes" % (dest, estimate))
            self._planned[path], self._planned[dest] = False, True
            return self._record(action, st.st_dev)
        try:
            done = self._compress_file(path, st, dest, estimate)
        except _Changed as exc:
            self.diff_after.append("%s  %d bytes (left as it was)" % (path, st.st_size))
            return self._skip(path, "left as it was: %s" % exc)
        if done is None:
            self.diff_after.append("%s  %d bytes (no room for a compressed copy)" % (path, st.st_size))
            return self._skip(path, _NO_ROOM)
        action.update(done)
        self.diff_after.append("%s  %d bytes" % (dest, action["compressed_bytes"]))
        return self._record(action, st.st_dev)

    def _compress_file(self, path, st, dest, estimate):
        directory, name = os.path.split(path)
        where, staging = self._where_to_compress(path, st, estimate)
        src_fd = os.open(path, os.O_RDONLY)
        try:
            if where == "here":
                try:
                    tmp, _read = self._gzip_to(directory, src_fd, name, st, truncate=False)
                except (IOError, OSError) as exc:
                    if exc.errno not in _NO_SPACE:
                        raise
                    where, staging = "staging", self._staging_dir(st.st_dev, 2 * round_up(estimate, 4096))
            if where == "staging" and staging is not None:
                staged, _read = self._gzip_to(staging, src_fd, name, st, truncate=False)
            elif where != "here":
                return None
        finally:
            os.close(src_fd)
        if where == "here":
            _link_into_place(tmp, dest)
            os.unlink(path)
            _fsync_dir(directory)
            staging = None
        else:
            os.unlink(path)  # the complete copy is safe on the other filesystem
            _fsync_dir(directory)
            self._move_back(staged, dest, st)
        gz = os.lstat(dest)
        return {
            "compressed_bytes": gz.st_size,
            "freed_bytes": allocated(st) - allocated(gz),
            "staged_in": self._staging_base(staging) if staging else None,
        }

    def _move_back(self, staged, dest, st):
        """Copy a staged .gz next to where it belongs, then remove the staged one."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=OWN_PREFIX, suffix=".gz.tmp", dir=os.path.dirname(dest))
            try:
                with os.fdopen(fd, "wb") as out, open(staged, "rb") as src:
                    shutil.copyfileobj(src, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                _copy_attributes(tmp, os.stat(staged))
                _link_into_place(tmp, dest)
            except BaseException:
                _unlink_quietly(tmp)
                raise
        except (IOError, OSError) as exc:
            raise OSError(
                exc.errno,
                "the compressed copy could not be moved back to %s (%s); it is complete and kept at %s"
                % (dest, exc.strerror or exc, staged),
            ) from exc
        os.unlink(staged)

    def rotate_active(self, path, st):
        if st.st_size <= self.max_log_size:
            return None
        directory, name = os.path.split(path)
        chain = _numbered_chain(path, self._exists)
        dest = path + ".1.gz"
        renames = [(old, _renumbered(path, old, 1)) for old in reversed(chain)]
        estimate, _exact = estimate_gzip(path, st.st_size, self.level)
        if allocated(st) - round_up(estimate, self._block(st.st_dev)) <= 0:
            return self._skip(path, "rotating it into a gzip would free nothing (it does not compress)")
        action = {
            "action": "rotate",
            "path": path,
            "dest": dest,
            "size_bytes": st.st_size,
            "compressed_bytes": estimate,
            "freed_bytes": allocated(st) - round_up(estimate, self._block(st.st_dev)),
            "staged_in": None,
            "renamed": [list(pair) for pair in renames],
        }
        self.diff_before.append("%s  %d bytes" % (path, st.st_size))
        self.diff_before.extend(old for old, _new in renames)
        if self.check_mode:
            where, staging = self._where_to_compress(path, st, estimate)
            if where is None:
                self.diff_after.append("%s  %d bytes (no room for a compressed copy)" % (path, st.st_size))
                self.diff_after.extend(old for old, _new in renames)
                return self._skip(path, _NO_ROOM)
            action["staged_in"] = staging
            self.diff_after.append("%s  0 bytes" % path)
            self.diff_after.append("%s  about %d bytes" % (dest, estimate))
            self.diff_after.extend(new for _old, new in renames)
            return self._record(action, st.st_dev)
        where, staging = self._where_to_compress(path, st, estimate)
        src_fd = os.open(path, os.O_RDWR)
        st = os.fstat(src_fd)  # what is truncated is what it holds now, not when it was found
        tmp = staged = None
        try:
            if where == "here":
                try:
                    tmp, read = self._gzip_to(directory, src_fd, name, st, truncate=True)
                except (IOError, OSError) as exc:
                    if exc.errno not in _NO_SPACE:
                        raise
                    where, staging = "staging", self._staging_dir(st.st_dev, 2 * round_up(estimate, 4096))
            if where == "staging" and staging is not None:
                staged, read = self._gzip_to(staging, src_fd, name, st, truncate=True)
            elif where != "here":
                self.diff_after.append("%s  %d bytes (no room for a compressed copy)" % (path, st.st_size))
                self.diff_after.extend(old for old, _new in renames)
                return self._skip(path, _NO_ROOM)
        except _Changed as exc:
            self.diff_after.append("%s  %d bytes (left as it was)" % (path, st.st_size))
            return self._skip(path, "left as it was: %s" % exc)
        finally:
            os.close(src_fd)
        # The log is truncated and its content is in tmp (here) or staged (elsewhere): give it its name.
        try:
            for old, new in renames:
                if os.path.lexists(new):
                    raise OSError(errno.EEXIST, "cannot move %s up: %s appeared meanwhile" % (old, new))
                os.rename(old, new)
            if tmp is not None:
                _link_into_place(tmp, dest)
                staging = None
            else:
                self._move_back(staged, dest, st)
        except (IOError, OSError) as exc:
            if tmp is not None and os.path.lexists(tmp):
                raise OSError(
                    exc.errno, "%s; what the log held is complete in %s" % (exc.strerror or exc, tmp)
                ) from exc
            raise
        gz = os.lstat(dest)
        after = os.lstat(path)
        action.update(
            size_bytes=read,
            compressed_bytes=gz.st_size,
            freed_bytes=allocated(st) - allocated(after) - allocated(gz),
            staged_in=self._staging_base(staging) if staging else None,
        )
        self.diff_after.append("%s  %d bytes" % (path, after.st_size))
        self.diff_after.append("%s  %d bytes" % (dest, gz.st_size))
        self.diff_after.extend(new for _old, new in renames)
        return self._record(action, st.st_dev)

    # ----------------------------------------------------------------- journal and temp files

    def vacuum_journals(self):
        for directory in self.journal_dirs:
            try:
                st = os.stat(directory)
            except OSError:
                continue
            if not self._in_target(st):
                continue
            files = _journal_files(directory)
            usage = sum(allocated(s) for _p, s in files)
            if usage <= self.journal_max_size:
                continue
            would, total = 0, usage
            for path, file_st in sorted(files, key=lambda item: item[1].st_mtime):
                if total <= self.journal_max_size:
                    break
                if _archived(path):
                    total -= allocated(file_st)
                    would += allocated(file_st)
            if would == 0:
                self._skip(directory, "the journal uses %d bytes, but only its active files are left" % usage)
                continue
            if self.journalctl is None:
                self._skip(directory, "journalctl is not installed")
                continue
            action = {
                "action": "vacuum_journal",
                "path": directory,
                "dest": None,
                "size_bytes": usage,
                "compressed_bytes": None,
                "freed_bytes": would,
                "staged_in": None,
                "renamed": [],
            }
            self.diff_before.append("%s  %d bytes" % (directory, usage))
            if not self.check_mode:
                try:
                    limit = "--vacuum-size=%d" % self.journal_max_size
                    done = subprocess.run(
                        [self.journalctl, "--directory=" + directory, limit],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        timeout=300,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    self.errors.append("%s: journalctl --vacuum-size did not end within 300 s" % directory)
                    continue
                if done.returncode != 0:
                    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
                    last = lines[-1] if lines else "exit status %d" % done.returncode
                    self.errors.append("%s: journalctl --vacuum-size failed: %s" % (directory, last))
                    continue
                left = dict(_journal_files(directory))
                action["freed_bytes"] = sum(allocated(s) for p, s in files if p not in left)
                usage = sum(allocated(s) for s in left.values())
                self.diff_after.append("%s  %d bytes" % (directory, usage))
            else:
                self.diff_after.append("%s  about %d bytes" % (directory, usage - would))
            self._record(action, st.st_dev)

    def clean_temp(self):
        cutoff = time.time() - self.temp_min_age
        for top in self.temp_dirs:
            try:
                top_st = os.stat(top)
            except OSError:
                continue
            if not self._in_target(top_st):
                continue
            removed, freed = [], 0
            for directory, dirs, files in os.walk(top, onerror=lambda _exc: None):
                dirs[:] = [d for d in dirs if _same_dev_dir(os.path.join(directory, d), top_st.st_dev)]
                for name in files:
                    path = os.path.join(directory, name)
                    try:
                        st = os.lstat(path)
                    except OSError:
                        continue
                    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                        continue
                    if max(st.st_mtime, st.st_atime) > cutoff:
                        continue
                    if (st.st_dev, st.st_ino) in self.busy:
                        self._skip(path, "old, but open by %s" % self.busy[(st.st_dev, st.st_ino)])
                        continue
                    if not self.check_mode:
                        try:
                            os.unlink(path)
                        except OSError as exc:
                            self.errors.append("%s: cannot remove: %s" % (path, exc.strerror))
                            continue
                    removed.append(path)
                    freed += allocated(st)
            if not removed:
                continue
            self.diff_before.extend(removed[:50])
            if len(removed) > 50:
                self.diff_before.append("... and %d more files" % (len(removed) - 50))
            self._record(
                {
                    "action": "clean_temp",
                    "path": top,
                    "dest": None,
                    "size_bytes": freed,
                    "compressed_bytes": None,
                    "freed_bytes": freed,
                    "staged_in": None,
                    "renamed": [],
                    "files_removed": len(removed),
                    "removed": removed[:200],
                },
                top_st.st_dev,
            )

    # ----------------------------------------------------------------- the run

    def run(self):
        rotated, active = self.find_logs()
        try:
            for path, st in rotated:
                self._guard(self.compress_rotated, path, st)
            if self.vacuum:
                self.vacuum_journals()
            self.clean_temp()
            for path, st in active:
                self._guard(self.rotate_active, path, st)
        finally:
            self.cleanup()
        return self.result()

    def _guard(self, step, path, st):
        try:
            step(path, st)
        except (IOError, OSError) as exc:
            self.errors.append("%s: %s" % (path, exc.strerror or exc))

    def result(self):
        filesystems = []
        for target in self.targets.values():
            before = target["before"]
            if self.check_mode:
                avail = min(before["avail_bytes"] + target["freed"], before["size_bytes"])
                used = before["size_bytes"] - avail
                denominator = before["size_bytes"] or 1
                after = {"avail_bytes": avail, "used_percent": round(used * 100.0 / denominator, 1)}
            else:
                after = usage_from_statvfs(os.statvfs(target["mount"]))
            filesystems.append(
                {
                    "mount": target["mount"],
                    "size_bytes": before["size_bytes"],
                    "avail_before_bytes": before["avail_bytes"],
                    "avail_after_bytes": after["avail_bytes"],
                    "used_percent_before": before["used_percent"],
                    "used_percent_after": after["used_percent"],
                    "freed_bytes": target["freed"],
                }
            )
        freed = sum(fs["freed_bytes"] for fs in filesystems)
        verb = "would free about" if self.check_mode else "freed"
        summary = ["%s: %s %s" % (fs["mount"], verb, _bytes_text(fs["freed_bytes"])) for fs in filesystems]
        for action in self.actions:
            target = action["dest"] or ""
            summary.append(
                "%s %s%s: %s %s%s"
                % (
                    action["action"],
                    action["path"],
                    " -> %s" % target if target else "",
                    verb,
                    _bytes_text(action["freed_bytes"]),
                    " (through %s)" % action["staged_in"] if action["staged_in"] else "",
                )
            )
        return {
            "changed": bool(self.actions),
            "freed_bytes": freed,
            "filesystems": filesystems,
            "actions": self.actions,
            "skipped": self.skipped,
            "summary": summary,
            "errors": self.errors,
        }


_NO_ROOM = "no room for a compressed copy on its filesystem and no staging directory on another one with room"


def _bytes_text(count):
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return "%d bytes" % count if unit == "bytes" else "%.1f %s (%d bytes)" % (value, unit, count)
        value /= 1024
    return "%d bytes" % count


def _outermost(paths):
    """The directories of ``paths`` that are not inside another one of them."""
    kept = []
    for path in sorted(set(paths)):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _same_dev_dir(path, dev):
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_dev == dev


def _unlink_quietly(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


def _numbered_chain(path, exists):
    """The rotated files path.1, path.2, ... (plain or compressed) from 1 up to the first free number."""
    chain = []
    index = 1
    while True:
        found = [name for name in _variants(path, index) if exists(name)]
        if not found:
            return chain
        chain.extend(found)
        index += 1


def _variants(path, index):
    return ["%s.%d" % (path, index)] + ["%s.%d%s" % (path, index, ext) for ext in COMPRESSED]


def _renumbered(path, old, step):
    rest = old[len(path) + 1 :]
    number, dot, ext = rest.partition(".")
    return "%s.%d%s%s" % (path, int(number) + step, dot, ext)


def _journal_files(directory):
    found = []
    for root, _dirs, files in os.walk(directory):
        for name in files:
            if name.endswith((".journal", ".journal~")):
                path = os.path.join(root, name)
                try:
                    found.append((path, os.lstat(path)))
                except OSError:
                    continue
    return found


def _archived(path):
    name = os.path.basename(path)
    return name.endswith("~") or "@" in name
