"""Builders for billing scenarios: a call logged through the real service (so the request holds
a real entitlement snapshot), its work order, and confirmations written as plain rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from core.auth import SYSTEM
from core.clock import FixedClock
from masterdata.models import Engineer, Product
from service_mgmt.models import Confirmation, PartConsumption, ServiceRequest, Task, TimeEntry, WorkOrder
from service_mgmt.services import work_orders
from service_mgmt.services.service_requests import RequestCreate, log_request
from tests.integration.contract_fixtures import Installed

LOGGED_AT = dt.datetime(2026, 3, 2, 7, 30, tzinfo=dt.UTC)
COMPLETED_AT = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


async def service_products(
    session: AsyncSession, *, labour: str = "98.00", flat_travel: str | None = "85.00", currency: str = "EUR"
) -> None:
    """The service products billing prices with: a labour hour and (optionally) a flat travel rate."""
    session.add(_product("SVC-LABOUR", "Labour hour", labour, "h", currency))
    if flat_travel is not None:
        session.add(_product("SVC-TRAVEL-FLAT", "Travel flat rate", flat_travel, "visit", currency))
    await session.flush()


async def spare_part(session: AsyncSession, sku: str, price: str, *, currency: str = "EUR") -> Product:
    part = Product(
        sku=sku,
        name=f"Part {sku}",
        kind="spare_part",
        serialized=False,
        list_price=Decimal(price),
        currency=currency,
        unit="pc",
    )
    session.add(part)
    await session.flush()
    return part


def _product(sku: str, name: str, price: str, unit: str, currency: str) -> Product:
    return Product(
        sku=sku, name=name, kind="service", serialized=False, list_price=Decimal(price), currency=currency, unit=unit
    )


async def engineer(session: AsyncSession, number: str, name: str) -> Engineer:
    row = Engineer(
        number=number,
        name=name,
        home_latitude=52.5,
        home_longitude=13.4,
        time_zone="Europe/Berlin",
        cost_rate=Decimal("55.00"),
        currency="EUR",
    )
    session.add(row)
    await session.flush()
    return row


@dataclass
class Job:
    it: Installed
    request: ServiceRequest
    work_order: WorkOrder
    tasks: list[Task] = field(default_factory=list)


async def job(session: AsyncSession, it: Installed, *, task_names: Sequence[str] = ("Repair",)) -> Job:
    """A call about the unit, logged at LOGGED_AT (entitlement checked), and its work order with tasks."""
    request = await log_request(
        session,
        SYSTEM,
        RequestCreate(
            customer_id=it.customer_id,
            equipment_id=it.equipment_id,
            symptom="streaks on every page",
            priority=Priority.P1,
            service_type=ServiceType.REPAIR,
        ),
        clock=FixedClock(LOGGED_AT),
    )
    tasks = [
        work_orders.TaskIn(sequence=n, name=name, duration_minutes=60) for n, name in enumerate(task_names, start=1)
    ]
    view = await work_orders.create_work_order(
        session, SYSTEM, work_orders.WorkOrderCreate(request_id=request.id, tasks=tasks), clock=FixedClock(LOGGED_AT)
    )
    return Job(it, request, view.work_order, [t.task for t in view.tasks])


def hours(start: dt.datetime, h: float) -> tuple[dt.datetime, dt.datetime]:
    return start, start + dt.timedelta(hours=h)


async def confirm(
    session: AsyncSession,
    job: Job,
    task: Task,
    by: Engineer,
    *,
    work: Sequence[tuple[dt.datetime, dt.datetime]] = (),
    travel: Sequence[tuple[dt.datetime, dt.datetime]] = (),
    parts: Sequence[tuple[Product, str]] = (),
    crew: Sequence[tuple[Engineer, Sequence[tuple[dt.datetime, dt.datetime]]]] = (),
) -> Confirmation:
    """The technician's confirmation of a task: time entries (also of crew members) and parts used."""
    confirmation = Confirmation(
        task_id=task.id, work_order_id=job.work_order.id, engineer_id=by.id, completed_at=COMPLETED_AT
    )
    session.add(confirmation)
    await session.flush()

    def entry(engineer_id: UUID, kind: str, span: tuple[dt.datetime, dt.datetime]) -> TimeEntry:
        return TimeEntry(
            confirmation_id=confirmation.id,
            work_order_id=job.work_order.id,
            engineer_id=engineer_id,
            kind=kind,
            started_at=span[0],
            ended_at=span[1],
        )

    session.add_all([entry(by.id, "work", span) for span in work] + [entry(by.id, "travel", span) for span in travel])
    session.add_all([entry(member.id, "work", span) for member, spans in crew for span in spans])
    for product, quantity in parts:  # one by one, so "the order they were recorded" is defined
        session.add(
            PartConsumption(
                confirmation_id=confirmation.id,
                work_order_id=job.work_order.id,
                product_id=product.id,
                quantity=Decimal(quantity),
            )
        )
        await session.flush()
    await session.flush()
    return confirmation


def completed(job: Job, at: dt.datetime = COMPLETED_AT) -> WorkOrder:
    job.work_order.status = "completed"
    job.work_order.completed_at = at
    return job.work_order
