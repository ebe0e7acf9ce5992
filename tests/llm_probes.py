"""What the `anthropic` and `openai` probe tests share: a probe config with short test
timeouts, the phases of a result, the simulated API on loopback (tests/llm_upstream.py), a
closed port and a CA for the TLS tests.

The fixtures `closed_port` and `ca` are defined under other names (`closed_port_fixture`,
`ca_fixture`), so that a test module imports them without its tests' arguments shadowing the
import.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
import trustme
from pydantic import BaseModel

from exporter.models import ProbeResult
from tests.llm_upstream import LLMUpstream, running

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def probe_config(
    model: type[ConfigT], identity: dict[str, Any], url: str, fields: dict[str, Any]
) -> ConfigT:
    """`identity` (name, type, api_key) at `url` with the tests' short timeouts; `fields`
    override any of it."""
    raw: dict[str, Any] = identity | {
        "url": url,
        "interval": "5s",
        "timeout": "2s",
        "stream_idle_timeout": "300ms",
    }
    return model.model_validate(raw | fields)


def phases(result: ProbeResult) -> dict[str, float]:
    return dict(result.phases)


@asynccontextmanager
async def simulated_api(host: str = "127.0.0.1") -> AsyncIterator[tuple[LLMUpstream, str]]:
    """An `LLMUpstream` on loopback; yields it and its base URL, naming `host`."""
    sim = LLMUpstream()
    async with running(sim) as base:
        yield sim, base.replace("127.0.0.1", host)


@pytest.fixture(name="closed_port")
def closed_port_fixture() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(name="ca", scope="module")
def ca_fixture() -> trustme.CA:
    return trustme.CA()
