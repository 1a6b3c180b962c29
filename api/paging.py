"""Query parameters shared by list endpoints: limit / offset / sort, with a cap on page size."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.datastructures import State
from litestar.params import QueryParameter

from core.errors import Invalid
from core.listing import PageRequest

T = TypeVar("T")


class PageOut(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def provide_page(
    state: State,
    limit: Annotated[int | None, QueryParameter(ge=1, description="page size (default 50, at most 200)")] = None,
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    sort: Annotated[
        str | None, QueryParameter(max_length=64, description="field to sort by; '-' in front for descending")
    ] = None,
) -> PageRequest:
    server = state.settings.server
    if limit is not None and limit > server.max_page_size:
        raise Invalid("page_size_too_large", f"limit may be at most {server.max_page_size}", field="limit")
    return PageRequest(limit=limit or server.default_page_size, offset=offset, sort=sort)


def page_out(page: Any, convert: Any) -> PageOut[Any]:
    return PageOut(items=[convert(item) for item in page.items], total=page.total, limit=page.limit, offset=page.offset)
