"""Points in time on the command line (pure): `2026-04-14T09:30:00Z` (RFC 3339, any
offset), `1776159000` (unix seconds), or a duration ago (`90m`, `2h`, `7d`)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from exporter.durations import parse_duration

_NUMBER = re.compile(r"\d+(\.\d+)?")


def parse_time(value: str, now: float | None = None) -> float:
    """Unix seconds; ValueError with a message that says what is accepted."""
    now = time.time() if now is None else now
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid time {value!r}: use RFC 3339 (2026-04-14T09:30:00Z), unix seconds, "
            "or a duration ago (90m, 2h, 7d)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def iso(at: float) -> str:
    """RFC 3339 in UTC, to the second."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
