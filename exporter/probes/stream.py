"""Reading a server-sent event stream of an LLM API, and judging it as it arrives.

A provider module's `StreamJudge` says what each event means (`Seen`: a token, the
end, a provider error, a keep-alive, a protocol problem); `read_stream` does the
rest the same way for every provider:

- time to first token (`Run.ttft`) from the start of the run to the first event
  that carries generated text;
- the idle timeout: each read waits at most `stream_idle_timeout` after the last
  event that showed progress (keep-alives do not count): a quiet stream is a
  `timeout`, "stream stalled", before or after the first token;
- an error event is classified by its type (`outcome.classify_error`); a stream
  that ends or breaks before its end event, or ends without any text, is an
  `unexpected_response`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from exporter.config import LLMProbeBase
from exporter.models import Outcome
from exporter.probes.body import aiter_decoded
from exporter.probes.llm_errors import ProviderError
from exporter.probes.outcome import classify_error, describe_exception
from exporter.probes.sse import Event, SSEDecoder, SSEError
from exporter.probes.trace import Trace

DRAIN_WAIT = 0.5  # seconds we read on after the end event, so a kept connection stays usable
_NO_TOKEN = "stream ended without any text (a reasoning model may spend all of max_tokens)"


@dataclass(frozen=True, slots=True)
class Seen:
    """What one event meant."""

    keepalive: bool = False  # a ping: not progress
    token: bool = False  # it carries generated text
    end: bool = False  # the stream's documented last event
    error: ProviderError | None = None  # the provider reported a failure
    problem: str = ""  # it breaks the provider's protocol


PROGRESS = Seen()
KEEPALIVE = Seen(keepalive=True)
TOKEN = Seen(token=True)
END = Seen(end=True)


class StreamJudge(Protocol):
    end_event: str  # named in details: "message_stop", "[DONE]", ...

    def see(self, event: Event) -> Seen: ...


def event_json(event: Event) -> dict[str, object] | None:
    """An event's data as a JSON object, or None."""
    try:
        data = json.loads(event.data)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(slots=True)
class Verdict:
    outcome: Outcome
    detail: str


@dataclass(slots=True)
class Run:
    config: LLMProbeBase
    started: float = field(default_factory=time.perf_counter)
    trace: Trace = field(default_factory=Trace)
    ttft: float | None = None

    def where(self) -> str:
        return "before the first token" if self.ttft is None else "after the first token"


async def read_stream(
    run: Run, response: httpx.Response, judge: StreamJudge, *, drain: bool
) -> Verdict:
    trace, status = run.trace, response.status_code
    trace.step = "reading the stream"
    began = time.perf_counter()
    try:
        chunks = aiter_decoded(response)
        verdict = await _judge_stream(run, chunks, judge, status)
        if drain and verdict.outcome is Outcome.SUCCESS:
            await _drain(chunks)
        return verdict
    finally:
        trace.add("transfer", time.perf_counter() - began)


async def _judge_stream(
    run: Run, chunks: AsyncIterator[bytes], judge: StreamJudge, status: int
) -> Verdict:
    idle = run.config.effective_stream_idle_timeout
    decoder = SSEDecoder()
    loop = asyncio.get_running_loop()
    last_progress = loop.time()
    while True:
        deadline = asyncio.timeout_at(last_progress + idle)
        try:
            async with deadline:
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return Verdict(Outcome.UNEXPECTED_RESPONSE, _cut(run, judge, "stream ended"))
        except TimeoutError:
            if not deadline.expired():
                raise
            detail = f"stream stalled: no event for {idle:g}s {run.where()}"
            return Verdict(Outcome.TIMEOUT, detail)
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.TimeoutException):
                raise
            reason = describe_exception(exc)
            return Verdict(Outcome.UNEXPECTED_RESPONSE, _cut(run, judge, "stream cut off", reason))
        try:
            events = decoder.feed(chunk)
        except SSEError as exc:
            return Verdict(Outcome.UNEXPECTED_RESPONSE, f"HTTP {status}: {exc} in the stream")
        for event in events:
            seen = judge.see(event)
            if seen.keepalive:
                continue
            last_progress = loop.time()
            if seen.token and run.ttft is None:
                run.ttft = time.perf_counter() - run.started
            verdict = _event_verdict(run, judge, seen, status)
            if verdict is not None:
                return verdict


def _event_verdict(run: Run, judge: StreamJudge, seen: Seen, status: int) -> Verdict | None:
    if seen.error is not None:
        if not run.trace.request_id:
            run.trace.request_id = seen.error.request_id
        outcome = classify_error(status, seen.error.kinds, seen.error.message)
        return Verdict(outcome, f"stream error event {seen.error.label} {run.where()}")
    if seen.problem:
        return Verdict(Outcome.UNEXPECTED_RESPONSE, f"{seen.problem} {run.where()}")
    if seen.end:
        if run.ttft is None:
            return Verdict(Outcome.UNEXPECTED_RESPONSE, _NO_TOKEN)
        return Verdict(Outcome.SUCCESS, f"HTTP {status}, first token after {run.ttft:.3f}s")
    return None


def _cut(run: Run, judge: StreamJudge, what: str, reason: str = "") -> str:
    why = f": {reason}" if reason else ""
    return f"{what} before {judge.end_event} {run.where()}{why}"


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows the end event (the end of the chunked body), briefly."""
    try:
        async with asyncio.timeout(DRAIN_WAIT):
            async for _ in chunks:
                pass
    except (TimeoutError, httpx.HTTPError):
        pass
