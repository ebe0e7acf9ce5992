"""Backing off from a status page that asks for it: `Retry-After`, and repeated 429s.

- A 429 or 503 with `Retry-After` (delay-seconds or an HTTP-date): the page's next poll
  waits at least that long.
- A 429 without it: the wait doubles with each consecutive 429, from twice the interval
  (2x, 4x, 8x ... the page's interval).
- Every wait is capped at `MAX_BACKOFF` (1h), so a silly header cannot silence a page for
  days; a 503 without `Retry-After` keeps the normal interval.
"""

from __future__ import annotations

import email.utils
import re

from exporter.errors import PollFailed
from exporter.models import PollError

MAX_BACKOFF = 3600.0
_SECONDS = re.compile(r"[0-9]{1,10}")


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value; None when absent or unreadable.

    RFC 9110 allows delay-seconds (`120`) or an HTTP-date; a date in the past means 0.
    """
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # an HTTP-date is always GMT
        return None
    return max(0.0, moment.timestamp() - now)


def backoff_delay(exc: PollFailed, *, interval: float, streak: int) -> float | None:
    """The least time before the next poll after `exc`, or None for the normal interval.

    `streak` counts the consecutive rate-limited polls, this one included.
    """
    if exc.retry_after is not None:
        return min(exc.retry_after, MAX_BACKOFF)
    if exc.reason is PollError.RATE_LIMITED:
        return min(interval * 2.0 ** min(max(streak, 1), 20), MAX_BACKOFF)
    return None
