"""A small world for visibility tests: a party (a customer with its engineer) owning one of each
object a customer or a technician can address by id.

Built from the scenario fixtures the domain tests already use, as rows and service calls, so a
party costs a few hundred milliseconds. `Party.ids` names each object by a key that the
visibility tests map path and body parameters to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.services.payments import PaymentCreate, record_payment
from core.auth import SYSTEM
from masterdata.models import Contact, Counter, Customer, Site
from returns.services.rmas import RmaStep, authorize
from tests.integration import receivable_fixtures
from tests.integration.contract_fixtures import contract_for, warranty_for
from tests.integration.invoice_fixtures import exempt_profile
from tests.integration.pm_fixtures import pm_template, unit_plan
from tests.integration.repair_fixtures import credit_account
from tests.integration.rma_fixtures import LINKS, NOW, RmaParty, requested_rma
from tests.integration.service_report_fixtures import completed_work_order


@dataclass
class Party:
    name: str
    customer_id: UUID
    engineer_id: UUID
    ids: dict[str, str] = field(default_factory=dict)  # world key -> id (or number) of this party's object


async def build_party(session: AsyncSession, name: str, offset: int) -> Party:
    """A customer with a site, a printer (counter, warranty, contract line, PM plan), a contact, a
    completed call and work order done by its own engineer, an authorized RMA, an issued invoice,
    a payment, a billing profile and a credit account. `offset` keeps unique codes apart."""
    done = await completed_work_order(session, name=name, number=f"WO-{name}")
    it = done.it
    customer = await session.get(Customer, it.customer_id)
    site = await session.get(Site, it.site_id)
    assert customer is not None and site is not None
    customer.email = f"office@{name.lower()}.example"
    site.street, site.postal_code, site.city = "Main 1", "10115", "Berlin"
    contact = Contact(customer_id=it.customer_id, first_name="Jane", last_name=name, email=f"jane@{name}.example")
    counter = Counter(equipment_id=it.equipment_id, name="operating hours", unit="h")
    session.add_all([contact, counter])
    await session.flush()

    warranty = await warranty_for(session, it, ends_on=dt.date(2027, 1, 1) + dt.timedelta(days=offset))
    contract, line = await contract_for(session, it, number=f"SC-{name}")
    template = await pm_template(session, code=f"PM-{name}")
    plan_id = await unit_plan(session, it.equipment_id, template.id, interval_months=3)
    rma = await requested_rma(session, RmaParty(it, contact.id, contact.email or ""))
    rma = await authorize(session, SYSTEM, rma.id, RmaStep(), now=NOW, links=LINKS)
    invoice = await receivable_fixtures.issued_invoice(
        session, it.customer_id, "100.00", issued_on=dt.date(2026, 3, 1), number=f"INV-{name}"
    )
    payment = await record_payment(
        session,
        SYSTEM,
        PaymentCreate(customer_id=it.customer_id, amount=Decimal("50.00"), currency="EUR", received_on=dt.date.today()),
    )
    profile = await exempt_profile(session, it.customer_id, "export outside the EU")
    await credit_account(session, it.customer_id)

    ids: dict[str, UUID | str] = {
        "customer": it.customer_id,
        "site": it.site_id,
        "equipment": it.equipment_id,
        "contact": contact.id,
        "counter": counter.id,
        "warranty": warranty.id,
        "contract": contract.id,
        "contract_line": line.id,
        "service_request": done.request_id,
        "work_order": done.work_order_id,
        "task": done.task_id,
        "engineer": done.engineer_id,
        "pm_plan": plan_id,
        "rma": rma.id,
        "rma_number": rma.number,
        "invoice": invoice.id,
        "payment": payment.payment.id,
        "billing_profile": profile.id,
    }
    return Party(name, it.customer_id, done.engineer_id, {key: str(value) for key, value in ids.items()})
