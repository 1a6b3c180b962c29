"""/schema and /schema/swagger: Swagger UI served by the app itself, never from a CDN.

Swagger UI comes from the npm package `swagger-ui-dist`, pinned by package-lock.json and installed
into node_modules/ by `make install` (no third-party code is committed). Litestar's own Swagger
plugin loads it from a CDN and starts it with an inline script; this one serves the two files it
needs from the package under `/schema/assets/`, beside a small start-up script of ours, so the
page works offline and under a Content-Security-Policy without 'unsafe-inline'
(api.security_headers).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File
from litestar.router import Router

log = logging.getLogger("service_mgmt.api")

REPO_DIR = Path(__file__).resolve().parent.parent
SWAGGER_UI_DIST = REPO_DIR / "node_modules" / "swagger-ui-dist"
OWN_ASSETS = Path(__file__).resolve().parent / "schema_assets"
ASSETS_PATH = "/assets"
# the files the page loads, all under ASSETS_PATH, in this order: the package's, then ours
PACKAGE_FILES = ("swagger-ui.css", "swagger-ui-bundle.js")
OWN_FILES = ("swagger-page.css", "swagger-init.js")
PAGE_STYLES = ("swagger-ui.css", "swagger-page.css")
PAGE_SCRIPTS = ("swagger-ui-bundle.js", "swagger-init.js")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}


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

    def asset_files(self) -> dict[str, Path]:
        """The files the page loads by name: only these are served, nothing else of the package."""
        return {name: self.dist / name for name in PACKAGE_FILES} | {name: OWN_ASSETS / name for name in OWN_FILES}

    def receive_router(self, router: Router) -> None:
        """Serves the assets beside the page, on the OpenAPI router (public like the rest of /schema)."""
        self.base_path = router.path
        files = self.asset_files()
        if missing := [str(path) for path in files.values() if not path.is_file()]:
            log.warning("Swagger UI assets missing (%s): run `make install` (npm ci) for /schema", ", ".join(missing))

        @get(f"{ASSETS_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=False, name="schema_asset")
        def asset(name: FromPath[str]) -> File:
            path = files.get(name)
            if path is None or not path.is_file():
                raise NotFoundException
            return File(path, media_type=MEDIA_TYPES[path.suffix], content_disposition_type="inline")

        router.register(asset)


def schema_render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI alone: at /schema/swagger and, as the only plugin, at /schema too."""
    return [LocalSwaggerRenderPlugin()]
