"""custom fields: definitions, and a `custom` JSON column (GIN-indexed on PostgreSQL) on each entity

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customers", "sites", "equipment", "service_contracts", "service_requests", "work_orders", "rmas")


def _json() -> sa.types.TypeEngine[object]:
    return (
        sa.JSON()
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
        .with_variant(advanced_alchemy.types.json.ORA_JSONB(), "oracle")
        .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    )


def upgrade() -> None:
    op.create_table(
        "custom_field_definitions",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("default", _json(), nullable=True),
        sa.Column("min_value", sa.String(length=64), nullable=True),
        sa.Column("max_value", sa.String(length=64), nullable=True),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("choices", _json(), nullable=False),
        sa.Column("reference_to", sa.String(length=32), nullable=True),
        sa.Column("help_text", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("editable_by", _json(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "entity IN ('customer', 'site', 'equipment', 'contract', 'service_request', 'work_order', 'rma')",
            name=op.f("ck_custom_field_definitions_entity_valid"),
        ),
        sa.CheckConstraint(
            "type IN ('text', 'long_text', 'integer', 'decimal', 'date', 'boolean', 'single_choice', "
            "'multiple_choice', 'reference')",
            name=op.f("ck_custom_field_definitions_type_valid"),
        ),
        sa.CheckConstraint(
            "visibility IN ('customer', 'internal')", name=op.f("ck_custom_field_definitions_visibility_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field_definitions")),
        sa.UniqueConstraint("entity", "name", name="uq_custom_field_definitions_entity_name"),
    )
    with op.batch_alter_table("custom_field_definitions") as batch:
        batch.create_index(batch.f("ix_custom_field_definitions_entity"), ["entity"], unique=False)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("custom", _json(), server_default=sa.text("'{}'"), nullable=False))
        op.create_index(
            f"ix_{table}_custom",
            table,
            ["custom"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_custom", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("custom")
    with op.batch_alter_table("custom_field_definitions") as batch:
        batch.drop_index(batch.f("ix_custom_field_definitions_entity"))
    op.drop_table("custom_field_definitions")
