"""Error logs on disk: plain or gzip (told by its first bytes, not its name).

A big plain log is read in parts, one per idle CPU: the parts start and end at line ends, each is
scanned by its own process (forked, so nothing is imported again) and what each found is added in
the order of the log. A gzip log is read by one process: it cannot be read from its middle.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import stat
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import Any, BinaryIO

from fix502.errorlog.scanner import CHUNK, MAX_LINE, Scanner, needles_for
from fix502.errorlog.summary import Analysis
from fix502.errors import Fix502Error

_GZIP_MAGIC = b"\x1f\x8b"
# A plain log of at least this many bytes per part is read in parts, by several processes.
PART_MIN = 8 << 20
MAX_WORKERS = 8


class LogFileError(Fix502Error):
    """A log that cannot be read: the message names the file."""


def scan_files(paths: Sequence[str], *, workers: int | None = None, compiled: bool | None = None) -> Analysis:
    """Scan every file in turn, in constant memory; LogFileError names the first that cannot be read.

    ``workers``: at most that many processes for one big plain file (default: one per CPU that is
    not busy, at most MAX_WORKERS; 1 reads everything in this process). ``compiled``: as Scanner's.
    The first example of each cause gets its line number from a second read of its file, up to
    that line only.
    """
    scanner = Scanner(compiled=compiled)
    most = min(_usable_cpus(), MAX_WORKERS) if workers is None else max(1, workers)
    for path in paths:
        with _reading(path) as stream:
            size = _plain_size(stream)
            parts = min(most, size // PART_MIN) if size is not None else 1
            if parts > 1:
                _scan_in_parts(scanner, stream, path, size or 0, parts)
            else:
                scanner.scan(stream, path)
    for path in dict.fromkeys(e.source for e in scanner.first_examples()):
        with _reading(path) as stream:
            scanner.number_lines(path, _blocks(stream))
    return scanner.analysis()


def _scan_in_parts(scanner: Scanner, stream: BinaryIO, path: str, size: int, parts: int) -> None:
    """Parts 2.. in worker processes while this one reads part 1, then their findings in order."""
    needles = needles_for(stream.readline(MAX_LINE).rstrip(b"\n"))
    bounds = [0]
    for n in range(1, parts):
        at = _next_line(stream, size * n // parts)
        if bounds[-1] < at < size:
            bounds.append(at)
    bounds.append(size)
    ranges = list(pairwise(bounds))
    stream.seek(0)
    pool = None
    if len(ranges) > 1:  # else lines too long to cut the file anywhere
        try:
            pool = multiprocessing.get_context("fork").Pool(len(ranges) - 1)
        except OSError:  # no room for more processes, or no shared memory for their queues
            pool = None
    if pool is None:
        scanner.scan(stream, path)
        return
    with pool:
        jobs = [(path, a, b, needles, scanner.compiled) for a, b in ranges[1:]]
        others = pool.starmap_async(_scan_range, jobs)
        scanner.scan_part(stream, path, limit=ranges[0][1], needles=needles)
        for state in others.get():
            scanner.merge(state)
    scanner.add_source(path, size)


def _next_line(stream: BinaryIO, at: int) -> int:
    """Where the first line that starts after ``at`` starts (without reading a long line at once)."""
    stream.seek(at)
    while chunk := stream.readline(MAX_LINE):
        if chunk.endswith(b"\n"):
            break
    return stream.tell()


def _scan_range(
    path: str, start: int, stop: int, needles: tuple[bytes, ...], compiled: bool
) -> list[tuple[Any, ...]]:
    """In a worker: what bytes ``start`` to ``stop`` of ``path`` hold."""
    scanner = Scanner(compiled=compiled)
    try:
        with open(path, "rb") as part:
            part.seek(start)
            scanner.scan_part(part, path, offset=start, limit=stop - start, needles=needles)
    except OSError as exc:
        raise LogFileError(f"{path}: {(exc.strerror or str(exc)).lower()}") from None
    return scanner.state()


def _usable_cpus() -> int:
    """The CPUs this process may run on that are not busy already (by the load average): more
    processes than idle CPUs only take turns, and the log is read slower than by one."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except OSError:
        busy = 0
    return max(1, cpus - busy)


def _plain_size(stream: BinaryIO) -> int | None:
    """The size of a regular file read as it is (not gzip, not a pipe), else None."""
    if isinstance(stream, gzip.GzipFile):
        return None
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _blocks(stream: BinaryIO) -> Iterator[bytes]:
    while block := stream.read(CHUNK):
        yield block


@contextmanager
def _reading(path: str) -> Iterator[BinaryIO]:
    """The file's bytes, unzipped when it is gzip; read errors become one line naming the file."""
    try:
        with open(path, "rb") as raw:
            if raw.read(2) == _GZIP_MAGIC:
                raw.seek(0)
                with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                    yield unzipped  # type: ignore[misc]
            else:
                raw.seek(0)
                yield raw
    except IsADirectoryError:
        raise LogFileError(f"{path}: is a directory") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise LogFileError(f"{path}: not a valid gzip file ({exc or 'it ends too early'})") from None
    except OSError as exc:
        raise LogFileError(f"{path}: {(exc.strerror or str(exc)).lower()}") from None
