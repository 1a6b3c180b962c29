"""On PostgreSQL a custom field filter is a JSONB containment the GIN index on `custom` serves."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from masterdata.custom_fields.queries import custom_filters
from masterdata.models import Customer, Equipment
from masterdata.models.custom_fields import CustomFieldDefinition


@pytest.mark.postgres_only
@pytest.mark.parametrize(("model", "index"), [(Customer, "ix_customers_custom"), (Equipment, "ix_equipment_custom")])
async def test_a_custom_filter_uses_the_gin_index(session: AsyncSession, model: type, index: str) -> None:
    region = CustomFieldDefinition(name="region", label="Region", type="single_choice", choices=["north", "south"])
    stmt = select(model.id).where(*custom_filters([region], model.custom, {"region": "north"}, "postgresql"))  # type: ignore[attr-defined]
    compiled = stmt.compile(dialect=postgresql.dialect())
    sql = str(compiled)
    for name in compiled.params:
        sql = sql.replace(f"%({name})s", f"(:{name})")  # text() reads no ":name" right before "::"
    explain = text(f"EXPLAIN {sql}").bindparams(
        *(bindparam(name, value, type_=compiled.binds[name].type) for name, value in compiled.params.items())
    )

    # a test table is tiny: without this the planner rightly prefers reading it whole
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in await session.execute(explain))

    assert "@>" in sql
    assert index in plan, plan
