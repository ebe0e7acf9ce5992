"""One exporter process: the config in force, the state, the scheduler, reloads.

The HTTP layer (app.py) and the CLI drive a `Runtime`; it owns the shared
polling client and turns every poll and probe into a state update.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector

from exporter import __version__
from exporter.config import Config, ShardConfig, StatusPageConfig, load_config
from exporter.errors import ConfigError, PollFailed
from exporter.exposition.collector import StatusprobeCollector
from exporter.logs import redactor
from exporter.metrics import ExporterMetrics
from exporter.probes import ProbeClients, run_probe
from exporter.scheduler import Item, Scheduler
from exporter.sharding import describe, select
from exporter.sources import poll
from exporter.sources.backoff import backoff_delay
from exporter.sources.revalidate import ResponseStore, attach
from exporter.state import State

log = logging.getLogger(__name__)

USER_AGENT = f"statusprobe/{__version__}"


RequestHook = Callable[[httpx.Request], Awaitable[None]]


def new_poll_client(
    *, store: ResponseStore | None = None, request_hooks: Sequence[RequestHook] = ()
) -> httpx.AsyncClient:
    """The one pooled client every status-page poll shares.

    With a `store`, polls are conditional (ETag, Last-Modified) and a 304 reuses the
    stored response (sources/revalidate.py). `request_hooks` see every request, each
    redirect hop included, and may refuse one by raising `fetch.RequestRefused`.
    """
    client = httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
        max_redirects=5,
        timeout=10.0,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        event_hooks={"request": list(request_hooks)},
    )
    if store is not None:
        attach(client, store)
    return client


class Runtime:
    def __init__(
        self, config: Config, config_path: Path | None, *, shard: ShardConfig | None = None
    ) -> None:
        self.shard = shard  # the command line's --shard.*, which wins over the config's
        self.config = self._select(config)
        self.config_path = config_path
        self.state = State()
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.metrics.build_info.labels(__version__, platform.python_version()).set(1)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(StatusprobeCollector(self.state))
        self.last_reload_error = ""
        self._client: httpx.AsyncClient | None = None
        # Pooled clients of probes with reuse_connections: closed on reload and stop.
        self.probe_clients = ProbeClients()
        self.scheduler: Scheduler | None = None
        self._config_loaded(config)

    async def start(self) -> None:
        self._client = new_poll_client(store=ResponseStore(on_not_modified=self.count_not_modified))
        self.scheduler = Scheduler(
            {"page": self._poll_page, "probe": self._run_probe}, self.metrics
        )
        self.scheduler.apply(self.config)

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self._client is not None:
            await self._client.aclose()
        await self.probe_clients.aclose()

    @property
    def ready(self) -> bool:
        return self.scheduler is not None and self.scheduler.ready.is_set()

    def reload(self) -> None:
        """Load the config file again; on error keep the old config and raise ConfigError."""
        if self.config_path is None:
            log.info("reload requested; running the embedded default config, nothing to reload")
            self._config_loaded(self.config)
            return
        try:
            config = self._select(load_config(self.config_path))
        except ConfigError as exc:
            self.metrics.reload_successful.set(0)
            self.last_reload_error = str(exc)
            log.error("reload failed, keeping the previous config: %s", exc)
            raise
        self.config = config
        self._config_loaded(config)
        if self.scheduler is not None:
            self.scheduler.apply(config)
        self.probe_clients.retain(config.probes)
        log.info(
            "config reloaded: %d status pages, %d probes",
            len(config.status_pages),
            len(config.probes),
        )

    def count_not_modified(self, saved_bytes: int) -> None:
        """A 304 Not Modified let a poll reuse its stored response."""
        self.metrics.poll_not_modified.inc()
        self.metrics.poll_saved_bytes.inc(saved_bytes)

    def _select(self, config: Config) -> Config:
        """This replica's share of `config`: the whole of it unless sharded."""
        selected = select(config, self.shard)
        if selected.shard.count > 1:
            log.info("%s", describe(config, selected))
        return selected

    def _config_loaded(self, config: Config) -> None:
        redactor.set_secrets(config.secret_values())
        self.state.apply_config(config)
        self.metrics.reload_successful.set(1)
        self.metrics.reload_success_time.set(time.time())
        self.last_reload_error = ""

    async def _poll_page(self, item: Item) -> float | None:
        """Poll one page into the state; returns the pause the page asked for, if any."""
        assert isinstance(item, StatusPageConfig)
        assert self._client is not None
        before = self.state.page(item.name)
        started = time.monotonic()
        try:
            snapshot = await poll(self._client, item)
        except PollFailed as exc:
            streak = before.streak_after(exc.reason) if before is not None else 1
            pause = backoff_delay(exc, interval=item.interval, streak=streak)
            self.state.record_page_failure(
                item.name,
                exc.reason,
                exc.detail,
                duration=time.monotonic() - started,
                backoff_until=time.time() + pause if pause else None,
            )
            # Warn when a page goes down; while it stays down, repeat only at debug.
            still_down = before is not None and before.polled and not before.up
            log.log(
                logging.DEBUG if still_down else logging.WARNING,
                "status page %s: poll failed: %s",
                item.name,
                exc,
            )
            if pause:
                log.info("status page %s: next poll in %.0fs at the earliest", item.name, pause)
            return pause
        self.state.record_page_success(item.name, snapshot, duration=time.monotonic() - started)
        if before is not None and before.polled and not before.up:
            log.info("status page %s: polling again", item.name)
        return None

    async def _run_probe(self, item: Item) -> None:
        assert not isinstance(item, StatusPageConfig)
        result = await run_probe(item, self.probe_clients)
        self.state.record_probe(item.name, result)
        log.debug(
            "probe %s: %s status=%d in %.3fs %s",
            item.name,
            result.outcome.value,
            result.status_code,
            result.duration,
            result.detail,
        )
