"""One database session per request, committed at the edge.

The session is a dependency with a cleanup step: Litestar throws a handler's exception into
it (roll back) and otherwise resumes it after the response object is built but before it is
sent (commit). A failing commit therefore still becomes a problem+json answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db_session(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    # A POST that only reads (e.g. the entitlement check) marks itself opt={"read_only": True};
    # a GET that may write (rendering a document on first download) marks opt={"read_only": False}.
    read_only = request.route_handler.opt.get("read_only", request.method in SAFE_METHODS)
    factory = state.read_sessions if read_only else state.sessions
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
