"""Schemathesis over every operation of the OpenAPI document, against the app in process.

Generated requests (valid and invalid) go through the real ASGI app on the test database, as an
admin and as a customer user. Each answer must not be a 5xx, must have a status the document
lists for that operation, and must match the schema documented for that status. Seeded and
derandomized, so a failure reproduces; a small number of examples per operation keeps the run to
a few minutes (FUZZ_EXAMPLES=100 for a deeper run by hand).

One test per role drives all operations (schemathesis' own pytest parametrization reaches into
pytest internals that pytest 9.2 renamed), so the app, its lifespan and the database are set up
once, and the report lists every failing operation rather than stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.security import issue_token
from core.auth import SYSTEM, Principal, Role
from core.auth_events import Client
from core.auth_sessions import Transport, open_session
from core.clock import SYSTEM_CLOCK
from core.db import session_scope
from masterdata.services.customers import CustomerCreate, create_customer
from masterdata.services.users import UserCreate, create_user, principal_for

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20_251_014,
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)


def _settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        derandomize=True,  # the same cases every run
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


async def _fuzz_user(sessions: async_sessionmaker[AsyncSession], role: Role) -> Principal:
    async with session_scope(sessions) as session:
        customer_id = None
        if role is Role.CUSTOMER:
            customer = await create_customer(session, SYSTEM, CustomerCreate(name="Fuzz Ltd"))
            customer_id = customer.id
        user = await create_user(
            session,
            SYSTEM,
            UserCreate(username=f"fuzz-{role.value}", password="secret-pw", role=role, customer_id=customer_id),
        )
        return await principal_for(session, user)


async def _bearer(app: Litestar, sessions: async_sessionmaker[AsyncSession], user: Principal) -> dict[str, str]:
    """A token for a new login session: an operation that ends its caller's session (logout, an admin
    revoking sessions) must not leave the operations after it fuzzing with a revoked token."""
    lifetime = dt.timedelta(hours=1)
    async with session_scope(sessions) as session:
        opened = await open_session(session, user, Transport.BEARER, Client(), SYSTEM_CLOCK.now(), lifetime)
    principal = replace(user, session_id=opened.id)
    return {"Authorization": f"Bearer {issue_token(app.state.jwt_auth, principal, lifetime)}"}


@pytest.fixture
def api_schema(app: Litestar) -> Iterator[Any]:
    # Schemathesis runs the app (and its lifespan: engine, dispatcher) in a thread of its own,
    # on this test's database; stop it before the database goes away.
    try:
        yield schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=CONFIG)
    finally:
        shutdown_lifespans()


def _fuzz(operation: Any, headers: dict[str, str], examples: int, sent: list[int]) -> None:
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @_settings(examples)
    @given(case=cases)
    def run(case: Any) -> None:
        sent.append(1)
        case.call_and_validate(headers=headers)

    run()


@pytest.mark.parametrize(
    ("role", "examples"),
    # a customer is refused most operations by their role guard: fewer examples find what there is
    [(Role.ADMIN, EXAMPLES), (Role.CUSTOMER, max(1, EXAMPLES // 3))],
)
async def test_every_operation_answers_only_documented_statuses_and_bodies(
    app: Litestar, sessions: async_sessionmaker[AsyncSession], api_schema: Any, role: Role, examples: int
) -> None:
    user = await _fuzz_user(sessions, role)
    operations, sent, failures = 0, [], []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, await _bearer(app, sessions, user), examples, sent)
        except FailureGroup as exc:
            failures.append(f"{operation.label}:\n{exc}")
    print(f"schemathesis as {role.value}: {operations} operations, {len(sent)} requests")
    assert operations == len(list(api_schema.get_all_operations())) >= 200
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
