"""heap.settle(): what lives as long as the config leaves the collector's full collections,
and a reload leaves no garbage behind."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from exporter import heap
from exporter.config import parse_config
from exporter.runtime import Runtime


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _tracked(obj: object) -> bool:
    """Whether a collection walks `obj` (frozen objects are in no generation)."""
    return any(o is obj for o in gc.get_objects())


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_settled_objects_are_skipped_and_cyclic_garbage_goes_at_the_next_settle() -> None:
    node = Node()
    node.other = node  # a cycle: only the collector can free it
    gone = weakref.ref(node)
    heap.settle()
    assert not _tracked(node)
    del node
    gc.collect()
    assert gone() is not None  # frozen: a collection does not look at it
    heap.settle()
    assert gone() is None  # unfrozen and collected first


def _config(probes: int) -> dict[str, object]:
    return {
        "probes": [
            {"name": f"p{k}", "type": "http", "url": "http://127.0.0.1:9/", "interval": "1h"}
            for k in range(probes)
        ]
    }


async def test_the_runtime_settles_at_start_and_on_every_reload() -> None:
    runtime = Runtime(parse_config(_config(3)), None)
    await runtime.start()
    try:
        first = runtime.config.probes[0]
        assert not _tracked(first)
        assert not _tracked(runtime.state.history.probes["p0"])  # made with the config
        garbage = Node()
        garbage.other = garbage
        gone = weakref.ref(garbage)
        del garbage
        runtime.apply_reload(parse_config(_config(4)))
        assert gone() is None
        assert not _tracked(runtime.config.probes[3])  # the new config is frozen too
    finally:
        await runtime.stop()
