"""Rendering a page: the template plus what every page's shell needs (locale, user, navigation,
CSRF token, the JavaScript modules' translations).

Every page may be switched to another language with `?lang=zh_CN` (or `en`): the page renders in
it and the choice is kept in the locale cookie. Pages are never cached: they show one person's
data, and a shared computer's back button must not bring it back after sign-out (the page
router's `Cache-Control: no-store`; `NO_STORE` for a page answered outside it).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from api.csrf import csrf_token
from core.auth import Principal
from web.i18n import LOCALE_COOKIE, LOCALES, js_messages, pick_locale, translations
from web.pages.navigation import nav_for

YEAR = 365 * 24 * 3600
NO_STORE = {"Cache-Control": "no-store"}


def chosen_locale(request: Request[Any, Any, Any]) -> str | None:
    """The language asked for in the address (`?lang=zh_CN`), if the pages offer it."""
    lang = request.query_params.get("lang")
    return lang if lang in LOCALES else None


def request_locale(request: Request[Any, Any, Any]) -> str:
    principal = principal_of(request)
    return chosen_locale(request) or pick_locale(
        principal.locale if principal else None,
        request.cookies.get(LOCALE_COOKIE),
        request.headers.get("accept-language"),
    )


def gettext_for(request: Request[Any, Any, Any]) -> Any:
    """`_` for strings a handler builds (flash messages, errors), in the request's language."""
    return translations(request_locale(request)).gettext


def locale_cookie(locale: str | None) -> Cookie:
    """This browser's language; an empty value (the browser decides) deletes it."""
    return Cookie(key=LOCALE_COOKIE, value=locale or "", samesite="lax", path="/", max_age=YEAR if locale else 0)


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    js: tuple[str, ...] = (),
    locale: str | None = None,
    headers: dict[str, str] | None = None,
    here: str | None = None,
    **context: Any,
) -> Template:
    """`here`: the address the page stands for when it is not the request's (a refused link's
    page stands for the lookup form, so every refused link answers the very same page)."""
    chosen = chosen_locale(request)
    locale = locale or request_locale(request)
    principal = principal_of(request)
    settings = request.app.state.settings
    shell: dict[str, Any] = {
        "locale": locale,
        "locales": LOCALES,
        "zone": context.pop("zone", None) or "UTC",
        "user": principal,
        "nav": nav_for(principal.role) if principal else [],
        "current_path": here or request.url.path,
        "csrf_token": (
            csrf_token(settings.auth.secret_key, principal.session_id)
            if principal is not None and principal.session_id is not None
            else ""
        ),
        "lang_urls": {code: _with_lang(request, code, here) for code in LOCALES},
        "js_modules": js,
        # inside <script type="application/json">: "<" escaped so no "</script>" can end it early
        "js_messages": json.dumps(js_messages(locale), ensure_ascii=False).replace("<", "\\u003c") if js else "",
    }
    return Template(
        template_name=template,
        context={**shell, **context},
        status_code=status_code,
        headers=headers,
        cookies=[locale_cookie(chosen)] if chosen else [],
    )


def _with_lang(request: Request[Any, Any, Any], code: str, here: str | None) -> str:
    """This page in another language: the same address, its other query values kept."""
    if here is not None:
        return here + "?" + urlencode([("lang", code)])
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", code)])


def principal_of(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None
