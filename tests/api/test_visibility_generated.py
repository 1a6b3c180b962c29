"""No existence oracle, generated from the app's routes.

Two parties (customers Alpha and Beta, each with its own engineer and one of every object)
share a database. A customer user of Alpha, and a technician of Alpha's engineer, address
Beta's objects on every route they may call: by path id, by id in the body, by id in a list
filter. Each answer must be the one an unknown random id gets (same status, same problem
`code`), and no list may carry Beta's ids. Beta's own user reading the same ids must get
something else, which proves the world's objects are real.

Every path parameter of the app must be classified below (`OWNED` or `NOT_OWNED`), so a new
route with a new kind of id fails here until someone says whose it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import Role
from core.db import session_scope
from tests.api.authz_world import Party, build_party
from tests.api.route_catalog import Operation, guarded_operations, operations, query_parameter_names, request_parts
from tests.conftest import UserFactory

Client = AsyncTestClient[Litestar]

# Parameters naming an object that belongs to one customer (or, for technicians, one engineer),
# mapped to the world's key for it.
OWNED: dict[str, str] = {
    "customer_id": "customer",
    "bill_to_customer_id": "customer",
    "site_id": "site",
    "contact_id": "contact",
    "equipment_id": "equipment",
    "counter_id": "counter",
    "warranty_id": "warranty",
    "contract_id": "contract",
    "line_id": "contract_line",
    "contract_line_id": "contract_line",
    "request_id": "service_request",
    "work_order_id": "work_order",
    "task_id": "task",
    "engineer_id": "engineer",
    "plan_id": "pm_plan",
    "rma_id": "rma",
    "number": "rma_number",  # /rmas/by-number/{number}: the only route with a number in its path
    "invoice_id": "invoice",
    "payment_id": "payment",
    "profile_id": "billing_profile",
    "repair_order_id": "repair_order",  # depot only today: the world builds one when a customer route needs it
}
# Parameters naming shared things (the catalogue, terms, staff tooling) or only in public routes.
NOT_OWNED = frozenset(
    {
        "product_id",
        "calendar_id",
        "level_id",
        "term_id",
        "template_id",
        "code_id",
        "location_id",
        "reservation_id",
        "run_id",
        "absence_id",
        "user_id",
        "token",
        "file_path",
        "path",
        "name",  # Swagger UI's files under /schema/assets
        "field_id",  # a custom field definition: configuration, the same for every reader allowed in
        "session_id",  # a login session: an admin's business, under the user it belongs to
        "subscription_id",  # a webhook subscription: admin only
        "delivery_id",  # a webhook delivery, under its subscription: admin only
        "feed_id",  # a calendar feed is its maker's; others get 404 (tests/api/test_calendar_feeds.py)
        "feed",  # the public feed's secret token, like a tracking token
    }
)
# Query parameters an operation needs but its schema leaves optional.
QUERY_OF: dict[str, dict[str, str]] = {
    "GET /api/v1/engineers/{engineer_id:uuid}/availability": {
        "from": dt.date.today().isoformat(),
        "to": (dt.date.today() + dt.timedelta(days=6)).isoformat(),
    },
}
# What a technician's world is: its engineer and the work assigned to it.
TECHNICIAN_KEYS = frozenset({"engineer", "task", "work_order"})

Answer = tuple[int, str | None]


def test_every_path_parameter_is_known_to_the_visibility_mapping(app: Litestar) -> None:
    known = OWNED.keys() | NOT_OWNED
    unknown = sorted({f"{name} (in {op.name})" for op in operations(app) for name in op.params if name not in known})
    assert unknown == [], "classify these parameters in OWNED or NOT_OWNED: " + ", ".join(unknown)


def answer(response: Any) -> Answer:
    code = None
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        code = response.json().get("code")
    return response.status_code, code


def item_count(response: Any) -> int | None:
    """How many items a list answer holds (None: not a JSON list page)."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    body = response.json()
    return len(body["items"]) if isinstance(body, dict) and isinstance(body.get("items"), list) else None


