"""Public repair tracking pages (no sign-in): /track, /track/{token}, the quote decision.

A customer looks a return up with its RMA number and the e-mail or postal code on file, and
gets a signed link to its page (`returns.services.tracking` decides what they may see). Forms
are protected by a double-submit token: a random value in a SameSite=Strict cookie that must
come back in the form. An unknown number, a wrong e-mail and a bad or expired link all answer
the same "not found" page with the same status. Times are shown in the zone of the unit's site
(where the customer is), written the way the viewer's language writes them.

The pages load no script: they work as plain HTML in any browser.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from api.deps import DbSession
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import DomainError, RateLimited
from returns.services import tracking
from returns.services.tracking_links import link_for, read_token
from web.forms import FormErrors
from web.pages import tracking_words
from web.pages.errors import problem_for, wants_html
from web.pages.rendering import gettext_for, page

CLOCK: Clock = SYSTEM_CLOCK
CSRF_COOKIE = "track_csrf"
PUBLIC: dict[str, Any] = {"opt": {"exclude_from_auth": True}, "include_in_schema": False}
FORM = "/track"


def _(message: str) -> str:
    return message  # marks a msgid; handlers translate with `_ = gettext_for(request)`


NOT_FOUND = _(
    "We could not find a return with that RMA number and e-mail address or postal code. "
    "Please check both and try again."
)
LINK_NOT_FOUND = _("This tracking link is not valid or has expired. Look up your return with its RMA number.")
CREDIT_HOLD = _(
    "We could not start the repair automatically because of the credit status of your account. "
    "Our team will contact you; you do not need to do anything else now."
)
QUOTE_NOT_OPEN = _("This quote is no longer open for a decision.")


@dataclass
class LookupForm:
    number: str = ""
    contact: str = ""
    csrf_token: str = ""


@dataclass
class QuoteDecisionForm:
    decision: str = ""
    csrf_token: str = ""


def _csrf_value(request: Request[Any, Any, Any]) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _csrf_ok(request: Request[Any, Any, Any], sent: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def _page(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Template:
    csrf = _csrf_value(request)
    response = page(request, template, status_code=status_code, csrf_form_token=csrf, words=tracking_words, **context)
    response.cookies.append(
        Cookie(
            key=CSRF_COOKIE,
            value=csrf,
            path=FORM,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    )
    return response


def _form(
    request: Request[Any, Any, Any],
    status_code: int = 200,
    *,
    number: str = "",
    message: str | None = None,
    errors: FormErrors | None = None,
) -> Template:
    # every refusal stands for the lookup form, so a refused link reads exactly like a wrong number
    return _page(
        request,
        "tracking/form.html",
        status_code,
        here=FORM,
        number=number,
        message=message,
        errors=errors or FormErrors(),
    )


def _problem(request: Request[Any, Any, Any], status: int, title: str, message: str, **headers: str) -> Template:
    response = _page(request, "tracking/problem.html", status, title=title, message=message)
    response.headers.update(headers)
    return response


def _expired_form(request: Request[Any, Any, Any]) -> Template:
    _ = gettext_for(request)
    return _problem(
        request,
        HTTP_403_FORBIDDEN,
        _("Please try again"),
        _("This form has expired. Reload the page and send it again."),
    )


@get(FORM, **PUBLIC)
async def track_form(request: Request[Any, Any, Any]) -> Template:
    return _form(request)


@post(FORM, **PUBLIC)
async def track_lookup(
    request: Request[Any, Any, Any], state: State, db_session: DbSession, data: URLEncodedBody[LookupForm]
) -> Response[Any]:
    _ = gettext_for(request)
    if not _csrf_ok(request, data.csrf_token):
        return _expired_form(request)
    if not data.number.strip() or not data.contact.strip():
        errors = FormErrors()
        if not data.number.strip():
            errors.add("number", _("Enter the RMA number, for example RMA-000123."))
        if not data.contact.strip():
            errors.add("contact", _("Enter the e-mail address or postal code we have for your return."))
        return _form(request, HTTP_422_UNPROCESSABLE_ENTITY, number=data.number, errors=errors)
    now = CLOCK.now()
    address = request.client.host if request.client else "unknown"
    try:
        rma_id = await tracking.look_up(
            db_session, data.number, data.contact, address=address, now=now, limits=state.settings.auth
        )
    except RateLimited as exc:
        if not wants_html(request):
            return problem_for(request, exc)  # problem+json 429 with Retry-After for scripts
        retry_after = str(exc.extra.get("retry_after", 60))
        return _problem(
            request,
            HTTP_429_TOO_MANY_REQUESTS,
            _("Too many attempts"),
            _("Too many lookups. Please wait a few minutes and try again."),
            **{"Retry-After": retry_after},
        )
    if rma_id is None:
        return _form(request, HTTP_404_NOT_FOUND, message=_(NOT_FOUND))
    return Redirect(link_for(rma_id, secret_key=state.settings.auth.secret_key, now=now), status_code=303)


@get(FORM + "/{token:str}", **PUBLIC)
async def track_view(
    request: Request[Any, Any, Any], state: State, db_session: DbSession, token: FromPath[str]
) -> Template:
    rma_id = read_token(token, state.settings.auth.secret_key, CLOCK.now())
    return await _view(request, state, db_session, rma_id, token)


@post(FORM + "/{token:str}/quote", **PUBLIC)
async def track_quote_decision(
    request: Request[Any, Any, Any],
    state: State,
    db_session: DbSession,
    token: FromPath[str],
    data: URLEncodedBody[QuoteDecisionForm],
) -> Response[Any]:
    _ = gettext_for(request)
    now = CLOCK.now()
    rma_id = read_token(token, state.settings.auth.secret_key, now)
    if rma_id is None:
        return _form(request, HTTP_404_NOT_FOUND, message=_(LINK_NOT_FOUND))
    if not _csrf_ok(request, data.csrf_token):
        return _expired_form(request)
    if data.decision not in {"approve", "decline"}:
        message = _("Choose approve or decline.")
        return await _view(request, state, db_session, rma_id, token, message, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        await tracking.decide_quote(db_session, rma_id, approve=data.decision == "approve", now=now)
    except DomainError as exc:
        # nothing of a refused decision is kept; the page explains in the customer's words
        await db_session.rollback()
        wording = {"credit_check_failed": CREDIT_HOLD, "quote_not_open": QUOTE_NOT_OPEN}.get(exc.code)
        message = _(wording) if wording else exc.detail
        return await _view(request, state, db_session, rma_id, token, message, HTTP_409_CONFLICT)
    return Redirect(f"{FORM}/{token}", status_code=303)


async def _view(
    request: Request[Any, Any, Any],
    state: State,
    db_session: DbSession,
    rma_id: UUID | None,
    token: str,
    message: str | None = None,
    status: int = 200,
) -> Template:
    view = await tracking.tracking_view(db_session, rma_id) if rma_id else None
    if view is None:
        return _form(request, HTTP_404_NOT_FOUND, message=gettext_for(request)(LINK_NOT_FOUND))
    # the customer's zone: their unit's site; else the zone the company works in
    zone = view.time_zone or state.settings.worker.time_zone
    return _page(
        request,
        "tracking/view.html",
        status,
        view=view,
        token=token,
        message=message,
        message_is_error=status >= 400,
        zone=zone,
    )
