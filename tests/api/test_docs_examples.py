"""The docs' API examples, run against the demo company: each doc's requests in order, as the role
the doc names, checking the status and the fields the doc shows (convention: tests/api/docs_examples.py).

The demo company (`service-mgmt demo-data`'s code path, at a small size) is loaded once per module
on a frozen clock; every doc then runs on a copy of it, so no doc sees another's changes and the
answers are the same on every run, on SQLite and PostgreSQL alike.

Writing a doc: `DOCS_EXAMPLES_SHOW=1 pytest -s tests/api/test_docs_examples.py -k planner.md`
prints every answer of that guide's examples.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.demo_company import load_demo_company
from core.db import create_engine
from core.settings import AuthSettings, BillingSettings, DatabaseSettings, Settings
from migrations.runner import upgrade
from returns.services.rma_notices import NoticeLinks
from service_mgmt.demo_data import DEMO_PASSWORD, DemoSize
from tests.api.docs_examples import (
    API_PREFIX,
    DocsExampleError,
    Example,
    commands_outside_examples,
    fill,
    match,
    parse_pattern,
    read_examples,
)
from tests.conftest import POSTGRES_URL

Client = AsyncTestClient[Litestar]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Every guide that shows API calls; each must hold runnable examples.
GUIDES = ("api.md", "agent.md", "planner.md", "technician.md", "contracts.md", "returns.md", "billing.md")
# Thursday 10 December 2026, 16:00 in Berlin: the moment the docs' stories are told at.
NOW = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)
SIZE = DemoSize(customers=12, equipment=80, engineers=4)


@pytest.fixture(scope="module")
def demo_company(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """The demo company, loaded once: a SQLite file to copy, or a PostgreSQL database to clone."""
    if POSTGRES_URL:
        url = _postgres_database(POSTGRES_URL, "docs_demo", template=None)
        upgrade(url)
        _load(url)
        yield url
        _drop_postgres_databases(POSTGRES_URL)
        return
    template: Path = request.getfixturevalue("_template")
    target = tmp_path_factory.mktemp("docs_demo") / "demo.db"
    shutil.copyfile(template, target)
    _load(f"sqlite+aiosqlite:///{target}")
    with sqlite3.connect(target) as conn:  # fold the WAL in, so a plain copy is the whole database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield str(target)


@pytest.fixture
def database_url(demo_company: str, tmp_path: Path) -> str:
    """This test's own copy of the demo company (conftest's settings, app and client use it)."""
    if POSTGRES_URL:
        return _postgres_database(POSTGRES_URL, "docs_run", template=demo_company)
    target = tmp_path / "docs.db"
    shutil.copyfile(demo_company, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.mark.parametrize("guide", GUIDES)
async def test_the_examples_of_the_guide_do_what_it_says(client: Client, guide: str) -> None:
    examples = read_examples(DOCS / guide)
    assert examples, f"{guide} shows API calls but marks none as examples"
    with time_machine.travel(NOW, tick=False):
        await _run(client, examples)


def test_every_api_call_in_the_docs_is_a_tested_example() -> None:
    # Logging in is what every example does first (as its role); the login section shows it by hand.
    # Logging out and ending sessions would end the runner's own logins: tests/api/test_sessions.py
    # and test_user_sessions.py run those calls.
    untested = [
        f"{doc.name}:{line}: {command}"
        for doc in sorted(DOCS.glob("*.md"))
        for line, command in commands_outside_examples(doc)
        if "/auth/" not in command and "/sessions" not in command
    ]
    assert untested == []
    documented = {doc.name for doc in DOCS.glob("*.md") if read_examples(doc)}
    assert documented == set(GUIDES)


def test_the_lists_that_answer_a_plain_array_are_the_ones_api_md_names() -> None:
    # api.md says lists answer a page, except a few short ones it names; the schema says which.
    app = create_app(Settings(auth=AuthSettings(secret_key="docs-" + "x" * 40)))
    schema = app.openapi_schema.to_schema()
    arrays = {
        re.sub(r"\{[^}]+\}", "{id}", path.removeprefix(API_PREFIX))  # the doc names every parameter {id}
        for path, item in schema["paths"].items()
        if (get := item.get("get"))
        and get["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("type")
        == "array"
    }
    named = set(re.findall(r"`(/[a-z/{}_-]+)`", _section(DOCS / "api.md", "plain JSON array")))

    assert arrays == named


def _section(doc: Path, phrase: str) -> str:
    """The paragraph of a doc holding the phrase."""
    return next(p for p in doc.read_text(encoding="utf-8").split("\n\n") if phrase in p)


# --------------------------------------------------------------------------- running


async def _run(client: Client, examples: list[Example]) -> None:
    tokens: dict[str, str] = {}
    bindings: dict[str, Any] = {}
    for example in examples:
        if example.role not in tokens:
            tokens[example.role] = await _log_in(client, example.role)
        path = fill(example.path, bindings, example.where)
        body = fill(example.body, bindings, example.where) if example.body is not None else None
        headers = {**example.headers, "Authorization": f"Bearer {tokens[example.role]}"}
        response = await client.request(
            example.method, path, headers=headers, content=body.encode() if body is not None else None
        )
        if os.environ.get("DOCS_EXAMPLES_SHOW"):  # for whoever writes a doc: `-s` shows every answer
            print(f"\n{example.where} ({example.role}) {example.method} {path}")
            print(response.status_code, response.text[:4000])
        try:
            _check(example, response.status_code, response.headers.get("content-type", ""), response, bindings)
        except DocsExampleError as exc:
            raise DocsExampleError(
                f"{example.where} ({example.role}): {example.method} {path}\n{exc}\n"
                f"answered {response.status_code}: {response.text[:3000]}"
            ) from None


def _check(example: Example, status: int, media_type: str, response: Any, bindings: dict[str, Any]) -> None:
    expected = example.expected
    if expected.status is None and not 200 <= status < 300:
        raise DocsExampleError(f"expected success, got {status}")
    if expected.status is not None and status != expected.status:
        raise DocsExampleError(f"expected {expected.status}, got {status}")
    if expected.media_type and not media_type.startswith(expected.media_type):
        raise DocsExampleError(f"expected {expected.media_type}, got {media_type}")
    if expected.body is not None:
        match(expected.body, response.json(), bindings)


async def _log_in(client: Client, role: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": role, "password": DEMO_PASSWORD})
    assert response.status_code == 200, f"the demo user {role!r} cannot log in: {response.text}"
    token: str = response.json()["access_token"]
    return token


# --------------------------------------------------------------------------- the demo company


# E-mails of the demo activity link here; the examples never follow them.
LINKS = NoticeLinks(secret_key="docs-examples-" + "k" * 32, base_url="http://127.0.0.1:8000")


def _load(url: str) -> None:
    async def load() -> None:
        engine = create_engine(DatabaseSettings(url=url))
        try:
            await load_demo_company(engine, SIZE, today=NOW.date(), billing=BillingSettings(), links=LINKS)
        finally:
            await engine.dispose()

    with time_machine.travel(NOW, tick=False):
        asyncio.run(load())


def _postgres_database(base_url: str, suffix: str, *, template: str | None) -> str:
    """A new database beside the test database: empty, or a copy of `template`."""
    base = make_url(base_url)
    name = f"{base.database}_{suffix}"
    admin = create_sync_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        source = f' TEMPLATE "{make_url(template).database}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_databases(base_url: str) -> None:
    base = make_url(base_url)
    admin = create_sync_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for suffix in ("docs_run", "docs_demo"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}_{suffix}" WITH (FORCE)'))
    admin.dispose()


# --------------------------------------------------------------------------- the convention itself


def test_an_answer_pattern_takes_placeholders_and_lets_the_ellipsis_stand_for_the_rest() -> None:
    bindings: dict[str, Any] = {}
    pattern = parse_pattern('{"items": [{"id": "<unit id>", "number": "C-…", …}, …], "why": "<who> wins over …"}')
    answer = {"items": [{"id": "u-1", "number": "C-000013", "x": 1}, {"id": "u-2"}], "why": "SC-1 wins over a warranty"}

    match(pattern, answer, bindings)

    assert bindings == {"unit id": "u-1", "who": "SC-1"}
    assert fill('{"equipment_id": "<unit id>"}', bindings, "here") == '{"equipment_id": "u-1"}'


@pytest.mark.parametrize(
    ("shown", "answer"),
    [
        ('{"status": "new"}', {"status": "resolved"}),  # another value
        ('{"items": [{"id": "<unit id>"}]}', {"items": [{"id": "u-1"}, {"id": "u-2"}]}),  # more items, no …
        ('{"id": "<unit id>"}', {"id": "u-2"}),  # a placeholder already bound to another value
        ('{"total": 1}', {"total": True}),  # true is not 1
        ('{"number": "C-…"}', {"number": "SC-000001"}),
    ],
)
def test_an_answer_unlike_the_doc_fails(shown: str, answer: Any) -> None:
    with pytest.raises(DocsExampleError):
        match(parse_pattern(shown), answer, {"unit id": "u-1"})


def test_a_request_with_an_unnamed_or_unknown_value_cannot_run() -> None:
    with pytest.raises(DocsExampleError, match="name the value"):
        fill('{"customer_id": "…"}', {}, "here")
    with pytest.raises(DocsExampleError, match="before an answer gave it a value"):
        fill("/api/v1/customers/<customer id>", {}, "here")
