"""The `multi_target:` section: which targets `GET /probe?target=...` may fetch, and how
often it fetches them.

`/probe` fetches a URL because an HTTP request named it, so whoever can reach the
exporter can make it send GETs. By default any http(s) URL on a public address is allowed
(http/probe_guard.py refuses the others after DNS); `allowed_targets` narrows that, and a
pattern written there may allow a private address (every redirect hop is checked too);
an empty list turns `/probe` off. docs/multi-target.md explains the exposure.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from exporter.config.types import Duration, Model, StrictInt
from exporter.durations import format_duration

ANY_HTTP_URL = r"https?://.+"


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


Regex = Annotated[str, AfterValidator(_regex)]


def check_stale_after(value: float | None, period: object, period_name: str) -> None:
    """Series must outlive two polls, or they would blink out between healthy ones."""
    # `period` is absent from the validated data when it was itself invalid.
    if value is not None and isinstance(period, float) and value < 2 * period:
        raise ValueError(
            f"stale_after ({format_duration(value)}) must be at least twice {period_name} "
            f"({format_duration(period)})"
        )


class MultiTargetConfig(Model):
    # Each pattern must match the whole target URL (re.fullmatch); one match allows it.
    allowed_targets: tuple[Regex, ...] = (ANY_HTTP_URL,)
    cache_ttl: Duration = 30.0
    timeout: Duration = 10.0
    stale_after: Duration = 300.0
    max_targets: StrictInt = Field(1000, ge=1, le=100_000)

    @field_validator("stale_after")
    @classmethod
    def _stale_after_spans_two_polls(cls, value: float, info: ValidationInfo) -> float:
        check_stale_after(value, info.data.get("cache_ttl"), "cache_ttl")
        return value

    def allows(self, url: str) -> bool:
        return any(re.fullmatch(pattern, url) for pattern in self.allowed_targets)
