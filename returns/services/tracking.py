"""Public repair tracking: find an RMA by its number and something only its customer knows.

No login: the customer gives the RMA number and the e-mail (of the RMA's contact or the
customer) or the postal code on file (the RMA's ship-to address or the equipment's site).
Nothing here may tell an unknown number from a wrong e-mail: both answer `None`, after the
same queries and the same number of constant-time comparisons, and both count as a failed
lookup for the rate limit (per RMA number and per client address, in the database so every
process shares the count). The view shows only what the customer may see: customer-visible
events (never internal notes), the status in customer words, expected dates, the open quote.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal, Role
from core.errors import NotFound, RateLimited
from core.login_throttle import note_attempt, recent_failures
from core.settings import AuthSettings
from masterdata.models.customers import Contact, Customer, Site
from masterdata.models.equipment import Equipment
from returns.choices import QuoteStatus, RmaStatus
from returns.errors import Code
from returns.models import RepairOrder, Rma, RmaEvent
from returns.services import quotes

# The statuses in the customer's words. Internal depot steps read as the step the customer
# cares about (diagnosis and QA are "being repaired").
STATUS_WORDS: dict[RmaStatus, str] = {
    RmaStatus.REQUESTED: "Return requested",
    RmaStatus.AUTHORIZED: "Return authorized",
    RmaStatus.REJECTED: "Return not accepted",
    RmaStatus.AWAITING_RECEIPT: "Waiting for your unit to arrive",
    RmaStatus.RECEIVED: "Unit received at our repair centre",
    RmaStatus.IN_DIAGNOSIS: "Being repaired",
    RmaStatus.AWAITING_APPROVAL: "Waiting for your decision on the repair quote",
    RmaStatus.IN_REPAIR: "Being repaired",
    RmaStatus.IN_QA: "Being repaired",
    RmaStatus.SHIPPED: "Shipped back to you",
    RmaStatus.CLOSED: "Completed",
    RmaStatus.CANCELLED: "Cancelled",
}

_STATUSES = frozenset(status.value for status in RmaStatus)

# Login-throttle rows are shared with logins; tracking keys are prefixed so neither counts the other.
_NUMBER_KEY = "rma-tracking:"
_ADDRESS_KEY = "track:"
_MAX_INPUT = 254
_PROOF_SLOTS = 4  # contact e-mail, customer e-mail, ship-to postal code, site postal code
# Who acts when a quote is decided through a tracking link (no user account behind it).
TRACKING_LINK_USER = UUID(int=0x7)


@dataclass(frozen=True, slots=True)
class TrackingStep:
    at: dt.datetime
    title: str
    message: str | None
    status: RmaStatus | None = None  # the status the step reached (pages word it in their language)
    kind: str = "status_changed"


@dataclass(frozen=True, slots=True)
class QuoteLine:
    description: str
    quantity: str | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class QuoteView:
    amount: Decimal
    currency: str
    lines: list[QuoteLine]
    status: QuoteStatus
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    awaiting_decision: bool  # the customer may approve or decline now


@dataclass(frozen=True, slots=True)
class TrackingView:
    rma_id: UUID
    number: str
    status: RmaStatus
    status_title: str
    rma_type: str
    serial_number: str
    requested_at: dt.datetime
    expected_ship_on: dt.date | None
    return_due_on: dt.date | None
    shipped_at: dt.datetime | None
    carrier_tracking: str | None
    steps: list[TrackingStep]
    quote: QuoteView | None
    time_zone: str | None = None  # the zone of the unit's site, where the customer is; None: not known


def normalize_number(number: str) -> str:
    return number.strip().upper()[:_MAX_INPUT]


def _email(value: str | None) -> str:
    return (value or "").strip().casefold()


def _postal_code(value: str | None) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def _matches(proof: str, on_file: list[tuple[str, bool]]) -> bool:
    """Compare `proof` with every slot in constant time; empty slots are compared but never match."""
    found = False
    for candidate, is_email in on_file:
        given = _email(proof) if is_email else _postal_code(proof)
        same = hmac.compare_digest(given.encode(), candidate.encode())
        found |= same and bool(candidate)
    return found


async def check_rate(session: AsyncSession, number: str, address: str, now: dt.datetime, limits: AuthSettings) -> None:
    """Refuse (429) a lookup once too many failed ones came for this number or from this address."""
    since = now - dt.timedelta(seconds=limits.tracking_window_seconds)
    by_number, by_address = await recent_failures(
        session, _NUMBER_KEY + normalize_number(number), _ADDRESS_KEY + address, since
    )
    if by_number >= limits.tracking_max_failures or by_address >= limits.tracking_max_failures_per_address:
        raise RateLimited(
            Code.TRACKING_RATE_LIMITED,
            "too many tracking lookups; wait a few minutes and try again",
            extra={"retry_after": limits.tracking_window_seconds},
        )


async def look_up(
    session: AsyncSession, number: str, proof: str, *, address: str, now: dt.datetime, limits: AuthSettings
) -> UUID | None:
    """The RMA's id when `number` and `proof` (e-mail or postal code) match; None otherwise.

    Raises RateLimited before looking anything up when the limit is reached. The caller commits
    the outcome either way, so failed lookups are counted.
    """
    await check_rate(session, number, address, now, limits)
    key = normalize_number(number)
    row = (
        await session.execute(
            select(Rma.id, Rma.ship_to, Contact.email, Customer.email, Site.postal_code)
            .join(Customer, Customer.id == Rma.customer_id)
            .join(Equipment, Equipment.id == Rma.equipment_id)
            .outerjoin(Contact, Contact.id == Rma.contact_id)
            .outerjoin(Site, Site.id == Equipment.site_id)
            .where(Rma.number == key)
        )
    ).first()
    # An unknown number is compared against empty slots: the same work, the same answer.
    rma_id, ship_to, contact_email, customer_email, site_postal = row if row else (None, {}, None, None, None)
    on_file = [
        (_email(contact_email), True),
        (_email(customer_email), True),
        (_postal_code((ship_to or {}).get("postal_code")), False),
        (_postal_code(site_postal), False),
    ]
    assert len(on_file) == _PROOF_SLOTS
    found = _matches(proof[:_MAX_INPUT], on_file) and rma_id is not None
    await note_attempt(session, _NUMBER_KEY + key, _ADDRESS_KEY + address, now, found)
    return rma_id if found else None


def _quote_line(line: dict[str, Any]) -> QuoteLine:
    raw_amount = line.get("amount", line.get("total"))
    try:
        amount = Decimal(str(raw_amount)) if raw_amount is not None else None
    except InvalidOperation:
        amount = None
    quantity = line.get("quantity")
    return QuoteLine(
        description=str(line.get("description") or line.get("text") or line.get("kind") or ""),
        quantity=str(quantity) if quantity is not None else None,
        amount=amount,
    )


def _quote_view(rma: Rma, order: RepairOrder | None) -> QuoteView | None:
    if order is None or order.quote_status is None or order.quote_amount is None:
        return None
    status = QuoteStatus(order.quote_status)
    if status is QuoteStatus.WITHDRAWN:
        return None
    return QuoteView(
        amount=order.quote_amount,
        currency=order.quote_currency or "",
        lines=[_quote_line(line) for line in order.quote_lines or [] if isinstance(line, dict)],
        status=status,
        sent_at=order.quote_sent_at,
        decided_at=order.quote_decided_at,
        awaiting_decision=status is QuoteStatus.SENT and rma.status == RmaStatus.AWAITING_APPROVAL.value,
    )


def _step(event: RmaEvent) -> TrackingStep:
    status = RmaStatus(event.to_status) if event.to_status in _STATUSES else None
    if status is not None:
        title = STATUS_WORDS[status]
    elif event.to_status:
        title = event.to_status
    else:
        title = event.kind.replace("_", " ").capitalize()
    return TrackingStep(at=event.at, title=title, message=event.message, status=status, kind=event.kind)


async def tracking_view(session: AsyncSession, rma_id: UUID) -> TrackingView | None:
    """What the customer may see of an RMA; None if there is no such RMA."""
    rma = await session.get(Rma, rma_id)
    if rma is None:
        return None
    # Only customer-visible events, and never the internal note column.
    events = (
        await session.scalars(
            select(RmaEvent)
            .where(RmaEvent.rma_id == rma.id, RmaEvent.customer_visible.is_(True))
            .order_by(RmaEvent.at, RmaEvent.created_at)
        )
    ).all()
    order = await session.scalar(select(RepairOrder).where(RepairOrder.rma_id == rma.id))
    time_zone = await session.scalar(
        select(Site.time_zone).join(Equipment, Equipment.site_id == Site.id).where(Equipment.id == rma.equipment_id)
    )
    status = RmaStatus(rma.status)
    return TrackingView(
        rma_id=rma.id,
        number=rma.number,
        status=status,
        status_title=STATUS_WORDS[status],
        rma_type=rma.rma_type,
        serial_number=rma.serial_number,
        requested_at=rma.requested_at,
        expected_ship_on=rma.expected_ship_on,
        return_due_on=rma.return_due_on,
        shipped_at=rma.shipped_at,
        carrier_tracking=rma.carrier_tracking,
        steps=[_step(e) for e in events],
        quote=_quote_view(rma, order),
        time_zone=time_zone,
    )


async def decide_quote(session: AsyncSession, rma_id: UUID, *, approve: bool, now: dt.datetime) -> None:
    """The customer's decision from the tracking page: the holder of a valid link acts for the customer.

    The depot's own rules (open quote, credit check, what declining does) are those of
    `returns.services.quotes`; their refusals (409 `quote_not_open`, `credit_check_failed`) pass through.
    """
    rma = await session.get(Rma, rma_id)
    if rma is None:
        raise NotFound("rma", rma_id)
    actor = Principal(
        user_id=TRACKING_LINK_USER, username="customer (tracking link)", role=Role.CUSTOMER, customer_id=rma.customer_id
    )
    decide = quotes.approve_quote if approve else quotes.decline_quote
    await decide(session, actor, rma_id, now)
