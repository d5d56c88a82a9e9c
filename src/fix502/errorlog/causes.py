"""Which nginx (and php-fpm) error log messages explain a 502 or 504, and which root cause each names.

The wording is nginx's own (src/http/ngx_http_upstream.c, src/event/ngx_event_connect.c, the
proxy, fastcgi, scgi and uwsgi modules, ngx_resolver.c) and php-fpm's. ``classify`` looks at the
message alone: the text after ``PID#TID: *CID`` and before ``, client: ...``.
"""

from __future__ import annotations

import re

REFUSED = "LOG001"
SOCKET_MISSING = "LOG002"
PERMISSION = "LOG003"
SOCKET_BACKLOG = "LOG004"
UNREACHABLE = "LOG005"
NO_LOCAL_PORT = "LOG006"
CONNECT_TIMEOUT = "LOG007"
READ_TIMEOUT = "LOG008"
PREMATURE_CLOSE = "LOG009"
RESET = "LOG010"
TOO_BIG_HEADER = "LOG011"
INVALID_RESPONSE = "LOG012"
NO_LIVE_UPSTREAMS = "LOG013"
RESOLVE = "LOG014"
UPSTREAM_TLS = "LOG015"
WORKER_CONNECTIONS = "LOG016"
TOO_MANY_FILES = "LOG017"
PHP_FPM_MAX_CHILDREN = "LOG018"
UNCLASSIFIED = "LOG019"

ALL_CAUSES = (
    REFUSED,
    SOCKET_MISSING,
    PERMISSION,
    SOCKET_BACKLOG,
    UNREACHABLE,
    NO_LOCAL_PORT,
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    PREMATURE_CLOSE,
    RESET,
    TOO_BIG_HEADER,
    INVALID_RESPONSE,
    NO_LIVE_UPSTREAMS,
    RESOLVE,
    UPSTREAM_TLS,
    WORKER_CONNECTIONS,
    TOO_MANY_FILES,
    PHP_FPM_MAX_CHILDREN,
    UNCLASSIFIED,
)

# What the client got when nginx logged the cause: a 504 for nginx's own timers, else a 502.
GATEWAY_TIMEOUT_CAUSES = frozenset({CONNECT_TIMEOUT, READ_TIMEOUT})

# An upstream error: a line whose message ends with one of nginx's upstream actions ("while
# connecting to upstream", "while reading response header from upstream", ...), followed by the
# request's context. One C-speed search for these words finds every such line.
UPSTREAM_ERROR = b"upstream, client: "
# The words of the causes whose lines do not have that shape.
NGINX_NEEDLES = (
    b"could not be resolved",
    b"no resolver defined to resolve",
    b'host not found in upstream "',
    b"worker_connections are not enough",
    b": Too many open files",  # errno 24 (this process) and 23 ("... in system")
)
PHP_FPM_NEEDLE = b"max_children setting"

# Upstream messages that are known and do not explain a 502: a backend's own stderr, the client
# going away, and buffering notes.
_NOT_A_CAUSE = (
    b"FastCGI sent in stderr",
    b"client prematurely closed connection",
    b"an upstream response is buffered",
    b"upstream server temporarily disabled",
)

_ERRNO = re.compile(rb"\((\d+): ")
_CONNECTING = (b"connect()", b"while connecting to upstream")
# errno -> cause, for connect() and the connection it made.
_CONNECT_ERRNO = {
    111: REFUSED,
    2: SOCKET_MISSING,
    13: PERMISSION,
    11: SOCKET_BACKLOG,
    101: UNREACHABLE,
    113: UNREACHABLE,
    112: UNREACHABLE,
    99: NO_LOCAL_PORT,
    110: CONNECT_TIMEOUT,
}
# errno -> cause, for any call on an upstream connection (recv, readv, writev, send, ...).
_UPSTREAM_ERRNO = {111: REFUSED, 104: RESET, 32: RESET, 110: READ_TIMEOUT, 113: UNREACHABLE}
_FILES_ERRNO = (23, 24)


def classify(message: bytes) -> str | None:
    """The cause an nginx message names; UNCLASSIFIED for an other upstream error; None for no cause.

    php-fpm's lines are told apart by the scanner (PHP_FPM_NEEDLE), not here.
    """
    if b"no live upstreams" in message:
        return NO_LIVE_UPSTREAMS
    if (
        b" could not be resolved" in message
        or b"no resolver defined to resolve" in message
        or b"host not found in upstream" in message
    ):
        return RESOLVE
    if b"worker_connections are not enough" in message:
        return WORKER_CONNECTIONS
    if b"timed out" in message and (b"upstream timed out" in message or b"(110: " in message):
        connecting = b"while connecting to upstream" in message or b"SSL handshaking to upstream" in message
        return CONNECT_TIMEOUT if connecting else READ_TIMEOUT
    if b"upstream sent too big header" in message:
        return TOO_BIG_HEADER
    if b"upstream sent " in message or b"upstream prematurely sent" in message:
        return INVALID_RESPONSE
    if b"upstream prematurely closed" in message:
        return PREMATURE_CLOSE
    if b"SSL handshaking to upstream" in message or b"upstream SSL" in message:
        return UPSTREAM_TLS
    errno = _errno(message)
    if errno in _FILES_ERRNO:
        return TOO_MANY_FILES
    upstream = b"upstream" in message
    if errno is not None and any(word in message for word in _CONNECTING):
        cause = _CONNECT_ERRNO.get(errno)
        if cause is not None:
            return cause
    if errno is not None and upstream:
        cause = _UPSTREAM_ERRNO.get(errno)
        if cause is not None:
            return cause
    if any(known in message for known in _NOT_A_CAUSE):
        return None
    # An upstream error is a message that ends with an upstream action; one about the client
    # connection ("while sending to client") is not, even on a line whose context names the upstream.
    return UNCLASSIFIED if message.endswith(b"upstream") else None


def _errno(message: bytes) -> int | None:
    match = _ERRNO.search(message)
    return int(match.group(1)) if match else None
