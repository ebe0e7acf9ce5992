"""One exporter process: the config in force, the state, the scheduler, reloads.

The HTTP layer (exporter/http/) and the CLI drive a `Runtime`. It owns, explicitly, what
its work shares: the page poller (with its client, conditional-request store and
platform decisions), the probes' pooled clients, the log redactor for its config's
secrets, and the exposition that renders its state for /metrics.
"""

from __future__ import annotations

import logging
import platform
import time
from contextlib import ExitStack
from pathlib import Path

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector

from exporter import __version__, heap
from exporter.config import Config, ShardConfig, StatusPageConfig, load_config
from exporter.errors import ConfigError
from exporter.exposition.native import Exposition
from exporter.logs import Redactor
from exporter.metrics import ExporterMetrics
from exporter.models import ProbeResult
from exporter.poller import PagePoller
from exporter.probes import ProbeClients, run_probe
from exporter.scheduler import Item, Scheduler
from exporter.sharding import describe, select
from exporter.sources.client import new_poll_client
from exporter.sources.revalidate import ResponseStore
from exporter.state import State

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self, config: Config, config_path: Path | None, *, shard: ShardConfig | None = None
    ) -> None:
        self.shard = shard  # the command line's --shard.*, which wins over the config's
        self.config = self._select(config)
        self.config_path = config_path
        self.state = State()
        # The exporter's own metrics; the state's families are written by `exposition`.
        self.registry = CollectorRegistry()
        self.metrics = ExporterMetrics(self.registry)
        self.metrics.build_info.labels(__version__, platform.python_version()).set(1)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.exposition = Exposition(self.state, self.registry)
        self.redactor = Redactor()
        self.last_reload_error = ""
        self.poller: PagePoller | None = None
        # Pooled clients of probes with reuse_connections: closed on reload and stop.
        self.probe_clients = ProbeClients()
        self.scheduler: Scheduler | None = None
        self._running = ExitStack()
        self._config_loaded(self.config)

    async def start(self) -> None:
        self._running.enter_context(self.redactor.installed())
        store = ResponseStore(on_not_modified=self.count_not_modified)
        self.poller = PagePoller(new_poll_client(store=store))
        self.scheduler = Scheduler(
            {"page": self._poll_page, "probe": self._run_probe}, self.metrics
        )
        self.scheduler.apply(self.config)
        heap.settle()

    async def stop(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.poller is not None:
            await self.poller.aclose()
        await self.probe_clients.aclose()
        self._running.close()

    @property
    def ready(self) -> bool:
        return self.scheduler is not None and self.scheduler.ready.is_set()

    def reload(self) -> None:
        """Load the config file again; on error keep the old config and raise ConfigError.

        Blocking; the HTTP endpoint and SIGHUP go through reloads.Reloader, which reads
        the file in a thread and coalesces concurrent requests.
        """
        if self.config_path is None:
            self.apply_reload(None)
            return
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            self.reload_failed(exc)
            raise
        self.apply_reload(config)

    def reload_failed(self, exc: ConfigError) -> None:
        """A reload was refused: keep the config in force, say so in the metric and log."""
        self.metrics.reload_successful.set(0)
        self.last_reload_error = "; ".join(exc.public_lines())
        log.error(
            "reload failed, keeping the previous config (statusprobe check-config shows "
            "the values): %s",
            self.last_reload_error,
        )

    def apply_reload(self, config: Config | None) -> None:
        """Put a freshly loaded config (the whole file: this replica takes its shard here,
        whichever way the reload came) in force; None: the embedded default, unchanged."""
        if config is None:
            log.info("reload requested; running the embedded default config, nothing to reload")
            self._config_loaded(self.config)
            return
        config = self._select(config)
        self.config = config
        self._config_loaded(config)
        if self.scheduler is not None:
            self.scheduler.apply(config)
        self.probe_clients.retain(config.probes)
        heap.settle()
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
        self.redactor.set_secrets(config.secret_values())
        self.state.apply_config(config)
        self.metrics.reload_successful.set(1)
        self.metrics.reload_success_time.set(time.time())
        self.last_reload_error = ""

    async def _poll_page(self, item: Item) -> float | None:
        """Poll one page into the state; returns the pause the page asked for, if any."""
        assert isinstance(item, StatusPageConfig)
        assert self.poller is not None
        result = await self.poller.poll(item, self.state.page(item.name))
        self.state.update_page(item.name, result.apply)
        return result.pause

    async def _run_probe(self, item: Item) -> None:
        assert not isinstance(item, StatusPageConfig)
        before = self.state.probe(item.name)
        result = await run_probe(item, self.probe_clients)  # logs each result at debug
        self.state.record_probe(item.name, result)
        log_transition(item.name, before.last if before is not None else None, result)


def log_transition(name: str, previous: ProbeResult | None, result: ProbeResult) -> None:
    """A probe's changes at the default level: the first failure (warning, with its
    outcome), a failure of another kind (warning), and recovery (info)."""
    if result.success:
        if previous is not None and not previous.success:
            log.info("probe %s: succeeding again (was %s)", name, previous.outcome.value)
        return
    if previous is None or previous.success or previous.outcome is not result.outcome:
        log.warning(
            "probe %s: %s (status %d): %s",
            name,
            result.outcome.value,
            result.status_code,
            result.detail,
        )
