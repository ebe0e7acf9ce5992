"""Sharding: N replicas split the pages and probes of one config with no coordination.

Each replica runs the same config with its own `shard.index` out of `shard.count`
(the config's `shard:` section, or `statusprobe run --shard.index I --shard.count N`)
and takes only the status pages and probes whose name hashes into its shard:

    shard_of(name, count) = first 8 bytes of sha256(name as UTF-8), big-endian, mod count

The hash depends on the name alone, never on the order of the file, the other items or
the Python process (Python's `hash()` of a str is salted per process), so every item
lands in exactly one shard, and adding, removing or reordering other items moves nothing.
Changing `count` moves most items, as with any modulo split.
"""

from __future__ import annotations

import hashlib

from exporter.config import Config, ShardConfig

__all__ = ["ShardConfig", "describe", "make_shard", "select", "shard_of"]


def shard_of(name: str, count: int) -> int:
    """The shard (0 .. count-1) that the page or probe called `name` belongs to."""
    if count < 1:
        raise ValueError(f"shard count must be at least 1, not {count}")
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def make_shard(index: int | None, count: int | None) -> ShardConfig | None:
    """The shard the command line asks for; None when neither flag is given.

    Raises ValueError with a message for people when only one flag is given or the
    values are out of range.
    """
    if index is None and count is None:
        return None
    if index is None or count is None:
        raise ValueError("--shard.index and --shard.count go together: give both or neither")
    if count < 1:
        raise ValueError(f"--shard.count must be at least 1, not {count}")
    if not 0 <= index < count:
        raise ValueError(
            f"--shard.index must be from 0 to --shard.count - 1 ({count - 1}), not {index}"
        )
    return ShardConfig(index=index, count=count)


def select(config: Config, override: ShardConfig | None = None) -> Config:
    """`config` with only this shard's status pages and probes.

    `override` (the command line's flags) wins over the config's own `shard:`. With
    one shard the config is returned unchanged. SLOs and every other section are kept
    whole: the rules are rendered from the whole config, not per replica.
    """
    shard = override if override is not None else config.shard
    if shard.count == 1:
        return config if override is None else config.model_copy(update={"shard": shard})
    return config.model_copy(
        update={
            "shard": shard,
            "status_pages": tuple(
                p for p in config.status_pages if shard_of(p.name, shard.count) == shard.index
            ),
            "probes": tuple(
                p for p in config.probes if shard_of(p.name, shard.count) == shard.index
            ),
        }
    )


def describe(whole: Config, selected: Config) -> str:
    """A log line: which shard, and how much of the whole config it took."""
    shard = selected.shard
    return (
        f"shard {shard.index} of {shard.count} (indexes 0-{shard.count - 1}): "
        f"{len(selected.status_pages)} of {len(whole.status_pages)} status pages, "
        f"{len(selected.probes)} of {len(whole.probes)} probes"
    )
