"""Liveness, readiness and the landing page."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Response, get
from litestar.datastructures import State
from sqlalchemy import text

PUBLIC: dict[str, Any] = {"exclude_from_auth": True, "security": [{}]}


@get("/health", opt={"exclude_from_auth": True}, security=[{}], tags=["system"], summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", opt={"exclude_from_auth": True}, security=[{}], tags=["system"], summary="Readiness: database reachable")
async def ready(state: State) -> Response[dict[str, str]]:
    try:
        async with state.read_sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return Response({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
    return Response({"status": "ready", "database": "ok"})


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service Management</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
code{background:#eef2f6;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>Service Management</h1>
<p>Field service and service contracts: installed base, engineers, contracts, work orders, returns.</p>
<ul><li><a href="/schema">API reference (OpenAPI)</a></li>
<li>Log in: <code>POST /api/v1/auth/login</code> with <code>{"username": …, "password": …}</code></li>
<li><a href="/health">Health</a> · <a href="/ready">Readiness</a></li></ul></body></html>"""


@get("/", opt={"exclude_from_auth": True}, security=[{}], media_type=MediaType.HTML, include_in_schema=False)
async def landing() -> str:
    return LANDING
