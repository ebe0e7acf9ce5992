"""What `/probe` may reach: public addresses only, never the exporter itself.

`/probe` fetches a URL because an HTTP request named it. Unchecked, anyone who reaches the
exporter could make it fetch its own loopback ports, a cloud metadata service
(169.254.169.254) or the private network, and read from the failure reason which ports
answer. So every request of a /probe poll, each redirect hop included, is checked after
name resolution: when the host resolves to any address that is not globally routable
(loopback, private, link-local, shared, reserved, multicast, unspecified), the request is
refused, unless the operator set `multi_target.allowed_targets` and one of its patterns
matches the URL (they then chose what may be reached). Every request also carries a
per-process token; /probe refuses a request that carries it, so a target that redirects
back into the exporter cannot make one request fan out.

Residual: httpx resolves the name again when it connects, so a name whose answers change
between the check and the connect (DNS rebinding) is checked only on the first answer.
Allow-list the targets (`allowed_targets`) where that matters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket

import httpx

from exporter.config import MultiTargetConfig
from exporter.sources.fetch import RequestRefused

LOOP_HEADER = "X-Statusprobe-Loop"
LOOP_TOKEN = secrets.token_hex(16)  # per process: a request that carries it came from us


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def from_ourselves(headers: object) -> bool:
    """True when a request to the exporter came from one of its own /probe polls."""
    get = getattr(headers, "get", None)
    return get is not None and get(LOOP_HEADER) == LOOP_TOKEN


def explicitly_allowed(config: MultiTargetConfig, url: str) -> bool:
    """The operator wrote allowed_targets themselves and a pattern matches `url`."""
    return "allowed_targets" in config.model_fields_set and config.allows(url)


REFUSED = (
    "the target resolves to a non-public address (loopback, private, link-local or "
    "reserved); multi_target.allowed_targets can allow it"
)


async def refusal(url: httpx.URL, config: MultiTargetConfig) -> str | None:
    """Why `url` may not be fetched, or None. A name that does not resolve passes: the
    fetch then fails as dns_error, as it should."""
    if explicitly_allowed(config, str(url)):
        return None
    host = url.host
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        port = url.port or (443 if url.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return None
        addresses = [str(info[4][0]) for info in infos]
    return None if all(is_public(address) for address in addresses) else REFUSED


async def check(request: httpx.Request, config: MultiTargetConfig | None) -> None:
    """Mark `request` as ours; RequestRefused when its host is not public (nor allowed).
    For an httpx request hook, which sees every redirect hop; `config` None: the caller
    knows the operator allowed this origin, only mark it."""
    request.headers[LOOP_HEADER] = LOOP_TOKEN
    why = None if config is None else await refusal(request.url, config)
    if why is not None:
        raise RequestRefused(why)
