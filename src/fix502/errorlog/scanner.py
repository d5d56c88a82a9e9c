"""Stream nginx and php-fpm error logs through the classifier in constant memory.

A log is read in blocks of CHUNK bytes. An nginx upstream error is a line at level error or worse
whose message ends with one of nginx's upstream actions (``... while connecting to upstream``,
``... from upstream``), so ``upstream, client: `` follows it. Each block is split once on those
words, and everything done to those lines is done by C code over the whole block (map, compress,
Counter): the start of each line (its head) without digits is its *kind* (level and message), a
dict lookup says which cause a kind is, and each cause's lines are counted per upstream field.
Python looks at a kind the first time it is seen, at the upstream fields once per distinct value,
and at the first and last two lines of each cause in each block (its examples). The few causes
whose lines do not have that shape (resolver failures, worker_connections, file descriptors,
php-fpm's pool) have their own words, one C-speed search per word and block; their lines are
looked at one by one, their kinds cached the same way.

Each cause keeps a count, the first and last time, the upstreams it names (at most MAX_UPSTREAMS,
the others counted together) and three example lines (the first, and the last two); kinds,
messages and upstream fields are cached (at most MAX_CACHE each): nothing grows with the size of a
log. The first example's line number is found from its byte offset when the log can be read again
(``number_lines``). A scanner can also read one part of a log (``scan_part``) and hand what it
found (``state``) to the scanner of the part before (``merge``).

Where the package was built with its C extension (``_blockscan``), a block of nginx's log is read
by it instead, in one pass: it skips the lines below level error, groups the upstream errors by
kind and upstream and the other causes' lines by message and upstream, and says where the lines in
another layout start. Python classifies, counts and picks examples from those groups as it does
for the lines it reads itself, so both ways give the same analysis (the tests compare them);
``compiled=False`` reads every block in Python.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import accumulate, compress, islice, repeat
from operator import itemgetter
from typing import Any, BinaryIO

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
from fix502.errors import Fix502Error

try:
    from fix502.errorlog import _blockscan
except ImportError:  # built without its C extension: every block is read in Python
    _blockscan = None  # type: ignore[assignment]

CHUNK = 1 << 20
MAX_LINE = 64 << 10
MAX_UPSTREAMS = 64
MAX_CACHE = 8192

_ERROR_LEVELS_ORDERED = (b"error", b"crit", b"alert", b"emerg")
_ERROR_LEVELS = frozenset(_ERROR_LEVELS_ORDERED)
_NOT_SEEN = b"~"  # sorts after every timestamp
_FIELD = b'upstream: "'
_CONTEXT_FIELD = b", " + _FIELD
_DIGITS = b"0123456789"
_FIRST = itemgetter(0)
_LAST = itemgetter(2)
_END = itemgetter(-1)
_UNIX = b"unix:"
_ODD = object()  # a line in another layout than nginx's own
_LAYOUT = b"// :: ["  # "YYYY/MM/DD HH:MM:SS [" without its digits
_MONTHS = {
    m: b"%02d" % (n + 1)
    for n, m in enumerate(
        (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec")
    )
}


class ScannerError(Fix502Error):
    """The scanner cannot read the way it was asked to."""


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

    def __init__(self, *, compiled: bool | None = None) -> None:
        """``compiled``: read nginx's blocks with the C extension (None: when it was built; True:
        ScannerError when it was not)."""
        if compiled and _blockscan is None:
            raise ScannerError("the compiled error log scanner was not built with this package")
        self.compiled = _blockscan is not None if compiled is None else compiled
        self._tallies: dict[str, _Tally] = {}
        self._cache: dict[bytes, tuple[_Tally | None, bytes]] = {}  # message -> (cause, upstream it names)
        self._kinds: dict[bytes, Any] = {}  # line start without digits -> _Tally, False or _ODD
        self._compiled_kinds: dict[bytes, Any] = {}  # the extension's kinds -> _Tally or False
        self._names: dict[bytes, bytes] = {}  # upstream field -> upstream name
        self._needle_kinds: dict[bytes, Any] = {}  # other lines without digits -> (_Tally, named) or _ODD
        self._sources: list[SourceSummary] = []
        self._line_numbers: dict[tuple[str, int], int] = {}

    def scan(self, stream: BinaryIO, source: str, *, offset: int = 0, limit: int | None = None) -> None:
        """Read ``stream`` to its end (or ``limit`` bytes). ``offset``: where it starts in its file."""
        size = self.scan_part(stream, source, offset=offset, limit=limit)
        self._sources.append(SourceSummary(name=source, bytes=size))

    def scan_part(
        self,
        stream: BinaryIO,
        source: str,
        *,
        offset: int = 0,
        limit: int | None = None,
        needles: tuple[bytes, ...] | None = None,
    ) -> int:
        """``scan`` without recording the source (a part of a file); how many bytes were read.

        ``needles``: the words of the other causes, when known from the file's first line.
        """
        carry = b""  # the start of a line cut by the end of the last block
        carry_at = offset  # where that line starts in the file
        size = 0
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
                needles = needles_for(data[start : data.find(b"\n", start)])
            if needles != NGINX_NEEDLES:  # (not "is not": a worker gets a copy)
                self._other_lines(data, start, cut + 1, needles, source, at)
            elif self.compiled:
                self._compiled_block(data, start, cut + 1, source, at)
            else:
                self._nginx_block(data, start, cut + 1, source, at)
                self._other_lines(data, start, cut + 1, needles, source, at)
            carry = data[cut + 1 :][:MAX_LINE]
            carry_at = at + cut + 1
        if carry:
            self._slow_line(carry, source, carry_at)
        return size

    def add_source(self, source: str, size: int) -> None:
        self._sources.append(SourceSummary(name=source, bytes=size))

    def state(self) -> list[tuple[Any, ...]]:
        """What was found, small and picklable, for ``merge`` into another scanner."""
        return [
            (t.cause, t.count, t.upstreams, t.other_upstreams, t.first_example, tuple(t.recent))
            for t in self._tallies.values()
        ]

    def merge(self, state: list[tuple[Any, ...]]) -> None:
        """Add what another scanner found in the part of a log that comes after this one's."""
        for cause, found, upstreams, other, first_example, recent in state:
            tally = self._tally(cause)
            tally.count += found
            for name, n in upstreams.items():
                tally.add_upstream(name, n)
            tally.other_upstreams += other
            examples = {line[3]: line for line in (first_example, *recent) if line is not None}
            for at in sorted(examples):  # in the order of the log, each once
                tally.seen(*examples[at])

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

    # The hot path: every line of buf[start:end] (whole lines) that has "upstream, client: ". All of
    # its per-line work is done by C code over the whole block (split, map, compress, Counter): one
    # line costs a few hundred nanoseconds, whatever it says; Python looks only at what is new.
    def _nginx_block(self, buf: bytes, start: int, end: int, source: str, base: int) -> None:
        """The upstream errors of buf[start:end] (whole lines)."""
        # The whole buffer is split (a slice would copy it); the pieces of the cut lines before
        # ``start`` and after ``end`` are left out. Line i is the end of pieces[lo + i] (its head),
        # "upstream, client: ", and the first line of pieces[lo + i + 1].
        pieces = buf.split(UPSTREAM_ERROR)
        lo = buf.count(UPSTREAM_ERROR, 0, start) if start else 0
        hi = len(pieces) - 1 - (buf.count(UPSTREAM_ERROR, end) if end < len(buf) else 0)
        if hi <= lo:
            return
        known = self._kinds
        hits: list[Any] = list(map(known.get, _kinds(pieces, lo, hi)))
        if None in hits:  # kinds not seen yet: each is looked at once, in a line that has it
            if len(known) >= MAX_CACHE:
                known.clear()
            kinds = list(_kinds(pieces, lo, hi))
            for kind in {k for k, h in zip(kinds, hits, strict=True) if h is None}:
                known[kind] = self._kind(_head(pieces[lo + kinds.index(kind)]))
            hits = list(map(known.__getitem__, kinds))
        if _ODD in hits:  # not nginx's plain layout (syslog, journald): each on its own
            offsets = list(accumulate(map(len, islice(pieces, hi))))
            for i in [i for i, h in enumerate(hits) if h is _ODD]:
                hits[i] = False
                line, at = _line(pieces, lo + i, offsets)
                self._slow_line(line, source, base + at)
        # The upstream of each cause's line, from its upstream field: without its scheme, up to
        # the URI ("http://10.0.0.5:8080/api/1" -> "10.0.0.5:8080"), so that URIs make no new keys.
        # A unix socket ("unix:/run/app.sock:/uri") is named from the whole field.
        tails = map(_FIRST, map(bytes.partition, compress(islice(pieces, lo + 1, None), hits), repeat(b"\n")))
        fields = map(_LAST, map(bytes.partition, tails, repeat(_FIELD)))
        raws = list(map(_FIRST, map(bytes.partition, fields, repeat(b'"'))))
        hosts = list(
            map(
                _FIRST,
                map(
                    bytes.partition,
                    map(_END, map(bytes.split, raws, repeat(b"://"), repeat(1))),
                    repeat(b"/"),
                ),
            )
        )
        if _UNIX in hosts:  # a unix socket is named from its whole field
            name = self._name
            hosts = [host if host != _UNIX else name(raw) for host, raw in zip(hosts, raws, strict=True)]
        # Counted in the order the block first names each upstream, as the extension's groups are.
        found = Counter(zip(compress(hits, hits), hosts, strict=True))
        if not found:
            return
        for (tally, host), lines in found.items():
            tally.count += lines
            if host:
                tally.add_upstream(host, lines)
        self._examples(pieces, lo, hits, {tally for tally, _ in found}, source, base)

    def _compiled_block(self, buf: bytes, start: int, end: int, source: str, base: int) -> None:
        """buf[start:end] (whole lines of nginx's log) read by the C extension. Its groups and odd
        lines are taken in the order the Python path takes them: the upstream errors (odd ones,
        then the examples of the others), then the lines with a needle (the same)."""
        upstream_groups, needle_groups, odd_upstream, odd_needle = _blockscan.scan(
            buf, start, end, UPSTREAM_ERROR, _FIELD, _ERROR_LEVELS_ORDERED, NGINX_NEEDLES
        )
        for ls in odd_upstream:  # not nginx's plain layout (syslog, journald): each on its own
            self._slow_line(_line_at(buf, ls), source, base + ls)
        known = self._compiled_kinds
        picked: dict[_Tally, list[int]] = {}  # where the lines that may be a cause's examples start
        for kind, name, lines, first, last, before_last in upstream_groups:
            tally = known.get(kind)
            if tally is None:  # a kind not seen yet, looked at once in its first line
                if len(known) >= MAX_CACHE:
                    known.clear()
                # The extension hands over only heads that pass _kind's layout checks, so this is
                # a cause's tally or False (a message that explains no 502), never _ODD.
                tally = known[kind] = self._kind(buf[first : buf.find(UPSTREAM_ERROR, first)])
            if isinstance(tally, _Tally):
                _count_group(tally, name, lines, picked.setdefault(tally, []), first, last, before_last)
        self._group_examples(buf, picked, source, base)
        for ls in odd_needle:
            self._slow_line(_line_at(buf, ls), source, base + ls, has_needle=True)
        picked = {}
        for message, name, lines, first, last, before_last in needle_groups:
            tally, named = self._cache.get(message) or self._classify(message)
            if tally is not None:
                starts = picked.setdefault(tally, [])
                _count_group(tally, name or named, lines, starts, first, last, before_last)
        self._group_examples(buf, picked, source, base)

    @staticmethod
    def _group_examples(buf: bytes, picked: dict[_Tally, list[int]], source: str, base: int) -> None:
        """Show each cause its first line of the block and its last two, of the lines ``picked``."""
        for tally, starts in picked.items():
            for ls in _first_and_last_two(sorted(set(starts))):
                line = _line_at(buf, ls)
                tally.seen(line[:19], line, source, base + ls)

    def _examples(
        self,
        pieces: list[bytes],
        lo: int,
        hits: list[Any],
        tallies: set[_Tally],
        source: str,
        base: int,
    ) -> None:
        """Show each cause its first line of the block and its last two (in the order of the log)."""
        last = len(hits) - 1
        backwards = hits[::-1]
        chosen: list[tuple[_Tally, list[int]]] = []
        for tally in tallies:
            first = hits.index(tally)
            end = backwards.index(tally)
            ends = [last - end]
            with suppress(ValueError):  # unless it is the cause's only line
                ends.insert(0, last - backwards.index(tally, end + 1))
            chosen.append((tally, [first] + [e for e in ends if e != first]))
        offsets = list(accumulate(map(len, islice(pieces, lo + max(c[-1] for _, c in chosen) + 1))))
        for tally, picked in chosen:
            for i in picked:
                line, at = _line(pieces, lo + i, offsets)
                tally.seen(line[:19], line, source, base + at)

    def _kind(self, head: bytes) -> _Tally | bool | object:
        """What a line that starts with ``head`` (up to "upstream, client: ") is: a cause's tally,
        False (no cause: another message or a level below error), or _ODD (another layout)."""
        if head[4:5] != b"/" or head[13:14] != b":" or head[19:21] != b" [":
            return _ODD
        j = head.find(b"] ", 21)
        if head[21:j] not in _ERROR_LEVELS:
            return False if j != -1 else _ODD
        k = head.find(b": *", j)
        if k == -1:
            return _ODD
        s = head.find(b" ", k + 3) + 1
        if not s:
            return _ODD
        tally = (self._cache.get(head[s:] + b"upstream") or self._classify(head[s:] + b"upstream"))[0]
        return tally if tally is not None else False

    def _other_lines(
        self,
        buf: bytes,
        start: int,
        end: int,
        needles: tuple[bytes, ...],
        source: str,
        base: int,
    ) -> None:
        """Lines of buf[start:end] with a word of ``needles`` and no upstream error, in the order of
        the log."""
        find = buf.find
        found: dict[int, bytes] = {}  # where a line starts -> the line
        for needle in needles:
            pos = find(needle, start, end)
            while pos != -1:
                ls = buf.rfind(b"\n", 0, pos) + 1
                le = find(b"\n", pos, end)
                if le == -1:
                    le = end
                pos = find(needle, le, end)
                if ls not in found:
                    found[ls] = buf[ls:le]
        if not found:
            return
        if needles != NGINX_NEEDLES:
            for ls in sorted(found):
                self._slow_line(found[ls], source, base + ls, has_needle=True)
            return
        self._needle_lines(found, source, base)

    def _needle_lines(self, found: dict[int, bytes], source: str, base: int) -> None:
        """The lines of nginx's log with a word of NGINX_NEEDLES (``found``: where each starts in
        the block -> the line), in the order of the log: those in another layout first, each on its
        own, then the others, as the compiled scanner hands them over."""
        kinds = self._needle_kinds
        plain: list[tuple[int, _Tally, bool, bytes, bytes]] = []
        for ls in sorted(found):
            line = found[ls]
            if UPSTREAM_ERROR in line:
                continue  # the hot path read it
            head, _, context = line.partition(b", client: ")
            kind = head.translate(None, _DIGITS)
            entry: Any = kinds.get(kind)
            if entry is None:
                if len(kinds) >= MAX_CACHE:
                    kinds.clear()
                entry = kinds[kind] = self._needle_kind(line) if kind.startswith(_LAYOUT) else _ODD
            if entry is _ODD:
                self._slow_line(line, source, base + ls, has_needle=True)
            elif entry[0] is not None:
                plain.append((ls, entry[0], entry[1], head, context))
        picked: dict[_Tally, list[int]] = {}
        for ls, tally, named, head, context in plain:
            tally.count += 1
            u = context.find(_FIELD)
            name = self._field_upstream(context, u + len(_FIELD)) if u != -1 else b""
            name = name or (_named_upstream(head) if named else b"")
            if name:
                tally.add_upstream(name, 1)
            picked.setdefault(tally, []).append(ls)
        for tally, starts in picked.items():
            for ls in _first_and_last_two(starts):
                tally.seen(found[ls][:19], found[ls], source, base + ls)

    def _needle_kind(self, line: bytes) -> tuple[_Tally | None, bool]:
        """The cause of an nginx line in its plain layout, and whether its message names the upstream."""
        parsed = _parse_nginx(line)
        if parsed is None:
            return None, False
        tally, named = self._cache.get(parsed[1]) or self._classify(parsed[1])
        return tally, bool(named)

    def _slow_line(self, line: bytes, source: str, offset: int, *, has_needle: bool = False) -> None:
        """One line on its own: an nginx line in any framing (syslog, journald), or php-fpm's."""
        tally: _Tally | None
        parsed = _parse_nginx(line)
        if parsed is not None:
            ts, msg, s = parsed
            if not has_needle and UPSTREAM_ERROR not in line and not any(w in line for w in NGINX_NEEDLES):
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
        u = line.find(_CONTEXT_FIELD, s)
        name = (self._field_upstream(line, u + len(_CONTEXT_FIELD)) if u != -1 else b"") or named
        if name:
            tally.add_upstream(name, 1)

    def _field_upstream(self, text: bytes, at: int) -> bytes:
        """The upstream of the ``upstream:`` field whose value starts at text[at] (after its quote)."""
        end = text.find(b'"', at)
        return self._name(text[at:end] if end != -1 else text[at:])

    def _name(self, raw: bytes) -> bytes:
        """upstream_name(raw), cached."""
        name = self._names.get(raw)
        if name is None:
            if len(self._names) >= MAX_CACHE:
                self._names.clear()
            name = self._names[raw] = upstream_name(raw)
        return name

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


