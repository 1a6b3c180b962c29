"""Every operation × every role, generated from the app's routes.

For each guarded operation the role guard's own record (`opt["roles"]`, written by
`api.security.allow`) says who may call it. A role outside it must get 403 `role_not_allowed`;
a role inside it must get past the guard (a 404 for the placeholder ids, a 409 or 422 from a
business rule are fine, and so is a field-level 403 `field_not_allowed` naming its field; a
401, any other 403 or a 5xx is not); no token, or a forged one, must get 401. One test
function per role sends every operation on one database, so the whole matrix costs a handful
of fixture setups, not thousands.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.security.jwt import Token
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Role
from core.db import session_scope
from tests.api.route_catalog import (
    PUBLIC_OPERATIONS,
    Operation,
    guarded_operations,
    operations,
    placeholder_path,
    request_parts,
)
from tests.conftest import UserFactory
from tests.integration.contract_fixtures import installed_printer
from tests.integration.stock_fixtures import engineer_row

Client = AsyncTestClient[Litestar]
FIELD_NOT_ALLOWED = "field_not_allowed"


def test_every_operation_that_needs_a_token_names_the_roles_it_lets_in(app: Litestar) -> None:
    unguarded = [op.name for op in guarded_operations(app) if op.roles is None]
    assert unguarded == [], "operations without api.security.allow(...): " + ", ".join(unguarded)


def test_only_the_documented_public_operations_skip_authentication(app: Litestar) -> None:
    undocumented = [op.name for op in operations(app) if op.opts_out_of_auth and not op.public]
    served = {(op.method, op.path) for op in operations(app)}
    assert undocumented == [], "public but not in PUBLIC_OPERATIONS: " + ", ".join(undocumented)
    assert sorted(PUBLIC_OPERATIONS - served) == [], "listed as public but no longer served"


async def send(client: Client, app: Litestar, op: Operation, headers: dict[str, str]) -> Any:
    parts = request_parts(app, op)
    return await client.request(
        op.method, placeholder_path(op), json=parts.body, params=parts.query or None, headers=headers
    )


# Operations that end the session they are called on: sent after all the others.
ENDS_THE_CALLERS_SESSION = frozenset({("POST", "/api/v1/auth/logout")})


def problem_code(response: Any) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    code = response.json().get("code")
    return str(code) if code is not None else None


def verdict(op: Operation, role: str, response: Any) -> str | None:
    """What is wrong with `response` to `op` for `role` (None: nothing)."""
    assert op.roles is not None
    status, code = response.status_code, problem_code(response)
    if role not in op.roles:
        if status == 403 and code == "role_not_allowed":
            return None
        return f"{op.name} as {role} (not allowed): {status} {code}, expected 403 role_not_allowed"
    if status == 403 and code == FIELD_NOT_ALLOWED and response.json().get("field"):
        return None  # past the guard; the service refuses one field of the minimal body for this role
    if status in {401, 403} or status >= 500:
        return f"{op.name} as {role} (allowed): {status} {code or response.text[:200]}"
    return None


async def bound_parties(sessions: async_sessionmaker[AsyncSession]) -> tuple[UUID, UUID]:
    """A customer for the customer user and an engineer for the technician to be bound to."""
    async with session_scope(sessions) as session:
        it = await installed_printer(session, "Matrix")
        engineer = await engineer_row(session)
        return it.customer_id, engineer.id


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
async def test_each_role_reaches_exactly_the_operations_its_guards_allow(
    role: Role, app: Litestar, client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer_id, engineer_id = await bound_parties(sessions)
    headers = await login_as(
        role,
        customer_id=customer_id if role is Role.CUSTOMER else None,
        engineer_id=engineer_id if role is Role.TECHNICIAN else None,
    )
    ops = [op for op in guarded_operations(app) if op.roles is not None]
    ops.sort(key=lambda op: (op.method, op.path) in ENDS_THE_CALLERS_SESSION)  # last, or every later call is a 401

    wrong = [
        problem for op in ops if (problem := verdict(op, role.value, await send(client, app, op, headers))) is not None
    ]

    assert len(ops) > 200
    assert wrong == [], f"{len(wrong)} of {len(ops)} operations:\n" + "\n".join(wrong)


def forged_admin_token() -> str:
    """A well-formed admin token, signed with a key the app does not know."""
    token = Token(
        sub=str(uuid.uuid4()),
        exp=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        extras={"username": "mallory", "role": Role.ADMIN.value},
    )
    return token.encode(secret="not-the-app-key-" + "x" * 40, algorithm="HS256")


async def test_without_a_valid_token_every_guarded_operation_answers_401(app: Litestar, client: Client) -> None:
    ops = guarded_operations(app)
    callers = {"no token": {}, "forged token": {"Authorization": f"Bearer {forged_admin_token()}"}}
    wrong = []
    for caller, headers in callers.items():
        for op in ops:
            response = await send(client, app, op, headers)
            if response.status_code != 401 or problem_code(response) != "unauthenticated":
                wrong.append(f"{op.name} with {caller}: {response.status_code} {problem_code(response)}")

    assert wrong == [], "\n".join(wrong)
