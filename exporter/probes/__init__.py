"""Synthetic probes: one module per probe type behind the `RUNNERS` registry.

Each runner takes its own config class and returns a `ProbeResult`; it never
raises. `run_probe` dispatches on `config.type` and is the backstop: a runner
that overruns its timeout becomes a `timeout`, a bug an `unexpected_response`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from exporter.models import Outcome, ProbeResult
from exporter.probes import http
from exporter.probes.outcome import internal_error_detail

log = logging.getLogger(__name__)

# Each probe type has its own config class, so the registry's argument is loose;
# `run_probe` only dispatches a config to the runner of its own `type`.
Runner = Callable[[Any], Awaitable[ProbeResult]]

RUNNERS: dict[str, Runner] = {
    "http": http.run,
}

BACKSTOP_GRACE = 1.0  # seconds a runner may overrun its own timeout before we stop it


class ProbeConfigLike(Protocol):
    """What `run_probe` needs of any probe config."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def effective_timeout(self) -> float: ...


async def run_probe(config: ProbeConfigLike) -> ProbeResult:
    """Run one probe of any type; never raises (except `asyncio.CancelledError`)."""
    started = time.perf_counter()
    runner = RUNNERS.get(config.type)
    if runner is None:
        detail = f"internal error: no runner for probe type {config.type!r}"
        return ProbeResult(Outcome.UNEXPECTED_RESPONSE, 0.0, detail=detail)
    deadline = asyncio.timeout(config.effective_timeout + BACKSTOP_GRACE)
    try:
        async with deadline:
            return await runner(config)
    except Exception as exc:  # CancelledError is a BaseException: it propagates
        duration = time.perf_counter() - started
        if isinstance(exc, TimeoutError) and deadline.expired():
            detail = f"probe overran its {config.effective_timeout:g}s timeout"
            return ProbeResult(Outcome.TIMEOUT, duration, detail=detail)
        # The type only: an exception's message may quote a secret.
        log.error("probe %s: internal error %s", config.name, type(exc).__name__)
        return ProbeResult(Outcome.UNEXPECTED_RESPONSE, duration, detail=internal_error_detail(exc))
