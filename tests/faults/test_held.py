"""The faults that held before, kept held: each hostile page or probe is counted with its
reason while the control page and probe keep their schedule and memory stays bounded.

HTML with 200, truncated JSON, an endless body, a drip, a hang, a reset, a redirect loop,
a certificate nobody trusts, an unresolvable name (the tests' simulated resolver), and
an anthropic stream that stalls or is garbage, all at once.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trustme

from exporter.models import Outcome, PollError
from exporter.runtime import Runtime
from tests.faults.harness import run_fault
from tests.faults.hostile import held_app

PAGES = {
    "html": PollError.INVALID_JSON,
    "truncated": PollError.INVALID_JSON,
    "endless": PollError.TOO_LARGE,
    "drip": PollError.TIMEOUT,
    "hang": PollError.TIMEOUT,
    "reset": PollError.CONNECT_ERROR,
    "loop": PollError.HTTP_ERROR,
    "bad-cert": PollError.TLS_ERROR,
    "no-such-name": PollError.DNS_ERROR,
}
PROBES = {"stall": Outcome.TIMEOUT, "garbage": Outcome.UNEXPECTED_RESPONSE}


@pytest.fixture
async def untrusted_tls() -> AsyncIterator[str]:
    """An https server whose certificate no CA in the default bundle signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    try:
        yield f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def test_the_faults_that_held_stay_counted(untrusted_tls: str) -> None:
    def items(base: str) -> dict[str, Any]:
        urls = {name: f"{base}/{name}" for name in PAGES}
        urls["bad-cert"] = untrusted_tls
        urls["no-such-name"] = "http://status.example.invalid"
        llm = {"type": "anthropic", "api_key": "sk-test", "interval": "2s", "timeout": "1s"}
        return {
            "status_pages": [
                {"name": n, "url": u, "interval": "2s", "timeout": "1s"} for n, u in urls.items()
            ],
            "probes": [{"name": n, "url": f"{base}/{n}", **llm} for n in PROBES],
        }

    def counted(runtime: Runtime) -> bool:
        state = runtime.state.snapshot()
        return all(state.pages[n].error_count(r) >= 1 for n, r in PAGES.items()) and all(
            state.probes[n].outcome_count(o) >= 1 for n, o in PROBES.items()
        )

    run = await run_fault(held_app(), items, counted, window=3.0)
    state = run.runtime.state.snapshot()
    for name, reason in PAGES.items():
        assert state.pages[name].error_count(reason) >= 1, (name, state.pages[name].last_error)
    for name, outcome in PROBES.items():
        last = state.probes[name].last
        assert last is not None and last.outcome is outcome, (name, last)
    assert run.kept_schedule(), run
    assert run.rss_growth_mb < 100, run
