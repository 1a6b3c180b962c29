"""Builders for maintenance plan scenarios: a PM job template, more units, counters and readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM
from core.clock import FixedClock
from masterdata.choices import ReadingKind
from masterdata.models import Counter, CounterReading, Equipment
from masterdata.services.counters import CounterCreate, ReadingCreate, create_counter, record_reading
from service_mgmt.models import JobTemplate, JobTemplateTask
from service_mgmt.services.pm_plans import PmPlanCreate, create_plan
from tests.integration.contract_fixtures import Installed

HOURS = "operating hours"


async def pm_template(session: AsyncSession, code: str = "PM-PRN", *, active: bool = True) -> JobTemplate:
    template = JobTemplate(
        code=code,
        name="Printer preventive maintenance",
        service_type="maintenance",
        product_family="printers",
        checklist=["clean the paper path", "replace the filter"],
        active=active,
    )
    session.add(template)
    await session.flush()
    session.add(JobTemplateTask(template_id=template.id, sequence=1, name="Maintain", duration_minutes=90))
    await session.flush()
    return template


async def another_unit(
    session: AsyncSession, it: Installed, serial: str, *, site_id: UUID | None = None, status: str = "in_service"
) -> UUID:
    """One more printer of the same customer, at the same site unless told otherwise."""
    unit = Equipment(
        product_id=it.product_id,
        serial_number=serial,
        customer_id=it.customer_id,
        site_id=site_id or it.site_id,
        status=status,
        install_date=dt.date(2026, 1, 10),
    )
    session.add(unit)
    await session.flush()
    return unit.id


async def hours_counter(session: AsyncSession, equipment_id: UUID) -> Counter:
    return await create_counter(session, SYSTEM, equipment_id, CounterCreate(name=HOURS, unit="h"))


async def read(
    session: AsyncSession, counter: Counter, value: int | str, at: dt.datetime, *, kind: str = "regular"
) -> CounterReading:
    """A reading recorded at its own moment (the clock stands at `at`), as the API would."""
    data = ReadingCreate(value=Decimal(value), read_at=at, kind=ReadingKind(kind))
    return await record_reading(session, SYSTEM, counter.equipment_id, counter.id, data, clock=FixedClock(at))


async def unit_plan(session: AsyncSession, equipment_id: UUID, template_id: UUID, **fields: object) -> UUID:
    values: dict[str, object] = {"name": "Quarterly service", "starts_on": dt.date(2026, 1, 1)} | fields
    data = msgspec.convert(values | {"equipment_id": equipment_id, "template_id": template_id}, PmPlanCreate)
    return (await create_plan(session, SYSTEM, data)).id


async def line_plan(session: AsyncSession, line_id: UUID, template_id: UUID, **fields: object) -> UUID:
    values: dict[str, object] = {"name": "Contract maintenance", "starts_on": dt.date(2026, 1, 1)} | fields
    data = msgspec.convert(values | {"contract_line_id": line_id, "template_id": template_id}, PmPlanCreate)
    return (await create_plan(session, SYSTEM, data)).id
