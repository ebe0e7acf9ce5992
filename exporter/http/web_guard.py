"""Enforces `--web.config.file` on every endpoint, as the exporter-toolkit does.

One aiohttp middleware checks, in order: the rate limit (429), the client certificate's
SANs (`client_allowed_sans`, 403), basic auth (401 with `WWW-Authenticate`); a response
signal adds the configured headers to every response, errors included. bcrypt runs in
a thread, at most two at a time, and its verdicts are cached (bounded) like the
toolkit's, so a scrape every few seconds costs one hash per password change.

A reload re-reads the file (web_config.py checks it); the previous one stays in force
when the new one is invalid. Switching TLS on or off, `client_auth_type` and the
client CA are fixed at start: changing them takes a restart, and a reload that tries
is refused with that message. Certificate, key, versions and ciphers reload live.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

import bcrypt
from aiohttp import web

from exporter.errors import ConfigError
from exporter.web_config import LoadedWebConfig, configure_tls, load_web_config

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CACHE_SIZE = 1024
_BCRYPT_AT_ONCE = 2
# Checked when the user is unknown, so a wrong user costs as long as a wrong password.
_DUMMY_HASH = b"$2b$10$1iAfudb5zQI385st/IdvlOPiFHBeZ039Q4vIzi/5K8totFUr7gkqS"
_SAN_KINDS = ("DNS", "IP Address", "email", "URI")


class WebGuard:
    def __init__(self, path: Path, loaded: LoadedWebConfig) -> None:
        self.path = path
        self.loaded = loaded
        self._verdicts: OrderedDict[bytes, bool] = OrderedDict()
        self._bcrypt_slots = asyncio.Semaphore(_BCRYPT_AT_ONCE)
        self._tokens = float(loaded.rate_burst)
        self._tokens_at = time.monotonic()

    @classmethod
    def load(cls, path: Path) -> WebGuard:
        """The guard for the file at `path`; ConfigError (every problem) when it is invalid."""
        return cls(path, load_web_config(path))

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        return self.loaded.ssl_context

    def prepare(self) -> LoadedWebConfig:
        """Read the file again (blocking: call it in a thread); ConfigError if unusable."""
        new = load_web_config(self.path)
        old_tls, new_tls = self.loaded.tls, new.tls
        if (old_tls is None) != (new_tls is None):
            raise ConfigError([("tls_server_config", "switching TLS on or off takes a restart")])
        if old_tls is not None and new_tls is not None:
            for field in ("client_auth_type", "client_ca", "client_ca_file"):
                if getattr(old_tls, field) != getattr(new_tls, field):
                    raise ConfigError(
                        [(f"tls_server_config.{field}", "changing it takes a restart")]
                    )
        return new

    def commit(self, new: LoadedWebConfig) -> None:
        """Put a prepared config in force (on the event loop, after `prepare`)."""
        live = self.loaded.ssl_context
        if live is not None and new.tls is not None:
            configure_tls(live, new.tls, self.path.parent)
        self.loaded = LoadedWebConfig(
            new.config, live, new.headers, new.users, new.rate_interval, new.rate_burst
        )
        self._verdicts.clear()
        self._tokens = float(new.rate_burst)

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        app.on_response_prepare.append(self._add_headers)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._take_token():
            return web.Response(status=429, text="Too Many Requests\n")
        if not self._san_allowed(request):
            return web.Response(status=403, text="Forbidden: client certificate not allowed\n")
        if self.loaded.users and not await self._authenticated(request):
            return web.Response(
                status=401,
                text="Unauthorized\n",
                headers={"WWW-Authenticate": 'Basic realm="statusprobe"'},
            )
        return await handler(request)

    async def _add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value in self.loaded.headers.items():
            response.headers[name] = value

    def _take_token(self) -> bool:
        interval, burst = self.loaded.rate_interval, self.loaded.rate_burst
        if interval <= 0:
            return True
        now = time.monotonic()
        self._tokens = min(float(burst), self._tokens + (now - self._tokens_at) / interval)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _san_allowed(self, request: web.Request) -> bool:
        tls = self.loaded.tls
        if tls is None or not tls.client_allowed_sans:
            return True
        transport = request.transport
        peer = transport.get_extra_info("peercert") if transport is not None else None
        if not isinstance(peer, dict):
            return False
        sans = {value for kind, value in peer.get("subjectAltName", ()) if kind in _SAN_KINDS}
        return any(allowed in sans for allowed in tls.client_allowed_sans)

    async def _authenticated(self, request: web.Request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, sep, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if not sep:
            return False
        hashed = self.loaded.users.get(user)
        known = hashed is not None
        hashed = hashed if hashed is not None else _DUMMY_HASH
        key = hashlib.sha256(b"\0".join((user.encode(), password.encode(), hashed))).digest()
        verdict = self._verdicts.get(key)
        if verdict is None:
            async with self._bcrypt_slots:
                verdict = await asyncio.to_thread(_checkpw, password.encode(), hashed)
            self._verdicts[key] = verdict
            if len(self._verdicts) > _CACHE_SIZE:
                self._verdicts.popitem(last=False)
        return verdict and known


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # a malformed hash; load_web_config accepts only well-formed ones
        return False
