"""The name resolver every test process uses: no test asks the system resolver.

`install()` (tests/conftest.py calls it) replaces `socket.getaddrinfo`, which the event
loop's `getaddrinfo`, httpx, httpcore and aiohttp all end in. IP literals and
`localhost` resolve as usual (no query leaves the machine); a name a test registered
with `NAMES` resolves to its loopback address; every other name fails at once with
EAI_NONAME, as an unknown name does, so DNS-failure tests (`*.invalid`) are simulated.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

NAMES: dict[str, str] = {}  # test-registered name -> loopback address
_system_getaddrinfo = socket.getaddrinfo
lookups: list[str] = []  # every name refused, for tests that assert a lookup happened


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("ascii") if isinstance(host, bytes) else host
    if name is None or name == "" or name == "localhost" or _literal(name):
        return _system_getaddrinfo(host, port, *args, **kwargs)
    address = NAMES.get(name.lower().rstrip("."))
    if address is not None:
        return _system_getaddrinfo(address, port, *args, **kwargs)
    lookups.append(name)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def install() -> None:
    socket.getaddrinfo = getaddrinfo
