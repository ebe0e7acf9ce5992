"""The landing page's serving: the history copied in parts, the board built at a bounded
cost (exporter/http/landing.py)."""

from __future__ import annotations

import asyncio

from exporter.board.view import Options
from exporter.history import History, Run
from exporter.http import landing
from exporter.models import Outcome

NOW = 1_800_000_000.0


async def test_the_board_copies_the_rings_in_parts_and_lets_probes_run_between() -> None:
    history = History()
    names = [f"p{k}" for k in range(3 * landing.COPY_STEP + 1)]
    for name in names:
        history.add_run(name, Run(NOW, Outcome.SUCCESS))
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_work())
    await asyncio.sleep(0)
    try:
        before = turns
        copy = await landing._copy(history)
        assert turns - before >= 3  # the loop ran between the parts
    finally:
        task.cancel()
    assert {n: r.runs for n, r in copy.probes.items()} == {
        n: r.runs for n, r in history.probes.items()
    }
    history.add_run("p0", Run(NOW + 1, Outcome.TIMEOUT))
    assert len(copy.probes["p0"].runs) == 1


class _Building:
    """A board build that takes `seconds` of a fake clock and records its options."""

    def __init__(self, clock: list[float], seconds: float) -> None:
        self.clock, self.seconds = clock, seconds
        self.refreshes: list[float] = []

    async def __call__(self, options: Options) -> str:
        self.refreshes.append(options.refresh_seconds)
        await asyncio.sleep(0.01)
        self.clock[0] += self.seconds
        return f"page {len(self.refreshes)}"


async def test_a_slow_board_is_built_once_for_everyone_and_reused_for_ten_times_its_cost() -> None:
    clock = [0.0]
    board = landing.Board(Options(refresh_seconds=10.0), clock=lambda: clock[0])
    build = _Building(clock, seconds=7.0)  # 10,000 probes
    pages = await asyncio.gather(*(board.page(build) for _ in range(5)))
    assert pages == ["page 1"] * 5 and board.builds == 1
    clock[0] += 60.0  # 60 s after it was built: within 70 s
    assert await board.page(build) == "page 1"
    clock[0] += 11.0
    assert await board.page(build) == "page 2"
    # The first page asked browsers back in 10 s; later ones in 70 s, the reuse time.
    assert build.refreshes == [10.0, 70.0]


async def test_a_quick_board_is_fresh_at_every_request() -> None:
    clock = [0.0]
    board = landing.Board(Options(refresh_seconds=10.0), clock=lambda: clock[0])
    build = _Building(clock, seconds=0.02)
    assert [await board.page(build) for _ in range(3)] == ["page 1", "page 2", "page 3"]
    assert build.refreshes == [10.0, 10.0, 10.0]
