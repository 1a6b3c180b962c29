"""The bundled assets' URLs: web/assets/build.mjs writes hashed files and a manifest into
web/static/dist (not committed; `make web-assets` builds them from npm packages and our sources)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DIST = Path(__file__).resolve().parent / "static" / "dist"
URL_PREFIX = "/assets"


class AssetsNotBuilt(RuntimeError):
    pass


@cache
def _manifest() -> dict[str, str]:
    path = DIST / "manifest.json"
    if not path.exists():
        raise AssetsNotBuilt(f"{path} is missing: run `make web-assets` (node web/assets/build.mjs)")
    manifest: dict[str, str] = json.loads(path.read_text())
    return manifest


def asset_url(entry: str) -> str:
    """`asset_url("app.js")` -> "/assets/app-3F2A1B.js"."""
    return f"{URL_PREFIX}/{_manifest()[entry]}"
