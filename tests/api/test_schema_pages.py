"""/schema and /schema/swagger: Swagger UI from the app's own files (npm's swagger-ui-dist), no CDN, no inline code."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.schema_pages import SWAGGER_UI_DIST

Client = AsyncTestClient[Litestar]

CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",)}


class PageParts(HTMLParser):
    """The URLs a page loads, and any inline code or style it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self.spec_url: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [url for name in ("src", "href") if (url := values.get(name)) is not None]
        if tag == "style" or "style" in values or any(name.startswith("on") for name in values):
            self.inline.append(tag)
        self._in_script = tag == "script"
        self.spec_url = values.get("data-spec-url") or self.spec_url

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:60])


def test_swagger_ui_is_installed_from_npm() -> None:
    # make install runs npm ci from package-lock.json; without it /schema has no UI to serve
    assert (SWAGGER_UI_DIST / "swagger-ui-bundle.js").is_file(), "run `make install` (npm ci)"
    assert (SWAGGER_UI_DIST / "package.json").read_text().count('"name": "swagger-ui-dist"') == 1


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_the_page_loads_only_same_origin_files_that_exist(client: Client, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parts = PageParts()
    parts.feed(page.text)

    assert parts.inline == []  # the strict CSP would block it
    assets = [url for url in parts.urls if not url.startswith("data:")]
    assert {url.rsplit(".", 1)[-1] for url in assets} == {"js", "css"}
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url  # same origin, no CDN
        response = await client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert response.headers["content-type"].split(";")[0] in CONTENT_TYPES[suffix], url
        assert len(response.content) > 0


async def test_the_page_points_swagger_ui_at_the_openapi_document(client: Client) -> None:
    parts = PageParts()
    parts.feed((await client.get("/schema/swagger")).text)

    assert parts.spec_url == "/schema/openapi.json"
    document = await client.get(parts.spec_url)
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Service Management API"


async def test_the_start_script_is_ours_and_loads_nothing_remote(client: Client) -> None:
    script = await client.get("/schema/assets/swagger-init.js")

    assert script.status_code == 200
    assert "SwaggerUIBundle(" in script.text
    assert "://" not in script.text  # the schema's URL comes from the page, everything else is local


async def test_only_the_files_the_page_loads_are_served(client: Client) -> None:
    for path in (
        "/schema/assets/index.html",  # the package's demo page, pointed at a remote petstore
        "/schema/assets/swagger-initializer.js",
        "/schema/assets/../../pyproject.toml",
        "/schema/assets/%2e%2e/%2e%2e/pyproject.toml",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
