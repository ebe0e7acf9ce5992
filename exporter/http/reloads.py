"""Reloading the config (and the web config) on SIGHUP or `POST /-/reload`.

Over HTTP the endpoint can be turned off (`--no-web.enable-lifecycle`) and refuses
cross-origin requests: a web page the operator visits cannot make their browser POST
it. Files are read and validated in a thread, so a reload never stalls a scrape, and
concurrent requests share one reload: a request that arrives while one is running
waits for the next, which starts when the running one ends (it must see the file as
it is now), and every request that arrives meanwhile shares that next one. Both
files are checked before either is applied: an invalid web config keeps the old
config too, and the reverse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

from exporter.config import Config, load_config
from exporter.errors import ConfigError
from exporter.http.web_guard import WebGuard
from exporter.runtime import Runtime
from exporter.web_config import LoadedWebConfig


class Reloader:
    def __init__(self, runtime: Runtime, guard: WebGuard | None = None) -> None:
        self.runtime = runtime
        self.guard = guard
        self.runs = 0  # reloads actually performed (coalesced requests count once)
        self._lock = asyncio.Lock()
        self._next: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        """Reload, sharing a pending reload if one is queued; ConfigError on failure."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_task(self._run())
            # Retrieved here too, so a failure nobody waits for any more is not reported
            # as "never retrieved".
            self._next.add_done_callback(lambda t: t.cancelled() or t.exception())
        await asyncio.shield(self._next)

    async def _run(self) -> None:
        async with self._lock:
            self._next = None  # requests from now on need a reload that reads the file anew
            self.runs += 1
            try:
                config, web = await asyncio.to_thread(self._read)
                if self.guard is not None and web is not None:
                    self.guard.commit(web)
            except ConfigError as exc:
                self.runtime.reload_failed(exc)
                raise
            self.runtime.apply_reload(config)

    def _read(self) -> tuple[Config | None, LoadedWebConfig | None]:
        errors: list[tuple[str, str]] = []
        config = web = None
        if self.runtime.config_path is not None:
            try:
                config = load_config(self.runtime.config_path)
            except ConfigError as exc:
                errors += exc.errors
        if self.guard is not None:
            try:
                web = self.guard.prepare()
            except ConfigError as exc:
                name = self.guard.path.name
                errors += [(f"{name}: {p}" if p else name, m) for p, m in exc.errors]
        if errors:
            raise ConfigError(errors)
        return config, web


def cross_origin(headers: Mapping[str, str], host: str) -> bool:
    """True when a browser sent this request from another origin than `host`.

    Browsers name the page that sent a POST in `Origin` (and `Sec-Fetch-Site`); tools
    such as curl or a config-reloader sidecar send neither, and are let through.
    """
    if headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
        return True
    origin = headers.get("Origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != host.lower()
