"""Retry throttled cloud API calls with capped exponential backoff and full jitter.

The SDKs' own retries are turned off by the providers (or left at one attempt) so that this is the one
place that retries: every provider wraps each API call in :func:`call` with a classifier that says
whether an exception is throttling. When the attempts run out :class:`ThrottledError` is raised, naming
the operation and the attempts, and the provider's :class:`~fix502.cloud.model.CallStats` records it so
the audit reports it instead of failing silently.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fix502.cloud.model import CallStats
from fix502.errors import Fix502Error

T = TypeVar("T")

# Error codes the three providers use for "slow down".
THROTTLE_CODES = frozenset(
    {
        # AWS
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
        # Alibaba Cloud
        "Throttling.User",
        "Throttling.Api",
        "Throttling.Resource",
        "ServiceUnavailable",
        # Tencent Cloud
        "RequestLimitExceeded.UinLimitExceeded",
        "RequestLimitExceeded.IPLimitExceeded",
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
    }
)


def is_throttle_code(code: str | None) -> bool:
    if not code:
        return False
    return code in THROTTLE_CODES or code.startswith(("Throttling", "RequestLimitExceeded"))


class CloudError(Fix502Error):
    """A cloud API call failed (not throttling): the message names provider, region and operation."""


class SdkMissingError(CloudError):
    """The provider's SDK is not installed."""


class ThrottledError(CloudError):
    """The provider kept throttling a call until the retries ran out."""

    def __init__(self, operation: str, attempts: int, last: str) -> None:
        super().__init__(f"{operation}: still throttled after {attempts} attempts ({last}); gave up")
        self.operation = operation
        self.attempts = attempts


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` in all (the first call included); sleeps are uniform in [0, min(cap, base·2^n)]."""

    max_attempts: int = 8
    base: float = 0.25
    cap: float = 20.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The sleep before retry number ``attempt`` (1 for the first retry): full jitter."""
        return rng.uniform(0.0, min(self.cap, self.base * (2 ** (attempt - 1))))


_RNG = random.Random()
_RNG_LOCK = threading.Lock()
_STATS_LOCK = threading.Lock()


def call(
    operation: str,
    func: Callable[[], T],
    *,
    is_throttle: Callable[[BaseException], str | None],
    policy: RetryPolicy | None = None,
    stats: CallStats | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``func`` until it is not throttled; ``is_throttle`` returns the throttle code or None.

    Each attempt counts as one API call in ``stats``; each retry counts once in ``stats.retries``.
    """
    policy = policy or RetryPolicy()
    attempt = 0
    while True:
        attempt += 1
        if stats is not None:
            with _STATS_LOCK:
                stats.count(operation)
        try:
            return func()
        except Exception as exc:
            code = is_throttle(exc)
            if code is None:
                raise
            if attempt >= policy.max_attempts:
                if stats is not None:
                    with _STATS_LOCK:
                        stats.gave_up.append(f"{operation} ({code}, {attempt} attempts)")
                raise ThrottledError(operation, attempt, code) from exc
            if stats is not None:
                with _STATS_LOCK:
                    stats.retries += 1
            with _RNG_LOCK:
                pause = policy.delay(attempt, _RNG)
            sleep(pause)
