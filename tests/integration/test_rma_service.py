"""RMA core: request with entitlement snapshot, authorize, reject, receive, hold, ship, close, notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal, Role
from core.errors import Conflict, IllegalTransition, Invalid, NotFound
from masterdata.models import Equipment
from returns.choices import RmaType
from returns.services import rma_receipt, rmas
from returns.services.tracking_links import read_token
from tests.integration.rma_fixtures import (
    AGENT,
    DEPOT,
    LINKS,
    NOW,
    authorized_rma,
    events_of,
    mails_of,
    requested_rma,
    rma_customer,
)

LATER = NOW + dt.timedelta(days=3)


async def test_an_in_warranty_rma_keeps_its_entitlement_snapshot_and_a_visible_request_event(
    session: AsyncSession,
) -> None:
    who = await rma_customer(session)
    rma = await requested_rma(session, who)
    assert rma.number.startswith("RMA-")
    assert (rma.status, rma.covered_by) == ("requested", "warranty")
    assert (rma.labour_pct, rma.parts_pct) == (Decimal(100), Decimal(100))
    assert rma.entitlement["covered_by"] == "warranty"
    assert rma.serial_number == "SN-1"
    assert rma.ship_to == {
        "name": "ACME, HQ",
        "street": "Main 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
    }
    [event] = await events_of(session, rma)
    assert (event.kind, event.to_status, event.customer_visible) == ("requested", "requested", True)


async def test_without_warranty_the_rma_is_billable(session: AsyncSession) -> None:
    who = await rma_customer(session, in_warranty=False)
    rma = await requested_rma(session, who)
    assert (rma.covered_by, rma.labour_pct) == ("none", Decimal(0))


async def test_a_customer_names_its_unit_by_serial_but_never_another_customers(session: AsyncSession) -> None:
    a, b = await rma_customer(session, "ACME"), await rma_customer(session, "BETA")
    portal_a = Principal(user_id=AGENT.user_id, username="a", role=Role.CUSTOMER, customer_id=a.it.customer_id)
    data = rmas.RmaCreate(serial_number="SN-1", reason_code="noise", problem_description="rattles")
    rma = await rmas.create_rma(session, portal_a, data, now=NOW)
    assert (rma.customer_id, rma.equipment_id) == (a.it.customer_id, a.it.equipment_id)
    with pytest.raises(NotFound):
        foreign = rmas.RmaCreate(equipment_id=b.it.equipment_id, reason_code="noise", problem_description="x")
        await rmas.create_rma(session, portal_a, foreign, now=NOW)
    with pytest.raises(NotFound):
        other = rmas.RmaCreate(
            customer_id=b.it.customer_id, serial_number="SN-1", reason_code="x", problem_description="x"
        )
        await rmas.create_rma(session, portal_a, other, now=NOW)


async def test_a_return_for_credit_goes_from_request_to_closed_with_notices(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who, RmaType.RETURN_CREDIT)
    assert rma.status == "awaiting_receipt"
    rma = await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="SN-1"), now=LATER, links=LINKS
    )
    assert (rma.status, rma.on_hold, rma.received_serial) == ("received", False, "SN-1")
    assert rma.expected_ship_on is None  # nothing ships back for a credit
    rma = await rmas.close(session, DEPOT, rma.id, rmas.RmaStep(), now=LATER)
    assert rma.status == "closed" and rma.closed_at == LATER
    steps = [(e.from_status, e.to_status) for e in await events_of(session, rma) if e.kind == "status_changed"]
    assert steps == [
        ("requested", "authorized"),
        ("authorized", "awaiting_receipt"),
        ("awaiting_receipt", "received"),
        ("received", "closed"),
    ]
    mails = await mails_of(session, rma)
    assert [m.dedupe_key for m in mails] == [f"rma:{rma.number}:authorized", f"rma:{rma.number}:received"]
    assert all(m.kind == "email" and m.recipient == who.email for m in mails)
    assert rma.number in (mails[0].body or "") and "/track" in (mails[0].body or "")


async def test_a_notice_carries_an_absolute_signed_tracking_link(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await requested_rma(session, who)
    await rmas.authorize(session, AGENT, rma.id, rmas.RmaStep(), now=NOW, links=LINKS)
    [mail] = await mails_of(session, rma)
    [link] = [word for word in (mail.body or "").split() if "/track" in word]
    token = link.removeprefix("https://service.example.com/track/")
    assert token != link and read_token(token, LINKS.secret_key, NOW) == rma.id


async def test_repeating_a_step_is_refused_and_mails_once(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who)
    with pytest.raises(IllegalTransition):
        await rmas.authorize(session, AGENT, rma.id, rmas.RmaStep(), now=NOW, links=LINKS)


async def test_rejection_needs_a_reason_which_the_customer_sees(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await requested_rma(session, who)
    with pytest.raises(Invalid) as blank:
        await rmas.reject(session, AGENT, rma.id, rmas.RmaRejection(reason="  "), now=NOW)
    assert blank.value.field == "reason"
    rma = await rmas.reject(
        session, AGENT, rma.id, rmas.RmaRejection(reason="Unit is out of support since 2020"), now=NOW
    )
    assert (rma.status, rma.rejection_reason) == ("rejected", "Unit is out of support since 2020")
    last = (await events_of(session, rma))[-1]
    assert (last.to_status, last.customer_visible, last.message) == (
        "rejected",
        True,
        "Unit is out of support since 2020",
    )


async def test_cancel_before_receipt_but_not_after(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who)
    rma = await rmas.cancel(session, AGENT, rma.id, rmas.RmaStep(), now=NOW)
    assert rma.status == "cancelled"
    other = await authorized_rma(session, who)
    await rma_receipt.receive(
        session, DEPOT, other.id, rma_receipt.RmaReceipt(serial_number="SN-1"), now=LATER, links=LINKS
    )
    with pytest.raises(IllegalTransition):
        await rmas.cancel(session, AGENT, other.id, rmas.RmaStep(), now=LATER)


async def test_a_serial_mismatch_holds_the_rma_until_the_depot_accepts_the_unit(session: AsyncSession) -> None:
    who = await rma_customer(session)
    sibling = Equipment(
        product_id=who.it.product_id,
        serial_number="SN-2",
        customer_id=who.it.customer_id,
        site_id=who.it.site_id,
        status="in_service",
    )
    session.add(sibling)
    await session.flush()
    rma = await authorized_rma(session, who)
    rma = await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="SN-2"), now=LATER, links=LINKS
    )
    assert (rma.status, rma.on_hold) == ("received", True)
    assert rma.hold_reason == "serial mismatch: expected SN-1, received SN-2"
    hold = (await events_of(session, rma))[-1]
    assert (hold.kind, hold.customer_visible, hold.internal_note) == ("hold", False, rma.hold_reason)
    with pytest.raises(Conflict) as refused:
        await rmas.close(session, DEPOT, rma.id, rmas.RmaStep(), now=LATER)
    assert refused.value.code == "rma_on_hold"
    decision = rma_receipt.HoldResolution(decision=rma_receipt.HoldDecision.ACCEPT, note="customer sent its twin")
    rma = await rma_receipt.resolve_hold(session, DEPOT, rma.id, decision, now=LATER)
    assert (rma.on_hold, rma.hold_reason, rma.equipment_id) == (False, None, sibling.id)
    resolved = (await events_of(session, rma))[-1]
    assert resolved.kind == "hold_resolved" and resolved.detail["previous_equipment_id"] == str(who.it.equipment_id)
    with pytest.raises(Conflict) as again:
        await rma_receipt.resolve_hold(session, DEPOT, rma.id, decision, now=LATER)
    assert again.value.code == "rma_not_on_hold"
    rma = await rmas.close(session, DEPOT, rma.id, rmas.RmaStep(), now=LATER)
    assert rma.status == "closed"


async def test_a_rejected_mismatch_ships_back_unprocessed(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who)
    await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="XX-9"), now=LATER, links=LINKS
    )
    back = rma_receipt.HoldResolution(decision=rma_receipt.HoldDecision.RETURN)
    rma = await rma_receipt.resolve_hold(session, DEPOT, rma.id, back, now=LATER)
    assert (rma.status, rma.on_hold, rma.equipment_id) == ("in_diagnosis", False, who.it.equipment_id)
    assert (await events_of(session, rma))[-1].customer_visible is False
    shipped_at = LATER + dt.timedelta(hours=2)
    rma = await rmas.ship(
        session, DEPOT, rma.id, rmas.RmaShipment(carrier_tracking="1Z999"), now=shipped_at, links=LINKS
    )
    assert (rma.status, rma.shipped_at, rma.carrier_tracking) == ("shipped", shipped_at, "1Z999")
    rma = await rmas.close(session, DEPOT, rma.id, rmas.RmaStep(), now=shipped_at)
    keys = [m.dedupe_key for m in await mails_of(session, rma)]
    assert f"rma:{rma.number}:shipped" in keys


async def test_receipt_estimates_the_ship_date_in_working_days(session: AsyncSession) -> None:
    who = await rma_customer(session)
    rma = await authorized_rma(session, who)
    friday = dt.datetime(2026, 3, 6, 10, 0, tzinfo=dt.UTC)
    rma = await rma_receipt.receive(
        session, DEPOT, rma.id, rma_receipt.RmaReceipt(serial_number="SN-1"), now=friday, links=LINKS
    )
    assert rma.expected_ship_on == dt.date(2026, 3, 13)  # five working days later


async def test_nobody_sees_another_customers_rma(session: AsyncSession) -> None:
    a, b = await rma_customer(session, "ACME"), await rma_customer(session, "BETA")
    rma = await requested_rma(session, a)
    portal_b = Principal(user_id=AGENT.user_id, username="b", role=Role.CUSTOMER, customer_id=b.it.customer_id)
    with pytest.raises(NotFound) as by_id:
        await rmas.get_rma(session, portal_b, rma.id)
    with pytest.raises(NotFound) as by_number:
        await rmas.get_rma_by_number(session, portal_b, rma.number)
    with pytest.raises(NotFound) as unknown:
        await rmas.get_rma_by_number(session, portal_b, "RMA-999999")
    assert by_id.value.code == by_number.value.code == unknown.value.code == "rma_not_found"
