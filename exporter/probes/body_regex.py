"""`expect.body_regex` matching that neither holds the GIL nor runs without end.

Python's `re` holds the GIL for the whole match: a `.*`-led pattern over a 64 KiB
window took 3-4 s, and even in a thread it froze the event loop for that long. The
`regex` package (the same syntax for the patterns `re` accepts) releases the GIL while
it matches (`concurrent=True`) and gives up after `TIMEOUT` seconds; http.py runs it in
the check pool (offload.py), inside the probe's own timeout.
"""

from __future__ import annotations

import regex

TIMEOUT = 10.0  # seconds of matching at most; the probe's timeout usually ends it sooner


class RegexTimedOut(Exception):
    """The match took longer than TIMEOUT."""


def body_matches(pattern: str, text: str) -> bool:
    try:
        return regex.search(pattern, text, concurrent=True, timeout=TIMEOUT) is not None
    except TimeoutError:
        raise RegexTimedOut from None
