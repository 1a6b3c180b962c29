"""A user's login sessions: /api/v1/users/{id}/sessions (admins only)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.auth import RevokedOut, SessionOut, session_out
from api.security import allow, client_of
from api.session_principals import SessionPrincipals
from core.auth import Principal, Role
from core.auth_sessions import RevokeReason, find_session, list_user_sessions, revoke_sessions
from core.errors import NotFound
from masterdata.services.users import get_user


class UserSessionController(Controller):
    path = "/api/v1/users/{user_id:uuid}/sessions"
    tags = ["users"]

    @get("/", summary="A user's sessions, newest first (live ones unless include_ended=true)", **allow(Role.ADMIN))
    async def list_sessions(
        self,
        state: State,
        db_session: DbSession,
        page: Paging,
        user_id: FromPath[UUID],
        include_ended: Annotated[bool, QueryParameter(description="also revoked and expired sessions")] = False,
    ) -> PageOut[SessionOut]:
        await get_user(db_session, user_id)
        principals: SessionPrincipals = state.principals
        found = await list_user_sessions(db_session, user_id, principals.clock.now(), page, live_only=not include_ended)
        return page_out(found, session_out)

    @delete("/", summary="End all of a user's sessions", status_code=200, **allow(Role.ADMIN))
    async def revoke_all(
        self, state: State, db_session: DbSession, request: Request[Principal, Any, Any], user_id: FromPath[UUID]
    ) -> Response[RevokedOut]:
        await get_user(db_session, user_id)
        revoked = await _revoke(state, db_session, request, user_id, None)
        return _after_commit(state, user_id, RevokedOut(revoked=revoked))

    @delete("/{session_id:uuid}", summary="End one of a user's sessions", status_code=200, **allow(Role.ADMIN))
    async def revoke_one(
        self,
        state: State,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        user_id: FromPath[UUID],
        session_id: FromPath[UUID],
    ) -> Response[RevokedOut]:
        row = await find_session(db_session, session_id)
        if row is None or row.user_id != user_id:
            raise NotFound("session", session_id)
        revoked = await _revoke(state, db_session, request, user_id, session_id)
        return _after_commit(state, user_id, RevokedOut(revoked=revoked))


async def _revoke(
    state: State, db_session: AsyncSession, request: Request[Principal, Any, Any], user_id: UUID, only: UUID | None
) -> list[UUID]:
    principals: SessionPrincipals = state.principals
    return await revoke_sessions(
        db_session,
        user_id,
        RevokeReason.REVOKED_BY_ADMIN,
        principals.clock.now(),
        only=only,
        actor_id=request.user.user_id,
        client=client_of(request),
    )


def _after_commit(state: State, user_id: UUID, body: RevokedOut) -> Response[RevokedOut]:
    # The request's transaction commits before the answer is sent, background tasks run after:
    # this process forgets what it knew only once the revocation is visible to a fresh read.
    principals: SessionPrincipals = state.principals
    return Response(body, background=BackgroundTask(principals.forget_user, user_id))
