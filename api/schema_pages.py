"""/schema and /schema/swagger: Swagger UI served by the app itself, never from a CDN.

Swagger UI comes from the npm package `swagger-ui-dist`, pinned by package-lock.json and installed
into node_modules/ by `make install` (no third-party code is committed). Litestar's own Swagger
plugin loads it from a CDN and starts it with an inline script; this one serves the package's
files under `/schema/assets/` beside a small start-up script of ours, so the page works offline
and under a Content-Security-Policy without 'unsafe-inline' (api.security_headers).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

log = logging.getLogger("service_mgmt.api")

REPO_DIR = Path(__file__).resolve().parent.parent
SWAGGER_UI_DIST = REPO_DIR / "node_modules" / "swagger-ui-dist"
OWN_ASSETS = Path(__file__).resolve().parent / "schema_assets"
ASSETS_PATH = "/assets"
# the files the page loads, all under ASSETS_PATH: the package's, then ours
PAGE_STYLES = ("swagger-ui.css", "swagger-page.css")
PAGE_SCRIPTS = ("swagger-ui-bundle.js", "swagger-init.js")


class LocalSwaggerRenderPlugin(OpenAPIRenderPlugin):
    """Swagger UI from local files, started by `swagger-init.js` (no inline script or style)."""

    def __init__(self, *, path: str | list[str] = "/swagger", dist: Path = SWAGGER_UI_DIST) -> None:
        super().__init__(path=path, favicon='<link rel="icon" href="data:,">', style="")
        self.dist = dist
        self.base_path = "/schema"

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        assets = f"{self.base_path}{ASSETS_PATH}"
        styles = "".join(f'<link rel="stylesheet" href="{assets}/{name}">\n' for name in PAGE_STYLES)
        scripts = "".join(f'<script src="{assets}/{name}" defer></script>\n' for name in PAGE_SCRIPTS)
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = html.escape(self.get_openapi_json_route(request))
        page = (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{self.favicon}\n{styles}{scripts}</head>\n<body>\n"
            f'<div id="swagger-ui" data-spec-url="{spec_url}"></div>\n</body>\n</html>\n'
        )
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """Serves the assets beside the page, on the OpenAPI router (public like the rest of /schema)."""
        self.base_path = router.path
        if not (self.dist / "swagger-ui-bundle.js").is_file():
            log.warning("Swagger UI assets missing in %s: run `make install` (npm ci) for /schema", self.dist)
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[OWN_ASSETS, self.dist],
                include_in_schema=False,
                name="schema_assets",
            )
        )


def schema_render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI alone: at /schema/swagger and, as the only plugin, at /schema too."""
    return [LocalSwaggerRenderPlugin()]
