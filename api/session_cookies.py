"""The browser session's cookies: the session itself (HttpOnly) and its CSRF token (readable).

With `SESSION_COOKIE_SECURE` on (the default) both go over HTTPS only and carry the `__Host-`
prefix, which makes browsers refuse them unless set by this host over HTTPS with `Path=/`
and no `Domain`, so a neighbouring subdomain cannot plant its own session. SameSite=Lax keeps
them off cross-site subrequests and form posts; the CSRF token covers what Lax lets through.
"""

from __future__ import annotations

from litestar.datastructures import Cookie

from core.settings import AuthSettings

_SESSION = "session"
_CSRF = "csrf_token"


def session_cookie_name(settings: AuthSettings) -> str:
    return f"__Host-{_SESSION}" if settings.cookie_secure else _SESSION


def csrf_cookie_name(settings: AuthSettings) -> str:
    return f"__Host-{_CSRF}" if settings.cookie_secure else _CSRF


def session_cookies(settings: AuthSettings, token: str, csrf: str, max_age: int) -> list[Cookie]:
    return [
        Cookie(
            key=session_cookie_name(settings),
            value=token,
            max_age=max_age,
            path="/",
            secure=settings.cookie_secure,
            httponly=True,
            samesite="lax",
        ),
        # Readable by the page's scripts, which echo it in X-CSRF-Token.
        Cookie(
            key=csrf_cookie_name(settings),
            value=csrf,
            max_age=max_age,
            path="/",
            secure=settings.cookie_secure,
            httponly=False,
            samesite="lax",
        ),
    ]


def cleared_cookies(settings: AuthSettings) -> list[Cookie]:
    # A __Host- cookie is only replaced by one with the same attributes, Secure included.
    return [
        Cookie(
            key=name,
            value="",
            max_age=0,
            expires=0,
            path="/",
            secure=settings.cookie_secure,
            httponly=httponly,
            samesite="lax",
        )
        for name, httponly in ((session_cookie_name(settings), True), (csrf_cookie_name(settings), False))
    ]
