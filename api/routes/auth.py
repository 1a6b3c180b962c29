"""Logging in and asking who you are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.security import EVERYONE, allow, issue_token
from core.auth import Principal
from masterdata.services.users import Credentials, log_in


class TokenOut(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    role: str


class MeOut(msgspec.Struct):
    user_id: UUID
    username: str
    role: str
    customer_id: UUID | None
    engineer_id: UUID | None


@post(
    "/api/v1/auth/login",
    opt={"exclude_from_auth": True},
    security=[{}],
    tags=["auth"],
    summary="Log in with username and password; answers a bearer token (JWT)",
    status_code=200,
)
async def login(state: State, request: Request[Any, Any, Any], data: JSONBody[Credentials]) -> TokenOut:
    # Its own transaction, committed whatever the outcome: failed attempts must be remembered.
    address = request.client.host if request.client else "unknown"
    async with state.sessions() as session:
        outcome = await log_in(session, data, address, datetime.now(UTC), state.settings.auth)
        await session.commit()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.principal is not None
    return TokenOut(
        access_token=issue_token(state.jwt_auth, outcome.principal),
        token_type="bearer",
        expires_in=state.settings.auth.token_ttl_minutes * 60,
        role=outcome.principal.role.value,
    )


@get("/api/v1/auth/me", tags=["auth"], summary="The logged-in principal", **allow(EVERYONE))
async def me(request: Request[Principal, Any, Any]) -> MeOut:
    p = request.user
    return MeOut(
        user_id=p.user_id, username=p.username, role=p.role.value, customer_id=p.customer_id, engineer_id=p.engineer_id
    )
