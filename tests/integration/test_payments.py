"""Recording payments: full, partial, over-payment as credit, later allocation, refusals that write nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import Invoice, Payment, PaymentAllocation
from contracts.services import payments
from contracts.services.payments import AllocationIn, AllocationsCreate, PaymentCreate
from core.audit import audit_log
from core.auth import Principal, Role
from core.clock import FixedClock
from core.db import session_scope
from core.errors import Conflict, DomainError, Invalid, NotFound
from core.listing import PageRequest
from core.numbering import peek
from masterdata.services.visibility import CustomerScope
from tests.integration.receivable_fixtures import customer, issued_invoice

CLOCK = FixedClock(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
CARLA = Principal(user_id=UUID("00000000-0000-0000-0000-0000000000ca"), username="carla", role=Role.CONTRACT_ADMIN)


def paid(customer_id: UUID, amount: str, *, on: dt.date = dt.date(2026, 11, 10), **extra: Any) -> PaymentCreate:
    return PaymentCreate(customer_id=customer_id, amount=Decimal(amount), currency="EUR", received_on=on, **extra)


async def record(session: AsyncSession, data: PaymentCreate) -> payments.PaymentView:
    return await payments.record_payment(session, CARLA, data, clock=CLOCK)


async def test_a_payment_of_the_full_amount_settles_the_invoice_on_the_day_the_money_arrived(
    session: AsyncSession,
) -> None:
    acme = await customer(session)
    invoice = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 10, 1))

    view = await record(
        session,
        paid(
            acme,
            "119.00",
            reference="ACME remittance 4711",
            allocations=[AllocationIn(invoice_id=invoice.id, amount=Decimal("119.00"))],
        ),
    )

    assert (view.payment.number, view.payment.allocated_amount, view.unallocated_amount) == (
        "PAY-000001",
        Decimal("119.00"),
        Decimal("0.00"),
    )
    assert (invoice.status, invoice.settled_amount, invoice.paid_on) == (
        "paid",
        Decimal("119.00"),
        dt.date(2026, 11, 10),
    )
    assert [(a.invoice_number, a.allocation.amount, a.allocation.allocated_on) for a in view.allocations] == [
        (invoice.number, Decimal("119.00"), dt.date(2026, 11, 10))
    ]
    actions = (
        await session.execute(
            select(audit_log.c.action, audit_log.c.actor_name)
            .where(audit_log.c.entity == "payment")
            .order_by(audit_log.c.id)
        )
    ).all()
    assert [tuple(a) for a in actions] == [("create", "carla"), ("allocate", "carla")]


async def test_without_allocations_the_oldest_due_invoice_is_paid_first_and_the_next_partly(
    session: AsyncSession,
) -> None:
    acme = await customer(session)
    newer = await issued_invoice(session, acme, "200.00", issued_on=dt.date(2026, 10, 15))  # 238.00, due 14 Nov
    older = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 9, 20))  # 119.00, due 20 Oct
    other_currency = await issued_invoice(session, acme, "50.00", issued_on=dt.date(2026, 9, 1), currency="USD")

    view = await record(session, paid(acme, "200.00"))

    assert [(a.invoice_number, a.allocation.amount) for a in view.allocations] == [
        (older.number, Decimal("119.00")),
        (newer.number, Decimal("81.00")),
    ]
    assert (older.status, older.settled_amount) == ("paid", Decimal("119.00"))
    assert (newer.status, newer.settled_amount, newer.paid_on) == ("partially_paid", Decimal("81.00"), None)
    assert (other_currency.status, other_currency.settled_amount) == ("issued", Decimal("0.00"))
    assert view.unallocated_amount == Decimal("0.00")


async def test_an_over_payment_stays_as_credit_and_is_allocated_to_the_next_invoice_later(
    session: AsyncSession,
) -> None:
    acme = await customer(session)
    first = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 10, 1))
    view = await record(session, paid(acme, "500.00", on=dt.date(2026, 10, 20)))
    assert (view.payment.allocated_amount, view.unallocated_amount) == (Decimal("119.00"), Decimal("381.00"))
    assert first.status == "paid"

    later = await issued_invoice(session, acme, "200.00", issued_on=dt.date(2026, 11, 2))  # 238.00
    again = await payments.allocate_payment(session, CARLA, view.payment.id, AllocationsCreate())

    assert (again.payment.allocated_amount, again.unallocated_amount) == (Decimal("357.00"), Decimal("143.00"))
    # The money was there before the invoice: it counts as paid the day it was issued.
    assert (later.status, later.paid_on) == ("paid", dt.date(2026, 11, 2))
    assert [a.allocation.allocated_on for a in again.allocations] == [dt.date(2026, 10, 20), dt.date(2026, 11, 2)]
    with pytest.raises(Invalid) as nothing:
        await payments.allocate_payment(session, CARLA, view.payment.id, AllocationsCreate())
    assert nothing.value.code == "nothing_to_allocate"


async def test_an_explicit_partial_allocation_leaves_the_invoice_partially_paid_and_the_rest_as_credit(
    session: AsyncSession,
) -> None:
    acme = await customer(session)
    invoice = await issued_invoice(session, acme, "1000.00", issued_on=dt.date(2026, 10, 1))  # 1190.00

    view = await record(
        session, paid(acme, "600.00", allocations=[AllocationIn(invoice_id=invoice.id, amount=Decimal("400.00"))])
    )

    assert (invoice.status, invoice.settled_amount) == ("partially_paid", Decimal("400.00"))
    assert view.unallocated_amount == Decimal("200.00")
    rest = await payments.allocate_payment(
        session,
        CARLA,
        view.payment.id,
        AllocationsCreate(allocations=[AllocationIn(invoice_id=invoice.id, amount=Decimal("200.00"))]),
    )
    assert (invoice.status, invoice.settled_amount, rest.unallocated_amount) == (
        "partially_paid",
        Decimal("600.00"),
        Decimal("0.00"),
    )
    with pytest.raises(Invalid) as spent:
        await payments.allocate_payment(session, CARLA, view.payment.id, AllocationsCreate())
    assert spent.value.code == "allocation_exceeds_payment"


async def refused(sessions: async_sessionmaker[AsyncSession], data_of: Any) -> DomainError:
    """Run a payment in a transaction of its own that the refusal rolls back, like a request."""
    with pytest.raises(DomainError) as caught:
        async with session_scope(sessions) as s:
            await record(s, await data_of(s))
    return caught.value


async def test_refused_payments_leave_nothing_behind_not_even_a_number(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s)
        globex = await customer(s, "Globex")
        acme_eur = await issued_invoice(s, acme, "100.00", issued_on=dt.date(2026, 10, 1))  # 119.00
        acme_usd = await issued_invoice(s, acme, "100.00", issued_on=dt.date(2026, 10, 1), currency="USD")
        globex_eur = await issued_invoice(s, globex, "100.00", issued_on=dt.date(2026, 10, 1))

    def allocating(*pairs: tuple[UUID, str], amount: str = "300.00") -> Any:
        async def data(_: AsyncSession) -> PaymentCreate:
            wanted = [AllocationIn(invoice_id=i, amount=Decimal(a)) for i, a in pairs]
            return paid(acme, amount, allocations=wanted)

        return data

    currency = await refused(sessions, allocating((acme_eur.id, "19.00"), (acme_usd.id, "10.00")))
    foreign = await refused(sessions, allocating((globex_eur.id, "10.00")))
    above_open = await refused(sessions, allocating((acme_eur.id, "120.00")))
    above_payment = await refused(sessions, allocating((acme_eur.id, "119.00"), amount="100.00"))
    unknown = await refused(sessions, allocating((UUID(int=7), "1.00")))

    assert (currency.code, currency.field) == ("currency_mismatch", "allocations[1].invoice_id")
    assert (foreign.code, foreign.field) == ("customer_mismatch", "allocations[0].invoice_id")
    assert (above_open.code, above_open.field) == ("allocation_exceeds_open", "allocations[0].amount")
    assert (above_payment.code, above_payment.field) == ("allocation_exceeds_payment", "allocations")
    assert isinstance(unknown, NotFound) and unknown.field == "allocations[0].invoice_id"
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Payment)) == 0
        assert await s.scalar(select(func.count()).select_from(PaymentAllocation)) == 0
        assert (await s.get(Invoice, acme_eur.id)).settled_amount == Decimal("0.00")  # type: ignore[union-attr]
        assert await peek(s, "payment") == 0
    async with session_scope(sessions) as s:
        assert (await record(s, paid(acme, "10.00"))).payment.number == "PAY-000001"


@pytest.mark.parametrize(
    ("amount", "received_on", "code", "field"),
    [
        ("0.00", dt.date(2026, 11, 1), "invalid_amount", "amount"),
        ("-5.00", dt.date(2026, 11, 1), "invalid_amount", "amount"),
        ("10.005", dt.date(2026, 11, 1), "invalid_amount", "amount"),
        ("10.00", dt.date(2026, 11, 21), "received_in_future", "received_on"),
    ],
)
async def test_bad_amounts_and_future_dates_are_refused(
    session: AsyncSession, amount: str, received_on: dt.date, code: str, field: str
) -> None:
    acme = await customer(session)
    with pytest.raises(Invalid) as caught:
        await record(session, paid(acme, amount, on=received_on))
    assert (caught.value.code, caught.value.field) == (code, field)


async def test_a_paid_or_draft_invoice_takes_no_payment(session: AsyncSession) -> None:
    acme = await customer(session)
    invoice = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 10, 1))
    await record(session, paid(acme, "119.00"))

    with pytest.raises(Conflict) as caught:
        await record(
            session, paid(acme, "5.00", allocations=[AllocationIn(invoice_id=invoice.id, amount=Decimal("5.00"))])
        )
    assert caught.value.code == "invoice_not_editable"


async def test_customers_see_only_their_own_payments(session: AsyncSession) -> None:
    acme = await customer(session)
    globex = await customer(session, "Globex")
    mine = await record(session, paid(acme, "10.00"))
    theirs = await record(session, paid(globex, "20.00", on=dt.date(2026, 11, 12)))

    everything = await payments.list_payments(
        session, payments.PaymentFilter(), PageRequest(), scope=CustomerScope.everyone()
    )
    own = await payments.list_payments(
        session, payments.PaymentFilter(), PageRequest(), scope=CustomerScope.only({acme})
    )
    credit = await payments.list_payments(
        session, payments.PaymentFilter(unallocated=True), PageRequest(), scope=CustomerScope.everyone()
    )

    assert [v.payment.number for v in everything.items] == [theirs.payment.number, mine.payment.number]
    assert [v.payment.number for v in own.items] == [mine.payment.number]
    assert credit.total == 2
    assert (
        await payments.get_payment(session, mine.payment.id, scope=CustomerScope.only({acme}))
    ).payment.amount == Decimal("10.00")
    with pytest.raises(NotFound):
        await payments.get_payment(session, theirs.payment.id, scope=CustomerScope.only({acme}))


@pytest.mark.postgres_only
async def test_two_payments_at_once_never_settle_an_invoice_twice(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s)
        invoice = await issued_invoice(s, acme, "100.00", issued_on=dt.date(2026, 10, 1))  # 119.00
        second = await issued_invoice(s, acme, "50.00", issued_on=dt.date(2026, 10, 5))  # 59.50

    async def pay() -> payments.PaymentView:
        async with session_scope(sessions) as s:
            return await record(s, paid(acme, "119.00"))

    views = await asyncio.gather(*(pay() for _ in range(4)))

    async with sessions() as s:
        first_row = await s.get(Invoice, invoice.id)
        second_row = await s.get(Invoice, second.id)
        assert first_row is not None and second_row is not None
        assert (first_row.status, first_row.settled_amount) == ("paid", Decimal("119.00"))
        assert (second_row.status, second_row.settled_amount) == ("paid", Decimal("59.50"))
        settled = await s.scalar(select(func.sum(PaymentAllocation.amount)))
    assert settled == Decimal("178.50")
    assert sum((v.unallocated_amount for v in views), Decimal(0)) == Decimal("4") * Decimal("119.00") - Decimal(
        "178.50"
    )
    assert sorted(v.payment.number for v in views) == ["PAY-000001", "PAY-000002", "PAY-000003", "PAY-000004"]


async def test_explicit_allocations_come_first_and_auto_allocate_spreads_the_rest(session: AsyncSession) -> None:
    acme = await customer(session)
    oldest = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 9, 1))  # 119.00
    middle = await issued_invoice(session, acme, "100.00", issued_on=dt.date(2026, 9, 15))  # 119.00
    newest = await issued_invoice(session, acme, "200.00", issued_on=dt.date(2026, 10, 1))  # 238.00

    view = await record(
        session,
        paid(
            acme,
            "400.00",
            allocations=[AllocationIn(invoice_id=newest.id, amount=Decimal("238.00"))],
            auto_allocate=True,
        ),
    )

    assert [(a.invoice_number, a.allocation.amount) for a in view.allocations] == [
        (newest.number, Decimal("238.00")),
        (oldest.number, Decimal("119.00")),
        (middle.number, Decimal("43.00")),
    ]
    assert (oldest.status, middle.status, newest.status) == ("paid", "partially_paid", "paid")
