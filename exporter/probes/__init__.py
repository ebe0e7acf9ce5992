"""Synthetic probes: one module per probe type behind the `RUNNERS` registry.

Each runner takes its own config class and the `ProbeClients` that keeps pooled
clients (or None: every run fresh), and returns a `ProbeResult`; it never
raises. `run_probe` dispatches on `config.type` and is the backstop: a runner
that overruns its timeout becomes a `timeout`, a bug an `unexpected_response`.

  http.py        the `http` type          anthropic.py / openai.py  the LLM API types
  llm.py         what the LLM types share: the call, error bodies, models lists
  stream.py      reading and judging an LLM API's event stream
  sse.py         server-sent events parser          llm_errors.py  provider error JSON
  outcome.py     the one outcome classification     results.py     ProbeResult, redacted
  clients.py     fresh or pooled clients            trace.py       phase timings
  exchange.py    DNS timing, capped reads           tls.py         SSL contexts
  jsonpath.py    expect.body_json
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from exporter.models import Outcome, ProbeResult
from exporter.probes import anthropic, http, openai
from exporter.probes.clients import ProbeClients
from exporter.probes.outcome import internal_error_detail

__all__ = ["RUNNERS", "ProbeClients", "run_probe"]

log = logging.getLogger(__name__)

# Each probe type has its own config class, so the registry's argument is loose;
# `run_probe` only dispatches a config to the runner of its own `type`.
Runner = Callable[[Any, ProbeClients | None], Awaitable[ProbeResult]]

RUNNERS: dict[str, Runner] = {
    "http": http.run,
    "anthropic": anthropic.run,
    "openai": openai.run,
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


async def run_probe(config: ProbeConfigLike, clients: ProbeClients | None = None) -> ProbeResult:
    """Run one probe of any type; never raises (except `asyncio.CancelledError`).

    `clients` keeps the clients of probes with `reuse_connections` across runs (the
    runtime owns it); without it every run opens its own connection.
    """
    started = time.perf_counter()
    runner = RUNNERS.get(config.type)
    if runner is None:
        detail = f"internal error: no runner for probe type {config.type!r}"
        return ProbeResult(Outcome.UNEXPECTED_RESPONSE, 0.0, detail=detail)
    deadline = asyncio.timeout(config.effective_timeout + BACKSTOP_GRACE)
    try:
        async with deadline:
            return await runner(config, clients)
    except Exception as exc:  # CancelledError is a BaseException: it propagates
        duration = time.perf_counter() - started
        if isinstance(exc, TimeoutError) and deadline.expired():
            detail = f"probe overran its {config.effective_timeout:g}s timeout"
            return ProbeResult(Outcome.TIMEOUT, duration, detail=detail)
        # The type only: an exception's message may quote a secret.
        log.error("probe %s: internal error %s", config.name, type(exc).__name__)
        return ProbeResult(Outcome.UNEXPECTED_RESPONSE, duration, detail=internal_error_detail(exc))
