"""calendar feeds: secret iCalendar URLs of an engineer's jobs or a customer's visits (token hashed)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:59:06.345341
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("engineer_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("customer_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("owner_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'engineer' AND engineer_id IS NOT NULL AND customer_id IS NULL)"
            " OR (kind = 'customer' AND customer_id IS NOT NULL AND engineer_id IS NULL)",
            name=op.f("ck_calendar_feeds_subject_of_kind"),
        ),
        sa.CheckConstraint("kind IN ('engineer', 'customer')", name=op.f("ck_calendar_feeds_kind_valid")),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by IS NULL)", name=op.f("ck_calendar_feeds_revoked_with_actor")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_calendar_feeds_customer_id_customers"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["engineer_id"], ["engineers.id"], name=op.f("fk_calendar_feeds_engineer_id_engineers"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_calendar_feeds_owner_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_calendar_feeds_revoked_by_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feeds_token_hash"),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feeds_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_feeds_engineer_id"), ["engineer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_feeds_owner_id"), ["owner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_owner_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_engineer_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_customer_id"))

    op.drop_table("calendar_feeds")
