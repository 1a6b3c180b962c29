"""Authentication (a session per login, its id in a JWT) and role guards.

A token is a JWT signed with SECRET_KEY naming its user (`sub`) and its server-side session
(`jti`, see `core.auth_sessions`). It travels as `Authorization: Bearer <token>`, or for
browsers in the HttpOnly session cookie; a request carrying both is judged by the bearer.
The principal (role, customer or engineer binding) is not taken from the token but read from
the database per session, cached for a few seconds per process (`api.session_principals`),
so a revoked session, a deactivated, deleted or demoted user is refused within that time on
every process. Unsafe requests on the cookie must carry the CSRF token (`api.csrf`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token

from api.session_cookies import session_cookie_name
from api.session_principals import SessionPrincipals
from core.auth import Principal, Role
from core.auth_events import Client
from core.auth_sessions import Transport
from core.errors import Forbidden
from core.settings import AuthSettings

PUBLIC_PATHS = ["^/$", "^/health", "^/ready", "^/schema", "^/api/v1/auth/login", "^/favicon"]


@dataclass(frozen=True, slots=True)
class SessionAuth:
    """`request.auth`: the decoded token and how it came."""

    token: Token
    transport: Transport


class SessionAuthMiddleware(JWTAuthenticationMiddleware):
    """Litestar's JWT middleware, taking the token from the bearer header or else the cookie."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        settings: AuthSettings = connection.app.state.settings.auth
        if header := connection.headers.get(self.auth_header):
            transport, encoded = Transport.BEARER, header.partition(" ")[-1]
        else:
            transport, encoded = Transport.COOKIE, connection.cookies.get(session_cookie_name(settings), "")
        if not encoded:
            raise NotAuthorizedException("no token in the Authorization header nor a session cookie")
        result = await self.authenticate_token(encoded_token=encoded, connection=connection)
        # The CSRF check needs the body (a form's _csrf field), which a middleware's connection
        # cannot read: the app-wide guard `api.csrf.csrf_guard` does it, knowing the transport.
        return AuthenticationResult(user=result.user, auth=SessionAuth(result.auth, transport))


async def principal_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    try:
        session_id, user_id = UUID(str(token.jti or "")), UUID(str(token.sub))
    except ValueError:
        return None  # a token from before sessions, or not ours
    principals: SessionPrincipals = connection.app.state.principals
    return await principals.principal(session_id, user_id)


async def principal_from_cookie(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Who holds the session cookie, on a public route the middleware skips (the pages' `/`)."""
    settings: AuthSettings = connection.app.state.settings.auth
    encoded = connection.cookies.get(session_cookie_name(settings))
    if not encoded:
        return None
    jwt_auth: JWTAuth[Principal, Token] = connection.app.state.jwt_auth
    try:
        token = Token.decode(encoded, secret=settings.secret_key, algorithm=jwt_auth.algorithm)
    except NotAuthorizedException:
        return None
    return await principal_from_token(token, connection)


def build_jwt_auth(settings: AuthSettings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=principal_from_token,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=SessionAuthMiddleware,
        description=(
            "JWT from POST /api/v1/auth/login, sent as `Authorization: Bearer <token>` "
            '(browsers: the session cookie from a login with "cookie": true, plus X-CSRF-Token on unsafe requests).'
        ),
    )


def issue_token(auth: JWTAuth[Principal, Token], principal: Principal, lifetime: timedelta) -> str:
    """A token for the principal's session. The role and bindings in it are informational only:
    clients that decode tokens keep working, the server reads them from the database."""
    assert principal.session_id is not None, "tokens are issued for sessions only"
    return auth.create_token(
        identifier=str(principal.user_id),
        token_expiration=lifetime,
        token_unique_jwt_id=str(principal.session_id),
        token_extras={
            "username": principal.username,
            "role": principal.role.value,
            "customer_id": str(principal.customer_id) if principal.customer_id else None,
            "engineer_id": str(principal.engineer_id) if principal.engineer_id else None,
        },
    )


def client_of(request: Request[Any, Any, Any]) -> Client:
    return Client(address=request.client.host if request.client else None, user_agent=request.headers.get("user-agent"))


def allow(*roles: Role | Iterable[Role]) -> dict[str, Any]:
    """Route kwargs that let only these roles through (403 otherwise) and document them."""
    allowed: set[Role] = set()
    for item in roles:
        allowed.update([item] if isinstance(item, Role) else item)
    ordered = sorted(allowed, key=list(Role).index)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or principal.role not in allowed:
            raise Forbidden("role_not_allowed", f"this action needs one of the roles: {', '.join(ordered)}")

    return {"guards": [guard], "opt": {"roles": [r.value for r in ordered]}}


EVERYONE = frozenset(Role)
STAFF = frozenset(Role) - {Role.CUSTOMER, Role.TECHNICIAN}
