"""Every response carries the security headers: API, pages, static files, errors, unknown paths.

The Content-Security-Policy allows no inline script or style, so the HTML the app serves has none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security_headers import CONTENT_SECURITY_POLICY
from core.settings import Settings, load_settings
from returns.services.tracking_links import make_token
from tests.conftest import UserFactory
from tests.integration.tracking_fixtures import tracked_rma
from web.app import create_app  # the product: the API and its pages
from web.assets import asset_url

Client = AsyncTestClient[Litestar]


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    return web_app


def an_asset() -> str:
    """The URL of a bundled file (web/static/dist, built by `make web-assets`)."""
    return asset_url("style.css")


def assert_security_headers(response: Any) -> None:
    headers = response.headers
    assert headers.get_list("content-security-policy") == [CONTENT_SECURITY_POLICY], response.url
    assert headers.get_list("x-content-type-options") == ["nosniff"]
    assert headers.get_list("referrer-policy") == ["strict-origin-when-cross-origin"]
    assert headers.get_list("x-frame-options") == ["DENY"]
    assert "strict-transport-security" not in headers  # off unless HSTS_SECONDS says so


def test_the_policy_allows_no_inline_script_or_style_and_no_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),  # API, no login
        ("GET", "/api/v1/auth/me", 401),  # error without a token
        ("GET", "/no/such/path", 404),  # no route at all
        ("DELETE", "/health", 405),
        ("GET", "/track", 200),  # public HTML page
        ("GET", "asset", 200),  # a bundled static file
        ("GET", "/assets/missing.css", 404),
        ("GET", "/sign-in", 200),  # a page
        ("GET", "/schema/swagger", 200),  # the API reference and its assets
        ("GET", "/schema/assets/swagger-init.js", 200),
        ("POST", "/api/v1/auth/login", 400),  # malformed JSON
    ],
)
async def test_every_kind_of_response_carries_the_headers(client: Client, method: str, path: str, status: int) -> None:
    path = an_asset() if path == "asset" else path
    response = await client.request(method, path, content=b"{" if method == "POST" else None)

    assert response.status_code == status, response.text
    assert_security_headers(response)


async def test_an_authenticated_api_answer_carries_them(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")

    response = await client.get("/api/v1/customers", headers=admin)

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.fixture
async def failing_client(settings: Settings) -> AsyncIterator[Client]:
    @get("/boom", opt={"exclude_from_auth": True}, include_in_schema=False, sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    app = create_app(settings)
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_an_internal_error_carries_them(failing_client: Client) -> None:
    response = await failing_client.get("/boom")

    assert response.status_code == 500
    assert_security_headers(response)


async def test_the_tracking_pages_have_no_inline_script_or_style(
    client: Client, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as s:
        rma = await tracked_rma(s, with_quote=True)
    token = make_token(rma.rma_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1), settings.auth.secret_key)

    for path in ("/track", f"/track/{token}", "/track/not-a-token"):
        response = await client.get(path)
        html = response.text
        assert_security_headers(response)
        assert "<form" in html
        assert re.findall(r"<script\b", html) == [], path
        assert re.findall(r"<style\b|\sstyle=", html) == [], path
        assert re.findall(r"\son[a-z]+=", html) == [], path  # no inline event handlers either
        assert re.findall(r'(?:href|src|action)="(?!/|data:|#)', html) == [], path  # only same-origin URLs


async def test_hsts_is_sent_only_when_configured(settings: Settings) -> None:
    server = replace(settings.server, hsts_seconds=31_536_000)
    async with AsyncTestClient(app=create_app(replace(settings, server=server))) as client:
        response = await client.get("/health")

    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_hsts_seconds_is_read_from_the_environment() -> None:
    env = {"SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql+asyncpg://x@localhost/x"}

    assert load_settings(env).server.hsts_seconds == 0
    assert load_settings({**env, "HSTS_SECONDS": "63072000"}).server.hsts_seconds == 63_072_000
    with pytest.raises(RuntimeError, match="HSTS_SECONDS"):
        load_settings({**env, "HSTS_SECONDS": "-1"})
