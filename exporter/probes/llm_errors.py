"""Recognise the error JSON of LLM APIs (pure): payload in, `ProviderError` out.

Shapes (named in tests/llm_upstream.py with their sources):

- Anthropic error body and in-stream `error` event:
  `{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
  "request_id": "req_..."}`
- OpenAI error body, and an error chunk inside a Chat Completions stream:
  `{"error": {"message": "...", "type": "server_error", "param": null, "code": null}}`
- OpenAI Responses stream `error` event:
  `{"type": "error", "code": "server_error", "message": "...", "param": null}`
- OpenAI Responses `response.failed` event:
  `{"type": "response.failed", "response": {"status": "failed", "error": {"code": ...,
  "message": ...}}}`

The message is kept only for `outcome.classify_error` (which searches it for
"overloaded"); results show the error's kind, never its message, which may
quote what we sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.probes.exchange import clean_request_id

_SAFE_KIND = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_MAX_MESSAGE = 500


@dataclass(frozen=True, slots=True)
class ProviderError:
    kinds: tuple[str, ...] = ()  # the provider's names for it: type, then code
    message: str = ""
    request_id: str = ""

    @property
    def label(self) -> str:
        """The kinds fit to show (short identifiers) joined by "/", or "error"."""
        return "/".join(k for k in self.kinds if _SAFE_KIND.fullmatch(k)) or "error"


def parse_error(payload: object) -> ProviderError | None:
    """The provider error `payload` describes, or None when it is not an error shape."""
    if not isinstance(payload, dict):
        return None
    request_id = clean_request_id(_text(payload.get("request_id")))
    inner = payload.get("error")
    if isinstance(inner, dict):  # Anthropic, OpenAI
        kinds = _kinds(inner.get("type"), inner.get("code"))
        return ProviderError(kinds, _text(inner.get("message")), request_id)
    if isinstance(inner, str) and inner:  # {"error": "..."} from gateways
        return ProviderError((), inner[:_MAX_MESSAGE], request_id)
    kind = payload.get("type")
    if kind == "error":  # OpenAI Responses stream error event
        return ProviderError(_kinds(payload.get("code")), _text(payload.get("message")), request_id)
    if kind == "response.failed":
        response = payload.get("response")
        error = response.get("error") if isinstance(response, dict) else None
        if not isinstance(error, dict):
            return ProviderError(("response.failed",))
        kinds = _kinds(error.get("code"), error.get("type"))
        return ProviderError(kinds, _text(error.get("message")), request_id)
    return None


def _kinds(*values: object) -> tuple[str, ...]:
    out = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value and value not in out:
            out.append(value[:_MAX_MESSAGE])
    return tuple(out)


def _text(value: object) -> str:
    return value[:_MAX_MESSAGE] if isinstance(value, str) else ""
