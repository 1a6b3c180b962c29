"""Custom field definitions: an admin adds, changes, renames and archives them (no code, no restart).

Values live under the definition's name in each record's `custom` column; a rename moves them in
the same transaction, so no value is ever lost. Deleting archives: values stay stored, the field
is no longer read or written, and restoring it (`archived: false`) brings them back.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

import msgspec
from sqlalchemy import func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal, Role
from core.db import metadata
from core.editing import check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import LongText, Name, Version
from masterdata.custom_fields.values import NUMERIC, TEXTUAL, normalise, parse_bound
from masterdata.models.custom_fields import (
    CustomEntity,
    CustomFieldDefinition,
    CustomType,
    CustomVisibility,
    ReferenceTarget,
)

FieldName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="the key in `custom` and in `?custom.<name>=` filters: lower case letters, digits, _",
    ),
]
Bound = int | float | str
Choice = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Pattern = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class DefinitionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    entity: CustomEntity
    name: FieldName
    label: Name
    type: CustomType
    required: bool = False
    default: Any = None
    min: Bound | None = None
    max: Bound | None = None
    pattern: Pattern | None = None
    choices: Annotated[list[Choice], msgspec.Meta(max_length=200)] = []
    reference_to: ReferenceTarget | None = None
    help_text: LongText | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0
    visibility: CustomVisibility = CustomVisibility.INTERNAL
    editable_by: list[Role] = []


class DefinitionUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Entity and type stay: changing what a value is would strand the values already stored."""

    version: Version
    name: FieldName | msgspec.UnsetType = msgspec.UNSET
    label: Name | msgspec.UnsetType = msgspec.UNSET
    required: bool | msgspec.UnsetType = msgspec.UNSET
    default: Any | msgspec.UnsetType = msgspec.UNSET
    min: Bound | None | msgspec.UnsetType = msgspec.UNSET
    max: Bound | None | msgspec.UnsetType = msgspec.UNSET
    pattern: Pattern | None | msgspec.UnsetType = msgspec.UNSET
    choices: Annotated[list[Choice], msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    reference_to: ReferenceTarget | None | msgspec.UnsetType = msgspec.UNSET
    help_text: LongText | None | msgspec.UnsetType = msgspec.UNSET
    position: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | msgspec.UnsetType = msgspec.UNSET
    visibility: CustomVisibility | msgspec.UnsetType = msgspec.UNSET
    editable_by: list[Role] | msgspec.UnsetType = msgspec.UNSET
    archived: bool | msgspec.UnsetType = msgspec.UNSET


class DefinitionFilter(msgspec.Struct, kw_only=True):
    entity: CustomEntity | None = None
    archived: bool | None = False


# the column holding the values, per entity; imported lazily so master data needs no upper layer
def custom_tables() -> dict[CustomEntity, Any]:
    from masterdata.models import Customer, Equipment, Site

    columns: dict[CustomEntity, Any] = {
        CustomEntity.CUSTOMER: Customer.__table__,
        CustomEntity.SITE: Site.__table__,
        CustomEntity.EQUIPMENT: Equipment.__table__,
    }
    for entity, table in (
        (CustomEntity.CONTRACT, "service_contracts"),
        (CustomEntity.SERVICE_REQUEST, "service_requests"),
        (CustomEntity.WORK_ORDER, "work_orders"),
        (CustomEntity.RMA, "rmas"),
    ):
        if table in metadata.tables:  # the upper domains' models, when loaded (always, in the app)
            columns[entity] = metadata.tables[table]
    return columns


async def get_definition(session: AsyncSession, definition_id: UUID) -> CustomFieldDefinition:
    definition = await session.get(CustomFieldDefinition, definition_id)
    if definition is None:
        raise NotFound("custom_field", definition_id)
    return definition


async def list_definitions(session: AsyncSession, filters: DefinitionFilter) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition)
    if filters.entity is not None:
        stmt = stmt.where(CustomFieldDefinition.entity == filters.entity.value)
    if filters.archived is not None:
        stmt = stmt.where(CustomFieldDefinition.archived.is_(filters.archived))
    stmt = stmt.order_by(CustomFieldDefinition.entity, CustomFieldDefinition.position, CustomFieldDefinition.name)
    return list((await session.scalars(stmt)).all())


async def create_definition(session: AsyncSession, actor: Principal, data: DefinitionCreate) -> CustomFieldDefinition:
    await _check_name_free(session, data.entity.value, data.name)
    definition = CustomFieldDefinition(
        entity=data.entity.value,
        name=data.name,
        label=data.label,
        type=data.type.value,
        required=data.required,
        choices=list(data.choices),
        reference_to=data.reference_to.value if data.reference_to else None,
        pattern=data.pattern,
        help_text=data.help_text,
        position=data.position,
        visibility=data.visibility.value,
        editable_by=[role.value for role in data.editable_by],
        archived=False,
    )
    definition.min_value = _bound(definition, data.min, "min")
    definition.max_value = _bound(definition, data.max, "max")
    _check_rules(definition)
    definition.default = _default(definition, data.default)
    session.add(definition)
    await session.flush()
    await audit.record(session, actor, "custom_field", definition.id, "create", after=audit.snapshot(definition))
    return definition


