"""The dispatch board page (planner; manager and admin read)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from api.security import allow
from core.auth import Principal
from web.pages.navigation import BOARD_ROLES
from web.pages.rendering import page


@get("/planner/board", include_in_schema=False, **allow(BOARD_ROLES))
async def board(request: Request[Principal, Any, Any]) -> Template:
    return page(request, "planner/board.html")
