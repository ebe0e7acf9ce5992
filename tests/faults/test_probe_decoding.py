"""Fault 1: probe bodies decompress within their caps, for every probe type and read.

Before: 6.8 KB sent as `Content-Encoding: gzip, gzip` grew the process by gigabytes and
froze the loop, because httpx inflates a whole chunk at once. Here a stacked gzip bomb
that decodes to 128 MiB is served as an http probe's body, an error body, an anthropic
stream and an openai models list at once, next to a healthy control page and probe.
"""

from __future__ import annotations

from typing import Any

from exporter.models import Outcome
from exporter.runtime import Runtime
from tests.faults.harness import run_fault
from tests.faults.hostile import BOMB_EXPANDS_TO, decoding_app

EXPECTED = {
    "body": Outcome.UNEXPECTED_RESPONSE,  # the body check sees zeros, not "ok"
    "error-body": Outcome.SERVER_ERROR,
    "stream": Outcome.UNEXPECTED_RESPONSE,  # NULs and no line end: not an event stream
    "models": Outcome.UNEXPECTED_RESPONSE,  # not JSON
    "brotli": Outcome.UNEXPECTED_RESPONSE,  # a coding that was not offered
}


def items(base: str) -> dict[str, Any]:
    llm = {"api_key": "sk-test", "interval": "1s", "timeout": "1s"}
    return {
        "probes": [
            {
                "name": "body",
                "type": "http",
                "url": f"{base}/bomb",
                "interval": "1s",
                "expect": {"body_contains": "ok"},
            },
            {"name": "error-body", "type": "http", "url": f"{base}/error-bomb", "interval": "1s"},
            {"name": "stream", "type": "anthropic", "url": f"{base}/anthropic", **llm},
            {"name": "models", "type": "openai", "url": f"{base}/openai", "mode": "models", **llm},
            {
                "name": "brotli",
                "type": "http",
                "url": f"{base}/br",
                "interval": "1s",
                "expect": {"body_contains": "ok"},
            },
        ]
    }


def counted(runtime: Runtime) -> bool:
    probes = runtime.state.snapshot().probes
    return all(probes[name].outcome_count(outcome) >= 2 for name, outcome in EXPECTED.items())


async def test_stacked_gzip_bombs_stay_within_the_body_caps() -> None:
    run = await run_fault(decoding_app(), items, counted)
    probes = run.runtime.state.snapshot().probes
    for name, outcome in EXPECTED.items():
        last = probes[name].last
        assert last is not None and last.outcome is outcome, (name, last)
    assert run.kept_schedule(), run
    # Five bombs of 128 MiB each, each read at least twice: memory grows by the caps.
    assert run.rss_growth_mb < BOMB_EXPANDS_TO / (1 << 20) / 2, run
