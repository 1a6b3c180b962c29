"""The records whose stored value no longer passes its field's current rules.

A stricter rule (a new `required`, a narrower range, a pattern, a choice taken away) applies to new
writes only; nothing already stored is changed or refused. This report lists what would now be
refused, so an administrator can put it right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from masterdata.custom_fields.definitions import custom_tables, get_definition
from masterdata.custom_fields.values import CustomCode, normalise
from masterdata.models.custom_fields import CustomEntity

BATCH = 2_000  # rows read per query: memory stays flat however many records there are
MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class Violation:
    record_id: UUID
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class ViolationReport:
    entity: str
    name: str
    total: int
    items: list[Violation]  # the first MAX_LISTED, in record id order


async def violations(session: AsyncSession, definition_id: UUID) -> ViolationReport:
    definition = await get_definition(session, definition_id)
    table = custom_tables().get(CustomEntity(definition.entity))
    found: list[Violation] = []
    total = 0
    if table is None:
        return ViolationReport(definition.entity, definition.name, 0, [])
    last: Any = None
    while True:
        stmt = select(table.c.id, table.c.custom).order_by(table.c.id).limit(BATCH)
        if last is not None:
            stmt = stmt.where(table.c.id > last)
        rows = (await session.execute(stmt)).all()
        for record_id, custom in rows:
            problem = _problem(definition, (custom or {}).get(definition.name))
            if problem is not None:
                total += 1
                if len(found) < MAX_LISTED:
                    found.append(Violation(record_id, *problem))
        if len(rows) < BATCH:
            break
        last = rows[-1][0]
    return ViolationReport(definition.entity, definition.name, total, found)


def _problem(definition: Any, value: Any) -> tuple[str, str] | None:
    if value in (None, "", []):
        return (CustomCode.REQUIRED, f"{definition.label} is required") if definition.required else None
    try:
        normalise(definition, value)
    except Invalid as exc:
        return exc.code, exc.detail
    return None
