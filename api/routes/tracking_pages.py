"""Public repair tracking pages (HTML, no staff login): /track, /track/{token}, the quote decision.

Pages are Jinja2 templates from `api/templates`, rendered here (autoescaped) rather than through
an app-wide template config, so the pages stay a self-contained part of the API. Forms are
protected by a double-submit token: a random value in a SameSite=Strict cookie that must come
back in the form. An unknown number, a wrong e-mail and a bad or expired link all answer the
same "not found" page with the same status.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.status_codes import (
    HTTP_200_OK,
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

CLOCK: Clock = SYSTEM_CLOCK
API_DIR = Path(__file__).resolve().parent.parent
CSRF_COOKIE = "track_csrf"
PUBLIC: dict[str, Any] = {"opt": {"exclude_from_auth": True}, "security": [{}], "include_in_schema": False}
NOT_FOUND_MESSAGE = (
    "We could not find a return with that RMA number and e-mail address or postal code. "
    "Please check both and try again."
)
LINK_NOT_FOUND_MESSAGE = "This tracking link is not valid or has expired. Look up your return with its RMA number."
CREDIT_MESSAGE = (
    "We could not start the repair automatically because of the credit status of your account. "
    "Our team will contact you; you do not need to do anything else now."
)


@dataclass
class LookupForm:
    number: str = ""
    contact: str = ""
    csrf_token: str = ""


@dataclass
class QuoteDecisionForm:
    decision: str = ""
    csrf_token: str = ""


def _money(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.2f}".strip()


@cache
def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(API_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda at: at.astimezone(dt.UTC).strftime("%d %b %Y, %H:%M UTC")
    env.filters["day"] = lambda day: day.strftime("%d %b %Y")
    env.filters["money"] = _money
    return env


def _csrf_value(request: Request[Any, Any, Any]) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _csrf_ok(request: Request[Any, Any, Any], sent: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


def _page(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = HTTP_200_OK,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    csrf = _csrf_value(request)
    html = _templates().get_template(template).render(csrf_token=csrf, **context)
    cookie = Cookie(
        key=CSRF_COOKIE,
        value=csrf,
        path="/track",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        cookies=[cookie],
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", **(headers or {})},
    )


def _expired_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _page(
        request,
        "track_problem.html",
        HTTP_403_FORBIDDEN,
        title="Please try again",
        message="This form has expired. Reload the page and send it again.",
    )


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "")


@get("/track", **PUBLIC)
async def track_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _page(request, "track_form.html", number="", message=None)


@post("/track", **PUBLIC)
async def track_lookup(
    request: Request[Any, Any, Any], state: State, db_session: DbSession, data: URLEncodedBody[LookupForm]
) -> Response[str] | Redirect:
    if not _csrf_ok(request, data.csrf_token):
        return _expired_form(request)
    if not data.number.strip() or not data.contact.strip():
        message = "Please enter the RMA number and the e-mail address or postal code."
        return _page(request, "track_form.html", HTTP_422_UNPROCESSABLE_ENTITY, number=data.number, message=message)
    now = CLOCK.now()
    address = request.client.host if request.client else "unknown"
    try:
        rma_id = await tracking.look_up(
            db_session, data.number, data.contact, address=address, now=now, limits=state.settings.auth
        )
    except RateLimited as exc:
        if not _wants_html(request):
            raise  # problem+json 429 with Retry-After for API clients
        return _page(
            request,
            "track_problem.html",
            HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.extra.get("retry_after", 60))},
            title="Too many attempts",
            message="Too many lookups. Please wait a few minutes and try again.",
        )
    if rma_id is None:
        return _page(request, "track_form.html", HTTP_404_NOT_FOUND, number="", message=NOT_FOUND_MESSAGE)
    return Redirect(link_for(rma_id, secret_key=state.settings.auth.secret_key, now=now), status_code=303)


@get("/track/{token:str}", **PUBLIC)
async def track_view(
    request: Request[Any, Any, Any], state: State, db_session: DbSession, token: FromPath[str]
) -> Response[str]:
    rma_id = read_token(token, state.settings.auth.secret_key, CLOCK.now())
    view = await tracking.tracking_view(db_session, rma_id) if rma_id else None
    if view is None:
        return _page(request, "track_form.html", HTTP_404_NOT_FOUND, number="", message=LINK_NOT_FOUND_MESSAGE)
    return _page(request, "track_view.html", view=view, token=token, message=None)


@post("/track/{token:str}/quote", **PUBLIC)
async def track_quote_decision(
    request: Request[Any, Any, Any],
    state: State,
    db_session: DbSession,
    token: FromPath[str],
    data: URLEncodedBody[QuoteDecisionForm],
) -> Response[str] | Redirect:
    now = CLOCK.now()
    rma_id = read_token(token, state.settings.auth.secret_key, now)
    if rma_id is None:
        return _page(request, "track_form.html", HTTP_404_NOT_FOUND, number="", message=LINK_NOT_FOUND_MESSAGE)
    if not _csrf_ok(request, data.csrf_token):
        return _expired_form(request)
    if data.decision not in {"approve", "decline"}:
        return await _view_with_message(request, db_session, rma_id, token, "Choose approve or decline.", 422)
    try:
        await tracking.decide_quote(db_session, rma_id, approve=data.decision == "approve", now=now)
    except DomainError as exc:
        # nothing of a refused decision is kept; the page explains in the customer's words
        await db_session.rollback()
        message = CREDIT_MESSAGE if exc.code == "credit_check_failed" else exc.detail
        if exc.code == "quote_not_open":
            message = "This quote is no longer open for a decision."
        return await _view_with_message(request, db_session, rma_id, token, message, HTTP_409_CONFLICT)
    return Redirect(f"/track/{token}", status_code=303)


async def _view_with_message(
    request: Request[Any, Any, Any], db_session: DbSession, rma_id: Any, token: str, message: str, status: int
) -> Response[str]:
    view = await tracking.tracking_view(db_session, rma_id)
    if view is None:
        return _page(request, "track_form.html", HTTP_404_NOT_FOUND, number="", message=LINK_NOT_FOUND_MESSAGE)
    return _page(request, "track_view.html", status, view=view, token=token, message=message, message_is_error=True)


def static_files() -> Any:
    """/static: the pages' stylesheet (public; listed in api.security.PUBLIC_PATHS)."""
    return create_static_files_router(path="/static", directories=[API_DIR / "static"], include_in_schema=False)
