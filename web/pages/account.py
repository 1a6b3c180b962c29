"""The signed-in user's own settings: the language of the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from api.deps import DbSession
from core.auth import Principal
from masterdata.services.users import set_locale
from web.i18n import LOCALES
from web.pages.rendering import locale_cookie
from web.pages.urls import safe_next


@dataclass
class LocaleForm:
    locale: str = ""
    next: str = ""


@post("/account/locale", include_in_schema=False, status_code=303)
async def choose_locale(
    request: Request[Principal, Any, Any],
    db_session: DbSession,
    data: Annotated[LocaleForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    chosen = data.locale if data.locale in LOCALES else None  # anything else: follow the browser
    await set_locale(db_session, request.user, chosen)
    request.app.state.principals.forget_user(request.user.user_id)  # the next page shows it at once
    return Redirect(safe_next(data.next) or "/", status_code=303, cookies=[locale_cookie(chosen)])
