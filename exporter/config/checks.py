"""Cross-field checks shared by the config sections.

They run inside field validators of the later field (fields validate in declaration
order), so each error carries that field's path. `info.data` lacks a field that was
itself invalid: then the check is skipped, and that field's own error says why.
"""

from __future__ import annotations

from pydantic import ValidationInfo

from exporter.durations import format_duration


def check_timeout(timeout: float | None, interval: object, name: str = "timeout") -> None:
    """`timeout` (named `name` in the message) must not exceed `interval`."""
    if timeout is not None and isinstance(interval, float) and timeout > interval:
        raise ValueError(
            f"{name} ({format_duration(timeout)}) must not exceed interval "
            f"({format_duration(interval)})"
        )


def at_most_one(info: ValidationInfo, first: str, value: object, second: str) -> None:
    if value is not None and info.data.get(first) is not None:
        raise ValueError(f"set {first} or {second}, not both")
