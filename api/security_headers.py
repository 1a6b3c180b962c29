"""Security headers on every response: API, pages, static files, errors and unknown paths alike.

Set from the app's `before_send` hook, which wraps the ASGI `send` of the whole app, so even a
404 for a path no route matches and a 500 from the exception handlers carry them. A header a
handler set itself is left as it is.

The policy allows scripts, styles and fonts from the app's own origin only (no inline script or
style anywhere: the tracking pages and the Swagger UI page load theirs from files), images also
as data: URIs (Swagger UI's icons), and no framing. HSTS is sent only when `HSTS_SECONDS` says
so, because it binds browsers to HTTPS for that long and only a deployment behind TLS wants it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

from core.settings import ServerSettings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)


def security_headers(server: ServerSettings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if server.hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={server.hsts_seconds}"
    return headers


def add_security_headers(server: ServerSettings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook adding `security_headers(server)` to each HTTP response's start message."""
    encoded = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in security_headers(server).items()
    ]

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {bytes(name).lower() for name, _ in headers}
        headers.extend((name, value) for name, value in encoded if name not in present)
        message["headers"] = headers

    return before_send
