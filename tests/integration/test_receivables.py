"""Receivables: open items and aging at a date, days to pay, and the credit check fed by real invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.credit_rule import CreditDecision, CreditOutcome, CreditReasonCode
from contracts.invoice_math import AgingBucket
from contracts.models import Invoice
from contracts.services import credit, payments, receivables
from contracts.services.payments import AllocationIn, PaymentCreate
from core.auth import Principal, Role
from core.clock import FixedClock
from masterdata.services.visibility import CustomerScope
from tests.integration.receivable_fixtures import customer, issued_credit_note, issued_invoice

CARLA = Principal(user_id=UUID("00000000-0000-0000-0000-0000000000ca"), username="carla", role=Role.CONTRACT_ADMIN)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ON = NOW.date()
D = Decimal


async def pay(
    session: AsyncSession,
    customer_id: UUID,
    amount: str,
    on: dt.date,
    *to: tuple[Invoice, str],
    auto: bool | None = None,
    currency: str = "EUR",
) -> payments.PaymentView:
    data = PaymentCreate(
        customer_id=customer_id,
        amount=D(amount),
        currency=currency,
        received_on=on,
        allocations=[AllocationIn(invoice_id=invoice.id, amount=D(part)) for invoice, part in to],
        auto_allocate=auto,
    )
    return await payments.record_payment(session, CARLA, data, clock=FixedClock(NOW))


async def due(session: AsyncSession, customer_id: UUID, net: str, due_on: dt.date, **kw: object) -> Invoice:
    issued_on = kw.pop("issued_on", due_on - dt.timedelta(days=30))
    return await issued_invoice(session, customer_id, net, issued_on=issued_on, due_on=due_on, **kw)  # type: ignore[arg-type]


def figures(buckets: dict[AgingBucket, Decimal]) -> list[str]:
    return [str(buckets[bucket]) for bucket in AgingBucket]


async def test_aging_buckets_at_the_end_of_november_worked_by_hand(session: AsyncSession) -> None:
    acme = await customer(session, "ACME Printing", "C-100001")
    globex = await customer(session, "Globex", "C-100002")
    # ACME, EUR, aged at 30 Nov 2026 (19 % tax unless said otherwise):
    await due(session, acme, "100.00", dt.date(2026, 12, 20), issued_on=dt.date(2026, 11, 20))  # 119.00 current
    await due(session, acme, "50.00", dt.date(2026, 11, 30))  # 59.50, due today: current
    billed = await due(session, acme, "200.00", dt.date(2026, 11, 20))  # 238.00, 10 days: 1-30
    await due(session, acme, "300.00", dt.date(2026, 10, 31))  # 357.00, 30 days: 1-30
    await due(session, acme, "400.00", dt.date(2026, 10, 30))  # 476.00, 31 days: 31-60
    await due(session, acme, "500.00", dt.date(2026, 9, 1), tax="0.00")  # 500.00, 90 days: 61-90
    oldest = await due(session, acme, "1000.00", dt.date(2026, 8, 31))  # 1190.00, 91 days: 90+
    await pay(session, acme, "190.00", dt.date(2026, 11, 15), (oldest, "190.00"))  # leaves 1000.00 open
    settled = await due(session, acme, "10.00", dt.date(2026, 11, 1))  # 11.90, paid: not open
    await pay(session, acme, "11.90", dt.date(2026, 11, 2), (settled, "11.90"))
    await pay(session, acme, "80.00", dt.date(2026, 11, 25), auto=False)  # credit -80.00, 5 days: 1-30
    await issued_credit_note(session, billed, "20.00", issued_on=dt.date(2026, 11, 28))  # -23.80, 2 days: 1-30
    await due(session, acme, "100.00", dt.date(2026, 12, 1), currency="USD")  # 119.00 USD current
    await due(session, acme, "100.00", dt.date(2026, 12, 31), issued_on=dt.date(2026, 12, 1))  # issued later
    await due(session, globex, "100.00", dt.date(2026, 6, 1), tax="0.00")  # 100.00, 182 days: 90+

    report = await receivables.aging_report(session, ON, CustomerScope.everyone())

    lines = {(line.customer_number, line.currency): line for line in report.customers}
    assert list(lines) == [("C-100001", "EUR"), ("C-100001", "USD"), ("C-100002", "EUR")]
    #                                       current    1-30      31-60     61-90     90+
    assert figures(lines["C-100001", "EUR"].buckets) == ["178.50", "491.20", "476.00", "500.00", "1000.00"]
    assert lines["C-100001", "EUR"].total == D("2645.70")
    assert lines["C-100001", "EUR"].customer_name == "ACME Printing"
    assert figures(lines["C-100001", "USD"].buckets) == ["119.00", "0.00", "0.00", "0.00", "0.00"]
    assert figures(lines["C-100002", "EUR"].buckets) == ["0.00", "0.00", "0.00", "0.00", "100.00"]
    totals = {line.currency: line for line in report.totals}
    assert figures(totals["EUR"].buckets) == ["178.50", "491.20", "476.00", "500.00", "1100.00"]
    assert (totals["EUR"].total, totals["USD"].total) == (D("2745.70"), D("119.00"))

    only_globex = await receivables.aging_report(session, ON, CustomerScope.only({globex}))
    assert [line.customer_number for line in only_globex.customers] == ["C-100002"]
    assert only_globex.totals[0].total == D("100.00")


async def test_aging_at_an_earlier_date_ignores_what_was_paid_or_issued_after_it(session: AsyncSession) -> None:
    acme = await customer(session, "ACME Printing", "C-100001")
    oldest = await due(session, acme, "1000.00", dt.date(2026, 8, 31))  # 1190.00
    await due(session, acme, "500.00", dt.date(2026, 9, 1), tax="0.00")  # 500.00
    await due(session, acme, "100.00", dt.date(2026, 12, 20), issued_on=dt.date(2026, 11, 20))
    await pay(session, acme, "190.00", dt.date(2026, 11, 15), (oldest, "190.00"))
    await pay(session, acme, "80.00", dt.date(2026, 11, 25), auto=False)

    at_10_november = await receivables.aging_report(session, dt.date(2026, 11, 10), CustomerScope.everyone())

    # 71 and 70 days past due: both 61-90, the payment of 15 November not yet counted.
    assert figures(at_10_november.customers[0].buckets) == ["0.00", "0.00", "0.00", "1690.00", "0.00"]


async def test_open_items_carry_credits_as_negative_amounts(session: AsyncSession) -> None:
    acme = await customer(session)
    invoice = await due(session, acme, "100.00", dt.date(2026, 11, 20))  # 119.00
    note = await issued_credit_note(session, invoice, "10.00", issued_on=dt.date(2026, 11, 21))  # -11.90
    payment = await pay(session, acme, "150.00", dt.date(2026, 11, 22), (invoice, "100.00"))  # 50.00 left

    items = await receivables.open_items(session, ON, CustomerScope.only({acme}))

    assert [(item.kind, item.number, item.open_amount) for item in items] == [
        ("invoice", invoice.number, D("19.00")),
        ("credit_note", note.number, D("-11.90")),
        ("payment", payment.payment.number, D("-50.00")),
    ]
    assert [item.due_on for item in items] == [dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)]


async def test_average_days_to_pay_is_the_mean_over_fully_paid_invoices(session: AsyncSession) -> None:
    acme = await customer(session)
    issued = dt.date(2026, 10, 1)
    ten, thirty, one, partly = [await issued_invoice(session, acme, "100.00", issued_on=issued) for _ in range(4)]
    await pay(session, acme, "119.00", dt.date(2026, 10, 11), (ten, "119.00"))
    await pay(session, acme, "119.00", dt.date(2026, 10, 31), (thirty, "119.00"))
    await pay(session, acme, "119.00", dt.date(2026, 10, 2), (one, "119.00"))
    await pay(session, acme, "100.00", dt.date(2026, 10, 5), (partly, "100.00"))
    nobody = await customer(session, "Initech")

    found = await receivables.average_days_to_pay(session, [acme, nobody])

    assert found == {acme: D("13.7")}  # (10 + 30 + 1) / 3 = 13.67


async def test_the_account_shows_opening_figures_plus_open_items_in_its_currency(session: AsyncSession) -> None:
    acme = await customer(session)
    await credit.create_account(
        session,
        CARLA,
        credit.CreditAccountCreate(
            customer_id=acme,
            credit_limit=D("1000.00"),
            currency="EUR",
            opening_balance=D("50.00"),
            average_days_to_pay=D("20.0"),
        ),
    )
    invoice = await due(session, acme, "100.00", dt.date(2026, 12, 15))  # 119.00
    await issued_credit_note(session, invoice, "20.00", issued_on=dt.date(2026, 11, 25))  # -23.80
    await pay(session, acme, "30.00", dt.date(2026, 11, 26), auto=False)  # -30.00
    await due(session, acme, "4000.00", dt.date(2026, 12, 15), currency="USD")  # another currency: not counted

    before = await credit.get_account(session, acme, scope=CustomerScope.everyone(), clock=FixedClock(NOW))
    paid_one = await due(session, acme, "10.00", dt.date(2026, 11, 10), issued_on=dt.date(2026, 11, 1))  # 11.90
    await pay(session, acme, "11.90", dt.date(2026, 11, 7), (paid_one, "11.90"))
    after = await credit.get_account(session, acme, scope=CustomerScope.everyone(), clock=FixedClock(NOW))

    assert before.receivables.open_amount == D("115.20")  # 50.00 + 119.00 - 23.80 - 30.00
    assert (before.available_credit, before.average_days_to_pay) == (D("884.80"), D("20.0"))  # the opening figure
    assert after.average_days_to_pay == D("6.0")  # computed now: 1 to 7 November


async def test_credit_check_changing_as_invoices_are_issued_and_paid(session: AsyncSession) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    today = clock.now().date()
    acme = await customer(session)
    await credit.create_account(
        session,
        CARLA,
        credit.CreditAccountCreate(customer_id=acme, credit_limit=D("1000.00"), currency="EUR", tolerance_days=30),
    )

    async def check(amount: str = "600.00") -> CreditDecision:
        return await credit.run_credit_check(session, CARLA, acme, D(amount), "EUR", clock=clock)

    fresh = await check()
    invoice = await issued_invoice(session, acme, "700.00", tax="0.00", issued_on=today)  # due in 30 days
    owing = await check()
    await pay(session, acme, "700.00", today, (invoice, "700.00"))
    paid = await check()
    late = await issued_invoice(
        session, acme, "100.00", tax="0.00", issued_on=dt.date(2026, 9, 1), due_on=dt.date(2026, 10, 1)
    )
    overdue = await check()
    await pay(session, acme, "100.00", today, (late, "100.00"))
    settled = await check()

    assert fresh.outcome is CreditOutcome.PASS
    assert owing.outcome is CreditOutcome.FAIL and owing.codes() == [CreditReasonCode.OVER_LIMIT]
    assert (owing.reasons[0].open_receivables, owing.reasons[0].exceeded_by) == (D("700.00"), D("300.00"))
    assert paid.outcome is CreditOutcome.PASS and paid.reasons[0].open_receivables == D("0.00")
    assert overdue.outcome is CreditOutcome.FAIL
    assert overdue.codes() == [CreditReasonCode.OVERDUE_BEYOND_TOLERANCE]  # 100 + 600 is within the limit
    assert (overdue.reasons[0].overdue_amount, overdue.reasons[0].overdue_days) == (D("100.00"), 50)
    assert settled.outcome is CreditOutcome.PASS


async def test_overdue_within_tolerance_passes_and_the_opening_overdue_days_still_count(session: AsyncSession) -> None:
    clock = FixedClock(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    acme = await customer(session)
    await credit.create_account(
        session,
        CARLA,
        credit.CreditAccountCreate(
            customer_id=acme,
            credit_limit=D("1000.00"),
            currency="EUR",
            tolerance_days=30,
            opening_balance=D("40.00"),
            opening_overdue=D("40.00"),
            opening_overdue_days=12,
        ),
    )
    await issued_invoice(
        session, acme, "100.00", tax="0.00", issued_on=dt.date(2026, 10, 1), due_on=dt.date(2026, 11, 1)
    )

    view = await credit.get_account(session, acme, scope=CustomerScope.everyone(), clock=clock)
    decision = await credit.run_credit_check(session, CARLA, acme, D("10.00"), "EUR", clock=clock)

    assert (view.receivables.open_amount, view.receivables.overdue_amount, view.receivables.overdue_days) == (
        D("140.00"),
        D("140.00"),
        19,  # 1 to 20 November beats the opening 12
    )
    assert decision.outcome is CreditOutcome.PASS


async def test_receivables_for_many_customers_take_as_many_queries_as_for_one(session: AsyncSession) -> None:
    ids = []
    for n in range(25):
        customer_id = await customer(session, f"Customer {n}")
        await credit.create_account(
            session,
            CARLA,
            credit.CreditAccountCreate(customer_id=customer_id, credit_limit=D("100.00"), currency="EUR"),
        )
        await due(session, customer_id, "10.00", dt.date(2026, 11, 1))
        ids.append(customer_id)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.bind.sync_engine  # type: ignore[union-attr]
    event.listen(engine, "before_cursor_execute", count)
    try:
        one = await credit.open_receivables_by_customer(session, ids[:1], now=NOW)
        for_one = len(statements)
        statements.clear()
        many = await credit.open_receivables_by_customer(session, ids, now=NOW)
        for_many = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert for_one == for_many == 3  # accounts, invoices and credit notes, payments
    assert one[ids[0]].open_amount == D("11.90")
    assert {r.overdue_days for r in many.values()} == {29}
