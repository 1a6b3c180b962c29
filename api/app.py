"""The application factory. Nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.router import Router

from api import webhook_events
from api.csrf import csrf_guard
from api.db_session import provide_db_session
from api.input_guard import refuse_bad_input
from api.live import delivery as live_delivery
from api.live.hub import live_updates
from api.openapi_custom_fields import refresh_custom_fields
from api.openapi_errors import document_errors
from api.openapi_no_content import document_no_content
from api.openapi_roles import document_roles
from api.paging import provide_page
from api.problems import EXCEPTION_HANDLERS
from api.routes import ROUTE_HANDLERS
from api.schema_pages import schema_render_plugins
from api.security import build_jwt_auth
from api.security_headers import add_security_headers
from api.session_principals import SessionPrincipals
from core.db import create_engine, create_session_factory, read_only
from core.settings import Settings, load_settings
from masterdata.services.users import active_principal
from returns.reactions import register_handlers as register_domain_handlers
from service_mgmt.dispatch.runs import Dispatcher
from service_mgmt.dispatch.solver_pool import SolverPool

log = logging.getLogger("service_mgmt")


def create_app(
    settings: Settings | None = None,
    *,
    with_worker: bool = False,
    extensions: Sequence[Callable[[AppConfig], AppConfig]] = (),
) -> Litestar:
    """The app; `with_worker` also runs the background jobs in its process (`api.in_process_worker`).
    `extensions` add to the app's configuration before it is built (`web.mount.mount_pages` mounts the
    pages), so the API never imports what sits above it."""
    settings = settings or load_settings()
    jwt_auth = build_jwt_auth(settings.auth)
    register_domain_handlers()  # every domain's reactions to the events of those below; idempotent
    live_delivery.register()  # plan changes and run progress reach the boards once committed
    webhook_events.register()  # audited business facts become webhook deliveries

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        # Read from the state, not the closure: tests reuse one app for many databases.
        current: Settings = app.state.settings
        engine = create_engine(current.database)
        app.state.engine = engine
        app.state.sessions = create_session_factory(engine)
        app.state.read_sessions = create_session_factory(read_only(engine))
        # who is behind each session, remembered per process for SESSION_CACHE_SECONDS
        app.state.principals = SessionPrincipals(
            app.state.read_sessions, app.state.sessions, active_principal, current.auth
        )
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
        # The worker starts after the database and stops before it (lifespans unwind in reverse);
        # live updates need the engine and close before it, ending the open event streams.
        lifespan=[database, live_updates, *_worker_lifespan(with_worker)],
        dependencies={"db_session": Provide(provide_db_session), "page": Provide(provide_page)},
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[csrf_guard],  # unsafe requests on the session cookie carry the CSRF token
        before_request=refuse_bad_input,  # NUL characters, JSON nested too deep: refused before any handler
        before_send=[add_security_headers(settings.server)],
        on_app_init=[jwt_auth.on_app_init, *extensions],
        openapi_config=_openapi(),
        request_max_body_size=settings.server.max_body_bytes,
        cors_config=CORSConfig(allow_origins=[]),
        debug=settings.server.debug,
    )
    document_roles(app)
    document_errors(app)
    document_no_content(app)  # last: it builds the document
    return app


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Service Management API",
        version="1.0.0",
        description=(
            "Field service and service contracts. Log in with POST /api/v1/auth/login and send the token as "
            "`Authorization: Bearer <token>`. Errors are RFC 9457 problem+json with a machine-readable `code` "
            "and the offending `field`."
        ),
        path="/schema",
        # /schema answers with the custom fields as defined now (api.openapi_custom_fields)
        openapi_router=Router(
            "/schema", route_handlers=[], include_in_schema=False, before_request=refresh_custom_fields
        ),
        render_plugins=schema_render_plugins(),
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


def _worker_lifespan(with_worker: bool) -> list[Any]:
    if not with_worker:
        return []
    from api.in_process_worker import in_process_worker  # APScheduler is imported only when used

    return [in_process_worker]
