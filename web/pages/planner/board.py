"""The dispatch board page (planner; manager and admin read). The page is the frame and the
filters, which live in the URL so a view can be bookmarked; the board module fills it from
GET /api/v1/dispatch/board and keeps it live."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from api.security import allow
from core.auth import Principal, Role
from web.pages.navigation import BOARD_ROLES
from web.pages.rendering import page

EDITORS = frozenset({Role.PLANNER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class BoardFilters:
    start: dt.date
    days: int
    territory: str | None
    skill: str | None
    sort: str


@get("/planner/board", include_in_schema=False, **allow(BOARD_ROLES))
async def board(
    request: Request[Principal, Any, Any],
    start: Annotated[dt.date | None, QueryParameter()] = None,
    days: Annotated[Literal[1, 3, 7], QueryParameter()] = 1,
    territory: Annotated[str | None, QueryParameter(max_length=80)] = None,
    skill: Annotated[str | None, QueryParameter(max_length=80)] = None,
    sort: Annotated[Literal["name", "utilisation"], QueryParameter()] = "name",
) -> Template:
    filters = BoardFilters(start or dt.date.today(), days, territory, skill, sort)
    return page(
        request,
        "planner/board.html",
        js=("board.js",),
        filters=filters,
        filter_links={"previous": _query(filters, -days), "next": _query(filters, days)},
        can_edit=request.user.role in EDITORS,
    )


def _query(filters: BoardFilters, shift_days: int) -> str:
    """The query string of the same view moved by a number of days (the earlier/later links work
    without JavaScript)."""
    values = {
        "start": (filters.start + dt.timedelta(days=shift_days)).isoformat(),
        "days": str(filters.days),
        "territory": filters.territory or "",
        "skill": filters.skill or "",
        "sort": filters.sort,
    }
    return urlencode({key: value for key, value in values.items() if value})
