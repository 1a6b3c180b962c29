"""Type comparison for autogenerate that understands advanced-alchemy's portable types.

On SQLite, GUID is stored as BINARY(16) and DateTimeUTC as a DATETIME, which reflection
reads back under other names; they are the same storage, not a difference.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC

PORTABLE_TYPES = (GUID, DateTimeUTC)


def compare_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    if context.dialect.name == "sqlite" and isinstance(metadata_type, PORTABLE_TYPES):
        return False
    return None  # alembic's default comparison
