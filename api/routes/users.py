"""Users: /api/v1/users (admins only)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.users import UserOut, user_out
from api.security import allow
from core.auth import Principal, Role
from masterdata.services import users as service


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", summary="List users", **allow(Role.ADMIN))
    async def list_users(
        self,
        db_session: DbSession,
        page: Paging,
        role: Annotated[Role | None, QueryParameter()] = None,
    ) -> PageOut[UserOut]:
        return page_out(await service.list_users(db_session, role, page), user_out)

    @post("/", summary="Create a user (customer users need a customer_id)", **allow(Role.ADMIN))
    async def create_user(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.UserCreate]
    ) -> UserOut:
        return user_out(await service.create_user(db_session, request.user, data))

    @get("/{user_id:uuid}", summary="One user", **allow(Role.ADMIN))
    async def get_user(self, db_session: DbSession, user_id: FromPath[UUID]) -> UserOut:
        return user_out(await service.get_user(db_session, user_id))

    @patch("/{user_id:uuid}", summary="Change a user: role, active, password … (send the version)", **allow(Role.ADMIN))
    async def update_user(
        self,
        state: State,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        user_id: FromPath[UUID],
        data: JSONBody[service.UserUpdate],
    ) -> Response[UserOut]:
        user = await service.update_user(db_session, request.user, user_id, data)
        # Other processes see the new role or revoked sessions within SESSION_CACHE_SECONDS;
        # this one forgets what it knew as soon as the change is committed.
        return Response(user_out(user), background=BackgroundTask(state.principals.forget_user, user_id))
