"""Append-only audit log, written in the same transaction as the change it records.

The table refuses UPDATE and DELETE by trigger (see the migration), so the log cannot be
rewritten through the application or by accident.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Column, Index, Integer, String, Table
from sqlalchemy.ext.asyncio import AsyncSession

from core import domain_events
from core.auth import Principal
from core.db import metadata

# SQLite only auto-increments an INTEGER PRIMARY KEY, hence the variant.
BIGSERIAL = BigInteger().with_variant(Integer, "sqlite")

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BIGSERIAL, primary_key=True, autoincrement=True),
    Column("at", DateTimeUTC(timezone=True), nullable=False),
    Column("actor_id", GUID, nullable=False),
    Column("actor_name", String(150), nullable=False),
    Column("actor_role", String(32), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("before", JsonB, nullable=True),
    Column("after", JsonB, nullable=True),
    Index("ix_audit_log_entity", "entity", "entity_id", "at"),
)


@dataclass(frozen=True, slots=True)
class ChangeRecorded:
    """Published (in the same transaction) for every audit record: outgoing webhooks listen here,
    so every change the log sees can become an event without each use case announcing it."""

    actor: Principal
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: dt.datetime


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, exclude: frozenset[str] = frozenset({"created_at", "updated_at"})) -> dict[str, Any]:
    """The column values of an ORM object as JSON-safe data, for before/after records."""
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in obj.__mapper__.column_attrs
        if column.key not in exclude
    }


async def record(
    session: AsyncSession,
    actor: Principal,
    entity: str,
    entity_id: object,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    when = at or dt.datetime.now(dt.UTC)
    plain_before = _plain(before) if before is not None else None
    plain_after = _plain(after) if after is not None else None
    await session.execute(
        audit_log.insert().values(
            at=when,
            actor_id=actor.user_id,
            actor_name=actor.username,
            actor_role=actor.role.value,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            before=plain_before,
            after=plain_after,
        )
    )
    await domain_events.publish(
        session, ChangeRecorded(actor, entity, str(entity_id), action, plain_before, plain_after, when)
    )


async def record_many(
    session: AsyncSession,
    actor: Principal,
    entity: str,
    action: str,
    changes: Sequence[tuple[object, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    at: dt.datetime | None = None,
) -> None:
    """``record`` for many entities of one kind at once: (entity id, before, after) each, one INSERT."""
    if not changes:
        return
    when = at or dt.datetime.now(dt.UTC)
    await session.execute(
        audit_log.insert(),
        [
            {
                "at": when,
                "actor_id": actor.user_id,
                "actor_name": actor.username,
                "actor_role": actor.role.value,
                "entity": entity,
                "entity_id": str(entity_id),
                "action": action,
                "before": _plain(before) if before is not None else None,
                "after": _plain(after) if after is not None else None,
            }
            for entity_id, before, after in changes
        ],
    )
    if domain_events.handlers_of(ChangeRecorded):
        for entity_id, before, after in changes:
            event = ChangeRecorded(
                actor,
                entity,
                str(entity_id),
                action,
                _plain(before) if before is not None else None,
                _plain(after) if after is not None else None,
                when,
            )
            await domain_events.publish(session, event)


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, for compact update records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
