"""`expect.body_json`: dotted paths into a JSON body, and the values they must hold (pure).

A path is keys joined by dots (`status.indicator`); on a list, a segment of
digits is an index (`components.0.status`). A key that itself contains a dot
cannot be addressed. Problems name the check and its path, never a value from
the body.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from exporter.config import JsonCheck

_MISSING = object()


def lookup(document: object, segments: Sequence[str]) -> object:
    """The value at `segments`, or `_MISSING`."""
    current = document
    for segment in segments:
        if isinstance(current, dict):
            current = current.get(segment, _MISSING)
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def same(actual: object, expected: object) -> bool:
    """JSON equality: 1 equals 1.0, but true is not 1 and "1" is not 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    numbers = (int, float)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        return actual == expected
    return type(actual) is type(expected) and actual == expected


def json_problem(checks: Sequence[JsonCheck], text: str) -> str:
    """Which `expect.body_json` check failed on `text`; "" when all hold."""
    if not checks:
        return ""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):  # bad JSON, a huge number, absurd nesting
        return "body is not JSON (expect.body_json)"
    for i, check in enumerate(checks):
        value = lookup(document, check.segments)
        if value is _MISSING:
            return f"expect.body_json[{i}]: {check.path} is not in the body"
        if check.compares and not same(value, check.equals):
            return f"expect.body_json[{i}]: {check.path} does not equal the expected value"
    return ""
