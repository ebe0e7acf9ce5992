"""The aiohttp application: routes, and the runtime's lifecycle in `cleanup_ctx`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

from aiohttp import web

from exporter.board.view import Options
from exporter.errors import ConfigError
from exporter.http import landing
from exporter.http.multi_target import MultiTarget
from exporter.http.reloads import Reloader, cross_origin
from exporter.http.status_api import status_document
from exporter.http.web_guard import WebGuard
from exporter.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)
MULTI_TARGET = web.AppKey("multi_target", MultiTarget)
RELOADER = web.AppKey("reloader", Reloader)
LIFECYCLE = web.AppKey("lifecycle", bool)
BOARD = web.AppKey("board", landing.Board)


def create_app(
    runtime: Runtime,
    board: Options | None = None,
    *,
    guard: WebGuard | None = None,
    lifecycle: bool = True,
) -> web.Application:
    """The app; with a `guard` (--web.config.file) every endpoint is behind it;
    `lifecycle` False turns `/-/reload` off (--no-web.enable-lifecycle)."""
    app = web.Application()
    app[LIFECYCLE] = lifecycle
    if guard is not None:
        guard.install(app)
    app[RUNTIME] = runtime
    app[RELOADER] = Reloader(runtime, guard)
    app[BOARD] = landing.Board(board or Options())
    app[MULTI_TARGET] = MultiTarget(runtime)
    app.cleanup_ctx.append(_runtime_lifecycle)
    app.router.add_get("/", _landing)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/probe", _probe)
    app.router.add_get("/api/v1/status", _status)
    app.router.add_get("/-/healthy", _healthy)
    app.router.add_get("/-/ready", _ready)
    app.router.add_post("/-/reload", _reload)
    app.router.add_put("/-/reload", _reload)
    return app


async def _runtime_lifecycle(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    await runtime.start()
    await app[MULTI_TARGET].start()
    yield
    await app[MULTI_TARGET].stop()
    await runtime.stop()


async def _metrics(request: web.Request) -> web.Response:
    exposition = request.app[RUNTIME].exposition
    # Rendering 10,000 probes' series takes most of a second: in steps of a few
    # milliseconds, so probes due meanwhile start on time. It reads one state snapshot.
    accept = request.headers.get("Accept", "")
    body, content_type = await exposition.render_async(accept)
    response = web.Response(body=body, headers={"Content-Type": content_type})
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.enable_compression(web.ContentCoding.gzip)
    return response


async def _probe(request: web.Request) -> web.Response:
    return await request.app[MULTI_TARGET].handle(request)


def _document(request: web.Request) -> dict[str, Any]:
    runtime = request.app[RUNTIME]
    return status_document(
        runtime.state.snapshot(), ready=runtime.ready, reload_error=runtime.last_reload_error
    )


async def _status(request: web.Request) -> web.Response:
    return web.json_response(_document(request))


async def _landing(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]

    def build(options: Options) -> Awaitable[str]:
        return landing.render(
            runtime.state.snapshot(),
            runtime.state.history,
            ready=runtime.ready,
            reload_error=runtime.last_reload_error,
            options=options,
        )

    text = await request.app[BOARD].page(build)
    return web.Response(text=text, content_type="text/html")


async def _healthy(request: web.Request) -> web.Response:
    return web.Response(text="Healthy.\n")


async def _ready(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    if runtime.ready:
        return web.Response(text="Ready.\n")
    snap = runtime.state.snapshot()
    pages = sum(1 for p in snap.pages.values() if p.polled)
    probes = sum(1 for p in snap.probes.values() if p.last_run is not None)
    return web.Response(
        status=503,
        text="Not ready: the first round of polls and probes is running "
        f"({pages} of {len(snap.pages)} status pages polled, "
        f"{probes} of {len(snap.probes)} probes run).\n",
    )


async def _reload(request: web.Request) -> web.Response:
    if not request.app[LIFECYCLE]:
        return web.Response(status=403, text="Lifecycle API is not enabled.\n")
    if cross_origin(request.headers, request.host):
        return web.Response(status=403, text="Cross-origin requests may not reload.\n")
    try:
        await request.app[RELOADER].reload()
    except ConfigError as exc:
        text = "failed to reload config:\n" + "\n".join(exc.public_lines()) + "\n"
        return web.Response(status=500, text=text)
    return web.Response(text="Config reloaded.\n")
