"""Who owns a probe's HTTP client: a fresh one per run, or one kept across runs.

By default every run gets a client of its own, closed when the run ends, so
every run opens a new connection and measures `connect` and `tls` (what a
user's first request pays). With `reuse_connections: true` a probe keeps one
pooled client across runs (what a long-lived SDK client pays): the first run
connects, later runs reuse the kept-alive connection and have no connect or
tls phase, unless the server or the network closed it meanwhile.

`ProbeClients` owns the kept clients. One is created on a probe's first run,
replaced when that probe's config changes, closed by `retain()` when a reload
drops or changes the probe, and by `aclose()` when the runtime stops. The
runtime owns one `ProbeClients`; `statusprobe once` and the probe modules'
direct callers pass none, and every run is fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx

from exporter.probes.cookies import parse_only_set_cookies
from exporter.probes.trace import Trace
from exporter.sources.decoding import ACCEPT_ENCODING

RequestHook = Callable[[httpx.Request], Awaitable[None]]

# Called with the pool's limits for a kept client, with None for a run's own client,
# which needs no pool (probes/single_use.py).
ClientFactory = Callable[[httpx.Limits | None], httpx.AsyncClient]


class PoolableConfig(Protocol):
    """What pooling needs of a probe config (which is frozen, hence comparable)."""

    @property
    def name(self) -> str: ...

    @property
    def interval(self) -> float: ...

    @property
    def effective_timeout(self) -> float: ...

    @property
    def reuse_connections(self) -> bool: ...


class Lease:
    """A client for one run; `pooled` clients outlive it."""

    def __init__(self, client: httpx.AsyncClient, *, pooled: bool) -> None:
        self.client = client
        self.pooled = pooled
        self._tls_not_after: float | None = None

    def remember(self, trace: Trace) -> None:
        """Keep the certificate expiry across runs that reuse a connection.

        A run on a kept-alive connection makes no handshake and so sees no
        certificate; it reports the one its connection was opened with, so the
        expiry metric does not blink out between handshakes.
        """
        if not self.pooled:
            return
        if "tls" in trace.totals:
            self._tls_not_after = trace.tls_not_after
        else:
            trace.tls_not_after = self._tls_not_after


@dataclass(slots=True)
class _Kept:
    config: object  # the probe config the client was built for
    lease: Lease


def pooled_limits(config: PoolableConfig) -> httpx.Limits:
    # httpx drops idle connections after 5 s by default: far too soon for a probe
    # that runs every 30 s. Keep one alive across a whole interval and its run.
    expiry = 2 * config.interval + config.effective_timeout
    return httpx.Limits(max_connections=10, max_keepalive_connections=2, keepalive_expiry=expiry)


class ProbeClients:
    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def lease(self, config: PoolableConfig, make: ClientFactory) -> AsyncIterator[Lease]:
        """A client for one run of `config`: its kept one, or a fresh one closed afterwards."""
        if not config.reuse_connections:
            async with fresh_lease(make) as lease:
                yield lease
            return
        kept = self._kept.get(config.name)
        if kept is not None and kept.config != config:
            self._discard(config.name)
            kept = None
        if kept is None:
            kept = _Kept(config, Lease(make(pooled_limits(config)), pooled=True))
            self._kept[config.name] = kept
        yield kept.lease

    def kept(self) -> list[str]:
        """Names of the probes whose client is kept, sorted."""
        return sorted(self._kept)

    def retain(self, configs: Iterable[PoolableConfig]) -> None:
        """After a reload: close the kept clients of probes that are gone or changed."""
        wanted = {config.name: config for config in configs}
        for name in [n for n, kept in self._kept.items() if wanted.get(n) != kept.config]:
            self._discard(name)

    async def aclose(self) -> None:
        """Close every kept client (and wait for those being closed)."""
        clients = [kept.lease.client for kept in self._kept.values()]
        self._kept.clear()
        closing = [asyncio.ensure_future(client.aclose()) for client in clients]
        await asyncio.gather(*closing, *self._closing, return_exceptions=True)

    def _discard(self, name: str) -> None:
        client = self._kept.pop(name).lease.client
        try:
            task = asyncio.get_running_loop().create_task(client.aclose())
        except RuntimeError:  # no running loop: its connections went with that loop
            return
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def new_client(
    transport: httpx.AsyncBaseTransport,
    *,
    follow_redirects: bool = False,
    auth: httpx.Auth | None = None,
    request_hook: RequestHook | None = None,
) -> httpx.AsyncClient:
    """A probe's httpx client, with what every probe type shares: the TLS settings and
    limits are `transport`'s, no proxies or .netrc from the environment (a probe measures
    the direct path), only the encodings the bounded decoder reads (probes/body.py), a
    cookie jar that parses only responses that set cookies (cookies.py), and no timer
    per connect, read or write: each would be as long as the run's own deadline
    (`asyncio.timeout` around the run) and start after it, so it could never fire first."""
    client = httpx.AsyncClient(
        transport=transport,
        timeout=None,
        follow_redirects=follow_redirects,
        auth=auth,
        trust_env=False,
        headers={"Accept-Encoding": ACCEPT_ENCODING},
        event_hooks={"request": [request_hook]} if request_hook is not None else None,
    )
    return parse_only_set_cookies(client)


@contextlib.asynccontextmanager
async def fresh_lease(make: ClientFactory) -> AsyncIterator[Lease]:
    """A client of its own for one run, closed when the run ends."""
    async with make(None) as client:
        yield Lease(client, pooled=False)


def lease(
    clients: ProbeClients | None, config: PoolableConfig, make: ClientFactory
) -> contextlib.AbstractAsyncContextManager[Lease]:
    """`clients.lease(...)`, or a fresh client when there is no `ProbeClients`."""
    return fresh_lease(make) if clients is None else clients.lease(config, make)
