"""The audit log records who changed what, in the same transaction, and cannot be rewritten."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import audit_log
from core.auth import Principal, Role
from core.db import session_scope
from masterdata.services.customers import CustomerCreate, CustomerUpdate, create_customer, update_customer

ALICE = Principal(user_id=uuid.uuid4(), username="alice", role=Role.AGENT)


async def test_changes_are_audited_with_before_and_after(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        customer = await create_customer(session, ALICE, CustomerCreate(name="ACME"))
        await update_customer(session, ALICE, customer.id, CustomerUpdate(version=1, name="ACME Print"))

    async with sessions() as session:
        rows = (await session.execute(select(audit_log).order_by(audit_log.c.id))).mappings().all()

    assert [(r["entity"], r["action"], r["actor_name"]) for r in rows] == [
        ("customer", "create", "alice"),
        ("customer", "update", "alice"),
    ]
    assert rows[0]["after"]["name"] == "ACME"
    assert rows[1]["before"] == {"name": "ACME", "version": 1}
    assert rows[1]["after"] == {"name": "ACME Print", "version": 2}


async def test_a_rolled_back_change_leaves_no_audit_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(RuntimeError):
        async with session_scope(sessions) as session:
            await create_customer(session, ALICE, CustomerCreate(name="Never"))
            raise RuntimeError("the request failed after the change")

    async with sessions() as session:
        assert (await session.execute(select(audit_log))).first() is None


@pytest.mark.parametrize("statement", ["update", "delete"])
async def test_the_audit_log_is_append_only(sessions: async_sessionmaker[AsyncSession], statement: str) -> None:
    async with session_scope(sessions) as session:
        await create_customer(session, ALICE, CustomerCreate(name="ACME"))

    tamper = update(audit_log).values(actor_name="mallory") if statement == "update" else delete(audit_log)
    with pytest.raises(DBAPIError, match="append-only"):
        async with session_scope(sessions) as session:
            await session.execute(tamper)
