# The C extension of the error log scanner (_blockscan.c); its comment says what scan returns.
from collections.abc import Sequence

# (kind or message, upstream name, count, first, last, before_last): where lines start in the block
Group = tuple[bytes, bytes, int, int, int, int]

def scan(
    buf: bytes,
    start: int,
    end: int,
    marker: bytes,
    field: bytes,
    levels: Sequence[bytes],
    needles: Sequence[bytes],
) -> tuple[list[Group], list[Group], list[int], list[int]]: ...
