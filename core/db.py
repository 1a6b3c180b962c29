"""Database plumbing: declarative bases, engine and session factories, session scope.

Services receive an `AsyncSession` and never commit; the edge that opened the session
(the HTTP request, a job, a CLI command) commits or rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any, TypeVar

from advanced_alchemy.base import UUIDv7AuditBase, orm_registry
from sqlalchemy import Integer, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.settings import DatabaseSettings

metadata = orm_registry.metadata
T = TypeVar("T")


class Entity(UUIDv7AuditBase):
    """A business object: UUIDv7 id, created_at / updated_at in UTC."""

    __abstract__ = True


class VersionedEntity(Entity):
    """An entity edited by people: `version` detects stale writes (optimistic locking).

    SQLAlchemy adds `WHERE version = :seen` to every UPDATE and raises StaleDataError when
    nothing matched, which the API maps to 409.
    """

    __abstract__ = True

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, sort_order=3001)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside one writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: the statements below may meet a lock
    cursor.execute("PRAGMA foreign_keys=ON")
    # Switching to WAL needs an exclusive lock and can fail at once while another process
    # writes; the mode is persistent, so only a database not yet in WAL is switched.
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's deferred BEGIN lets two writers both read, then deadlock on the upgrade to a
    # write lock ("database is locked" with no wait). Writers take the lock up front instead;
    # read-only sessions (see `read_only`) keep a deferred BEGIN so reads run concurrently.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    _sqlite_pragmas(dbapi_connection, record)


def create_engine(settings: DatabaseSettings, **overrides: Any) -> AsyncEngine:
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.url)
        engine = create_async_engine(settings.url, echo=settings.echo, connect_args={"timeout": 30}, **overrides)
        sync_engine: Engine = engine.sync_engine
        event.listen(sync_engine, "connect", _sqlite_connect)
        event.listen(sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        settings.url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        **overrides,
    )


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for sessions that only read (SQLite: deferred BEGIN)."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work for a job or a CLI command: commit on success, roll back on error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


IN_LIST_SIZE = 1000  # values per IN list: well below SQLite's and asyncpg's parameter limits


def in_chunks(values: Iterable[T], size: int = IN_LIST_SIZE) -> Iterator[list[T]]:
    """The values in lists of at most `size`: one query per list instead of one per value."""
    ordered = list(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def sql_in(choices: type[StrEnum]) -> str:
    """The values of a choice set as an SQL IN list, for check constraints."""
    return "(" + ", ".join(f"'{member.value}'" for member in choices) + ")"


def upsert_insert(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE (PostgreSQL and SQLite)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
