"""Response shape of a custom field definition."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.violations import ViolationReport
from masterdata.models.custom_fields import CustomFieldDefinition


class CustomFieldOut(msgspec.Struct, kw_only=True):
    id: UUID
    entity: str
    name: str
    label: str
    type: str
    required: bool
    default: Any
    min: str | None
    max: str | None
    pattern: str | None
    choices: list[str]
    reference_to: str | None
    help_text: str | None
    position: int
    visibility: str
    editable_by: list[str]
    archived: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def custom_field_out(definition: CustomFieldDefinition) -> CustomFieldOut:
    return CustomFieldOut(
        id=definition.id,
        entity=definition.entity,
        name=definition.name,
        label=definition.label,
        type=definition.type,
        required=definition.required,
        default=definition.default,
        min=definition.min_value,
        max=definition.max_value,
        pattern=definition.pattern,
        choices=list(definition.choices),
        reference_to=definition.reference_to,
        help_text=definition.help_text,
        position=definition.position,
        visibility=definition.visibility,
        editable_by=list(definition.editable_by),
        archived=definition.archived,
        version=definition.version,
        created_at=definition.created_at,
        updated_at=definition.updated_at,
    )


class ViolationOut(msgspec.Struct, kw_only=True):
    record_id: UUID
    code: str
    detail: str


class ViolationsOut(msgspec.Struct, kw_only=True):
    entity: str
    name: str
    total: int
    items: list[ViolationOut]


def violations_out(report: ViolationReport) -> ViolationsOut:
    return ViolationsOut(
        entity=report.entity,
        name=report.name,
        total=report.total,
        items=[ViolationOut(record_id=v.record_id, code=v.code, detail=v.detail) for v in report.items],
    )
