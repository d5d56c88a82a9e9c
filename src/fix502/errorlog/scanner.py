"""Stream nginx and php-fpm error logs through the classifier in constant memory.

A log is read in blocks of CHUNK bytes. An nginx upstream error is a line at level error or worse
whose message ends with one of nginx's upstream actions (``... while connecting to upstream``,
``... from upstream``), so ``upstream, client: `` follows it: one C-speed search per block finds
those lines, and only they are looked at in Python. The few causes whose lines do not have that
shape (resolver failures, worker_connections, file descriptors, php-fpm's pool) have their own
words, searched the same way.

Each block's lines are counted per (message, upstream) in a dict; each distinct message is
classified once (a bounded cache). Each cause keeps a count, the first and last time, the upstreams
it names (at most MAX_UPSTREAMS, the others counted together) and three example lines (the first,
and the last two): nothing grows with the size of a log. The first example's line number is found
from its byte offset when the log can be read again (``line_numbers``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from fix502.errorlog.causes import (
    ALL_CAUSES,
    NGINX_NEEDLES,
    PHP_FPM_MAX_CHILDREN,
    PHP_FPM_NEEDLE,
    UPSTREAM_ERROR,
    classify,
)
from fix502.errorlog.summary import (
    MAX_EXAMPLE_CHARS,
    Analysis,
    CauseSummary,
    Example,
    SourceSummary,
    Upstream,
)

CHUNK = 4 << 20
MAX_LINE = 64 << 10
MAX_UPSTREAMS = 64
MAX_CACHE = 8192

_LEVELS = frozenset((b"[e", b"[c", b"[a"))  # [error] [emerg] [crit] [alert], at column 20
_ERROR_LEVELS = frozenset((b"error", b"crit", b"alert", b"emerg"))
_NOT_SEEN = b"~"  # sorts after every timestamp
_FIELD = b'upstream: "'
_MONTHS = {
    m: b"%02d" % (n + 1)
    for n, m in enumerate(
        (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")
    )
}


@dataclass(frozen=True)
class FirstExample:
    """Where the first example of a cause is, for finding its line number afterwards."""

    cause: str
    source: str
    offset: int


class _Tally:
    __slots__ = ("cause", "count", "first", "first_example", "last", "other_upstreams", "recent", "upstreams")

    def __init__(self, cause: str) -> None:
        self.cause = cause
        self.count = 0
        self.first = _NOT_SEEN
        self.last = b""
        self.upstreams: dict[bytes, int] = {}
        self.other_upstreams = 0
        # (timestamp, line, source, byte offset in the source) of the first line, and of the last two
        self.first_example: tuple[bytes, bytes, str, int] | None = None
        self.recent: deque[tuple[bytes, bytes, str, int]] = deque(maxlen=2)

    def add_upstream(self, name: bytes, count: int) -> None:
        ups = self.upstreams
        seen = ups.get(name)
        if seen is not None:
            ups[name] = seen + count
        elif len(ups) < MAX_UPSTREAMS:
            ups[name] = count
        else:
            self.other_upstreams += count

    def seen(self, ts: bytes, line: bytes, source: str, offset: int) -> None:
        """A line of this cause at ``ts`` (lines of one log come in order)."""
        if ts < self.first:
            self.first = ts
            self.first_example = (ts, line, source, offset)
        if ts >= self.last:
            self.last = ts
            self.recent.append((ts, line, source, offset))


class Scanner:
    """Feed it logs with ``scan``; ``analysis()`` says what they hold."""

    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}
        self._cache: dict[bytes, tuple[_Tally | None, bytes]] = {}  # message -> (cause, upstream it names)
        self._sources: list[SourceSummary] = []
        self._line_numbers: dict[tuple[str, int], int] = {}

    def scan(self, stream: BinaryIO, source: str, *, offset: int = 0, limit: int | None = None) -> None:
        """Read ``stream`` to its end (or ``limit`` bytes). ``offset``: where it starts in its file."""
        carry = b""  # the start of a line cut by the end of the last block
        carry_at = offset  # where that line starts in the file
        size = 0
        needles: tuple[bytes, ...] | None = None
        while limit is None or size < limit:
            data = stream.read(CHUNK if limit is None else min(CHUNK, limit - size))
            if not data:
                break
            at = offset + size  # where data starts in the file
            size += len(data)
            cut = data.rfind(b"\n")
            if cut == -1:
                if not carry:
                    carry_at = at
                carry = (carry + data)[:MAX_LINE]
                continue
            start = 0
            if carry:
                start = data.find(b"\n") + 1
                self._slow_line((carry + data[: start - 1])[:MAX_LINE], source, carry_at)
            if needles is None:
                needles = _needles_for(data[start : data.find(b"\n", start)])
            if needles is NGINX_NEEDLES:
                self._nginx_block(data, start, cut + 1, source, at)
            self._other_lines(data, start, cut + 1, needles, source, at)
            carry = data[cut + 1 :][:MAX_LINE]
            carry_at = at + cut + 1
        if carry:
            self._slow_line(carry, source, carry_at)
        self._sources.append(SourceSummary(name=source, bytes=size))

    def scan_bytes(self, data: bytes, source: str) -> None:
        """A log held in memory, e.g. a tail the collector brought back; line numbers come from it."""
        from io import BytesIO

        self.scan(BytesIO(data), source)
        self.number_lines(source, data)

    def first_examples(self) -> list[FirstExample]:
        return [
            FirstExample(cause=t.cause, source=t.first_example[2], offset=t.first_example[3])
            for t in self._tallies.values()
            if t.first_example is not None
        ]

    def number_lines(self, source: str, data: bytes | Iterable[bytes]) -> None:
        """Give the first examples read from ``source`` their line numbers, from its bytes again."""
        wanted = sorted({e.offset for e in self.first_examples() if e.source == source})
        if not wanted:
            return
        chunks = [data] if isinstance(data, bytes) else data
        at = lines = 0
        pending = iter(wanted)
        target = next(pending, None)
        for chunk in chunks:
            end = at + len(chunk)
            while target is not None and target < end:
                lines += chunk.count(b"\n", 0, target - at)
                self._line_numbers[(source, target)] = lines + 1
                chunk, at = chunk[target - at :], target
                target = next(pending, None)
            if target is None:
                return
            lines += chunk.count(b"\n")
            at = end

    # The hot path: every line of buf[start:end] (whole lines) that has "upstream, client: ".
    def _nginx_block(self, buf: bytes, start: int, end: int, source: str, base: int) -> None:
        find = buf.find
        rfind = buf.rfind
        levels = _LEVELS
        stats: dict[tuple[bytes, bytes], list[int]] = {}
        stats_get = stats.get
        odd: list[int] = []
        pos = find(UPSTREAM_ERROR, start, end)
        while pos != -1:
            c = pos + 8  # where ", client: " starts: the end of the message
            ls = rfind(b"\n", 0, pos) + 1
            pos = find(UPSTREAM_ERROR, c + 10, end)
            if buf[ls + 20 : ls + 22] not in levels:
                if buf[ls + 20 : ls + 21] != b"[" or buf[ls + 4 : ls + 5] != b"/":
                    odd.append(ls)  # not "YYYY/MM/DD HH:MM:SS [level]" from column 0: read it slowly
                continue
            k = find(b": *", ls + 27, c)
            if k == -1:
                odd.append(ls)
                continue
            s = find(b" ", k + 3, c) + 1
            le = find(b"\n", c, end)
            u = find(_FIELD, c, le)
            if u == -1:
                key = (buf[s:c], b"")
            else:
                hs = u + 11
                q = find(b'"', hs, le)
                p = find(b"://", hs, q)
                if p != -1:
                    hs = p + 3
                he = find(b"/", hs, q)
                if he == -1:
                    he = q
                elif he == hs + 5 and buf[hs:he] == b"unix:":
                    he = find(b":", he, q)
                    if he == -1:
                        he = q
                key = (buf[s:c], buf[hs:he])
            rec = stats_get(key)
            if rec is None:
                stats[key] = [1, ls, ls, -1]
            else:
                rec[0] += 1
                rec[3] = rec[2]
                rec[2] = ls
        if stats:
            self._merge(buf, stats, source, base)
        for ls in odd:
            self._slow_line(buf[ls : find(b"\n", ls, end)], source, base + ls)

    def _merge(self, buf: bytes, stats: dict[tuple[bytes, bytes], list[int]], source: str, base: int) -> None:
        """Add one block's counts to the causes; look at the first and last lines of each cause."""
        places: dict[_Tally, list[int]] = {}
        cache_get = self._cache.get
        for (msg, upstream), (count, first, last, previous) in stats.items():
            hit = cache_get(msg) or self._classify(msg)
            tally = hit[0]
            if tally is None:
                continue
            tally.count += count
            if upstream:
                tally.add_upstream(upstream, count)
            places.setdefault(tally, []).extend((first, last, previous))
        for tally, starts in places.items():
            ordered = sorted(set(starts) - {-1})
            for ls in ordered[:1] + [p for p in ordered[-2:] if p != ordered[0]]:
                line = buf[ls : buf.find(b"\n", ls)]
                tally.seen(line[:19], line, source, base + ls)

    def _other_lines(
        self, buf: bytes, start: int, end: int, needles: tuple[bytes, ...], source: str, base: int
    ) -> None:
        """Lines with a word of ``needles`` that the hot path did not read, each on its own."""
        for index, needle in enumerate(needles):
            earlier = needles[:index]
            pos = buf.find(needle, start, end)
            while pos != -1:
                ls = buf.rfind(b"\n", 0, pos) + 1
                le = buf.find(b"\n", pos, end)
                pos = buf.find(needle, le, end)
                line = buf[ls:le]
                if UPSTREAM_ERROR in line or any(word in line for word in earlier):
                    continue  # read by the hot path, or by the pass of an earlier word
                self._slow_line(line, source, base + ls)

    def _slow_line(self, line: bytes, source: str, offset: int) -> None:
        """One line on its own: an nginx line in any framing (syslog, journald), or php-fpm's."""
        tally: _Tally | None
        parsed = _parse_nginx(line)
        if parsed is not None:
            ts, msg, s = parsed
            if UPSTREAM_ERROR not in line and not any(word in line for word in NGINX_NEEDLES):
                return
            tally, named = self._cache.get(msg) or self._classify(msg)
        elif PHP_FPM_NEEDLE in line:
            ts, s = _php_fpm_time(line), 0
            tally, named = self._tally(PHP_FPM_MAX_CHILDREN), _named_upstream(line)
        else:
            return
        if tally is None:
            return
        tally.count += 1
        tally.seen(ts, line, source, offset)
        u = line.find(b", " + _FIELD, s)
        if u != -1:
            tally.add_upstream(upstream_name(line[u + 13 : line.find(b'"', u + 13)]), 1)
        elif named:
            tally.add_upstream(named, 1)

    def _tally(self, cause: str) -> _Tally:
        tally = self._tallies.get(cause)
        if tally is None:
            tally = self._tallies[cause] = _Tally(cause)
        return tally

    def _classify(self, msg: bytes) -> tuple[_Tally | None, bytes]:
        cause = classify(msg)
        hit = (None, b"") if cause is None else (self._tally(cause), _named_upstream(msg))
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()
        self._cache[msg] = hit
        return hit

    def analysis(self) -> Analysis:
        order = {cause: n for n, cause in enumerate(ALL_CAUSES)}
        causes = [self._summary(t) for t in self._tallies.values() if t.count]
        causes.sort(key=lambda c: order.get(c.cause, len(order)))
        return Analysis(causes=causes, sources=list(self._sources))

    def _summary(self, tally: _Tally) -> CauseSummary:
        examples: list[Example] = []
        seen: set[tuple[str, int]] = set()
        picked = ([tally.first_example] if tally.first_example else []) + list(tally.recent)
        for _ts, line, source, offset in picked:
            if (source, offset) not in seen:
                seen.add((source, offset))
                number = self._line_numbers.get((source, offset)) if not examples else None
                examples.append(Example(text=_text(line), source=source, line=number))
        upstreams = sorted(tally.upstreams.items(), key=lambda item: (-item[1], item[0]))
        return CauseSummary(
            cause=tally.cause,
            count=tally.count,
            first=_text(tally.first) if tally.first not in (_NOT_SEEN, b"") else None,
            last=_text(tally.last) or None,
            upstreams=tuple(Upstream(name=_text(name), count=n) for name, n in upstreams),
            other_upstreams=tally.other_upstreams,
            examples=tuple(examples[:3]),
        )


