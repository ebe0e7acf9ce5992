"""Sharding: every page and probe lands in exactly one shard, by its name alone."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.config import Config, ShardConfig, load_config, parse_config
from exporter.errors import ConfigError
from exporter.http.reloads import Reloader
from exporter.runtime import Runtime
from exporter.sharding import make_shard, select, shard_of


def raw_config(pages: int, probes: int) -> dict[str, Any]:
    return {
        "status_pages": [
            {"name": f"page-{i}", "url": f"http://127.0.0.1:9/{i}"} for i in range(pages)
        ],
        "probes": [
            {"name": f"probe-{i}", "type": "http", "url": f"http://127.0.0.1:9/{i}"}
            for i in range(probes)
        ],
    }


def names(config: Config) -> tuple[set[str], set[str]]:
    return {p.name for p in config.status_pages}, {p.name for p in config.probes}


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_item_lands_in_exactly_one_shard(count: int) -> None:
    whole = parse_config(raw_config(40, 300))
    all_pages, all_probes = names(whole)
    seen_pages: list[str] = []
    seen_probes: list[str] = []
    for index in range(count):
        pages, probes = names(select(whole, ShardConfig(index=index, count=count)))
        seen_pages += pages
        seen_probes += probes
    assert sorted(seen_pages) == sorted(all_pages)  # each exactly once: no gaps, no doubles
    assert sorted(seen_probes) == sorted(all_probes)


def test_shards_share_the_load_evenly() -> None:
    whole = parse_config(raw_config(0, 1000))
    sizes = [len(select(whole, ShardConfig(index=i, count=4)).probes) for i in range(4)]
    assert sum(sizes) == 1000
    assert all(200 <= size <= 300 for size in sizes), sizes


def test_reordering_the_config_moves_nothing() -> None:
    raw = raw_config(30, 200)
    shuffled = {key: list(value) for key, value in raw.items()}
    rng = random.Random(17)
    rng.shuffle(shuffled["status_pages"])
    rng.shuffle(shuffled["probes"])
    for index in range(3):
        shard = ShardConfig(index=index, count=3)
        assert names(select(parse_config(raw), shard)) == names(
            select(parse_config(shuffled), shard)
        )


def test_adding_and_removing_other_items_moves_nothing() -> None:
    shard = ShardConfig(index=1, count=3)
    before = names(select(parse_config(raw_config(20, 100)), shard))[1]
    grown = raw_config(20, 150)
    del grown["probes"][:10]  # probe-0 .. probe-9 removed, probe-100 .. probe-149 added
    after = names(select(parse_config(grown), shard))[1]
    kept = {f"probe-{i}" for i in range(10, 100)}
    assert before & kept == after & kept


def test_the_hash_is_sha256_of_the_name_and_does_not_depend_on_the_process() -> None:
    # Pinned: the documented formula is a contract, so a user can tell which replica
    # runs a probe. First 8 bytes of sha256(name), big-endian, mod 3:
    assert shard_of("anthropic-messages", 3) == 1  # 0x2d9977868298819f
    assert shard_of("openai-models", 3) == 1  # 0x7dd959727cbe010e
    assert shard_of("github", 3) == 2  # 0xc0b0109d9439de57
    # Python's str hash is salted per process; two processes with different seeds agree.
    code = (
        "from exporter.sharding import shard_of;"
        "print([shard_of(f'probe-{i}', 5) for i in range(50)])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {str([shard_of(f"probe-{i}", 5) for i in range(50)]) + "\n"}


def test_one_shard_is_the_whole_config() -> None:
    whole = parse_config(raw_config(5, 20))
    assert select(whole) is whole
    assert names(select(whole, ShardConfig(index=0, count=1))) == names(whole)


def test_the_config_section_shards_and_the_flags_override_it() -> None:
    raw = {**raw_config(10, 60), "shard": {"index": 1, "count": 2}}
    config = parse_config(raw)
    own = select(config)
    assert own.shard == ShardConfig(index=1, count=2)
    assert all(shard_of(p.name, 2) == 1 for p in own.probes)
    assert 0 < len(own.probes) < 60
    flagged = select(config, ShardConfig(index=0, count=3))
    assert all(shard_of(p.name, 3) == 0 for p in flagged.probes)
    assert flagged.shard == ShardConfig(index=0, count=3)


def test_slos_stay_whole() -> None:
    raw = raw_config(0, 20)
    raw["slos"] = [{"name": f"slo-{i}", "probe": f"probe-{i}", "objective": 99} for i in range(20)]
    assert len(select(parse_config(raw), ShardConfig(index=0, count=4)).slos) == 20


@pytest.mark.parametrize(
    ("shard", "error"),
    [
        ({"index": 3, "count": 3}, ("shard.index", "must be less than shard.count (3): 0 to 2")),
        ({"index": 5, "count": 1}, ("shard.index", "must be less than shard.count (1): 0 to 0")),
        ({"index": 0, "count": 0}, ("shard.count", "must be at least 1")),
        ({"index": -1, "count": 2}, ("shard.index", "must be at least 0")),
        ({"index": 0, "count": 2, "seed": 1}, ("shard.seed", "unknown field")),
    ],
)
def test_bad_shard_config_is_a_clear_error(shard: dict[str, int], error: tuple[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**raw_config(1, 1), "shard": shard})
    assert caught.value.errors == [error]


@pytest.mark.parametrize(
    ("index", "count", "message"),
    [
        (3, 3, "--shard.index must be from 0 to --shard.count - 1 (2), not 3"),
        (-1, 3, "--shard.index must be from 0 to --shard.count - 1 (2), not -1"),
        (0, 0, "--shard.count must be at least 1, not 0"),
        (None, 2, "--shard.index and --shard.count go together: give both or neither"),
        (1, None, "--shard.index and --shard.count go together: give both or neither"),
    ],
)
def test_bad_flags_are_clear_errors(index: int | None, count: int | None, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        make_shard(index, count)


def test_no_flags_mean_no_override() -> None:
    assert make_shard(None, None) is None
    assert make_shard(2, 4) == ShardConfig(index=2, count=4)


def test_run_rejects_bad_flags_before_starting(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(raw_config(1, 1)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "exporter", "run", "--config.file", str(path)]
        + ["--web.listen-address", "127.0.0.1:0", "--shard.index", "2", "--shard.count", "2"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "--shard.index must be from 0 to --shard.count - 1 (1), not 2" in done.stderr


def test_runtime_keeps_the_flag_shard_across_reloads(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(raw_config(4, 40)), encoding="utf-8")
    shard = ShardConfig(index=0, count=2)
    runtime = Runtime(load_config(path), path, shard=shard)
    first = names(runtime.config)[1]
    assert first == {f"probe-{i}" for i in range(40) if shard_of(f"probe-{i}", 2) == 0}
    assert set(runtime.state.snapshot().probes) == first  # the state tracks only its shard
    path.write_text(yaml.safe_dump(raw_config(4, 80)), encoding="utf-8")
    runtime.reload()
    assert names(runtime.config)[1] == {
        f"probe-{i}" for i in range(80) if shard_of(f"probe-{i}", 2) == 0
    }
    assert first <= names(runtime.config)[1]
    assert set(runtime.state.snapshot().probes) == names(runtime.config)[1]


async def test_sighup_and_http_reloads_keep_the_shard(tmp_path: Path) -> None:
    """SIGHUP and POST /-/reload go through the Reloader, not Runtime.reload(): the
    shard must hold there too."""
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump(raw_config(4, 40)), encoding="utf-8")
    shard = ShardConfig(index=1, count=2)
    runtime = Runtime(load_config(path), path, shard=shard)
    path.write_text(yaml.safe_dump(raw_config(4, 80)), encoding="utf-8")
    await Reloader(runtime).reload()
    expected = {f"probe-{i}" for i in range(80) if shard_of(f"probe-{i}", 2) == 1}
    assert names(runtime.config)[1] == expected
    assert set(runtime.state.snapshot().probes) == expected
