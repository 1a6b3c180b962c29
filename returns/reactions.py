"""How `returns` reacts to other packages' domain events, and the wiring of every package below.

`register_handlers()` is what every entry point calls (app, worker, CLI, tests, benchmarks).

Parts a technician confirms are issued from their van (reference: the work order), in the
confirmation's transaction. Two choices, on purpose:
- an engineer without a van has no managed inventory: nothing is posted;
- a van short of a part fails the whole confirmation with 409 `insufficient_stock` naming the
  part (field `parts[i].quantity`): the van stock is wrong and someone must fix it (a transfer
  or an adjustment) rather than the books silently going negative or out of step.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.dependents import add_counts
from core.domain_events import subscribe
from core.errors import DomainError
from masterdata.events import CustomerDeleting
from returns.models import Rma
from returns.services import stock
from returns.services.stock_locations import van_of
from service_mgmt import reactions as service_mgmt_reactions
from service_mgmt.events import PartsConsumed


async def issue_from_van(session: AsyncSession, event: PartsConsumed) -> None:
    van = await van_of(session, event.engineer_id)
    if van is None:
        return
    for index, line in enumerate(event.lines):
        try:
            await stock.issue(
                session,
                event.actor,
                location_id=van.id,
                product_id=line.product_id,
                quantity=line.quantity,
                reference_kind="work_order",
                reference_id=event.work_order_id,
                reference_ref=event.work_order_number,
                now=event.at,
                serial_number=line.serial_in,
            )
        except DomainError as exc:
            exc.field = f"parts[{index}].{'serial_in' if exc.field == 'serial_number' else exc.field or 'product_id'}"
            raise


async def count_customer_references(session: AsyncSession, event: CustomerDeleting) -> None:
    await add_counts(session, event.dependents, {"rmas": Rma.customer_id == event.customer_id})


def register_handlers() -> None:
    """Subscribe every domain's handlers: returns' own and, through service_mgmt, those below (idempotent)."""
    service_mgmt_reactions.register_handlers()
    subscribe(PartsConsumed, issue_from_van)
    subscribe(CustomerDeleting, count_customer_references)
