"""The month-end billing run: fees prorated by hand, usage from readings, billable items, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.models import BillableItem, BillingRun, Invoice, InvoiceLine, UsageBaseline, UsagePeriod
from contracts.services.billing_run import RunOptions, execute_run, run_billing, start_run
from contracts.tax_defaults import OUTSIDE_EU
from core.db import session_scope
from core.errors import Conflict, Invalid
from tests.integration.billing_fixtures import (
    ACTOR,
    AT_MONTH_END,
    BILLING,
    NOV,
    bill_to_parent,
    billable_item,
    contract,
    count_lines,
    customer,
    invoices_of,
    issue_directly,
    key_counts,
    lines_of,
    metered_unit,
    reading,
    suspension,
    utc,
)

D = Decimal
Sessions = async_sessionmaker[AsyncSession]


async def bill(sessions: Sessions, period: str = NOV, **options: object) -> BillingRun:
    return await run_billing(sessions, ACTOR, period, BILLING, clock=AT_MONTH_END, options=RunOptions(**options))  # type: ignore[arg-type]


async def test_november_fees_are_prorated_as_worked_by_hand(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        # Starts mid-month, monthly in advance: 16–30 Nov = 15 of 30 days of 300.00.
        await contract(s, acme, "SC-1", fee="300.00", starts_on=dt.date(2026, 11, 16), ends_on=dt.date(2027, 11, 15))
        # Quarterly in arrears, Sep–Nov (91 days), suspended 1–10 Oct: 81/91 × 900.00 = 801.0989… → 801.10.
        quarterly = await contract(
            s, acme, "SC-2", fee="900.00", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 8, 31),
            period="quarterly", timing="in_arrears",
        )  # fmt: skip
        await suspension(s, quarterly.id, dt.date(2026, 10, 1), dt.date(2026, 10, 11))
        # Yearly in advance from 1 Nov: the whole year now.
        await contract(
            s,
            acme,
            "SC-3",
            fee="1200.00",
            starts_on=dt.date(2026, 11, 1),
            ends_on=dt.date(2027, 10, 31),
            period="yearly",
        )
        # Monthly in arrears, terminated on 20 Nov: 20/30 × 310.00 = 206.666… → 206.67.
        await contract(
            s, acme, "SC-4", fee="310.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
            timing="in_arrears", status="terminated", terminated_on=dt.date(2026, 11, 20),
        )  # fmt: skip
        # Nothing this month: starts in December; a draft contract.
        await contract(s, acme, "SC-5", fee="50.00", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2027, 11, 30))
        await contract(
            s, acme, "SC-6", fee="50.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31), status="draft"
        )

    run = await bill(sessions)

    assert run.status == "completed" and run.fee_lines == 4 and run.invoices_created == 1
    [invoice] = await invoices_of(sessions, acme)
    lines = await lines_of(sessions, invoice.id)
    assert [(line.reference, line.net_amount, line.tax_amount) for line in lines] == [
        ("SC-1", D("150.00"), D("28.50")),
        ("SC-2", D("801.10"), D("152.21")),
        ("SC-3", D("1200.00"), D("228.00")),
        ("SC-4", D("206.67"), D("39.27")),
    ]
    assert [(line.service_from, line.service_to) for line in lines] == [
        (dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        (dt.date(2026, 9, 1), dt.date(2026, 11, 30)),
        (dt.date(2026, 11, 1), dt.date(2027, 10, 31)),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 20)),
    ]
    assert lines[1].details["charged_days"] == 81 and lines[1].details["suspended_days"] == 10
    assert (invoice.status, invoice.billing_period, invoice.number) == ("draft", NOV, None)
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (D("2357.77"), D("447.98"), D("2805.75"))
    assert run.totals == {"EUR": {"net": "2357.77", "tax": "447.98", "gross": "2805.75"}}


async def test_usage_is_charged_above_the_included_volume_and_each_reading_counts_once(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        metered = await contract(
            s, acme, "SC-10", fee="0.00", starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2027, 10, 31),
            timing="in_arrears", usage=("pages", "1000", "0.02"),
        )  # fmt: skip
        counter = await metered_unit(s, metered)
        await reading(s, counter, "10000", utc(2026, 11, 2))
        await reading(s, counter, "12500", utc(2026, 11, 30, 18))
        await reading(s, counter, "12600", utc(2026, 12, 1, 0))  # December's: not billed in November

    november = await bill(sessions)
    async with session_scope(sessions) as s:
        await reading(s, counter, "13000", utc(2026, 12, 30))
    december = await bill(sessions, "2026-12")
    async with session_scope(sessions) as s:
        await reading(s, counter, "15000", utc(2027, 1, 29))
    january = await bill(sessions, "2027-01")

    # Nov: 12500 − 10000 = 2500 used, 1000 included → 1500 × 0.02 = 30.00 (no fee line: the fee is 0).
    # Dec: 13000 − 12500 = 500 used < 1000 included → no line, but the period is recorded.
    # Jan: 15000 − 13000 = 2000 used → 1000 × 0.02 = 20.00.
    assert (november.usage_lines, november.fee_lines, december.usage_lines, january.usage_lines) == (1, 0, 0, 1)
    invoices = await invoices_of(sessions, acme)
    amounts = [
        [(line.source, line.net_amount, line.quantity) for line in await lines_of(sessions, i.id)] for i in invoices
    ]
    assert amounts == [[("usage", D("30.00"), D("1500.000"))], [("usage", D("20.00"), D("1000.000"))]]
    async with sessions() as s:
        periods = (await s.scalars(select(UsagePeriod).order_by(UsagePeriod.period_start))).all()
        baseline = await s.scalar(select(UsageBaseline))
    assert [(p.period_start.month, p.used_volume, p.billable_volume) for p in periods] == [
        (11, D("2500.000"), D("1500.000")),
        (12, D("500.000"), D("0.000")),
        (1, D("2000.000"), D("1000.000")),
    ]
    assert baseline is not None and baseline.value == D("15000.000")


async def test_billable_items_are_billed_once_covered_ones_closed_and_currencies_kept_apart(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        labour = await billable_item(s, acme, "WO-000001", amount="245.00", quantity="2.5", unit_price="98.00")
        covered = await billable_item(s, acme, "WO-000002", amount="0.00", unit_price="120.00", coverage="100")
        december = await billable_item(s, acme, "WO-000003", amount="80.00", service_date=dt.date(2026, 12, 2))
        dollars = await billable_item(s, acme, "WO-000004", amount="99.99", currency="USD")

    run = await bill(sessions)

    assert (run.item_lines, run.invoices_created) == (2, 2)
    by_currency = {i.currency: i for i in await invoices_of(sessions, acme)}
    eur_lines = await lines_of(sessions, by_currency["EUR"].id)
    assert [(line.reference, line.quantity, line.unit_price, line.net_amount) for line in eur_lines] == [
        ("WO-000001", D("2.500"), D("98.000000"), D("245.00"))
    ]
    assert by_currency["USD"].gross_amount == D("118.99")  # 99.99 + 19.00 (18.9981 → 19.00)
    async with sessions() as s:
        status = dict((await s.execute(select(BillableItem.id, BillableItem.status))).tuples().all())
    assert status == {labour: "billed", covered: "billed", december: "open", dollars: "billed"}


async def test_a_rerun_bills_only_what_came_in_since_into_the_same_draft(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        await contract(s, acme, "SC-1", fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    first = await bill(sessions)
    again = await bill(sessions)
    async with session_scope(sessions) as s:
        await billable_item(s, acme, "WO-000009", amount="50.00")
    later = await bill(sessions)
    [draft] = await invoices_of(sessions, acme)
    await issue_directly(sessions, draft.id, "INV-000001")
    async with session_scope(sessions) as s:
        await billable_item(s, acme, "WO-000010", amount="10.00")
    after_issue = await bill(sessions)

    assert (first.fee_lines, again.fee_lines, again.item_lines, again.invoices_created) == (1, 0, 0, 0)
    assert (later.item_lines, later.invoices_created, later.invoices_updated) == (1, 0, 1)
    issued, fresh = sorted(await invoices_of(sessions, acme), key=lambda invoice: invoice.status != "issued")
    assert [line.net_amount for line in await lines_of(sessions, issued.id)] == [D("100.00"), D("50.00")]
    assert (issued.net_amount, issued.tax_amount, issued.gross_amount) == (D("150.00"), D("28.50"), D("178.50"))
    assert (after_issue.invoices_created, fresh.status, fresh.gross_amount) == (1, "draft", D("11.90"))
    assert set((await key_counts(sessions)).values()) == {1}


async def test_invoices_go_to_the_bill_to_and_are_taxed_by_its_country(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        parent = await customer(s, "C-PARENT")
        child = await customer(s, "C-CHILD")
        await bill_to_parent(s, child, parent)
        abroad = await customer(s, "C-US", country="US")
        for number, owner in (("SC-1", child), ("SC-2", parent), ("SC-3", abroad)):
            await contract(s, owner, number, fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))

    run = await bill(sessions)

    assert run.invoices_created == 2 and await invoices_of(sessions, child) == []
    [to_parent] = await invoices_of(sessions, parent)
    assert sorted(line.reference or "" for line in await lines_of(sessions, to_parent.id)) == ["SC-1", "SC-2"]
    [export] = await invoices_of(sessions, abroad)
    [line] = await lines_of(sessions, export.id)
    assert (line.tax_rate, line.tax_amount, export.gross_amount) == (D("0.00"), D("0.00"), D("100.00"))
    assert line.tax_exemption_reason == OUTSIDE_EU.format(seller="DE")


async def test_a_second_run_while_one_is_alive_is_refused_and_a_dead_one_is_taken_over(sessions: Sessions) -> None:
    alive = await start_run(sessions, ACTOR, NOV, clock=AT_MONTH_END)
    with pytest.raises(Conflict) as refused:
        await start_run(sessions, ACTOR, NOV, clock=AT_MONTH_END)
    later = type(AT_MONTH_END)(AT_MONTH_END.now() + dt.timedelta(minutes=5))
    takeover = await start_run(sessions, ACTOR, NOV, clock=later)

    assert refused.value.code == "billing_run_in_progress"
    async with sessions() as s:
        statuses = dict((await s.execute(select(BillingRun.id, BillingRun.status))).tuples().all())
    assert statuses == {alive.id: "abandoned", takeover.id: "running"}
    with pytest.raises(Invalid) as bad:
        await start_run(sessions, ACTOR, "2026-13", clock=later)
    assert (bad.value.code, bad.value.field) == ("invalid_billing_period", "period")


async def test_the_database_refuses_a_second_line_for_the_same_source(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        acme = await customer(s, "C-ACME")
        await contract(s, acme, "SC-1", fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    await bill(sessions)
    [invoice] = await invoices_of(sessions, acme)
    [line] = await lines_of(sessions, invoice.id)

    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with session_scope(sessions) as s:
            s.add(
                InvoiceLine(
                    invoice_id=invoice.id, position=2, source="contract_fee", source_key=line.source_key,
                    description="again", quantity=D(1), unit="period", unit_price=D(100), net_amount=D(100),
                    tax_rate=D(19), tax_amount=D(19), details={},
                )
            )  # fmt: skip
            await s.flush()


@pytest.mark.postgres_only
async def test_two_runs_writing_at_the_same_time_bill_everything_exactly_once(sessions: Sessions) -> None:
    async with session_scope(sessions) as s:
        for n in range(12):
            owner = await customer(s, f"C-{n:03d}")
            await contract(
                s, owner, f"SC-{n:03d}", fee="100.00", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31)
            )
            await billable_item(s, owner, f"WO-{n:03d}", amount="10.00")
    # The one-running lock is bypassed on purpose: two run records executing side by side, as if
    # it had failed. Only the unique keys in the database stand between them and double billing.
    first = await start_run(sessions, ACTOR, NOV, clock=AT_MONTH_END)
    async with session_scope(sessions) as s:
        twin = BillingRun(
            period=NOV, status="completed", started_by="test", started_at=AT_MONTH_END.now(),
            heartbeat_at=AT_MONTH_END.now(), totals={},
        )  # fmt: skip
        s.add(twin)

    results = await asyncio.gather(
        execute_run(sessions, first.id, BILLING, clock=AT_MONTH_END, options=RunOptions(chunk_size=2)),
        execute_run(sessions, twin.id, BILLING, clock=AT_MONTH_END, options=RunOptions(chunk_size=3)),
        return_exceptions=True,
    )

    assert all(isinstance(result, BillingRun) for result in results), results
    counts = await key_counts(sessions)
    assert len(counts) == 24 and set(counts.values()) == {1}
    async with sessions() as s:
        invoices = await s.scalar(select(func.count()).select_from(Invoice))
        gross = await s.scalar(select(func.sum(Invoice.gross_amount)))
    assert invoices == 12 and gross == D("1570.80")  # 12 × 110.00 × 1.19
    assert await count_lines(sessions) == 24
