"""The outbox: side effects (e-mails, rendered documents) recorded in the business transaction.

A use case that must notify someone writes an `OutboxMessage` in its own transaction; the
dispatcher (a background job) delivers it after commit and marks it sent. A crash between the
commit and the delivery leaves a pending row that the next dispatch delivers, so nothing is
lost, and a rolled-back transaction leaves no row, so nothing is sent for work that did not
happen. `dedupe_key` makes enqueueing idempotent: the same notice for the same fact is one row.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, sql_in


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; an operator may retry it


class OutboxMessage(Entity):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_messages_dedupe_key"),
        CheckConstraint(f"status IN {sql_in(OutboxStatus)}", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
    )

    # What the dispatcher does with it, e.g. "email" or "service_report"; each kind has a handler.
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    # Kind-specific data (ids, document ids to attach); never secrets.
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    sent_at: Mapped[dt.datetime | None]


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    dedupe_key: str,
    now: dt.datetime,
    recipient: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Record a message to deliver after commit; the same `dedupe_key` answers the first row."""
    existing = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=payload or {},
        next_attempt_at=now,
    )
    session.add(message)
    await session.flush()
    return message
