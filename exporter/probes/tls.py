"""Client TLS for probes: cached SSL contexts and the peer certificate's expiry."""

from __future__ import annotations

import functools
import os
import ssl

import certifi

from exporter.config import TLSConfig


def ssl_context(tls: TLSConfig) -> ssl.SSLContext:
    """The client SSL context for `tls`, built once per distinct TLS config.

    Building a context (loading the CA bundle) costs milliseconds, so contexts
    are cached; the CA file's mtime is part of the key so a rotated CA is
    picked up. Verification is on unless `insecure_skip_verify`; `ca_file`
    adds a CA to certifi's bundle (the same roots httpx uses by default).
    Raises OSError (ssl.SSLError is one) when the CA file cannot be loaded.
    """
    if tls.insecure_skip_verify:
        return _cached_context(None, 0, insecure=True)
    if tls.ca_file is None:
        return _cached_context(None, 0, insecure=False)
    ca_file = str(tls.ca_file)
    return _cached_context(ca_file, os.stat(ca_file).st_mtime_ns, insecure=False)


@functools.lru_cache(maxsize=64)
def _cached_context(ca_file: str | None, stamp: int, *, insecure: bool) -> ssl.SSLContext:
    context = _new_context(ca_file, insecure=insecure)
    # HTTP/1.1 only, as httpcore offers it (it sets this on every connect it makes).
    context.set_alpn_protocols(["http/1.1"])
    return context


def _new_context(ca_file: str | None, *, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context


def not_after(stream: object) -> float | None:
    """The peer certificate's notAfter, unix seconds; None when unverified/unknown.

    `stream` is what httpcore's `start_tls` returns (its `get_extra_info`
    exposes the `ssl_object`). Decoding a certificate into a dict
    (`getpeercert()`) costs more than the rest of this run's bookkeeping, and a
    probe sees the same certificate run after run: its DER bytes are the key.
    """
    get_extra_info = getattr(stream, "get_extra_info", None)
    ssl_object = get_extra_info("ssl_object") if callable(get_extra_info) else None
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    if ssl_object.context.verify_mode == ssl.CERT_NONE:
        return None  # an unverified certificate says nothing (getpeercert() is {})
    der = ssl_object.getpeercert(binary_form=True)
    if der is None:
        return None
    try:
        return _BY_DER[der]
    except KeyError:
        pass
    cert = ssl_object.getpeercert()
    value = cert.get("notAfter") if cert else None
    seconds = _seconds(value) if isinstance(value, str) else None
    if len(_BY_DER) >= _MAX_CACHED:
        _BY_DER.clear()
    _BY_DER[der] = seconds
    return seconds


_MAX_CACHED = 1024  # certificates; cleared when full (a probe's certificate rarely changes)
_BY_DER: dict[bytes, float | None] = {}


@functools.lru_cache(maxsize=1024)
def _seconds(cert_time: str) -> float:
    """`ssl.cert_time_to_seconds` (a strptime), once per distinct notAfter."""
    return float(ssl.cert_time_to_seconds(cert_time))
