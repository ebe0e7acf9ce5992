from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tests import resolver
from tests.tools import serving
from tests.upstream import Upstream

resolver.install()  # no test asks the system resolver (tests/resolver.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--snapshot-update",
        action="store_true",
        help="rewrite the golden files under tests/golden instead of comparing",
    )


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Undo what a test's `statusprobe ...` (cli.main -> setup_logging) does to logging: its
    handler writes to that test's captured stderr, which is closed after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {
        name: logging.getLogger(name).level for name in ("httpx", "httpcore", "aiohttp.access")
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in noisy.items():
        logging.getLogger(name).setLevel(was)


@pytest.fixture
def snapshot_update(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--snapshot-update"))


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, str]]:
    """A simulated status page + API on loopback; yields (controller, base URL)."""
    sim = Upstream()
    async with serving(sim.app()) as base:
        try:
            yield sim, base
        finally:
            sim.hold.set()
