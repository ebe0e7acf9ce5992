"""The project's exception hierarchy: one base, one class per kind of failure."""

from __future__ import annotations

import re

from exporter.models import PollError

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class StatusprobeError(Exception):
    """Base of every error statusprobe raises on purpose."""


class ConfigError(StatusprobeError):
    """A configuration that cannot be used; `errors` holds (path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in errors))

    def lines(self) -> list[str]:
        return [f"{p}: {m}" if p else m for p, m in self.errors]

    def public_lines(self) -> list[str]:
        """`lines()` with every quoted value masked, for what the network sees (the
        /-/reload answer, the status API): a secret typed into the wrong field is quoted
        by messages such as "no status page named '...'". check-config shows all."""
        return [_QUOTED.sub("'…'", line) for line in self.lines()]


class ParseError(StatusprobeError):
    """A status-page payload that does not have the platform's shape."""


class PollFailed(StatusprobeError):
    """A status-page poll failed; `reason` is the counted label value.

    `retry_after` is the delay in seconds the server asked for (`Retry-After` on a 429 or
    503), None when it named none; the scheduler waits at least that long (bounded).
    """

    def __init__(self, reason: PollError, detail: str, *, retry_after: float | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{reason.value}: {detail}")
