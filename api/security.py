"""JWT authentication and role guards.

Tokens carry the principal (user id, role, customer or engineer binding), so a request is
authenticated without a database round trip and any app process can verify any token.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth, Token

from core.auth import Principal, Role
from core.errors import Forbidden
from core.settings import AuthSettings

PUBLIC_PATHS = ["^/$", "^/health", "^/ready", "^/schema", "^/api/v1/auth/login", "^/static", "^/favicon"]


def _optional_uuid(value: Any) -> UUID | None:
    return UUID(str(value)) if value else None


async def principal_from_token(token: Token, _connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    extras = token.extras
    try:
        return Principal(
            user_id=UUID(token.sub),
            username=str(extras["username"]),
            role=Role(extras["role"]),
            customer_id=_optional_uuid(extras.get("customer_id")),
            engineer_id=_optional_uuid(extras.get("engineer_id")),
        )
    except (KeyError, ValueError):
        return None


def build_jwt_auth(settings: AuthSettings) -> JWTAuth[Principal, Token]:
    return JWTAuth[Principal, Token](
        retrieve_user_handler=principal_from_token,
        token_secret=settings.secret_key,
        default_token_expiration=timedelta(minutes=settings.token_ttl_minutes),
        exclude=PUBLIC_PATHS,
        description="JWT from POST /api/v1/auth/login, sent as 'Authorization: Bearer <token>'.",
    )


def issue_token(auth: JWTAuth[Principal, Token], principal: Principal) -> str:
    return auth.create_token(
        identifier=str(principal.user_id),
        token_extras={
            "username": principal.username,
            "role": principal.role.value,
            "customer_id": str(principal.customer_id) if principal.customer_id else None,
            "engineer_id": str(principal.engineer_id) if principal.engineer_id else None,
        },
    )


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
