"""The I/O steps every HTTP-based probe shares: DNS timing, capped body reads, request ids.

All of them feed a `Trace`. None of them quotes what it read: callers decide what
of a body is safe to show.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time

import httpx

from exporter import __version__
from exporter.probes.body import aiter_decoded
from exporter.probes.network import AsyncioBackend
from exporter.probes.trace import Trace

USER_AGENT = f"statusprobe/{__version__}"
MAX_BODY_BYTES = 1 << 20  # kept for matching; reading stops there
MAX_ERROR_BODY_BYTES = 64 * 1024  # of a failed response, read to learn the provider's reason
ERROR_BODY_WAIT = 1.0  # seconds we wait for that body before judging by the status alone
_REQUEST_ID_HEADERS = ("request-id", "x-request-id")
_MAX_REQUEST_ID = 128


async def resolve(url: httpx.URL, trace: Trace, backend: AsyncioBackend) -> None:
    """Time the name resolution of the URL's host (the `dns` phase).

    Omitted for an IP-literal host. The addresses found are pinned on the run's
    `backend`, so its connect goes to them without a second lookup.
    """
    host = url.raw_host.decode("ascii")
    if _is_ip(host):
        return
    trace.step = "resolving the host"
    port = url.port or (443 if url.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    addresses = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    trace.add("dns", time.perf_counter() - began)
    backend.pin(host, port, addresses)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def read_body(response: httpx.Response, trace: Trace, limit: int = MAX_BODY_BYTES) -> bytes:
    """Up to `limit` bytes of the (decoded) body, timed as `transfer`; reading stops there."""
    trace.step = "reading the body"
    began = time.perf_counter()
    kept = bytearray()
    try:
        async for chunk in aiter_decoded(response, wire_limit=limit):
            kept += chunk[: limit - len(kept)]
            if len(kept) >= limit:
                break
    finally:
        trace.add("transfer", time.perf_counter() - began)
    return bytes(kept)


async def read_error_body(response: httpx.Response, trace: Trace) -> bytes:
    """The head of a failed response's body, or b"" when it does not come promptly.

    The status already failed the probe; the body only refines the reason (a
    provider's error type), so a slow or broken body is not a second failure.
    """
    with contextlib.suppress(httpx.HTTPError, TimeoutError):
        async with asyncio.timeout(ERROR_BODY_WAIT):
            return await read_body(response, trace, MAX_ERROR_BODY_BYTES)
    return b""


def request_id(headers: httpx.Headers) -> str:
    """The provider's request id (`request-id`, `x-request-id`), printable and bounded."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return clean_request_id(value)
    return ""


def clean_request_id(value: str) -> str:
    return "".join(c for c in value if c.isprintable())[:_MAX_REQUEST_ID]
