"""`/` sends people to their work: the role's landing page, or the sign-in page. `/home` is the
landing page of roles whose own screens are still to come: what they can use today."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Template

from api.security import principal_from_cookie
from core.auth import Principal
from web.pages.navigation import ROLE_LABELS, landing_for, nav_for
from web.pages.rendering import page


@get("/", include_in_schema=False, opt={"exclude_from_auth": True})
async def root(request: Request[Any, Any, Any]) -> Redirect:
    # "/" is public so that it can send a stranger to the sign-in page instead of answering 401
    user = await principal_from_cookie(request)
    return Redirect(landing_for(user.role) if user else "/sign-in", status_code=303)


@get("/home", include_in_schema=False)
async def home(request: Request[Principal, Any, Any]) -> Template:
    tiles = [item for item in nav_for(request.user.role) if item.href != "/home"]
    return page(request, "home.html", tiles=tiles, role_label=ROLE_LABELS[request.user.role])
