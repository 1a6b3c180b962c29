"""How `contracts` reacts to master data's domain events (see core.domain_events).

- a unit registered, or given its install or ship date → its product's default warranty;
- a customer or site about to be deleted → the contracts, warranties, credit and billing
  records that still refer to it, so the delete answers 409 with the list instead of a
  foreign-key error.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import (
    BillableItem,
    BillingProfile,
    ContractLine,
    CreditAccount,
    Invoice,
    Payment,
    ServiceContract,
    Warranty,
)
from contracts.services.warranties import grant_default_warranty
from core.dependents import add_counts
from core.domain_events import subscribe
from masterdata.events import CustomerDeleting, SiteDeleting, UnitDatesRecorded


async def grant_warranty(session: AsyncSession, event: UnitDatesRecorded) -> None:
    await grant_default_warranty(
        session,
        event.actor,
        event.equipment_id,
        event.customer_id,
        event.product_id,
        event.install_date,
        event.ship_date,
        {},
    )


async def count_customer_references(session: AsyncSession, event: CustomerDeleting) -> None:
    customer_id = event.customer_id
    await add_counts(
        session,
        event.dependents,
        {
            "contracts": ServiceContract.customer_id == customer_id,
            "warranties": Warranty.customer_id == customer_id,
            "credit_accounts": CreditAccount.customer_id == customer_id,
            "billing_profiles": or_(
                BillingProfile.customer_id == customer_id, BillingProfile.bill_to_customer_id == customer_id
            ),
            "billable_items": BillableItem.customer_id == customer_id,
            "invoices": Invoice.customer_id == customer_id,
            "payments": Payment.customer_id == customer_id,
        },
    )


async def count_site_references(session: AsyncSession, event: SiteDeleting) -> None:
    await add_counts(session, event.dependents, {"contract_lines": ContractLine.site_id == event.site_id})


def register_handlers() -> None:
    """Subscribe the contracts handlers (idempotent)."""
    subscribe(UnitDatesRecorded, grant_warranty)
    subscribe(CustomerDeleting, count_customer_references)
    subscribe(SiteDeleting, count_site_references)
