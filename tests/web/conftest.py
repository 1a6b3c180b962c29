"""The whole product (the API with its pages) over HTTP, and people signed in through the sign-in form.

The client talks HTTPS (`https://testserver.local`) so the session cookies, Secure and
`__Host-`-prefixed as in production, travel as they would in a browser.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from html import unescape

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth import SYSTEM, Role
from core.db import session_scope
from masterdata.services.customers import CustomerCreate, create_customer
from masterdata.services.users import UserCreate, create_user

Client = AsyncTestClient[Litestar]
HTML = {"accept": "text/html,application/xhtml+xml"}
PASSWORD = "secret-pw-123"


@pytest.fixture
def app(web_app: Litestar) -> Litestar:
    return web_app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:
        yield c


def form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no {name} in the page:\n{html}"
    return unescape(match.group(1))


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, html
    return match.group(1)


async def submit_sign_in(client: Client, username: str, password: str, next_path: str = "") -> object:
    """Opens the sign-in page (for its form token) and sends the form; answers the POST's response."""
    form_page = await client.get("/sign-in" + (f"?next={next_path}" if next_path else ""), headers=HTML)
    assert form_page.status_code == 200, form_page.text
    form = {
        "username": username,
        "password": password,
        "next": form_value(form_page.text, "next"),
        "form_token": form_value(form_page.text, "form_token"),
    }
    return await client.post("/sign-in", data=form, headers=HTML, follow_redirects=False)


@dataclass(frozen=True)
class Person:
    username: str
    role: Role


PersonFactory = Callable[[Role], Awaitable[Person]]


@pytest.fixture
def person(sessions: async_sessionmaker[AsyncSession]) -> PersonFactory:
    """Creates a user of a role (customers with their customer) who signs in with PASSWORD."""
    counter = {"n": 0}

    async def make(role: Role) -> Person:
        counter["n"] += 1
        username = f"{role.value}{counter['n']}"
        async with session_scope(sessions) as s:
            customer_id = None
            if role is Role.CUSTOMER:
                customer_id = (await create_customer(s, SYSTEM, CustomerCreate(name=f"Customer {username}"))).id
            await create_user(
                s,
                SYSTEM,
                UserCreate(
                    username=username,
                    password=PASSWORD,
                    role=role,
                    display_name=f"Dana {role.value.title()}",
                    customer_id=customer_id,
                ),
            )
        return Person(username, role)

    return make


SignedIn = Callable[[Role], Awaitable[Person]]


@pytest.fixture
def signed_in(client: Client, person: PersonFactory) -> SignedIn:
    """A person of the role, signed in on `client` through the form."""

    async def sign_in(role: Role) -> Person:
        who = await person(role)
        answer = await submit_sign_in(client, who.username, PASSWORD)
        assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
        return who

    return sign_in
