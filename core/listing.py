"""Paging and sorting of list queries, the same way for every list endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from core.errors import Invalid

T = TypeVar("T")

# A mapped attribute (Customer.name) or any column expression.
SortKey = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 50
    offset: int = 0
    sort: str | None = None  # a field name, "-" in front for descending


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int


def contains(column: SortKey, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; % and _ in the text match themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _order_by(sort: str, sortable: Mapping[str, SortKey]) -> ColumnElement[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-+")
    column = sortable.get(key)
    if column is None:
        raise Invalid(
            "invalid_sort",
            f"cannot sort by {key!r}; sortable fields: {', '.join(sorted(sortable))}",
            field="sort",
        )
    return column.desc() if descending else column.asc()


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    page: PageRequest,
    *,
    sortable: Mapping[str, SortKey],
    default_sort: str,
    tie_breaker: SortKey,
) -> Page[Any]:
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    ordered = stmt.order_by(_order_by(page.sort or default_sort, sortable), tie_breaker)
    rows = (await session.scalars(ordered.limit(page.limit).offset(page.offset))).all()
    return Page(items=rows, total=int(total or 0), limit=page.limit, offset=page.offset)
