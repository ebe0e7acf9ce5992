"""Hypothesis against the loaders and the bounded decoder (the source parsers have their
own "any JSON parses or raises ParseError" properties in tests/test_source_*.py).

- The config loader and the web-config loader return a config or raise ConfigError,
  nothing else, for any document; a planted value never appears in what the network
  is shown (`public_lines`), nor in any web-config error.
- The bounded decoder undoes any stack of gzip/deflate exactly, in pieces of at most
  STEP bytes, and turns garbage into DecodingFailed, never another exception.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.config import parse_config
from exporter.errors import ConfigError
from exporter.sources.decoding import STEP, DecodingFailed, StreamDecoder
from exporter.web_config import load_web_config

PLANTED = "PLANTED-s3cret-value"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.sampled_from([PLANTED, f"http://{PLANTED}", f"{PLANTED}s", "30s", "http://h", ""]),
    st.text(max_size=20),
)
CONFIG_KEYS = [
    "status_pages", "probes", "slos", "scheduler", "multi_target", "name", "url", "type",
    "provider", "interval", "timeout", "page", "component", "probe", "objective", "window",
    "headers", "expect", "body_regex", "status_codes", "api_key", "mode", "max_components",
    "allowed_targets", "max_concurrency", PLANTED,
]  # fmt: skip
WEB_KEYS = [
    "tls_server_config", "http_server_config", "basic_auth_users", "rate_limit", "cert_file",
    "key_file", "client_ca_file", "client_auth_type", "min_version", "max_version",
    "cipher_suites", "headers", "X-Frame-Options", "Content-Security-Policy", "interval",
    "burst", "http2", "cert", "key", PLANTED,
]  # fmt: skip


def documents(keys: list[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(keys), inner, max_size=5),
        ),
        max_leaves=25,
    )


@settings(max_examples=300, deadline=None)
@given(documents(CONFIG_KEYS))
def test_the_config_loader_returns_a_config_or_config_error(raw: Any) -> None:
    try:
        parse_config(raw)
    except ConfigError as exc:
        lines = exc.public_lines()
    else:
        return
    assert lines
    for line in lines:
        assert PLANTED not in line.partition(": ")[2], line  # the path may name a key


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=documents(WEB_KEYS))
def test_the_web_config_loader_returns_a_config_or_config_error(raw: Any, tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(raw))
    try:
        load_web_config(path)
    except ConfigError as exc:
        for line in exc.lines():
            assert PLANTED not in line.partition(": ")[2], line


def _encode(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(data)
    return zlib.compress(data)


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=4096).map(lambda b: b * 40),  # up to 160 KiB, compressible
    codings=st.lists(st.sampled_from(["gzip", "deflate"]), max_size=3),
    cut=st.integers(1, 5000),
)
def test_any_stack_of_codings_decodes_exactly_in_bounded_pieces(
    data: bytes, codings: list[str], cut: int
) -> None:
    body = data
    for coding in codings:
        body = _encode(body, coding)
    decoder = StreamDecoder(", ".join(codings))
    pieces = [p for i in range(0, len(body), cut) for p in decoder.decode(body[i : i + cut])]
    assert all(len(p) <= STEP for p in pieces)
    assert b"".join(pieces) == data


@settings(max_examples=300, deadline=None)
@given(garbage=st.binary(max_size=2048), coding=st.sampled_from(["gzip", "deflate", "gzip, gzip"]))
def test_garbage_is_decoding_failed_or_bytes(garbage: bytes, coding: str) -> None:
    decoder = StreamDecoder(coding)
    try:
        for piece in decoder.decode(garbage):
            assert len(piece) <= STEP
    except DecodingFailed:
        pass
