"""One custom field's value: checked and normalised by its definition's type and rules.

Stored JSON shapes: text, long text, date (ISO), single choice and reference (UUID) as strings,
integer as a number, decimal as a canonical decimal string (exact, as money is), boolean as a
boolean, multiple choice as a list of distinct strings in the definition's order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from core.errors import Invalid
from masterdata.models.custom_fields import CustomFieldDefinition, CustomType

Failure = Callable[[str, str], Invalid]
TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
TEXTUAL = frozenset({CustomType.TEXT, CustomType.LONG_TEXT})
NUMERIC = frozenset({CustomType.INTEGER, CustomType.DECIMAL})


class CustomCode:
    UNKNOWN = "unknown_custom_field"
    REQUIRED = "custom_field_required"
    WRONG_TYPE = "custom_field_wrong_type"
    TOO_SMALL = "custom_field_too_small"
    TOO_LARGE = "custom_field_too_large"
    TOO_SHORT = "custom_field_too_short"
    TOO_LONG = "custom_field_too_long"
    PATTERN = "custom_field_pattern_mismatch"
    NOT_A_CHOICE = "custom_field_not_a_choice"
    REFERENCE = "custom_field_reference_not_found"
    ARCHIVED = "custom_field_archived"


def canonical_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def parse_bound(kind: CustomType, raw: str) -> Decimal | dt.date:
    """A definition's min / max as the type compares them (dates for date, numbers otherwise)."""
    if kind == CustomType.DATE:
        return dt.date.fromisoformat(raw)
    return Decimal(raw)


def _fail(definition: CustomFieldDefinition, code: str, detail: str, field: str | None = None) -> Invalid:
    return Invalid(code, f"{definition.label}: {detail}", field=field or f"custom.{definition.name}")


def normalise(definition: CustomFieldDefinition, value: Any, *, field: str | None = None) -> Any:
    """The value to store, or Invalid naming `custom.<name>` (or `field`). None is handled by the caller."""
    kind = CustomType(definition.type)

    def fail(code: str, detail: str) -> Invalid:
        return _fail(definition, code, detail, field)

    if kind in TEXTUAL:
        if not isinstance(value, str):
            raise fail(CustomCode.WRONG_TYPE, "expected text")
        limit = TEXT_MAX if kind == CustomType.TEXT else LONG_TEXT_MAX
        if len(value) > limit:
            raise fail(CustomCode.TOO_LONG, f"at most {limit} characters")
        _check_length(definition, value, fail)
        if definition.pattern and re.fullmatch(definition.pattern, value) is None:
            raise fail(CustomCode.PATTERN, f"does not match the pattern {definition.pattern}")
        return value
    if kind == CustomType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(CustomCode.WRONG_TYPE, "expected a whole number")
        if abs(value) > 2**53:  # beyond what JSON numbers hold exactly everywhere
            raise fail(CustomCode.TOO_LARGE, "out of range")
        _check_bounds(definition, Decimal(value), fail)
        return value
    if kind == CustomType.DECIMAL:
        number = _decimal(value)
        if number is None:
            raise fail(CustomCode.WRONG_TYPE, 'expected a decimal number (a number or a string like "12.50")')
        _check_bounds(definition, number, fail)
        return canonical_decimal(number)
    if kind == CustomType.DATE:
        try:
            day = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise fail(CustomCode.WRONG_TYPE, "expected a date as YYYY-MM-DD")
        _check_bounds(definition, day, fail)
        return day.isoformat()
    if kind == CustomType.BOOLEAN:
        if not isinstance(value, bool):
            raise fail(CustomCode.WRONG_TYPE, "expected true or false")
        return value
    if kind == CustomType.SINGLE_CHOICE:
        if not isinstance(value, str):
            raise fail(CustomCode.WRONG_TYPE, "expected one of the choices")
        if value not in definition.choices:
            raise fail(CustomCode.NOT_A_CHOICE, f"{value!r} is not one of {', '.join(definition.choices)}")
        return value
    if kind == CustomType.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(CustomCode.WRONG_TYPE, "expected a list of choices")
        if wrong := [item for item in value if item not in definition.choices]:
            raise fail(CustomCode.NOT_A_CHOICE, f"{wrong[0]!r} is not one of {', '.join(definition.choices)}")
        return [choice for choice in definition.choices if choice in value]
    # reference: a UUID; whether the record exists is checked by the caller (it needs the database)
    try:
        return str(UUID(value)) if isinstance(value, str) else _raise()
    except ValueError:
        raise fail(CustomCode.WRONG_TYPE, "expected the id (UUID) of a record") from None


def _raise() -> str:
    raise ValueError


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal(10) ** 15 else None


def _check_bounds(
    definition: CustomFieldDefinition, value: Decimal | dt.date, fail: Callable[[str, str], Invalid]
) -> None:
    kind = CustomType(definition.type)
    if definition.min_value is not None and value < parse_bound(kind, definition.min_value):  # type: ignore[operator]
        raise fail(CustomCode.TOO_SMALL, f"at least {definition.min_value}")
    if definition.max_value is not None and value > parse_bound(kind, definition.max_value):  # type: ignore[operator]
        raise fail(CustomCode.TOO_LARGE, f"at most {definition.max_value}")


def _check_length(definition: CustomFieldDefinition, value: str, fail: Failure) -> None:
    if definition.min_value is not None and len(value) < Decimal(definition.min_value):
        raise fail(CustomCode.TOO_SHORT, f"at least {definition.min_value} characters")
    if definition.max_value is not None and len(value) > Decimal(definition.max_value):
        raise fail(CustomCode.TOO_LONG, f"at most {definition.max_value} characters")
