"""Advance exchange: the replacement ships first, the installed base follows the swap, and the
daily follow-up reminds once and then charges exactly once (with a controlled clock)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models.billable_items import BillableItem
from core.clock import FixedClock
from core.errors import Conflict
from core.jobs import JobContext
from core.outbox import OutboxMessage
from masterdata.models import Equipment, EquipmentEvent
from returns.choices import RmaType, StockLocationKind
from returns.jobs import ADVANCE_EXCHANGE_FOLLOW_UP, advance_exchange_follow_up
from returns.models import Rma, StockMove, StockSerial
from returns.services import rma_receipt, rmas
from returns.services.advance_exchange import NewReplacement, ReplacementShipment, ship_replacement
from tests.integration.rma_fixtures import DEPOT, LINKS, NOW, RmaParty, authorized_rma, events_of, rma_customer
from tests.integration.stock_fixtures import stock_location, stocked

DUE = NOW.date() + dt.timedelta(days=14)


async def shipped_exchange(session: AsyncSession, who: RmaParty) -> Rma:
    rma = await authorized_rma(session, who, RmaType.ADVANCE_EXCHANGE)
    data = ReplacementShipment(new_unit=NewReplacement(serial_number="SN-R1"), carrier_tracking="1ZOUT")
    return await ship_replacement(session, DEPOT, rma.id, data, now=NOW, links=LINKS)


async def run_job(session: AsyncSession, day: dt.date) -> dict[str, object]:
    at = dt.datetime(day.year, day.month, day.day, 7, 30, tzinfo=dt.UTC)
    context = JobContext(job_id=ADVANCE_EXCHANGE_FOLLOW_UP, scheduled_for=at, today=day, clock=FixedClock(at))
    return await advance_exchange_follow_up(session, context, links=LINKS)


async def charges(session: AsyncSession, rma: Rma) -> list[BillableItem]:
    return list((await session.scalars(select(BillableItem).where(BillableItem.source_id == rma.id))).all())


async def test_the_replacement_takes_the_defective_units_place_with_history_on_both(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rack = Equipment(
        product_id=who.it.product_id,
        serial_number="RACK-1",
        customer_id=who.it.customer_id,
        site_id=who.it.site_id,
        status="in_service",
    )
    session.add(rack)
    await session.flush()
    defective = await session.get(Equipment, who.it.equipment_id)
    assert defective is not None
    defective.parent_id, defective.position = rack.id, "slot-1"
    await session.flush()

    rma = await shipped_exchange(session, who)

    replacement = await session.get(Equipment, rma.replacement_equipment_id)
    assert replacement is not None and replacement.serial_number == "SN-R1"
    assert (replacement.customer_id, replacement.site_id) == (who.it.customer_id, who.it.site_id)
    assert (replacement.parent_id, replacement.position, replacement.status) == (rack.id, "slot-1", "in_service")
    assert (defective.parent_id, defective.position, defective.status) == (None, None, "returned")
    assert (rma.return_due_on, rma.replacement_shipped_at, rma.status) == (DUE, NOW, "awaiting_receipt")

    async def kinds(unit: Equipment) -> list[str]:
        stmt = select(EquipmentEvent.kind).where(EquipmentEvent.equipment_id == unit.id)
        return list((await session.scalars(stmt)).all())

    assert "replaced_by" in await kinds(defective)
    assert "replaces" in await kinds(replacement)
    assert {"component_removed", "component_installed"} <= set(await kinds(rack))
    shipped = (await events_of(session, rma))[-1]
    assert (shipped.kind, shipped.customer_visible) == ("replacement_shipped", True)
    assert await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key.endswith("replacement_shipped")))


async def test_a_replacement_from_stock_is_issued_against_the_rma(session: AsyncSession) -> None:
    who = await rma_customer(session)
    depot = await stock_location(session, "DEPOT-1", StockLocationKind.DEPOT)
    printer = await session.get(Equipment, who.it.equipment_id)
    assert printer is not None
    from masterdata.models import Product

    product = await session.get(Product, printer.product_id)
    assert product is not None
    await stocked(session, depot, product, "1", serial="SN-S7")
    unit = await session.scalar(select(StockSerial).where(StockSerial.serial_number == "SN-S7"))
    assert unit is not None
    rma = await authorized_rma(session, who, RmaType.ADVANCE_EXCHANGE)
    rma = await ship_replacement(
        session, DEPOT, rma.id, ReplacementShipment(stock_serial_id=unit.id), now=NOW, links=LINKS
    )
    replacement = await session.get(Equipment, rma.replacement_equipment_id)
    assert replacement is not None and replacement.serial_number == "SN-S7"
    assert (unit.status, unit.equipment_id) == ("issued", replacement.id)
    move = await session.scalar(select(StockMove).where(StockMove.reference_id == rma.id))
    assert move is not None and (move.kind, move.reference_kind, move.reference_ref) == ("issue", "rma", rma.number)
    with pytest.raises(Conflict) as twice:
        await ship_replacement(
            session, DEPOT, rma.id, ReplacementShipment(stock_serial_id=unit.id), now=NOW, links=LINKS
        )
    assert twice.value.code == "replacement_already_shipped"


async def test_only_an_advance_exchange_ships_a_replacement(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who, RmaType.REPAIR_RETURN)
    data = ReplacementShipment(new_unit=NewReplacement(serial_number="SN-R1"))
    with pytest.raises(Conflict) as refused:
        await ship_replacement(session, DEPOT, rma.id, data, now=NOW, links=LINKS)
    assert refused.value.code == "not_advance_exchange"


async def test_overdue_reminds_once_then_charges_exactly_once(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await shipped_exchange(session, who)

    assert await run_job(session, DUE - dt.timedelta(days=4)) == {
        "today": (DUE - dt.timedelta(days=4)).isoformat(),
        "reminded": [],
        "charged": [],
    }
    first = await run_job(session, DUE - dt.timedelta(days=3))
    assert first["reminded"] == [rma.number]
    assert (await run_job(session, DUE))["reminded"] == []  # once
    reminders = (
        await session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"ax-reminder:{rma.number}"))
    ).all()
    assert len(reminders) == 1 and reminders[0].recipient == who.email

    overdue = DUE + dt.timedelta(days=1)
    results = [await run_job(session, overdue + dt.timedelta(days=n)) for n in range(3)]
    assert [r["charged"] for r in results] == [[rma.number], [], []]
    [charge] = await charges(session, rma)
    assert (charge.source_kind, charge.line_key, charge.kind) == ("advance_exchange", "overdue-charge", "fee")
    assert (charge.amount, charge.unit_price, charge.currency) == (Decimal("9999.00"), Decimal("9999"), "EUR")
    assert charge.service_date == overdue
    kinds = [e.kind for e in await events_of(session, rma)]
    assert kinds.count("return_reminder") == 1 and kinds.count("overdue_charged") == 1

    # the unit arrives late: an event, no second charge (credit notes come with billing)
    late = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="SN-1"), now=late, links=LINKS
    )
    assert "late_receipt" in [e.kind for e in await events_of(session, rma)]
    assert (await run_job(session, late.date()))["charged"] == []
    assert len(await charges(session, rma)) == 1


async def test_no_charge_when_the_defective_unit_arrives_in_time(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await shipped_exchange(session, who)
    on_time = dt.datetime.combine(DUE, dt.time(10), tzinfo=dt.UTC)
    await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="SN-1"), now=on_time, links=LINKS
    )
    for n in range(1, 4):
        assert await run_job(session, DUE + dt.timedelta(days=n)) == {
            "today": (DUE + dt.timedelta(days=n)).isoformat(),
            "reminded": [],
            "charged": [],
        }
    assert await charges(session, rma) == []
    assert "late_receipt" not in [e.kind for e in await events_of(session, rma)]


async def test_a_shipped_replacement_cannot_be_cancelled_away(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await shipped_exchange(session, who)
    with pytest.raises(Conflict) as refused:
        await rmas.cancel(session, DEPOT, rma.id, rmas.RmaStep(), now=NOW)
    assert refused.value.code == "replacement_already_shipped"
