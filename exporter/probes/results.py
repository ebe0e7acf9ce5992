"""Turning what a probe saw into a `ProbeResult` that never carries a secret.

Every probe type ends here: `result` for an outcome it decided, `failure` for an
exception. Both redact every secret of the probe from the detail and the request
id (a server may echo a key back), and log the result at debug level.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import httpx

from exporter.models import Outcome, ProbeResult
from exporter.probes.outcome import (
    classify_exception,
    describe_exception,
    internal_error_detail,
    is_expected_failure,
)
from exporter.probes.trace import Trace

log = logging.getLogger(__name__)

REDACTED = "<redacted>"
_MIN_REDACTED_SECRET = 4  # shorter "secrets" would shred every detail


class ResultConfig(Protocol):
    """What building a result needs of a probe config."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def effective_timeout(self) -> float: ...

    def secret_values(self) -> list[str]: ...


def result(
    config: ResultConfig,
    trace: Trace,
    started: float,
    outcome: Outcome,
    detail: str,
    *,
    ttft: float | None = None,
) -> ProbeResult:
    built = ProbeResult(
        outcome=outcome,
        duration=time.perf_counter() - started,
        status_code=trace.last_status,
        phases=trace.phases(),
        ttft=ttft,
        detail=redact(detail, config),
        request_id="" if outcome is Outcome.SUCCESS else redact(trace.request_id, config),
        tls_not_after=trace.tls_not_after,
    )
    log.debug("probe %s: %s (%s)", config.name, built.outcome, built.detail)
    return built


def failure(
    config: ResultConfig,
    trace: Trace,
    started: float,
    exc: Exception,
    *,
    ttft: float | None = None,
) -> ProbeResult:
    """The result of a run that ended with `exc`: a named outcome, or a bug."""
    if not is_expected_failure(exc):
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
        # The type and place only: an exception's message may quote a secret.
        log.error("probe %s: internal error %s at %s", config.name, type(exc).__name__, where)
        detail = internal_error_detail(exc)
        return result(config, trace, started, Outcome.UNEXPECTED_RESPONSE, detail, ttft=ttft)
    outcome = classify_exception(exc, response_started=trace.response_started)
    detail = failure_detail(config, trace, outcome, exc)
    return result(config, trace, started, outcome, detail, ttft=ttft)


def failure_detail(config: ResultConfig, trace: Trace, outcome: Outcome, exc: Exception) -> str:
    reason = describe_exception(exc)
    if outcome is Outcome.TIMEOUT:
        return f"no complete response within {config.effective_timeout:g}s ({trace.step})"
    if outcome is Outcome.DNS_ERROR:
        return f"cannot resolve {httpx.URL(config.url).host}: {reason}"
    if outcome is Outcome.TLS_ERROR:
        return f"TLS handshake failed: {reason}"
    if outcome is Outcome.CONNECT_ERROR:
        return f"connection failed ({trace.step}): {reason}"
    if trace.response_started:
        return f"HTTP {trace.last_status}: response body broken: {reason}"
    return f"request failed: {reason}"


def redact(text: str, config: ResultConfig) -> str:
    """Belt and braces: no secret of the probe survives into a result, even echoed."""
    if not text:
        return text
    secrets = {s for s in config.secret_values() if len(s) >= _MIN_REDACTED_SECRET}
    for secret in sorted(secrets, key=len, reverse=True):  # a longer one may contain another
        text = text.replace(secret, REDACTED)
    return text