async def update_definition(
    session: AsyncSession, actor: Principal, definition_id: UUID, data: DefinitionUpdate
) -> CustomFieldDefinition:
    definition = await get_definition(session, definition_id)
    check_version("custom_field", definition, data.version)
    before = audit.snapshot(definition)
    changes = sent_fields(data)
    old_name = definition.name
    if "name" in changes and changes["name"] != old_name:
        await _check_name_free(session, definition.entity, changes["name"])
    if changes.get("archived") is False and definition.archived:
        await _check_name_free(session, definition.entity, changes.get("name", old_name), but=definition.id)
    for key in ("label", "required", "pattern", "help_text", "position", "name", "archived"):
        if key in changes:
            setattr(definition, key, changes[key])
    if "choices" in changes:
        definition.choices = list(changes["choices"])
    if "reference_to" in changes:
        definition.reference_to = changes["reference_to"].value if changes["reference_to"] else None
    if "visibility" in changes:
        definition.visibility = changes["visibility"].value
    if "editable_by" in changes:
        definition.editable_by = [role.value for role in changes["editable_by"]]
    if "min" in changes:
        definition.min_value = _bound(definition, changes["min"], "min")
    if "max" in changes:
        definition.max_value = _bound(definition, changes["max"], "max")
    _check_rules(definition)
    # the default must still pass the (possibly changed) rules
    definition.default = _default(definition, changes.get("default", definition.default))
    if definition.name != old_name:
        await _rename_values(session, CustomEntity(definition.entity), old_name, definition.name)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(definition))
    await audit.record(session, actor, "custom_field", definition.id, "update", before=old, after=new)
    return definition


async def archive_definition(session: AsyncSession, actor: Principal, definition_id: UUID) -> None:
    """Delete = archive: the values stay in the records, the field leaves forms, reads and writes."""
    definition = await get_definition(session, definition_id)
    if definition.archived:
        return
    definition.archived = True
    await session.flush()
    await audit.record(session, actor, "custom_field", definition.id, "archive", after={"archived": True})


async def _check_name_free(session: AsyncSession, entity: str, name: str, *, but: UUID | None = None) -> None:
    stmt = select(CustomFieldDefinition.id).where(
        CustomFieldDefinition.entity == entity, CustomFieldDefinition.name == name
    )
    found = await session.scalar(stmt)
    if found is not None and found != but:
        raise Conflict(
            "custom_field_exists",
            f"{entity} already has a custom field named {name!r} (archived ones keep their name)",
            field="name",
        )


async def _rename_values(session: AsyncSession, entity: CustomEntity, old: str, new: str) -> None:
    """Move every record's value from `old` to `new`, in the caller's transaction."""
    table = custom_tables().get(entity)
    if table is None:
        return
    column = table.c.custom
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        moved = column.op("-")(literal(old)).op("||")(
            func.jsonb_build_object(literal(new), column.op("->")(literal(old)))
        )
        has_old = column.op("?")(literal(old))
        await session.execute(update(table).where(has_old).values(custom=moved))
        return
    old_path, new_path = f'$."{old}"', f'$."{new}"'
    moved_sqlite = func.json_set(func.json_remove(column, old_path), new_path, func.json(column.op("->")(old_path)))
    has_old_sqlite = func.json_type(column, old_path).is_not(None)
    await session.execute(update(table).where(has_old_sqlite).values(custom=moved_sqlite))


def _bound(definition: CustomFieldDefinition, raw: Bound | None, field: str) -> str | None:
    if raw is None:
        return None
    kind = CustomType(definition.type)
    if kind not in TEXTUAL | NUMERIC | {CustomType.DATE}:
        raise Invalid("custom_field_rule_not_applicable", f"{kind.value} fields take no {field}", field=field)
    try:
        value = parse_bound(kind, str(raw))
    except (ValueError, ArithmeticError):
        expected = "a date (YYYY-MM-DD)" if kind == CustomType.DATE else "a number"
        raise Invalid("invalid_custom_field_bound", f"{field} must be {expected}", field=field) from None
    return value.isoformat() if not hasattr(value, "normalize") else format(value.normalize(), "f")  # type: ignore[union-attr]


def _check_rules(definition: CustomFieldDefinition) -> None:
    kind = CustomType(definition.type)
    low, high = definition.min_value, definition.max_value
    if low is not None and high is not None and parse_bound(kind, low) > parse_bound(kind, high):  # type: ignore[operator]
        raise Invalid("invalid_custom_field_bound", "min is greater than max", field="min")
    if definition.pattern is not None:
        if kind not in TEXTUAL:
            raise Invalid("custom_field_rule_not_applicable", "only text fields take a pattern", field="pattern")
        try:
            re.compile(definition.pattern)
        except re.error as exc:
            raise Invalid("invalid_custom_field_pattern", f"not a regular expression: {exc}", field="pattern") from None
    choice_kind = kind in {CustomType.SINGLE_CHOICE, CustomType.MULTIPLE_CHOICE}
    if choice_kind and not definition.choices:
        raise Invalid("custom_field_choices_required", "a choice field needs its choices", field="choices")
    if not choice_kind and definition.choices:
        raise Invalid("custom_field_rule_not_applicable", "only choice fields take choices", field="choices")
    if len(set(definition.choices)) != len(definition.choices):
        raise Invalid("duplicate_custom_field_choice", "the choices repeat a value", field="choices")
    if (kind == CustomType.REFERENCE) != (definition.reference_to is not None):
        raise Invalid(
            "custom_field_reference_target",
            "reference fields, and only they, name what they refer to (customer or equipment)",
            field="reference_to",
        )


def _default(definition: CustomFieldDefinition, value: Any) -> Any:
    if value is None:
        return None
    if CustomType(definition.type) == CustomType.REFERENCE:
        raise Invalid("custom_field_rule_not_applicable", "reference fields take no default", field="default")
    return normalise(definition, value, field="default")
