"""Signing in and out in the browser, on the server-side sessions of the API (`api.login`).

The sign-in form is protected against login CSRF by a double-submit token: a random value in a
SameSite=Strict cookie that must come back in the form. After sign-in the session travels in the
HttpOnly cookie and unsafe requests carry the session's CSRF token (`api.csrf`).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from api.csrf import csrf_token
from api.login import log_in_with_session, log_out
from api.security import client_of, issue_token
from api.session_cookies import cleared_cookies, session_cookies
from api.session_principals import SessionPrincipals
from core.auth import Principal
from core.auth_sessions import Transport
from core.errors import Invalid
from masterdata.services.users import Credentials
from web.forms import FormErrors
from web.i18n import LOCALE_COOKIE, LOCALES
from web.pages.navigation import landing_for
from web.pages.rendering import gettext_for, page

PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
FORM_COOKIE = "sign_in_form"
YEAR = 365 * 24 * 3600


@dataclass
class SignInForm:
    username: str = ""
    password: str = ""
    next: str = ""
    form_token: str = ""


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (`//evil`, `https://…`) after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@get("/sign-in", opt=PUBLIC, include_in_schema=False, name="sign_in")
async def sign_in_form(
    request: Request[Any, Any, Any],
    next_path: Annotated[str | None, QueryParameter(query="next", max_length=500)] = None,
    lang: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Template:
    return _form(request, SignInForm(next=safe_next(next_path) or ""), FormErrors(), lang=lang)


@post("/sign-in", opt=PUBLIC, include_in_schema=False, status_code=200)
async def sign_in(
    request: Request[Any, Any, Any],
    state: State,
    data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    _ = gettext_for(request)
    sent = request.cookies.get(FORM_COOKIE, "")
    if not sent or not hmac.compare_digest(sent, data.form_token):
        errors = FormErrors()
        errors.add(None, _("This form has expired. Reload the page and try again."))
        return _form(request, data, errors, status_code=403)
    if not data.username.strip() or not data.password:
        errors = FormErrors()
        if not data.username.strip():
            errors.add("username", _("Enter your username."))
        if not data.password:
            errors.add("password", _("Enter your password."))
        return _form(request, data, errors, status_code=422)
    settings = state.settings.auth
    principals: SessionPrincipals = state.principals
    try:
        credentials = Credentials(username=data.username.strip(), password=data.password)
    except (TypeError, ValueError):
        return _form(request, data, FormErrors.from_error(Invalid("invalid_credentials", "", field="username"), _), 422)
    async with state.sessions() as session:
        answer = await log_in_with_session(
            session, credentials, Transport.COOKIE, client_of(request), principals.clock.now(), settings
        )
        await session.commit()
    if answer.error is not None:
        field_error = FormErrors.from_error(answer.error, _)
        status = 429 if answer.error.code == "too_many_attempts" else 401
        return _form(request, SignInForm(username=data.username, next=data.next), field_error, status_code=status)
    principal = answer.principal
    assert principal is not None and principal.session_id is not None
    lifetime = dt.timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(state.jwt_auth, principal, lifetime)
    csrf = csrf_token(settings.secret_key, principal.session_id)
    cookies = session_cookies(settings, token, csrf, int(lifetime.total_seconds()))
    cookies.append(Cookie(key=FORM_COOKIE, value="", max_age=0, path="/sign-in"))
    if principal.locale in LOCALES:
        cookies.append(_locale_cookie(principal.locale))
    return Redirect(safe_next(data.next) or landing_for(principal.role), status_code=303, cookies=cookies)


@post("/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Principal, Any, Any], state: State) -> Redirect:
    await log_out(state, request.user, client_of(request))
    return Redirect("/sign-in", status_code=303, cookies=cleared_cookies(state.settings.auth))


def _form(
    request: Request[Any, Any, Any],
    form: SignInForm,
    errors: FormErrors,
    status_code: int = 200,
    lang: str | None = None,
) -> Template:
    form_token = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html",
        status_code=status_code,
        form=SignInForm(username=form.username, next=form.next, form_token=form_token),
        errors=errors,
        locale=lang if lang in LOCALES else None,
    )
    response.cookies = [
        Cookie(key=FORM_COOKIE, value=form_token, httponly=True, samesite="strict", path="/sign-in", max_age=3600),
    ]
    if lang in LOCALES:
        response.cookies.append(_locale_cookie(lang))
    return response


def _locale_cookie(locale: str) -> Cookie:
    return Cookie(key=LOCALE_COOKIE, value=locale, samesite="lax", path="/", max_age=YEAR)
