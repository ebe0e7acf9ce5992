"""Serving: bind the port, run a `Runtime` behind the aiohttp app, stop on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from pathlib import Path

from aiohttp import web

from exporter import __version__
from exporter.board.view import Options
from exporter.config import Config, ShardConfig
from exporter.errors import ConfigError
from exporter.http.app import RELOADER, create_app
from exporter.http.connections import start_server
from exporter.http.reloads import Reloader
from exporter.http.web_guard import WebGuard
from exporter.runtime import Runtime

log = logging.getLogger("statusprobe")


async def serve(
    config: Config,
    path: Path | None,
    host: str | None,
    port: int,
    *,
    origin: str = "",
    board: Options | None = None,
    guard: WebGuard | None = None,
    lifecycle: bool = True,
    shard: ShardConfig | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT; SIGHUP reloads the config file. `origin` says where
    a config without a file comes from (for the log); `guard` is --web.config.file's;
    `shard` (the command line's) overrides the config's.

    The port is bound before any poll or probe starts, so a busy port fails fast
    without having touched an upstream.
    """
    sock = _listen(host, port)
    # The board's build, status-page parsing and body regexes run in threads that hold
    # the GIL; a 1 ms switch interval (default 5 ms) makes the event loop wait less for
    # it (docs/performance.md). /metrics renders on the loop, in steps.
    sys.setswitchinterval(0.001)
    runtime = Runtime(config, path, shard=shard)
    app = create_app(runtime, board, guard=guard, lifecycle=lifecycle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        ssl_context = guard.ssl_context if guard is not None else None
        assert runner.server is not None
        # Not web.SockSite: connections go through a header deadline and a cap.
        server = await start_server(
            runner.server, sock, ssl_context, runtime.metrics.web_connections_closed
        )
        log.info(
            "statusprobe %s listening on %s:%d (%s)",
            __version__,
            host or "*",
            port,
            path or origin or "embedded default config",
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, _reload, app[RELOADER])
        await stop.wait()
        log.info("shutting down")
        server.close()
    finally:
        await runner.cleanup()


def _listen(host: str | None, port: int) -> socket.socket:
    """A listening socket; all interfaces (IPv6 and IPv4) when host is None."""
    if host is None and socket.has_dualstack_ipv6():
        return socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True)
    family = socket.AF_INET6 if host and ":" in host else socket.AF_INET
    return socket.create_server((host or "", port), family=family, reuse_port=False)


_reloads: set[asyncio.Task[None]] = set()


def _reload(reloader: Reloader) -> None:
    task = asyncio.get_running_loop().create_task(_reload_quietly(reloader))
    _reloads.add(task)  # a reference until it ends
    task.add_done_callback(_reloads.discard)


async def _reload_quietly(reloader: Reloader) -> None:
    with contextlib.suppress(ConfigError):  # logged and kept as a metric by the runtime
        await reloader.reload()
