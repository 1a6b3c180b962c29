"""Month-end bulk issue: the contract administrator issues a month's reviewed drafts at once.

Numbers follow the customers, each invoice is issued exactly as by hand (dates, bill-to, one
outbox message), a re-run issues nothing, and a crash in the middle leaves whole chunks."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import contracts.services.invoice_bulk_issue as bulk
from api.cli import main
from contracts.models import BillingRun, Invoice
from contracts.services.billing_run import RunOptions, run_billing
from contracts.services.invoice_bulk_issue import BulkIssueResult, issue_drafts
from contracts.services.invoice_issue import issue_invoice as real_issue
from contracts.services.invoice_issue import issue_locked_draft
from contracts.services.invoices import InvoiceIssue
from core.clock import FixedClock
from core.db import session_scope
from core.errors import Conflict, Invalid
from core.outbox import OutboxMessage
from tests.integration.billing_fixtures import ACTOR, AT_MONTH_END, BILLING, NOV, contract, customer

D = Decimal
Sessions = async_sessionmaker[AsyncSession]
ON_DECEMBER_1 = FixedClock(dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC))
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


async def customers_with_fees(sessions: Sessions, fees: dict[str, str]) -> dict[str, UUID]:
    """One customer per number with a monthly contract in advance of that fee (19 % tax)."""
    ids: dict[str, UUID] = {}
    async with session_scope(sessions) as s:
        for number, fee in fees.items():
            ids[number] = await customer(s, number)
            await contract(s, ids[number], f"SC-{number}", fee=fee, starts_on=YEAR[0], ends_on=YEAR[1])
    return ids


async def bill_november(sessions: Sessions) -> None:
    run = await run_billing(sessions, ACTOR, NOV, BILLING, clock=AT_MONTH_END, options=RunOptions(chunk_size=2))
    assert run.status == "completed"


async def issue(sessions: Sessions, **kwargs: Any) -> BulkIssueResult:
    return await issue_drafts(sessions, ACTOR, NOV, BILLING, clock=ON_DECEMBER_1, **kwargs)


async def by_customer(sessions: Sessions) -> dict[UUID, Invoice]:
    async with sessions() as s:
        return {invoice.customer_id: invoice for invoice in (await s.scalars(select(Invoice))).all()}


async def test_a_months_drafts_are_issued_with_numbers_in_customer_order(sessions: Sessions) -> None:
    # Created out of number order: the run writes drafts in id order, the numbers follow the customers.
    ids = await customers_with_fees(sessions, {"C-300": "300.00", "C-100": "100.00", "C-200": "200.00"})
    await bill_november(sessions)
    seen: list[tuple[int, int]] = []

    result = await issue(sessions, chunk_size=2, progress=lambda done, total: seen.append((done, total)))

    assert (result.drafts, result.issued, result.skipped, result.empty) == (3, 3, 0, 0)
    assert (result.first_number, result.last_number) == ("INV-000001", "INV-000003")
    totals = result.totals["EUR"]
    assert (totals.invoices, totals.net, totals.tax, totals.gross) == (3, D("600.00"), D("114.00"), D("714.00"))
    assert seen == [(0, 3), (2, 3), (3, 3)]
    invoices = await by_customer(sessions)
    assert [(invoices[ids[n]].number, invoices[ids[n]].gross_amount) for n in ("C-100", "C-200", "C-300")] == [
        ("INV-000001", D("119.00")),
        ("INV-000002", D("238.00")),
        ("INV-000003", D("357.00")),
    ]
    # Issued exactly as by hand: dates from the terms, bill-to frozen, payment reference, no draft key.
    first = invoices[ids["C-100"]]
    assert (first.status, first.issued_on, first.due_on, first.payment_reference) == (
        "issued",
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
        "INV-000001",
    )
    assert (first.bill_to["customer_number"], first.open_draft_key, first.issued_by) == ("C-100", None, ACTOR.username)
    async with sessions() as s:
        messages = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.subject))).all()
    assert [(m.kind, m.subject, m.recipient) for m in messages] == [
        ("invoice_document", "Invoice INV-000001", "C-100@x.test"),
        ("invoice_document", "Invoice INV-000002", "C-200@x.test"),
        ("invoice_document", "Invoice INV-000003", "C-300@x.test"),
    ]


async def test_a_rerun_issues_nothing_and_only_the_months_run_drafts_are_issued(sessions: Sessions) -> None:
    ids = await customers_with_fees(sessions, {"C-001": "100.00", "C-002": "50.00"})
    await bill_november(sessions)
    async with session_scope(sessions) as s:
        # Another month's draft and an empty one of November stay drafts.
        s.add(Invoice(customer_id=ids["C-001"], currency="EUR", billing_period="2026-10", bill_to={}))
        s.add(Invoice(customer_id=ids["C-002"], currency="USD", billing_period=NOV, bill_to={}))

    first = await issue(sessions)
    again = await issue(sessions)

    assert (first.drafts, first.issued, first.empty) == (2, 2, 1)
    assert (again.drafts, again.issued, again.skipped, again.empty, again.totals) == (0, 0, 0, 1, {})
    async with sessions() as s:
        statuses = (await s.execute(select(Invoice.billing_period, Invoice.status, func.count()).group_by(
            Invoice.billing_period, Invoice.status
        ))).tuples().all()  # fmt: skip
        messages = await s.scalar(select(func.count()).select_from(OutboxMessage))
    assert sorted(statuses) == [("2026-10", "draft", 1), (NOV, "draft", 1), (NOV, "issued", 2)]
    assert messages == 2  # one per issued invoice, none for the re-run


async def test_a_crash_in_the_middle_leaves_whole_chunks_and_a_rerun_closes_the_gap(
    sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await customers_with_fees(sessions, {f"C-{n:03d}": "10.00" for n in range(1, 6)})
    await bill_november(sessions)
    fourth = (await by_customer(sessions))[ids["C-004"]].id

    async def crash_at_the_fourth(session: AsyncSession, actor: Any, invoice: Any, *args: Any, **kw: Any) -> Any:
        if invoice.id == fourth:
            raise RuntimeError("killed")
        return await issue_locked_draft(session, actor, invoice, *args, **kw)

    monkeypatch.setattr(bulk, "issue_locked_draft", crash_at_the_fourth)
    with pytest.raises(RuntimeError):
        await issue(sessions, chunk_size=2)
    invoices = await by_customer(sessions)
    # Chunk 1 (C-001, C-002) committed; chunk 2 (C-003 issued, C-004 crashed) rolled back whole.
    assert [invoices[ids[f"C-{n:03d}"]].number for n in range(1, 6)] == ["INV-000001", "INV-000002", None, None, None]

    monkeypatch.setattr(bulk, "issue_locked_draft", issue_locked_draft)
    rerun = await issue(sessions, chunk_size=2)

    assert (rerun.drafts, rerun.issued, rerun.first_number, rerun.last_number) == (3, 3, "INV-000003", "INV-000005")
    invoices = await by_customer(sessions)
    assert [invoices[ids[f"C-{n:03d}"]].number for n in range(1, 6)] == [f"INV-00000{n}" for n in range(1, 6)]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 5


async def test_refused_while_the_months_run_is_still_adding_and_for_a_bad_period(sessions: Sessions) -> None:
    now = ON_DECEMBER_1.now()
    async with session_scope(sessions) as s:
        s.add(BillingRun(period=NOV, status="running", running_lock="billing", started_by="t", started_at=now,
                         heartbeat_at=now - dt.timedelta(seconds=30), totals={}))  # fmt: skip

    with pytest.raises(Conflict) as busy:
        await issue(sessions)
    with pytest.raises(Invalid) as bad:
        await issue_drafts(sessions, ACTOR, "2026-13", BILLING, clock=ON_DECEMBER_1)

    assert busy.value.code == "billing_run_in_progress"
    assert (bad.value.code, bad.value.field) == ("invalid_billing_period", "period")
    # A run that stopped sending heartbeats is dead: it adds nothing more, issuing may go on.
    async with session_scope(sessions) as s:
        run = await s.scalar(select(BillingRun))
        assert run is not None
        run.heartbeat_at = now - dt.timedelta(minutes=10)
    assert (await issue(sessions)).issued == 0


async def test_the_command_line_issues_the_month_and_refuses_a_bad_period(
    sessions: Sessions, database_url: str
) -> None:
    await customers_with_fees(sessions, {"C-001": "100.00", "C-002": "10.00"})
    await bill_november(sessions)

    def cli(*args: str) -> Any:
        return CliRunner().invoke(
            main, ["billing", "issue", *args], env={"DATABASE_URL": database_url, "SECRET_KEY": "cli-test-" + "x" * 40}
        )

    done = await asyncio.to_thread(cli, "--period", NOV)
    bad = await asyncio.to_thread(cli, "--period", "2026-13")

    assert done.exit_code == 0, done.output
    assert '"issued": 2' in done.output and '"last_number": "INV-000002"' in done.output
    assert '"gross": "130.90"' in done.output  # 119.00 + 11.90
    assert bad.exit_code == 2 and "not a billing month" in bad.output


@pytest.mark.postgres_only
async def test_two_bulk_issues_at_once_issue_each_draft_once_without_gaps(sessions: Sessions) -> None:
    ids = await customers_with_fees(sessions, {f"C-{n:03d}": "10.00" for n in range(1, 13)})
    await bill_november(sessions)

    results = await asyncio.gather(issue(sessions, chunk_size=2), issue(sessions, chunk_size=3))

    assert sum(r.issued for r in results) == 12
    assert sum(r.issued + r.skipped for r in results) == 24
    invoices = await by_customer(sessions)
    assert sorted(invoice.number or "" for invoice in invoices.values()) == [f"INV-{n:06d}" for n in range(1, 13)]
    # Both went in customer order, so the numbers still follow the customers.
    assert [invoices[ids[f"C-{n:03d}"]].number for n in range(1, 13)] == [f"INV-{n:06d}" for n in range(1, 13)]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 12


@pytest.mark.postgres_only
async def test_single_issues_during_a_bulk_issue_neither_deadlock_nor_double_issue(sessions: Sessions) -> None:
    ids = await customers_with_fees(sessions, {f"C-{n:03d}": "10.00" for n in range(1, 13)})
    await bill_november(sessions)
    drafts = await by_customer(sessions)
    # Someone issues a few by hand, last customer first, while the month is issued in one chunk.
    by_hand = [drafts[ids[f"C-{n:03d}"]] for n in (12, 9, 6, 3)]

    async def issue_one(invoice: Invoice) -> str:
        try:
            async with session_scope(sessions) as s:
                data = InvoiceIssue(version=invoice.version)
                view = await real_issue(s, ACTOR, invoice.id, data, BILLING, clock=ON_DECEMBER_1)
                return view.invoice.number or ""
        except Conflict as exc:  # the bulk issue was first
            return exc.code

    results = await asyncio.gather(issue(sessions, chunk_size=12), *(issue_one(invoice) for invoice in by_hand))

    bulk_result, singles = results[0], results[1:]
    assert isinstance(bulk_result, BulkIssueResult)
    by_hand_issued = [r for r in singles if isinstance(r, str) and r.startswith("INV-")]
    assert bulk_result.issued + len(by_hand_issued) == 12
    invoices = await by_customer(sessions)
    assert sorted(invoice.number or "" for invoice in invoices.values()) == [f"INV-{n:06d}" for n in range(1, 13)]
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 12
