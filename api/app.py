"""The application factory. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.db_session import provide_db_session
from api.input_guard import refuse_bad_input
from api.openapi_roles import document_roles
from api.paging import provide_page
from api.problems import EXCEPTION_HANDLERS
from api.routes import ROUTE_HANDLERS
from api.schema_pages import schema_render_plugins
from api.security import build_jwt_auth
from api.security_headers import add_security_headers
from core.db import create_engine, create_session_factory, read_only
from core.settings import Settings, load_settings
from returns.events import register_handlers as register_returns_handlers
from service_mgmt.dispatch.runs import Dispatcher
from service_mgmt.dispatch.solver_pool import SolverPool

log = logging.getLogger("service_mgmt")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    jwt_auth = build_jwt_auth(settings.auth)
    register_returns_handlers()  # domain events (parts used -> van stock); idempotent

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        # Read from the state, not the closure: tests reuse one app for many databases.
        current: Settings = app.state.settings
        engine = create_engine(current.database)
        app.state.engine = engine
        app.state.sessions = create_session_factory(engine)
        app.state.read_sessions = create_session_factory(read_only(engine))
        # dispatch runs solve in a process pool owned by the app (started on first use)
        app.state.dispatcher = Dispatcher(
            app.state.sessions, SolverPool(current.dispatch_workers, current.dispatch_search_processes)
        )
        await app.state.dispatcher.fail_stale()  # runs left live by a process that died
        try:
            yield
        finally:
            await app.state.dispatcher.close()
            await engine.dispose()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        state=State({"settings": settings, "jwt_auth": jwt_auth}),
        lifespan=[database],
        dependencies={"db_session": Provide(provide_db_session), "page": Provide(provide_page)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_bad_input,  # NUL characters, JSON nested too deep: refused before any handler
        before_send=[add_security_headers(settings.server)],
        on_app_init=[jwt_auth.on_app_init],
        openapi_config=_openapi(),
        request_max_body_size=settings.server.max_body_bytes,
        cors_config=CORSConfig(allow_origins=[]),
        debug=settings.server.debug,
    )
    document_roles(app)
    return app


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Service Management API",
        version="1.0.0",
        description=(
            "Field service and service contracts. Log in with POST /api/v1/auth/login and send the token as "
            "'Authorization: Bearer <token>'. Errors are RFC 9457 problem+json with a machine-readable `code` "
            "and the offending `field`."
        ),
        path="/schema",
        render_plugins=schema_render_plugins(),
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


def app_factory() -> Any:
    """For `uvicorn --factory api.app:app_factory`."""
    return create_app()
