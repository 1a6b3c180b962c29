"""Builders for the knowledge-code catalogue in tests: symptom and resolution codes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service_mgmt.choices import KnowledgeKind
from service_mgmt.models import KnowledgeCode


async def add_codes(
    session: AsyncSession,
    *,
    symptoms: tuple[str, ...] = (),
    resolutions: tuple[str, ...] = (),
    family: str | None = None,
    active: bool = True,
) -> list[KnowledgeCode]:
    """Codes as the catalogue keeps them (upper case), described by their own text."""
    rows = [
        KnowledgeCode(
            kind=kind.value, code=code, description=code.replace("_", " ").lower(), product_family=family, active=active
        )
        for kind, codes in ((KnowledgeKind.SYMPTOM, symptoms), (KnowledgeKind.RESOLUTION, resolutions))
        for code in codes
    ]
    session.add_all(rows)
    await session.flush()
    return rows
