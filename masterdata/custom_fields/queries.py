"""Filtering and sorting list queries by custom values, on PostgreSQL and SQLite.

PostgreSQL filters with containment (`custom @> '{"name": value}'`), which the GIN
(jsonb_path_ops) index on every `custom` column serves; SQLite reads the value with json_extract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Float, Numeric, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from core.errors import Invalid
from masterdata.custom_fields.values import CustomCode, normalise
from masterdata.models.custom_fields import CustomFieldDefinition, CustomType

PREFIX = "custom."


def custom_params(query: Mapping[str, str]) -> dict[str, str]:
    """`?custom.<name>=value` parameters of a request, by name."""
    return {key[len(PREFIX) :]: value for key, value in query.items() if key.startswith(PREFIX)}


def _typed(definition: CustomFieldDefinition, raw: str) -> Any:
    """A query string value as the field stores it (validated like a written value)."""
    kind = CustomType(definition.type)
    field = f"{PREFIX}{definition.name}"
    value: Any = raw
    if kind == CustomType.INTEGER:
        try:
            value = int(raw)
        except ValueError:
            raise Invalid(CustomCode.WRONG_TYPE, f"{definition.label}: expected a whole number", field=field) from None
    elif kind == CustomType.BOOLEAN:
        if raw not in ("true", "false"):
            raise Invalid(CustomCode.WRONG_TYPE, f"{definition.label}: expected true or false", field=field)
        value = raw == "true"
    elif kind == CustomType.MULTIPLE_CHOICE:
        value = [raw]  # records whose choices include this one
    # the filter compares with what is stored, so it goes through the same normalisation;
    # bounds and patterns do not apply to a search term
    loose = CustomFieldDefinition(
        name=definition.name,
        label=definition.label,
        type=definition.type,
        choices=definition.choices,
        reference_to=definition.reference_to,
    )
    return normalise(loose, value, field=field)


def custom_filters(
    definitions: Sequence[CustomFieldDefinition], column: Any, params: Mapping[str, str], dialect: str
) -> list[ColumnElement[bool]]:
    by_name = {d.name: d for d in definitions}
    clauses: list[ColumnElement[bool]] = []
    for name, raw in params.items():
        definition = by_name.get(name)
        if definition is None:
            raise Invalid(CustomCode.UNKNOWN, f"there is no custom field {name!r} to filter on", field=PREFIX + name)
        value = _typed(definition, raw)
        if dialect == "postgresql":
            clauses.append(column.op("@>")(literal({name: value}, type_=postgresql.JSONB)))
            continue
        path = f'$."{name}"'
        if CustomType(definition.type) == CustomType.MULTIPLE_CHOICE:
            items = func.json_each(column, path).table_valued("value")
            clauses.append(exists(select(literal(1)).select_from(items).where(items.c.value == value[0])))
        elif CustomType(definition.type) == CustomType.BOOLEAN:
            clauses.append(func.json_extract(column, path) == (1 if value else 0))
        else:
            clauses.append(func.json_extract(column, path) == value)
    return clauses


def custom_sort_keys(definitions: Sequence[CustomFieldDefinition], column: Any, dialect: str) -> dict[str, Any]:
    """`custom.<name>` sort keys: numbers numerically, the rest as stored (ISO dates sort as dates)."""
    keys: dict[str, Any] = {}
    for definition in definitions:
        name = definition.name
        kind = CustomType(definition.type)
        if dialect == "postgresql":
            key: Any = column.op("->")(literal(name))
            if kind == CustomType.DECIMAL:
                key = cast(column.op("->>")(literal(name)), Numeric)
        else:
            key = func.json_extract(column, f'$."{name}"')
            if kind == CustomType.DECIMAL:
                key = cast(key, Float)
        keys[PREFIX + name] = NullsLast(key)
    return keys


class NullsLast:
    """A sort key whose records without a value come last either way, on both databases
    (PostgreSQL would put them first when descending, SQLite first when ascending)."""

    def __init__(self, key: Any) -> None:
        self.key = key

    def asc(self) -> Any:
        return self.key.asc().nulls_last()

    def desc(self) -> Any:
        return self.key.desc().nulls_last()
