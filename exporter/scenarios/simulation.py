"""Plays a `Timeline` on loopback: a Statuspage status page and an Anthropic API, per region.

Two aiohttp servers, as a real provider has two hosts:

    status page   GET /api/v2/summary.json (also status.json, components.json,
                  incidents/unresolved.json, scheduled-maintenances/active.json)
    API           POST /region/<region>/v1/messages, GET /region/<region>/v1/models
                  (and /v1/messages, /v1/models: the phase's default behaviour)

so each region's exporter probes its own base URL (`Endpoints.api_for("b")`) and the
timeline can fail one region only. Whatever phase is playing when a request arrives
decides the answer; nothing runs in the background. Before `start()` the first phase plays
without the clock running; after the last phase the last one holds (or, with
`repeat=True`, the story starts over).

Every answer is logged (`answers`, bounded), with the first failure per region
(`first_failure`): the onset that detection latency is measured from.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import ssl
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from exporter.scenarios import statuspage
from exporter.scenarios.april import ANTHROPIC_PAGE
from exporter.scenarios.replies import answer
from exporter.scenarios.statuspage import PageLayout
from exporter.scenarios.timeline import LETTERS, Phase, Timeline

_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
MAX_LOGGED = 10_000


@dataclass(frozen=True)
class Answer:
    """One request the API answered: when (wall clock), from which region, how."""

    at: float
    region: str | None
    phase: str
    letter: str


@dataclass(frozen=True)
class Endpoints:
    status_page: str  # base URL of the status page, e.g. http://127.0.0.1:41234
    api: str  # base URL of the API without a region

    def api_for(self, region: str) -> str:
        """The base URL a region's probes use (the probe appends /v1/messages)."""
        return f"{self.api}/region/{region}"


class Simulation:
    """A timeline played for real over HTTP."""

    def __init__(
        self,
        timeline: Timeline,
        layout: PageLayout = ANTHROPIC_PAGE,
        *,
        clock: Callable[[], float] = time.time,
        repeat: bool = False,
    ) -> None:
        self.timeline = timeline
        self.layout = layout
        self.repeat = repeat
        self._clock = clock
        self._created = clock()
        self.started_at: float | None = None
        self.answers: deque[Answer] = deque(maxlen=MAX_LOGGED)
        self.first_failure: dict[str | None, float] = {}
        self._requests: Counter[tuple[int, str, str | None]] = Counter()
        self.release = asyncio.Event()

    # --- the clock ----------------------------------------------------------------------

    def start(self) -> float:
        """Start the timeline now; returns the wall-clock start."""
        self.started_at = self._clock()
        return self.started_at

    def elapsed(self) -> float:
        """Seconds into the timeline (0 before `start()`)."""
        return 0.0 if self.started_at is None else self._clock() - self.started_at

    def _position(self) -> tuple[int, float]:
        """(loop number, seconds into that loop)."""
        elapsed = self.elapsed()
        if not self.repeat:
            return 0, elapsed
        loop, into = divmod(elapsed, self.timeline.duration)
        return int(loop), into

    def current(self) -> Phase:
        return self.timeline.at(self._position()[1])

    def phase_started_at(self, name: str) -> float:
        """Wall-clock start of phase `name` (in the current loop); needs `start()`."""
        if self.started_at is None:
            raise RuntimeError("the timeline has not started")
        loop, _ = self._position()
        return self.started_at + loop * self.timeline.duration + self.timeline.starts()[name]

    @property
    def onset(self) -> float | None:
        """When the first failure was served, in any region (wall clock)."""
        return min(self.first_failure.values(), default=None)

    # --- the status page ----------------------------------------------------------------

    def summary(self) -> dict[str, object]:
        """The status page's summary.json as it reads now."""
        phase = self.current()
        changed = self._changed_at(phase)
        return statuspage.summary(
            self.layout, phase.page, changed_at=changed, opened_at=self._opened_at(phase)
        )

    def _changed_at(self, phase: Phase) -> float:
        return self._created if self.started_at is None else self.phase_started_at(phase.name)

    def _opened_at(self, phase: Phase) -> dict[str, float]:
        """Incident id -> the start of the first phase (up to this one) that shows it."""
        opened: dict[str, float] = {}
        for earlier in self.timeline.phases:
            for incident in earlier.page.incidents:
                if incident.id not in opened:
                    opened[incident.id] = self._changed_at(earlier)
            if earlier is phase:
                break
        return opened

    def status_app(self) -> web.Application:
        app = web.Application()
        v2 = "/api/v2"
        app.router.add_get(f"{v2}/summary.json", self._summary)
        app.router.add_get(f"{v2}/status.json", self._part("status"))
        app.router.add_get(f"{v2}/components.json", self._part("components"))
        app.router.add_get(f"{v2}/incidents/unresolved.json", self._part("incidents"))
        app.router.add_get(
            f"{v2}/scheduled-maintenances/active.json", self._part("scheduled_maintenances")
        )
        return app

    async def _summary(self, request: web.Request) -> web.Response:
        return web.json_response(self.summary(), headers={"Cache-Control": "max-age=0"})

    def _part(self, key: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            full = self.summary()
            return web.json_response({"page": full["page"], key: full[key]})

        return handler

    # --- the API ------------------------------------------------------------------------

    def api_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/region/{region}/v1/messages", self._messages)
        app.router.add_get("/region/{region}/v1/models", self._models)
        return app

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "anthropic")

    async def _models(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "models")

    async def _serve(self, request: web.Request, api: str) -> web.StreamResponse:
        region = request.match_info.get("region")
        if region is not None and not _REGION.fullmatch(region):
            raise web.HTTPNotFound()
        loop, into = self._position()
        phase = self.timeline.at(into)
        n = self._requests[(loop, phase.name, region)]
        self._requests[(loop, phase.name, region)] += 1
        letter = phase.pattern(region).letter(n)
        now = self._clock()
        self.answers.append(Answer(now, region, phase.name, letter))
        if letter != "S":
            self.first_failure.setdefault(region, now)
        request_id = f"req_sim_{region or 'default'}_{len(self.answers):06d}"
        reply = dataclasses.replace(LETTERS[letter], request_id=request_id)
        return await answer(request, api, reply, self.release)

    # --- serving ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serve(
        self,
        host: str = "127.0.0.1",
        status_port: int = 0,
        api_port: int = 0,
        *,
        status_tls: ssl.SSLContext | None = None,
        api_tls: ssl.SSLContext | None = None,
    ) -> AsyncIterator[Endpoints]:
        """Serve the status page and the API for the duration of the block (port 0: a free
        one; a TLS context: https)."""
        apps = (self.status_app(), self.api_app())
        runners = [web.AppRunner(app, shutdown_timeout=1.0, access_log=None) for app in apps]
        try:
            urls = []
            for runner, port, tls in zip(
                runners, (status_port, api_port), (status_tls, api_tls), strict=True
            ):
                await runner.setup()
                site = web.TCPSite(runner, host, port, ssl_context=tls)
                await site.start()
                bound = runner.addresses[0]
                urls.append(f"{'https' if tls else 'http'}://{bound[0]}:{bound[1]}")
            yield Endpoints(status_page=urls[0], api=urls[1])
        finally:
            self.release.set()
            for runner in runners:
                await runner.cleanup()
