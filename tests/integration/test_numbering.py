"""Human-readable numbers: consecutive, never handed out twice, even under concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import session_scope
from core.numbering import format_number, next_number, next_numbers


def test_numbers_are_zero_padded_with_their_prefix() -> None:
    assert format_number("C", 1) == "C-000001"
    assert format_number("SR", 1234567) == "SR-1234567"


async def test_numbers_are_consecutive_per_series(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        customers = [await next_number(session, "customer") for _ in range(3)]
        engineer = await next_number(session, "engineer")
        batch = await next_numbers(session, "customer", 2)

    assert customers == ["C-000001", "C-000002", "C-000003"]
    assert engineer == "E-000001"
    assert batch == ["C-000004", "C-000005"]


async def test_a_rolled_back_number_is_handed_out_again(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        assert await next_number(session, "customer") == "C-000001"
    with pytest.raises(RuntimeError):
        async with session_scope(sessions) as session:
            assert await next_number(session, "customer") == "C-000002"
            raise RuntimeError("rolled back")
    async with session_scope(sessions) as session:
        assert await next_number(session, "customer") == "C-000002"


@pytest.mark.postgres_only
async def test_concurrent_transactions_never_share_a_number(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as session:
        await next_number(session, "customer")  # the series exists

    async def take() -> str:
        async with session_scope(sessions) as session:
            number = await next_number(session, "customer")
            await asyncio.sleep(0.01)  # hold the row lock a little, so transactions overlap
            return number

    numbers = await asyncio.gather(*(take() for _ in range(20)))

    assert sorted(numbers) == [f"C-{n:06d}" for n in range(2, 22)]