def upstream_name(raw: bytes) -> bytes:
    """An ``upstream:`` value without scheme and URI: ``http://127.0.0.1:8080/x`` -> ``127.0.0.1:8080``,
    ``fastcgi://unix:/run/a.sock:`` -> ``unix:/run/a.sock``."""
    p = raw.find(b"://")
    rest = raw[p + 3 :] if p != -1 else raw
    c = rest.find(b":", 5) if rest.startswith(b"unix:") else rest.find(b"/")
    return rest[:c] if c != -1 else rest


def _needles_for(first_line: bytes) -> tuple[bytes, ...]:
    """php-fpm's log is told by its first line: ``[01-May-2024 10:00:00] NOTICE: ...``."""
    return (PHP_FPM_NEEDLE,) if _php_fpm_time(first_line) else NGINX_NEEDLES


def _named_upstream(msg: bytes) -> bytes:
    """The upstream a message names by itself, for lines without an ``upstream:`` field."""
    for head, tail in (
        (b"connect() to ", b" failed"),
        (b"no resolver defined to resolve ", b""),
        (b'host not found in upstream "', b'"'),
        (b"[pool ", b"]"),
    ):
        at = msg.find(head)
        if at != -1:
            value = msg[at + len(head) :]
            stop = value.find(tail) if tail else -1
            value = value[:stop] if stop != -1 else value
            return b"pool " + value if head == b"[pool " else value
    at = msg.find(b" could not be resolved")
    if at > 0:
        return msg[:at].rsplit(b" ", 1)[-1]
    return b""


