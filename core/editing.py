"""Applying PATCH-style changes: only fields that were sent, after an optimistic-lock check."""

from __future__ import annotations

from typing import Any

import msgspec

from core.errors import StaleVersion


def check_version(entity: str, obj: Any, expected: int) -> None:
    if obj.version != expected:
        raise StaleVersion(entity, expected, obj.version)


def sent_fields(data: msgspec.Struct, exclude: frozenset[str] = frozenset({"version"})) -> dict[str, Any]:
    """The fields of a PATCH body that were present (not UNSET)."""
    return {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if name not in exclude and getattr(data, name) is not msgspec.UNSET
    }


def apply(obj: Any, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(obj, name, value)
