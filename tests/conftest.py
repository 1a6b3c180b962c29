"""Shared fixtures: a migrated database per test, the app, a client, users per role."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import argon2
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import core.auth
from api.app import create_app
from core.auth import SYSTEM, Role
from core.db import create_engine, create_session_factory, session_scope
from core.settings import AuthSettings, DatabaseSettings, ServerSettings, Settings
from masterdata.services.users import UserCreate, create_user
from returns.reactions import register_handlers as register_domain_handlers
from tests import database, hypothesis_profiles
from tests.smtp_inbox import smtp  # noqa: F401  (fixture: a real SMTP server for mail tests)

hypothesis_profiles.load()  # before any test module defines its properties

_GIVEN_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
POSTGRES_URL = (
    database.worker_database(_GIVEN_POSTGRES_URL, os.environ.get("PYTEST_XDIST_WORKER"))
    if _GIVEN_POSTGRES_URL
    else None
)
BACKEND = "postgresql" if POSTGRES_URL else "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {BACKEND}" + (f" ({POSTGRES_URL})" if POSTGRES_URL else "")


def pytest_configure(config: pytest.Config) -> None:
    # Production-strength argon2 costs ~0.1 s of CPU per hash; tests log in hundreds of times.
    # Hashes carry their own parameters, so cheap test hashes still verify through the same code.
    core.auth._hasher = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (row locks, concurrency)")
    # Services called without the app still need every domain's reactions (a unit's warranty ...).
    register_domain_handlers()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only test: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if POSTGRES_URL:
        database.prepare_postgres(POSTGRES_URL)
        return None
    return database.prepare_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def database_url(_template: Path | None, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if POSTGRES_URL:
        await database.truncate_postgres(POSTGRES_URL)
        yield POSTGRES_URL
        return
    assert _template is not None
    yield database.fresh_sqlite(_template, tmp_path, re.sub(r"\W", "_", request.node.name)[:60])


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url, pool_size=5, max_overflow=5),
        auth=AuthSettings(secret_key="test-secret-" + "x" * 40, login_max_failures=5, login_window_seconds=300),
        server=ServerSettings(max_body_bytes=65_536),
        # the tests that walk every route read whole responses: a live event stream ends this soon
        # (the live update tests lengthen it on the app's hub)
        live_stream_max_seconds=0.5,
    )


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for service-level tests; the test commits when it wants durability."""
    async with sessions() as s:
        yield s
        await s.rollback()


_APPS: dict[Settings, Litestar] = {}


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """One app per settings apart from the database: building one registers 400 handlers (0.7 s).

    The app's lifespan opens its engine from `app.state.settings`, so pointing the state at this
    test's database before the client starts gives a fresh engine on it."""
    key = replace(settings, database=DatabaseSettings())
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    app.state.settings = settings
    return app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c


UserFactory = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def login_as(client: AsyncTestClient[Litestar], sessions: async_sessionmaker[AsyncSession]) -> UserFactory:
    """Create a user with a role (and binding) and answer the Authorization header for it."""
    counter = {"n": 0}

    async def _login(
        role: Role | str, *, customer_id: UUID | None = None, engineer_id: UUID | None = None
    ) -> dict[str, str]:
        counter["n"] += 1
        role = Role(role)
        username = f"{role.value}{counter['n']}"
        async with session_scope(sessions) as s:
            await create_user(
                s,
                SYSTEM,
                UserCreate(
                    username=username, password="secret-pw", role=role, customer_id=customer_id, engineer_id=engineer_id
                ),
            )
        response = await client.post("/api/v1/auth/login", json={"username": username, "password": "secret-pw"})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login


def problem_of(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body
