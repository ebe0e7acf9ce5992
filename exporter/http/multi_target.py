"""`GET /probe?target=<status page URL>[&provider=...][&name=...]`: Prometheus'
multi-target exporter pattern, for status pages listed in a scrape config rather than in
statusprobe's config (docs/multi-target.md).

- The answer is the page metrics of that one target, the same families /metrics has for
  a configured page, labelled `page` = the `name` parameter or else the target's host.
- 400 for a missing or invalid parameter, 403 for a target outside
  `multi_target.allowed_targets`. A failing upstream is data: 200 with
  `statusprobe_page_up 0` and the reason counted, never a 5xx.
- Each (target, provider) is kept like a configured page, so counters accumulate, the
  last good snapshot stays visible after a failed poll until `stale_after`, and
  Retry-After is honoured. A result younger than `cache_ttl` is served again without a
  fetch, and concurrent requests for one target share a single fetch. At most
  `max_targets` are kept; the least recently requested goes first.
- Polls go through a `PagePoller` of their own (the same poll as configured pages, which
  never raises: a bug is counted as `internal_error`), with conditional requests, whose
  every request (redirect hops included) must stay on the target's origin or on an origin
  that is itself an allowed target.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx
from aiohttp import web
from pydantic import ValidationError

from exporter.config import MultiTargetConfig, StatusPageConfig
from exporter.config.messages import translate
from exporter.exposition.native import render_pages
from exporter.exposition.series import target_host
from exporter.poller import PagePoller
from exporter.runtime import Runtime
from exporter.sources.client import new_poll_client
from exporter.sources.fetch import RequestRefused
from exporter.sources.revalidate import ResponseStore
from exporter.state import PageState

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
SCRAPE_TIMEOUT_OFFSET = 0.5  # leave Prometheus time to receive the answer (blackbox's offset)
MIN_TIMEOUT = 0.1
_PARAMS = {"url": "target", "provider": "provider", "name": "name"}  # model field -> param

# The origin of the target being polled, for the redirect check of the poll's requests.
_target_origin: contextvars.ContextVar[str] = contextvars.ContextVar("target_origin")


class BadRequest(Exception):
    """A /probe request that cannot be served; the message is shown to the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class _Target:
    state: PageState
    fetched_at: float = -math.inf  # monotonic time the last poll finished
    not_before: float = -math.inf  # monotonic: no poll before then (Retry-After)
    inflight: asyncio.Task[None] | None = field(default=None, repr=False)


class MultiTarget:
    """The /probe handler and the targets it keeps."""

    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._runtime = runtime
        self._clock = clock
        self._targets: OrderedDict[tuple[str, str], _Target] = OrderedDict()
        self._store = ResponseStore(max_entries=256, on_not_modified=runtime.count_not_modified)
        self._poller: PagePoller | None = None

    @property
    def config(self) -> MultiTargetConfig:
        return self._runtime.config.multi_target

    async def start(self) -> None:
        client = new_poll_client(store=self._store, request_hooks=[self._check_request])
        self._poller = PagePoller(client)

    async def stop(self) -> None:
        tasks = [t.inflight for t in self._targets.values() if t.inflight is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._poller is not None:
            await self._poller.aclose()

    async def handle(self, request: web.Request) -> web.Response:
        counter = self._runtime.metrics.multi_target_requests
        try:
            page, label = self._page(request)
        except BadRequest as exc:
            counter.labels("forbidden" if exc.status == 403 else "bad_request").inc()
            return web.Response(status=exc.status, text=f"{exc}\n")
        state, fetched = await self.refresh(page, _timeout(request, self.config.timeout))
        counter.labels("fetched" if fetched else "cached").inc()
        accept = request.headers.get("Accept", "")
        body, content_type = render_pages([(label, state)], time.time(), accept)
        response = web.Response(body=body, headers={"Content-Type": content_type})
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression(web.ContentCoding.gzip)
        return response

    async def refresh(self, page: StatusPageConfig, poll_timeout: float) -> tuple[PageState, bool]:
        """Poll `page` unless a fresh result or a fetch in flight serves; its state, and
        True if this call started the fetch."""
        key = (page.url, page.provider)
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = _Target(PageState(page))
            while len(self._targets) > self.config.max_targets:
                self._targets.popitem(last=False)
        else:
            target.state = replace(target.state, config=page)  # settings of the last reload
        self._targets.move_to_end(key)
        now = self._clock()
        started = False
        due = now - target.fetched_at >= self.config.cache_ttl and now >= target.not_before
        if target.inflight is None and due:
            polled = page.model_copy(update={"timeout": poll_timeout})
            target.inflight = asyncio.create_task(self._poll(target, polled))
            started = True
        if target.inflight is not None:
            # Shielded: a scrape that gives up does not cancel the fetch others wait for.
            await asyncio.shield(target.inflight)
        return target.state, started

    async def _poll(self, target: _Target, page: StatusPageConfig) -> None:
        assert self._poller is not None
        _target_origin.set(_origin(httpx.URL(page.url)))
        try:
            result = await self._poller.poll(page, target.state)
            target.state = result.apply(target.state)
            target.not_before = self._clock() + (result.pause or 0.0)
        finally:
            target.fetched_at = self._clock()
            target.inflight = None

    def _page(self, request: web.Request) -> tuple[StatusPageConfig, str]:
        """The page config a request names, and its `page` label; BadRequest otherwise."""
        query = request.query
        target = query.get("target", "").strip()
        if not target:
            raise BadRequest(400, "missing the target parameter: /probe?target=<status page URL>")
        raw = {"name": query.get("name") or "probe", "url": target}
        if "provider" in query:
            raw["provider"] = query["provider"]
        try:
            page = StatusPageConfig.model_validate(raw)
        except ValidationError as exc:
            problems = [
                f"{_PARAMS.get(path, path)}: {message}"
                for path, message in translate(exc, StatusPageConfig)
            ]
            raise BadRequest(400, "; ".join(problems)) from None
        if not self.config.allows(page.url):
            raise BadRequest(403, "target not allowed by multi_target.allowed_targets")
        mt = self.config
        page = page.model_copy(
            update={"interval": mt.cache_ttl, "timeout": mt.timeout, "stale_after": mt.stale_after}
        )
        return page, query.get("name") or target_host(page.url)

    async def _check_request(self, request: httpx.Request) -> None:
        """Every request of a /probe poll stays on the target's origin or an allowed one."""
        origin = _origin(request.url)
        if origin == _target_origin.get(None) or self.config.allows(origin):
            return
        raise RequestRefused("redirected to an origin outside multi_target.allowed_targets")


def _origin(url: httpx.URL) -> str:
    """`scheme://host[:port]`, the port only when it is not the scheme's default."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}"


def _timeout(request: web.Request, configured: float) -> float:
    """The configured timeout, shortened to fit Prometheus' scrape timeout when it says."""
    try:
        scrape = float(request.headers.get(SCRAPE_TIMEOUT_HEADER, "inf"))
    except ValueError:
        scrape = math.inf
    if not math.isfinite(scrape) or scrape <= 0:
        return configured
    return max(MIN_TIMEOUT, min(configured, scrape - SCRAPE_TIMEOUT_OFFSET))
