"""Logging in and out, asking who you are, and the login audit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, QueryParameter

from api.csrf import csrf_token
from api.deps import DbSession, Paging
from api.login import log_in_with_session, log_out
from api.paging import PageOut, page_out
from api.schemas.auth import AuthEventOut, BrowserSessionOut, MeOut, TokenOut, auth_event_out
from api.security import EVERYONE, allow, client_of, issue_token
from api.session_cookies import cleared_cookies, session_cookies
from api.session_principals import SessionPrincipals
from core.auth import Principal, Role
from core.auth_events import AuthOutcome, EventFilter, list_events
from core.auth_sessions import Transport
from core.errors import Forbidden
from core.settings import AuthSettings
from masterdata.services.users import Credentials


class LoginIn(Credentials, kw_only=True, forbid_unknown_fields=True):
    # true: the session travels in an HttpOnly cookie (browsers) instead of the answer's body
    cookie: bool = False


@post(
    "/api/v1/auth/login",
    opt={"exclude_from_auth": True},
    security=[{}],
    tags=["auth"],
    summary="Log in with username and password; answers a bearer token, or with cookie=true sets a session cookie",
    status_code=200,
)
async def login(
    state: State, request: Request[Any, Any, Any], data: JSONBody[LoginIn]
) -> Response[TokenOut | BrowserSessionOut]:
    settings: AuthSettings = state.settings.auth
    if data.cookie:
        _refuse_cross_site_login(request)
    principals: SessionPrincipals = state.principals
    transport = Transport.COOKIE if data.cookie else Transport.BEARER
    # Its own transaction, committed whatever the outcome: failed attempts must be remembered.
    async with state.sessions() as session:
        answer = await log_in_with_session(
            session, data, transport, client_of(request), principals.clock.now(), settings
        )
        await session.commit()
    if answer.error is not None:
        raise answer.error
    assert answer.principal is not None and answer.principal.session_id is not None
    lifetime = dt.timedelta(minutes=settings.token_ttl_minutes)
    token = issue_token(state.jwt_auth, answer.principal, lifetime)
    expires_in = int(lifetime.total_seconds())
    role = answer.principal.role.value
    if not data.cookie:
        return Response(TokenOut(access_token=token, token_type="bearer", expires_in=expires_in, role=role))
    csrf = csrf_token(settings.secret_key, answer.principal.session_id)
    return Response(
        BrowserSessionOut(token_type="cookie", expires_in=expires_in, role=role, csrf_token=csrf),
        cookies=session_cookies(settings, token, csrf, expires_in),
    )


def _refuse_cross_site_login(request: Request[Any, Any, Any]) -> None:
    # A foreign page can post a form (text/plain shaped like JSON) but cannot send
    # application/json without a CORS preflight, which this app refuses: this keeps other
    # sites from logging a browser in to an account of theirs (login CSRF).
    if request.content_type[0] != "application/json":
        raise Forbidden("cross_site_login", "a cookie login must be sent as application/json", field="cookie")


@post(
    "/api/v1/auth/logout",
    tags=["auth"],
    summary="Log out: ends the session the request came in on and clears the session cookie",
    status_code=204,
    **allow(EVERYONE),
)
async def logout(state: State, request: Request[Principal, Any, Any]) -> Response[None]:
    await log_out(state, request.user, client_of(request))
    return Response(None, status_code=204, cookies=cleared_cookies(state.settings.auth))


@get("/api/v1/auth/me", tags=["auth"], summary="The logged-in principal", **allow(EVERYONE))
async def me(request: Request[Principal, Any, Any]) -> MeOut:
    p = request.user
    return MeOut(
        user_id=p.user_id, username=p.username, role=p.role.value, customer_id=p.customer_id, engineer_id=p.engineer_id
    )


@get(
    "/api/v1/auth/events",
    tags=["auth"],
    summary="The login audit: login attempts, logouts and revocations, newest first",
    **allow(Role.ADMIN),
)
async def list_auth_events(
    db_session: DbSession,
    page: Paging,
    user_id: Annotated[UUID | None, QueryParameter()] = None,
    username: Annotated[str | None, QueryParameter(max_length=150)] = None,
    outcome: Annotated[AuthOutcome | None, QueryParameter()] = None,
    since: Annotated[dt.datetime | None, QueryParameter(description="only events at or after this time")] = None,
) -> PageOut[AuthEventOut]:
    where = EventFilter(user_id=user_id, username=username, outcome=outcome, since=since)
    return page_out(await list_events(db_session, where, page), auth_event_out)
