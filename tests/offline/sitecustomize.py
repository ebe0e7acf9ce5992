"""Imported at start-up by the `statusprobe` processes a test starts with this directory on
PYTHONPATH: every host name but loopback fails to resolve, as on a machine without DNS.

The embedded default config probes real providers' APIs directly (probes ignore proxy
settings: they measure the direct path), so a test that runs it must take the internet
away from the process, not merely point it at a proxy.
"""

from __future__ import annotations

import socket
from typing import Any

_resolve = socket.getaddrinfo


def _offline(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name == "localhost" or name == "::1" or str(name).startswith("127."):
        return _resolve(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (offline test)")


socket.getaddrinfo = _offline
