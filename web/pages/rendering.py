"""Rendering a page: the template plus what every page's shell needs (locale, user, navigation,
CSRF token, the JavaScript modules' translations)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.response import Template

from api.csrf import csrf_token
from core.auth import Principal
from web.i18n import LOCALE_COOKIE, LOCALES, js_messages, pick_locale, translations
from web.pages.navigation import nav_for


def request_locale(request: Request[Any, Any, Any]) -> str:
    principal = _principal(request)
    return pick_locale(
        principal.locale if principal else None,
        request.cookies.get(LOCALE_COOKIE),
        request.headers.get("accept-language"),
    )


def gettext_for(request: Request[Any, Any, Any]) -> Any:
    """`_` for strings a handler builds (flash messages, errors), in the request's language."""
    return translations(request_locale(request)).gettext


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    js: tuple[str, ...] = (),
    locale: str | None = None,
    **context: Any,
) -> Template:
    locale = locale or request_locale(request)
    principal = _principal(request)
    settings = request.app.state.settings
    shell: dict[str, Any] = {
        "locale": locale,
        "locales": LOCALES,
        "zone": context.pop("zone", None) or "UTC",
        "user": principal,
        "nav": nav_for(principal.role) if principal else [],
        "current_path": request.url.path,
        "csrf_token": (
            csrf_token(settings.auth.secret_key, principal.session_id)
            if principal is not None and principal.session_id is not None
            else ""
        ),
        "js_modules": js,
        # inside <script type="application/json">: "<" escaped so no "</script>" can end it early
        "js_messages": json.dumps(js_messages(locale), ensure_ascii=False).replace("<", "\\u003c") if js else "",
    }
    return Template(template_name=template, context={**shell, **context}, status_code=status_code)


def _principal(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None
