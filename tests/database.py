"""Test databases: a migrated SQLite template copied per test, or one PostgreSQL database
migrated once per run and truncated between tests.

`TEST_DATABASE_URL` (a postgresql+asyncpg:// URL) selects PostgreSQL; otherwise SQLite.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import create_engine
from core.settings import DatabaseSettings
from migrations.runner import upgrade

KEEP = {"alembic_version"}


def prepare_sqlite_template(directory: Path) -> Path:
    template = directory / "template.db"
    upgrade(f"sqlite+aiosqlite:///{template}")
    with sqlite3.connect(template) as conn:  # fold the WAL into the file so a plain copy is complete
        conn.execute("PRAGMA journal_mode=WAL")  # copies start in WAL: no process has to switch them
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return template


def fresh_sqlite(template: Path, directory: Path, name: str) -> str:
    target = directory / f"{name}.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _reset_schema(url: str) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def worker_database(url: str, worker: str | None) -> str:
    """Under pytest-xdist each worker gets its own database beside the given one, created on demand."""
    if not worker or worker == "master":
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_sync_engine(parsed.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def prepare_postgres(url: str) -> None:
    asyncio.run(_reset_schema(url))
    upgrade(url)


async def truncate_postgres(url: str) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.begin() as conn:
        rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        tables = [r[0] for r in rows if r[0] not in KEEP]
        # TRUNCATE costs new files for every table and index it names (about 1.5 s for all of
        # them); a test fills only a few, so only the tables holding rows are named.
        if tables:
            probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
            filled = [r[0] for r in await conn.execute(text(probe))]
            if filled:
                await conn.execute(text(f"TRUNCATE {', '.join(filled)} RESTART IDENTITY CASCADE"))
    await engine.dispose()
