"""Named dependencies that route handlers declare explicitly (Litestar 3 drops inference)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from core.listing import PageRequest

DbSession = NamedDependency[AsyncSession]
Paging = NamedDependency[PageRequest]
