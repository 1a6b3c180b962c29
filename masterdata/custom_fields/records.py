"""Custom values on a record: checked on every write, shown on every read by who may see them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM, Principal, Role
from core.errors import FieldNotAllowed, Invalid
from masterdata.custom_fields.values import CustomCode, normalise
from masterdata.models import Customer, Equipment
from masterdata.models.custom_fields import CustomEntity, CustomFieldDefinition, CustomType, CustomVisibility

REFERENCE_MODELS: dict[str, type[Customer] | type[Equipment]] = {"customer": Customer, "equipment": Equipment}


async def definitions_for(
    session: AsyncSession, entity: CustomEntity | str, *, archived: bool = False
) -> list[CustomFieldDefinition]:
    """The entity's definitions in form order; archived ones only when asked."""
    stmt = select(CustomFieldDefinition).where(CustomFieldDefinition.entity == str(entity))
    if not archived:
        stmt = stmt.where(CustomFieldDefinition.archived.is_(False))
    stmt = stmt.order_by(CustomFieldDefinition.position, CustomFieldDefinition.name)
    return list((await session.scalars(stmt)).all())


def sees(principal: Principal, definition: CustomFieldDefinition) -> bool:
    """Customers see only fields marked visible to customers; staff see every field."""
    return principal.role != Role.CUSTOMER or definition.visibility == CustomVisibility.CUSTOMER


@dataclass(frozen=True, slots=True)
class CustomView:
    """The live definitions of one entity as one reader may see them (loaded once per request)."""

    definitions: Sequence[CustomFieldDefinition]

    @classmethod
    async def load(cls, session: AsyncSession, principal: Principal, entity: CustomEntity) -> CustomView:
        return cls([d for d in await definitions_for(session, entity) if sees(principal, d)])

    def read(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        """The values the reader may see, of live definitions only (archived values stay stored)."""
        stored = values or {}
        return {d.name: stored[d.name] for d in self.definitions if d.name in stored}

    def by_name(self) -> dict[str, CustomFieldDefinition]:
        return {d.name: d for d in self.definitions}


async def apply_custom(
    session: AsyncSession,
    actor: Principal,
    entity: CustomEntity,
    incoming: Mapping[str, Any] | None,
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The record's new `custom` values: `incoming` (null clears) merged over `current`.

    `current` None means the record is being created: defaults fill what was not sent and every
    required field must end up with a value. On an update, required fields are checked only when
    `custom` is sent, so a rule made stricter later applies to new writes, not to unrelated edits.
    """
    creating = current is None
    result: dict[str, Any] = dict(current or {})
    sent = dict(incoming or {})
    every = {d.name: d for d in await definitions_for(session, entity, archived=True)}
    for name, value in sent.items():
        definition = every.get(name)
        field = f"custom.{name}"
        if definition is None or not sees(actor, definition):
            raise Invalid(CustomCode.UNKNOWN, f"there is no custom field {name!r} on {entity.value}", field=field)
        if definition.archived:
            raise Invalid(CustomCode.ARCHIVED, f"the custom field {name!r} is archived", field=field)
        new = None if value is None else normalise(definition, value)
        if new is not None and CustomType(definition.type) == CustomType.REFERENCE:
            await _check_reference(session, definition, new)
        if new == result.get(name):
            continue  # sending back what was read is always allowed
        if definition.editable_by and actor.role not in definition.editable_by:
            raise FieldNotAllowed(field, f"only {', '.join(definition.editable_by)} may change {definition.label}")
        if new is None:
            result.pop(name, None)
        else:
            result[name] = new
    live = [d for d in every.values() if not d.archived]
    if creating:
        for definition in live:
            if definition.name not in result and definition.default is not None:
                result[definition.name] = definition.default
    # Records the system makes by itself (preventive maintenance calls, generated data) get the
    # defaults but are not refused for a value no person was there to give.
    if (creating or sent) and actor.user_id != SYSTEM.user_id:
        for definition in live:
            if definition.required and result.get(definition.name) in (None, "", []):
                raise Invalid(CustomCode.REQUIRED, f"{definition.label} is required", field=f"custom.{definition.name}")
    return result


async def _check_reference(session: AsyncSession, definition: CustomFieldDefinition, value: str) -> None:
    model = REFERENCE_MODELS[definition.reference_to or "customer"]
    if await session.get(model, UUID(value)) is None:
        raise Invalid(
            CustomCode.REFERENCE,
            f"{definition.label}: no {definition.reference_to} {value}",
            field=f"custom.{definition.name}",
        )
