"""The demo catalogue of symptom and resolution codes loads with the demo data and is usable."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from service_mgmt.choices import KnowledgeKind
from service_mgmt.demo_data import DemoSize, load_demo_data
from service_mgmt.models import KnowledgeCode
from service_mgmt.services.knowledge_codes import validate_code


async def test_the_demo_loads_a_catalogue_for_every_family(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        summary = await load_demo_data(session, DemoSize(customers=5, equipment=20, engineers=2))

    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(KnowledgeCode))
        families = set(await session.scalars(select(KnowledgeCode.product_family).distinct()))
        assert summary.knowledge_codes == count and (count or 0) >= 30
        assert families == {None, "printers", "hvac", "medical", "compressors"}
        assert await validate_code(session, KnowledgeKind.SYMPTOM, "e-stop", "symptom_code") == "E-STOP"
        assert await validate_code(session, KnowledgeKind.RESOLUTION, "NO_FAULT_FOUND", "resolution_code")
