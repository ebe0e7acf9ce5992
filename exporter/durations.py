"""Prometheus-style durations: `500ms`, `30s`, `5m`, `1h30m`, `1d`, `1w`, `1y`.

The syntax is Prometheus's: one or more `<integer><unit>` parts, units from the largest to
the smallest, each unit at most once (`1h30m`, not `30m1h`). A year is 365 days.
"""

from __future__ import annotations

import re

_UNIT_MS = {
    "y": 31_536_000_000,
    "w": 604_800_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1_000,
    "ms": 1,
}
# Largest unit first, each at most once: the same grammar as Prometheus's ParseDuration.
_WHOLE = re.compile("".join(rf"(?:(?P<{u}>[0-9]+){u})?" for u in _UNIT_MS))  # ASCII digits
_FORMAT_UNITS = ("w", "d", "h", "m", "s")  # no `y`: 52w1d reads unambiguously


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError with a readable reason otherwise."""
    text = text.strip()
    match = _WHOLE.fullmatch(text)
    if not text or match is None:
        raise ValueError(
            f"invalid duration {text!r}: write whole numbers with units (ms, s, m, h, d, w, y), "
            "largest unit first, e.g. 500ms, 30s, 5m, 1h30m"
        )
    # Whole milliseconds, divided once: 1500ms and 1s500ms give the same float.
    total_ms = sum(int(n) * _UNIT_MS[u] for u, n in match.groupdict().items() if n is not None)
    return total_ms / 1000


def format_duration(seconds: float) -> str:
    """The shortest Prometheus spelling of `seconds`, to the millisecond.

    Inverse of parse_duration: `parse_duration(format_duration(s)) == s` for every `s` that
    parse_duration returns. Zero and negative values format as `0s`.
    """
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    out = []
    for unit in _FORMAT_UNITS:
        n, ms = divmod(ms, _UNIT_MS[unit])
        if n:
            out.append(f"{n}{unit}")
    if ms:
        out.append(f"{ms}ms")
    return "".join(out)
