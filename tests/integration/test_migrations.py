"""Migrations: an empty database upgrades to head, and the models match it exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from migrations.compare import compare_type
from migrations.model_registry import load_metadata
from migrations.runner import upgrade
from tests.conftest import POSTGRES_URL


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A brand-new database: a fresh SQLite file, or a new PostgreSQL database beside the test one."""
    if not POSTGRES_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"migration_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = "sqlite" if parsed.drivername.startswith("sqlite") else "postgresql+psycopg"
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def test_an_empty_database_upgrades_to_head_without_drift(empty_database: str) -> None:
    upgrade(empty_database)

    engine = create_engine(_sync_url(empty_database))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        differences = compare_metadata(context, load_metadata())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()

    assert differences == [], f"models and migrations differ: {differences}"
    assert version


def test_upgrading_twice_is_harmless(empty_database: str) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
