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
from api.security import client_of, issue_token, principal_from_cookie
from api.session_cookies import cleared_cookies, session_cookies
from api.session_principals import SessionPrincipals
from core.auth import Principal
from core.auth_sessions import Transport
from core.errors import Invalid
from masterdata.services.users import Credentials
from web.forms import FormErrors
from web.i18n import LOCALES
from web.pages.navigation import landing_for
from web.pages.rendering import gettext_for, locale_cookie, page
from web.pages.urls import safe_next

PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
FORM_COOKIE = "sign_in_form"
FIELDS = ("username", "password")  # the inputs an error may stand beside


@dataclass
class SignInForm:
    username: str = ""
    password: str = ""
    next: str = ""
    form_token: str = ""


@get("/sign-in", opt=PUBLIC, include_in_schema=False, name="sign_in")
async def sign_in_form(
    request: Request[Any, Any, Any],
    next_path: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    lang: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Response[Any]:
    # someone already signed in goes on to their work (the route is public, so ask the cookie)
    user = await principal_from_cookie(request)
    if user is not None:
        cookies = [locale_cookie(lang)] if lang in LOCALES else []
        return Redirect(safe_next(next_path) or landing_for(user.role), status_code=303, cookies=cookies)
    return _form(request, SignInForm(next=safe_next(next_path) or ""), FormErrors())


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
        # a name or password longer than any account has: the same answer as a wrong one
        refused = Invalid("invalid_credentials", "", field="password")
        return _form(request, data, FormErrors.from_error(refused, _, fields=FIELDS), 422)
    async with state.sessions() as session:
        answer = await log_in_with_session(
            session, credentials, Transport.COOKIE, client_of(request), principals.clock.now(), settings
        )
        await session.commit()
    if answer.error is not None:
        # "not right" goes beside the password, which the person types again (and which is cleared)
        wrong = answer.error.code == "invalid_credentials"
        field_error = FormErrors.from_error(answer.error, _, fields=FIELDS, field="password" if wrong else None)
        status = 429 if answer.error.code == "too_many_attempts" else 401
        answered = _form(request, SignInForm(username=data.username, next=data.next), field_error, status_code=status)
        if "retry_after" in answer.error.extra:
            answered.headers["Retry-After"] = str(answer.error.extra["retry_after"])
        return answered
    principal = answer.principal
    assert principal is not None and principal.session_id is not None
    lifetime = dt.timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(state.jwt_auth, principal, lifetime)
    csrf = csrf_token(settings.secret_key, principal.session_id)
    cookies = session_cookies(settings, token, csrf, int(lifetime.total_seconds()))
    cookies.append(Cookie(key=FORM_COOKIE, value="", max_age=0, path="/sign-in"))
    if principal.locale in LOCALES:
        cookies.append(locale_cookie(principal.locale))
    target = safe_next(data.next) or landing_for(principal.role)
    if request.headers.get("HX-Request") == "true":
        # an HTMX submit navigates for real: the landing page brings its own scripts
        return Response(b"", status_code=200, headers={"HX-Redirect": target}, cookies=cookies)
    return Redirect(target, status_code=303, cookies=cookies)


@post("/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Principal, Any, Any], state: State) -> Redirect:
    await log_out(state, request.user, client_of(request))
    return Redirect("/sign-in", status_code=303, cookies=cleared_cookies(state.settings.auth))


def _form(
    request: Request[Any, Any, Any],
    form: SignInForm,
    errors: FormErrors,
    status_code: int = 200,
) -> Template:
    form_token = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html",
        status_code=status_code,
        form=SignInForm(username=form.username, next=safe_next(form.next) or "", form_token=form_token),
        errors=errors,
    )
    response.cookies.append(
        Cookie(key=FORM_COOKIE, value=form_token, httponly=True, samesite="strict", path="/sign-in", max_age=3600)
    )
    return response
