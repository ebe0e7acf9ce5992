"""What the `anthropic` and `openai` probe types share: one API call, judged the same way.

A provider module describes its call (`ApiCall`: method, path, headers, JSON body)
and, for a streamed generation, a `StreamJudge` that says what each server-sent
event means (a token, the end, a provider error, a keep-alive). The rest is here:

- A status other than 2xx: the head of the body is parsed as the provider's
  error JSON (llm_errors.py) and classified by `outcome.classify_error`, so a 529,
  a 429 or an "overloaded" body count the same for every probe type. The request
  id comes from the `request-id` / `x-request-id` header, else from the body.
- A 2xx stream (`mode: generate`): the response must be `text/event-stream`
  (a 2xx JSON error body is classified like an error response; anything else,
  an HTML page say, is unexpected_response). stream.py reads and judges it:
  time to first token, the idle timeout, error events, cut-off streams.
- `mode: models`: the 2xx body must be JSON with a `data` list.

Phases are those of http.py; `transfer` is the time spent reading the body or
the stream after the response headers.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from exporter.config import LLMProbeBase
from exporter.models import Outcome, ProbeResult
from exporter.probes.clients import ProbeClients, lease, new_client
from exporter.probes.exchange import (
    MAX_ERROR_BODY_BYTES,
    USER_AGENT,
    read_body,
    read_error_body,
    request_id,
    resolve,
)
from exporter.probes.llm_errors import ProviderError, parse_error
from exporter.probes.network import AsyncioBackend
from exporter.probes.outcome import classify_error, classify_status, describe_exception
from exporter.probes.results import failure, result
from exporter.probes.single_use import transport
from exporter.probes.stream import Run, StreamJudge, Verdict, read_stream
from exporter.probes.tls import ssl_context
from exporter.probes.trace import Trace

_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,40}/[A-Za-z0-9!#$&^_.+-]{1,60}")


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    path: str  # appended to the probe's url, e.g. "/v1/messages"
    headers: dict[str, str]
    body: dict[str, object] | None = None


async def run_call(
    config: LLMProbeBase,
    clients: ProbeClients | None,
    call: ApiCall,
    judge: Callable[[], StreamJudge] | None,
) -> ProbeResult:
    """Make `call` once and judge it; `judge` None means a non-streamed JSON list."""
    run = Run(config)
    try:
        context = ssl_context(config.tls)
    except OSError as exc:  # ssl.SSLError is an OSError
        detail = f"cannot load tls.ca_file: {describe_exception(exc)}"
        return result(config, run.trace, run.started, Outcome.TLS_ERROR, detail)
    try:
        async with asyncio.timeout(config.effective_timeout):
            verdict = await _exchange(run, clients, context, call, judge)
    except Exception as exc:  # CancelledError is a BaseException: it propagates
        return failure(config, run.trace, run.started, exc, ttft=run.ttft)
    return result(config, run.trace, run.started, verdict.outcome, verdict.detail, ttft=run.ttft)


async def _exchange(
    run: Run,
    clients: ProbeClients | None,
    context: ssl.SSLContext,
    call: ApiCall,
    judge: Callable[[], StreamJudge] | None,
) -> Verdict:
    config, trace = run.config, run.trace
    url = httpx.URL(config.url.rstrip("/") + call.path)
    backend = AsyncioBackend()
    if not config.reuse_connections:
        await resolve(url, trace, backend)

    def make(limits: httpx.Limits | None) -> httpx.AsyncClient:
        return new_client(transport(context, limits, backend))

    # Secrets are revealed only here, into the request.
    headers = httpx.Headers({k: v.get_secret_value() for k, v in config.headers.items()})
    headers.setdefault("User-Agent", USER_AGENT)
    headers.update(call.headers)
    content = None if call.body is None else json.dumps(call.body).encode("utf-8")
    async with lease(clients, config, make) as held:
        try:
            request = held.client.build_request(
                call.method, url, headers=headers, content=content, extensions={"trace": trace}
            )
            response = await held.client.send(request, stream=True)
            try:
                return await _receive(run, response, judge, drain=held.pooled)
            finally:
                await response.aclose()
        finally:
            held.remember(trace)


async def _receive(
    run: Run,
    response: httpx.Response,
    judge: Callable[[], StreamJudge] | None,
    *,
    drain: bool,
) -> Verdict:
    trace, status = run.trace, response.status_code
    trace.response_started = True
    trace.last_status = status
    trace.request_id = request_id(response.headers)
    if not 200 <= status < 300:
        return _error_verdict(run, status, await _error_body(response, trace))
    if judge is None:
        return _models_verdict(status, await read_body(response, trace))
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "text/event-stream":
        error = await _error_body(response, trace) if media == "application/json" else None
        if error is not None:
            return _error_verdict(run, status, error)
        shown = media if _MEDIA_TYPE.fullmatch(media) else "missing or invalid"
        detail = f"HTTP {status}: content-type {shown}, expected text/event-stream"
        return Verdict(Outcome.UNEXPECTED_RESPONSE, detail)
    return await read_stream(run, response, judge(), drain=drain)


async def _error_body(response: httpx.Response, trace: Trace) -> ProviderError | None:
    body = await read_error_body(response, trace)
    try:
        return parse_error(json.loads(body[:MAX_ERROR_BODY_BYTES].decode("utf-8", "replace")))
    except (ValueError, RecursionError):
        return None


def _error_verdict(run: Run, status: int, error: ProviderError | None) -> Verdict:
    if error is None:
        detail = f"HTTP {status} (no provider error in the body)"
        return Verdict(classify_status(status), detail)
    if not run.trace.request_id:
        run.trace.request_id = error.request_id
    outcome = classify_error(status, error.kinds, error.message)
    return Verdict(outcome, f"HTTP {status} {error.label}")


def _models_verdict(status: int, body: bytes) -> Verdict:
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return Verdict(Outcome.UNEXPECTED_RESPONSE, f"HTTP {status}: body is not JSON")
    models = document.get("data") if isinstance(document, dict) else None
    if not isinstance(models, list):
        return Verdict(Outcome.UNEXPECTED_RESPONSE, f"HTTP {status}: no `data` list of models")
    return Verdict(Outcome.SUCCESS, f"HTTP {status}, {len(models)} models listed")
