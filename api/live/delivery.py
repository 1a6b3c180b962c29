"""From a domain event to a message on the live channel, once its transaction commits.

PostgreSQL: `SELECT pg_notify(channel, payload)` in the announcing transaction itself. The server
queues the notification with the transaction and delivers it to every listener (every app process's
channels backend) at commit, never on rollback, whichever process wrote: the web processes, the worker
(preventive maintenance calls), the CLI.

SQLite (one process): the messages wait in the session's `info`; an SQLAlchemy `after_commit` hook
hands them to the in-memory channel of the app serving that database (`register_sink`, by URL: the
in-process worker writes through an engine of its own), and the end of a transaction that did not
commit drops them. Databases no app serves in this process (a service test, the CLI) drop them too.
Savepoints behave as on PostgreSQL: messages of a rolled-back savepoint are dropped, those of a
released one wait for the outermost commit (SQLAlchemy fires `after_commit` on a release as well).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from api.live.messages import CHANNEL, encode, plan_message, run_message
from core import domain_events
from service_mgmt.events import PlanChanged, RunProgressed

log = logging.getLogger("service_mgmt.live")

PENDING = "live_messages"  # key in Session.info: messages waiting for the commit
MARKS = "live_savepoints"  # key in Session.info: savepoint -> how many messages were pending at its start
Sink = Callable[[str], None]
_sinks: dict[str, Sink] = {}  # database URL -> the in-memory channel of the app serving it


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def register_sink(engine: Engine, sink: Sink) -> None:
    """Committed messages of sessions on the database of `engine` (through any engine) go to `sink`."""
    _sinks[_key(engine)] = sink


def unregister_sink(engine: Engine) -> None:
    _sinks.pop(_key(engine), None)


async def _send(session: AsyncSession, message: dict[str, Any]) -> None:
    payload = encode(message)
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, payload)))
        return
    session.sync_session.info.setdefault(PENDING, []).append(payload)


async def on_plan_changed(session: AsyncSession, changed: PlanChanged) -> None:
    await _send(session, plan_message(changed))


async def on_run_progressed(session: AsyncSession, progressed: RunProgressed) -> None:
    await _send(session, run_message(progressed))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its messages wait for the outermost commit
    payloads: list[str] = session.info.pop(PENDING, [])
    if not payloads:
        return
    engine = session.bind
    sink = _sinks.get(_key(engine)) if isinstance(engine, Engine) else None
    if sink is None:
        return
    for payload in payloads:
        try:
            sink(payload)
        except Exception:  # a live hint must never fail a committed change
            log.exception("could not hand a live message to the channel")


def _after_transaction_create(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(MARKS, {})[id(transaction)] = len(session.info.get(PENDING, []))


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    # (SQLAlchemy ends the savepoint before it reports the rollback: the mark is still here)
    mark = session.info.get(MARKS, {}).pop(id(previous), None) if previous.nested else None
    if mark is not None and PENDING in session.info:
        del session.info[PENDING][mark:]  # what the rolled-back savepoint announced never happened


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # the root transaction ended: whatever a commit did not deliver is dropped (rollback, close)
        session.info.pop(PENDING, None)
        session.info.pop(MARKS, None)


def register() -> None:
    """Wire the handlers and the commit hooks (idempotent; every entry point that writes calls it)."""
    domain_events.subscribe(PlanChanged, on_plan_changed)
    domain_events.subscribe(RunProgressed, on_run_progressed)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_create", _after_transaction_create)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