def unknown_value(op: Operation, name: str) -> str:
    return "RMA-999999" if op.params[name] is str else str(uuid.uuid4())


@dataclass
class Persona:
    """A user of party `own` probing the objects of party `other`, whose own user is `owner`."""

    client: Client
    app: Litestar
    role: Role
    own: Party
    other: Party
    intruder: dict[str, str]  # headers
    owner: dict[str, str]
    keys: frozenset[str]  # the world keys private to a party for this role
    wrong: list[str] = field(default_factory=list)
    probes: Counter[str] = field(default_factory=Counter)

    def callable_operations(self) -> list[Operation]:
        return [op for op in guarded_operations(self.app) if op.roles is not None and self.role.value in op.roles]

    def owned(self, name: str) -> str | None:
        """The world key of a field or parameter name, if it names an object private to a party."""
        key = OWNED.get(name)
        return key if key in self.keys else None

    def ids_of(self, party: Party) -> dict[str, str]:
        """Field name -> id of `party`'s object, for every private field name."""
        return {name: party.ids[key] for name, key in OWNED.items() if key in party.ids and key in self.keys}

    async def send(
        self,
        op: Operation,
        path: Mapping[str, str],
        *,
        as_owner: bool = False,
        body_ids: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """`op` at these path values; ids in body and query are the sender's own unless given."""
        ids = self.ids_of(self.other if as_owner else self.own) | dict(body_ids or {})
        parts = request_parts(self.app, op, ids.get, optional_ids=body_ids is not None)
        params = parts.query | QUERY_OF.get(op.name, {}) | dict(query or {})
        headers = self.owner if as_owner else self.intruder
        self.probes["requests"] += 1
        return await self.client.request(
            op.method, op.url(path), json=parts.body, params=params or None, headers=headers
        )

    async def compare(self, op: Operation, label: str, theirs: Any, nobodys: Any) -> None:
        if answer(theirs) != answer(nobodys):
            self.wrong.append(f"{op.name} ({label}): {answer(theirs)}, an unknown id gets {answer(nobodys)}")


async def probe_path_ids(persona: Persona) -> None:
    """Every route the persona may call with a private id in its path: the other party's id
    against an unknown one (and, behind an own parent, a foreign child against an unknown one)."""
    for op in persona.callable_operations():
        private = [name for name in op.params if persona.owned(name)]
        if not private:
            continue
        missing = [OWNED[name] for name in private if OWNED[name] not in persona.other.ids]
        if missing:
            persona.wrong.append(f"{op.name}: no {', '.join(missing)} in tests/api/authz_world.py; add one")
            continue
        shared = {name: str(uuid.uuid4()) for name in op.params if name not in private}
        foreign = shared | {name: persona.other.ids[OWNED[name]] for name in private}
        unknown = shared | {name: unknown_value(op, name) for name in private}
        persona.probes["path"] += 1
        await persona.compare(op, "foreign ids", await persona.send(op, foreign), await persona.send(op, unknown))
        if len(private) > 1:
            parent = {name: persona.own.ids[OWNED[name]] for name in private[:-1]}  # the last one stays foreign
            persona.probes["path"] += 1
            await persona.compare(
                op,
                "own parent, foreign child",
                await persona.send(op, foreign | parent),
                await persona.send(op, unknown | parent),
            )
        if op.method == "GET":  # the object is real: its owner is answered otherwise than an unknown id
            for_owner = answer(await persona.send(op, foreign, as_owner=True))
            if for_owner == answer(await persona.send(op, unknown)):
                persona.wrong.append(f"{op.name}: its owner gets {for_owner} too; the world's object is not found")


async def probe_body_ids(persona: Persona) -> None:
    """Every write the persona may call with ids in its body: each id in turn the other party's
    object against an unknown one, everything else the caller's own."""
    for op in persona.callable_operations():
        if op.method not in {"POST", "PUT", "PATCH"}:
            continue
        body = request_parts(persona.app, op, persona.ids_of(persona.own).get, optional_ids=True).body
        if not isinstance(body, dict):
            continue
        path = {name: persona.own.ids.get(OWNED.get(name, ""), str(uuid.uuid4())) for name in op.params}
        for name in [key for key in body if key.endswith("_id")]:
            key = persona.owned(name)
            if key is None:
                if name not in OWNED.keys() | NOT_OWNED:
                    persona.wrong.append(f"{op.name}: body field {name} is in neither OWNED nor NOT_OWNED")
                continue
            persona.probes["body"] += 1
            theirs = await persona.send(op, path, body_ids={name: persona.other.ids[key]})
            nobodys = await persona.send(op, path, body_ids={name: str(uuid.uuid4())})
            await persona.compare(op, f"another party's {name} in the body", theirs, nobodys)


async def probe_lists(persona: Persona) -> None:
    """Every list the persona may read, plain and filtered by each of the other party's ids:
    a filter answers like one by an unknown id, and no answer carries an id of the other party
    that the caller did not send itself."""
    secrets = {key: persona.other.ids[key] for key in persona.keys if key in persona.other.ids}
    for op in persona.callable_operations():
        if op.method != "GET" or op.params:
            continue
        names = [name for name in query_parameter_names(persona.app, op) if persona.owned(name) in secrets]
        for name in [None, *names]:
            persona.probes["list"] += 1
            sent = secrets[OWNED[name]] if name else None
            response = await persona.send(op, {}, query={name: sent} if name and sent else None)
            where = f"{op.name}?{name}=<theirs>" if name else op.name
            leaked = sorted(key for key, value in secrets.items() if value != sent and value in response.text)
            if leaked or response.status_code >= 500:
                persona.wrong.append(f"{where}: {response.status_code}, shows the other party's {', '.join(leaked)}")
            if name:
                unknown = await persona.send(op, {}, query={name: str(uuid.uuid4())})
                if (answer(response), item_count(response)) != (answer(unknown), item_count(unknown)):
                    persona.wrong.append(
                        f"{where}: {answer(response)} with {item_count(response)} items, "
                        f"an unknown id gets {answer(unknown)} with {item_count(unknown)}"
                    )


async def persona(
    role: Role, app: Litestar, client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> Persona:
    """Two parties, Alpha and Beta; a user of Alpha's in `role` probes Beta's objects."""
    async with session_scope(sessions) as session:
        alpha = await build_party(session, "Alpha", 0)
        beta = await build_party(session, "Beta", 1)

    async def user(party: Party) -> dict[str, str]:
        if role is Role.CUSTOMER:
            return await login_as(role, customer_id=party.customer_id)
        return await login_as(role, engineer_id=party.engineer_id)

    keys = frozenset(alpha.ids) if role is Role.CUSTOMER else TECHNICIAN_KEYS
    return Persona(client, app, role, alpha, beta, await user(alpha), await user(beta), keys)


async def test_a_customer_cannot_tell_another_customers_objects_from_unknown_ids(
    app: Litestar, client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    customer = await persona(Role.CUSTOMER, app, client, login_as, sessions)

    await probe_path_ids(customer)
    await probe_body_ids(customer)
    await probe_lists(customer)

    assert customer.probes["path"] > 30 and customer.probes["body"] > 5 and customer.probes["list"] > 20
    assert customer.wrong == [], "\n".join(customer.wrong)


async def test_a_technician_cannot_tell_another_engineers_work_from_unknown_ids(
    app: Litestar, client: Client, login_as: UserFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    technician = await persona(Role.TECHNICIAN, app, client, login_as, sessions)

    await probe_path_ids(technician)
    await probe_body_ids(technician)
    await probe_lists(technician)

    assert technician.probes["path"] >= 6 and technician.probes["list"] > 5
    assert technician.wrong == [], "\n".join(technician.wrong)
