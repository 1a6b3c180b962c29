"""Custom fields: definitions an admin adds without code, and the column that holds their values.

Every entity that carries custom fields has a `custom` JSON column (JSONB on PostgreSQL) mapping a
definition's `name` to its value. A GIN index (jsonb_path_ops) serves `custom @> {"name": value}`
filters on PostgreSQL; SQLite reads the same column with json_extract.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import VersionedEntity, sql_in


class CustomEntity(StrEnum):
    CUSTOMER = "customer"
    SITE = "site"
    EQUIPMENT = "equipment"
    CONTRACT = "contract"
    SERVICE_REQUEST = "service_request"
    WORK_ORDER = "work_order"
    RMA = "rma"


class CustomType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    REFERENCE = "reference"


class CustomVisibility(StrEnum):
    CUSTOMER = "customer"  # customer users read it too
    INTERNAL = "internal"  # staff only


class ReferenceTarget(StrEnum):
    CUSTOMER = "customer"
    EQUIPMENT = "equipment"


class CustomFieldDefinition(VersionedEntity):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        # one live definition per name and entity; an archived one keeps its name (and its values)
        UniqueConstraint("entity", "name", name="uq_custom_field_definitions_entity_name"),
        CheckConstraint(f"entity IN {sql_in(CustomEntity)}", name="entity_valid"),
        CheckConstraint(f"type IN {sql_in(CustomType)}", name="type_valid"),
        CheckConstraint(f"visibility IN {sql_in(CustomVisibility)}", name="visibility_valid"),
    )

    entity: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # the value written when a record is created without one (already valid for the type)
    default: Mapped[Any | None] = mapped_column(JsonB, nullable=True)
    # bounds: numbers for integer / decimal (value) and text (length), ISO dates for date
    min_value: Mapped[str | None] = mapped_column(String(64))
    max_value: Mapped[str | None] = mapped_column(String(64))
    pattern: Mapped[str | None] = mapped_column(String(500))
    choices: Mapped[list[str]] = mapped_column(JsonB, default=list)
    reference_to: Mapped[str | None] = mapped_column(String(32))
    help_text: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    visibility: Mapped[str] = mapped_column(String(16), default=CustomVisibility.INTERNAL.value)
    # roles that may set the value; empty: every role that may write the record
    editable_by: Mapped[list[str]] = mapped_column(JsonB, default=list)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


def custom_column() -> Mapped[dict[str, Any]]:
    """The `custom` column of an entity: {definition name: value}."""
    return mapped_column(JsonB, default=dict, server_default=text("'{}'"), nullable=False)


def custom_index(table: str) -> Index:
    """GIN (jsonb_path_ops) on PostgreSQL for containment filters; a plain index elsewhere."""
    return Index(
        f"ix_{table}_custom",
        "custom",
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )
