"""E-mails to the customer about an RMA: authorization, receipt, quote, shipment, replacement.

Each notice is an outbox message (kind `email`) written in the step's own transaction, so a
rolled-back step sends nothing; its dedupe key `rma:<number>:<step>` makes a repeated step one
e-mail. The recipient is the RMA's contact, or else the customer's e-mail; without either there
is nothing to send (the tracking page still shows the step).

Every notice carries the signed link to the RMA's public tracking page, absolute on the
product's public base URL (`NoticeLinks`, from `PUBLIC_BASE_URL`): `<base>/track/<token>`, where
the customer follows the return without a login and, for the quote, sees it and approves or
declines it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.outbox import OutboxMessage, enqueue
from core.settings import Settings
from masterdata.models import Contact, Customer
from returns.models import Rma
from returns.services.tracking_links import signed_link

EMAIL = "email"

SUBJECTS: dict[str, str] = {
    "authorized": "Return {number} authorized: please send the unit",
    "received": "Return {number}: we received your unit",
    "quote": "Return {number}: a repair quote waits for your decision",
    "shipped": "Return {number}: your unit is on its way",
    "replacement_shipped": "Return {number}: your replacement unit has shipped",
    "return_reminder": "Return {number}: the defective unit is due back by {due}",
}
BODIES: dict[str, str] = {
    "authorized": (
        "we have authorized your return {number} for unit {serial}.\n"
        "Please pack the unit safely, write {number} on the parcel and send it to our repair depot."
    ),
    "received": "your unit {serial} has arrived at our repair depot under return {number}.",
    "quote": "the repair of unit {serial} (return {number}) is not covered. Please approve or decline our quote.",
    "shipped": "unit {serial} (return {number}) has left our depot. Carrier tracking: {tracking}.",
    "replacement_shipped": (
        "a replacement for unit {serial} (return {number}) has shipped. "
        "Please send the defective unit back by {due}; after that date the replacement is charged."
    ),
    "return_reminder": (
        "the defective unit {serial} of return {number} is due back by {due}. "
        "After that date the replacement unit is charged at list price."
    ),
}


@dataclass(frozen=True, slots=True)
class NoticeLinks:
    """What an absolute signed tracking link needs: the app's secret key and public base URL."""

    secret_key: str
    base_url: str

    def __post_init__(self) -> None:
        if not self.secret_key:
            raise ValueError("a tracking link is signed: the secret key must not be empty")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"links in e-mails are absolute: {self.base_url!r} is no http(s) base URL")

    @classmethod
    def of(cls, settings: Settings) -> NoticeLinks:
        return cls(secret_key=settings.auth.secret_key, base_url=settings.public_base_url)


def tracking_text(rma: Rma, now: dt.datetime, links: NoticeLinks, step: str) -> str:
    url = signed_link(rma, secret_key=links.secret_key, now=now, base_url=links.base_url)
    if step == "quote":  # the tracking page shows the quote with its approve and decline buttons
        return f"See the quote and approve or decline it at {url}"
    return f"Follow your return at {url}"


async def recipient_of(session: AsyncSession, rma: Rma) -> tuple[str | None, str]:
    """The address and the greeting name: the RMA's contact first, else the customer."""
    contact = await session.get(Contact, rma.contact_id) if rma.contact_id else None
    if contact is not None and contact.email:
        return contact.email, f"{contact.first_name} {contact.last_name}"
    customer = await session.get(Customer, rma.customer_id)
    return (customer.email if customer else None), (customer.name if customer else "customer")


async def notify(
    session: AsyncSession,
    rma: Rma,
    step: str,
    now: dt.datetime,
    *,
    links: NoticeLinks,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue the customer's e-mail for `step` (one of `SUBJECTS`); None when no address is on file."""
    if step not in SUBJECTS:
        raise ValueError(f"unknown RMA notice step {step!r}")
    address, name = await recipient_of(session, rma)
    if not address:
        return None
    facts = {
        "number": rma.number,
        "serial": rma.serial_number,
        "tracking": rma.carrier_tracking or "-",
        "due": rma.return_due_on.isoformat() if rma.return_due_on else "-",
    }
    body = f"Dear {name},\n\n{BODIES[step].format(**facts)}\n\n{tracking_text(rma, now, links, step)}\n"
    return await enqueue(
        session,
        kind=EMAIL,
        dedupe_key=dedupe_key or f"rma:{rma.number}:{step}",
        now=now,
        recipient=address,
        subject=SUBJECTS[step].format(**facts),
        body=body,
        payload={"rma_id": str(rma.id), "rma_number": rma.number, "step": step},
    )