def _parse_nginx(line: bytes) -> tuple[bytes, bytes, int] | None:
    """(timestamp, message, start of message) of an nginx line at level error or worse, else None."""
    if line[19:21] == b" [" and line[4:5] == b"/" and line[13:14] == b":":
        i = 19
    else:  # a syslog or journald prefix before nginx's own line
        i = line.find(b" [")
        while i != -1 and (i < 19 or line[i - 15 : i - 14] != b"/" or line[i - 6 : i - 5] != b":"):
            i = line.find(b" [", i + 2)
    if i == -1:
        return None
    j = line.find(b"] ", i)
    if line[i + 2 : j] not in _ERROR_LEVELS:
        return None
    k = line.find(b": ", j)
    if k == -1:
        return None
    s = k + 2
    if line[s : s + 1] == b"*":
        s = line.find(b" ", s) + 1
    e = line.find(b", client: ", s)
    return line[i - 19 : i], (line[s:e] if e != -1 else line[s:]), s


def _php_fpm_time(line: bytes) -> bytes:
    """``[01-May-2024 10:00:00] WARNING: ...`` -> ``2024/05/01 10:00:00``; b"" when there is none."""
    if line.startswith(b"["):
        stamp = line[1 : line.find(b"]")]
        month = _MONTHS.get(stamp[3:6])
        if month is not None and len(stamp) >= 20 and stamp[2:3] == b"-":
            return stamp[7:11] + b"/" + month + b"/" + stamp[0:2] + stamp[11:20]
    return b""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")[:MAX_EXAMPLE_CHARS]
