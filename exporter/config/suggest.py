"""Hints for an unknown config field: the known field it was probably meant to be.

`timout` on a probe -> "did you mean 'timeout'?"; `body_contains` on a probe, which is a
field of its `expect:` section -> "it belongs under expect: (expect.body_contains)".
The model a field belongs to is found by walking the error's location through the
config models' annotations (lists, optionals and the probe-type union included).
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through list/tuple/dict/Optional/Union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, tuple, dict):
        return [m for arg in get_args(annotation) for m in _models(arg)]
    return []


def model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose field `loc[-1]` is (an unknown field's parent), if it can be told."""
    candidates = [root]
    for part in loc[:-1]:
        if isinstance(part, int) or part == "[key]":
            continue  # an index into a list (or a mapping's key): same element type
        tagged = [m for m in candidates if _tag(m) == part]
        if tagged:  # pydantic's discriminated-union tag: the member named by `type`
            candidates = tagged
            continue
        nxt: list[type[BaseModel]] = []
        for model in candidates:
            field = model.model_fields.get(part)
            if field is not None:
                nxt += _models(field.annotation)
        candidates = nxt
    return candidates[0] if len(candidates) == 1 else None


def _tag(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    args = get_args(field.annotation) if field is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def hint(model: type[BaseModel], name: str) -> str:
    """'; did you mean ...' for an unknown field `name` of `model`, or ''."""
    fields = list(model.model_fields)
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.75)
    if close:
        return f"; did you mean {close[0]!r}?"
    for field, info in model.model_fields.items():
        for sub in _models(info.annotation):
            if name in sub.model_fields:
                return f"; it belongs under {field}: ({field}.{name})"
    return ""
