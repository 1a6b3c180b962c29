"""RMA scenarios: a customer with an installed printer, a contact with an e-mail, actors per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM, Principal, Role
from core.outbox import OutboxMessage
from masterdata.models import Contact, Customer, Site
from returns.choices import RmaType
from returns.models import Rma, RmaEvent
from returns.services import rmas
from returns.services.rma_notices import NoticeLinks
from tests.integration.contract_fixtures import Installed, installed_printer, warranty_for

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday
AGENT = Principal(user_id=SYSTEM.user_id, username="agnes", role=Role.AGENT)
DEPOT = Principal(user_id=SYSTEM.user_id, username="dora", role=Role.DEPOT)
# What the app passes from its settings: the e-mails' tracking links are signed and absolute.
LINKS = NoticeLinks(secret_key="k" * 40, base_url="https://service.example.com")


@dataclass
class RmaParty:
    it: Installed
    contact_id: UUID
    email: str


async def rma_customer(session: AsyncSession, name: str = "ACME", *, in_warranty: bool = True) -> RmaParty:
    """A customer with a printer (serial SN-1) at its site, a contact with an e-mail, and a warranty."""
    it = await installed_printer(session, name)
    customer = await session.get(Customer, it.customer_id)
    site = await session.get(Site, it.site_id)
    assert customer is not None and site is not None
    customer.email = f"office@{name.lower()}.example"
    site.street, site.postal_code, site.city = "Main 1", "10115", "Berlin"
    email = f"jane@{name.lower()}.example"
    contact = Contact(customer_id=customer.id, first_name="Jane", last_name="Doe", email=email)
    session.add(contact)
    await session.flush()
    if in_warranty:
        # warranty term codes are unique per end date: one date per customer name
        ends_on = dt.date(2027, 1, 9) + dt.timedelta(days=sum(map(ord, name)) % 300)
        await warranty_for(session, it, ends_on=ends_on)
    return RmaParty(it, contact.id, email)


async def requested_rma(
    session: AsyncSession,
    who: RmaParty,
    rma_type: RmaType = RmaType.REPAIR_RETURN,
    *,
    now: dt.datetime = NOW,
) -> Rma:
    data = rmas.RmaCreate(
        customer_id=who.it.customer_id,
        contact_id=who.contact_id,
        equipment_id=who.it.equipment_id,
        rma_type=rma_type,
        reason_code="no_power",
        problem_description="does not switch on",
    )
    return await rmas.create_rma(session, AGENT, data, now=now)


async def authorized_rma(
    session: AsyncSession, who: RmaParty, rma_type: RmaType = RmaType.REPAIR_RETURN, *, now: dt.datetime = NOW
) -> Rma:
    rma = await requested_rma(session, who, rma_type, now=now)
    return await rmas.authorize(session, AGENT, rma.id, rmas.RmaStep(), now=now, links=LINKS)


async def events_of(session: AsyncSession, rma: Rma) -> list[RmaEvent]:
    stmt = select(RmaEvent).where(RmaEvent.rma_id == rma.id).order_by(RmaEvent.at)
    return list((await session.scalars(stmt)).all())


async def mails_of(session: AsyncSession, rma: Rma) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.dedupe_key.contains(rma.number)).order_by(OutboxMessage.dedupe_key)
    return list((await session.scalars(stmt)).all())
