"""Calendar feeds: a secret URL per technician (their jobs) or per customer (their visits).

The URL carries a random token; only its SHA-256 is stored, so a copy of the database opens no
feed. A feed is revoked, never deleted, so the list shows who made which feed and when it ended.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, sql_in


class FeedKind(StrEnum):
    ENGINEER = "engineer"  # the jobs assigned to an engineer
    CUSTOMER = "customer"  # the scheduled visits of a customer


class CalendarFeed(Entity):
    __tablename__ = "calendar_feeds"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
        CheckConstraint(f"kind IN {sql_in(FeedKind)}", name="kind_valid"),
        # exactly the subject its kind names
        CheckConstraint(
            "(kind = 'engineer' AND engineer_id IS NOT NULL AND customer_id IS NULL)"
            " OR (kind = 'customer' AND customer_id IS NOT NULL AND engineer_id IS NULL)",
            name="subject_of_kind",
        ),
        CheckConstraint("(revoked_at IS NULL) = (revoked_by IS NULL)", name="revoked_with_actor"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    engineer_id: Mapped[UUID | None] = mapped_column(ForeignKey("engineers.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    # hex SHA-256 of the URL's token
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