def _kinds(pieces: list[bytes], lo: int, hi: int) -> Iterator[bytes]:
    """The kind of each upstream error: the start of its line (its head), without digits (time,
    PID, TID, connection number): what is left names its level and message."""
    heads = map(_LAST, map(bytes.rpartition, islice(pieces, lo, hi), repeat(b"\n")))
    return map(bytes.translate, heads, repeat(None), repeat(_DIGITS))


def _head(piece: bytes) -> bytes:
    return piece.rpartition(b"\n")[2]


def _line(pieces: list[bytes], i: int, offsets: list[int]) -> tuple[bytes, int]:
    """The upstream error whose head ends pieces[i] of a buffer split on "upstream, client: ", and
    where it starts in the buffer (``offsets``: the running total of the pieces' lengths)."""
    before = offsets[i]
    head = _head(pieces[i])
    tail = pieces[i + 1].partition(b"\n")[0]
    return head + UPSTREAM_ERROR + tail, before + i * len(UPSTREAM_ERROR) - len(head)


def _count_group(
    tally: _Tally, name: bytes, lines: int, starts: list[int], first: int, last: int, before_last: int
) -> None:
    """Count a group of the extension's lines (``lines`` of them, to upstream ``name``) in ``tally``,
    and keep where the ones that may be its examples start in ``starts``."""
    tally.count += lines
    if name:
        tally.add_upstream(name, lines)
    starts.extend((first, last) if before_last < 0 else (first, before_last, last))  # (a set later)


def _first_and_last_two(starts: list[int]) -> list[int]:
    """Of a cause's lines in a block (where they start, in order, each once), its examples: the first
    and the last two."""
    return starts[:1] + starts[max(1, len(starts) - 2) :]


def _line_at(buf: bytes, start: int) -> bytes:
    """The line of ``buf`` that starts at ``start`` (without its newline)."""
    end = buf.find(b"\n", start)
    return buf[start:end] if end != -1 else buf[start:]


def upstream_name(raw: bytes) -> bytes:
    """An ``upstream:`` value without scheme and URI: ``http://127.0.0.1:8080/x`` -> ``127.0.0.1:8080``,
    ``fastcgi://unix:/run/a.sock:`` -> ``unix:/run/a.sock``."""
    p = raw.find(b"://")
    rest = raw[p + 3 :] if p != -1 else raw
    c = rest.find(b":", 5) if rest.startswith(b"unix:") else rest.find(b"/")
    return rest[:c] if c != -1 else rest


def needles_for(first_line: bytes) -> tuple[bytes, ...]:
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
