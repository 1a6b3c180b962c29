"""How `service_mgmt` reacts to other packages' domain events, and the wiring of those below it.

- a counter reading → the preventive-maintenance calls it triggers (`pm_calls.calls_after_reading`);
- a customer or site about to be deleted → the service requests and work orders that still refer
  to it, listed in the 409.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import reactions as contracts_reactions
from core.dependents import add_counts
from core.domain_events import subscribe
from masterdata.events import CounterReadingRecorded, CustomerDeleting, SiteDeleting
from service_mgmt.models import ServiceRequest, Task, WorkOrder
from service_mgmt.services.pm_calls import calls_after_reading


async def order_maintenance_due(session: AsyncSession, event: CounterReadingRecorded) -> None:
    await calls_after_reading(session, event.counter, event.reading, clock=event.clock)


async def count_customer_references(session: AsyncSession, event: CustomerDeleting) -> None:
    await add_counts(
        session,
        event.dependents,
        {
            "service_requests": ServiceRequest.customer_id == event.customer_id,
            "work_orders": WorkOrder.customer_id == event.customer_id,
        },
    )


async def count_site_references(session: AsyncSession, event: SiteDeleting) -> None:
    await add_counts(
        session,
        event.dependents,
        {
            "service_requests": ServiceRequest.site_id == event.site_id,
            "work_orders": WorkOrder.site_id == event.site_id,
            "tasks": Task.site_id == event.site_id,
        },
    )


def register_handlers() -> None:
    """Subscribe the service_mgmt handlers and those of the packages below it (idempotent)."""
    contracts_reactions.register_handlers()
    subscribe(CounterReadingRecorded, order_maintenance_due)
    subscribe(CustomerDeleting, count_customer_references)
    subscribe(SiteDeleting, count_site_references)
