"""The entitlement check for a customer's equipment or site: gather the object's facts here,
decide in `contracts` (which knows warranties and contracts but not the installed base)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from contracts.entitlement_rule import Decision
from contracts.services.entitlement import ObjectFacts, check_entitlement
from core.auth import Principal
from core.errors import Invalid, NotFound
from service_mgmt.errors import Code
from service_mgmt.models import Counter, CounterReading, Customer, Equipment, Product, Site
from service_mgmt.services.visibility import visible_customer_ids


class EntitlementQuery(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    equipment_id: UUID | None = None
    site_id: UUID | None = None
    service_type: ServiceType = ServiceType.REPAIR
    priority: Priority = Priority.P3
    moment: dt.datetime | None = None  # default: now


async def run_entitlement_check(
    session: AsyncSession, principal: Principal, query: EntitlementQuery, now: dt.datetime
) -> Decision:
    moment = query.moment or now
    if moment.tzinfo is None:
        raise Invalid(
            "naive_datetime", "moment needs a time zone offset, e.g. 2026-11-20T16:30:00+01:00", field="moment"
        )
    facts = await object_facts(session, principal, query)
    return await check_entitlement(session, facts, query.service_type.value, query.priority, moment)


async def object_facts(session: AsyncSession, principal: Principal, query: EntitlementQuery) -> ObjectFacts:
    visible = await visible_customer_ids(session, principal)
    customer = await session.get(Customer, query.customer_id)
    if customer is None or (visible is not None and customer.id not in visible):
        raise NotFound("customer", query.customer_id, field="customer_id")
    if query.equipment_id is None and query.site_id is None:
        raise Invalid("object_required", "give equipment_id or site_id", field="equipment_id")

    equipment = await _equipment(session, query) if query.equipment_id else None
    site_id = query.site_id or (equipment.site_id if equipment else None)
    site = await session.get(Site, site_id) if site_id else None
    if site is not None and site.customer_id != customer.id:
        raise Invalid(Code.SITE_NOT_OF_CUSTOMER, "the site belongs to another customer", field="site_id")
    family = (
        await session.scalar(select(Product.family).where(Product.id == equipment.product_id)) if equipment else None
    )
    return ObjectFacts(
        customer_id=customer.id,
        equipment_id=equipment.id if equipment else None,
        site_id=site.id if site else None,
        product_family=family,
        time_zone=site.time_zone if site else "UTC",
        counters=await latest_readings(session, equipment.id) if equipment else {},
    )


async def _equipment(session: AsyncSession, query: EntitlementQuery) -> Equipment:
    equipment = await session.get(Equipment, query.equipment_id)
    if equipment is None or equipment.customer_id != query.customer_id:
        # Someone else's unit answers like a missing one.
        raise NotFound("equipment", query.equipment_id, field="equipment_id")
    return equipment


async def latest_readings(session: AsyncSession, equipment_id: UUID) -> dict[str, Decimal]:
    latest = (
        select(CounterReading.counter_id, func.max(CounterReading.read_at).label("read_at"))
        .join(Counter, Counter.id == CounterReading.counter_id)
        .where(Counter.equipment_id == equipment_id)
        .group_by(CounterReading.counter_id)
        .subquery()
    )
    rows = await session.execute(
        select(Counter.name, CounterReading.value)
        .join(CounterReading, CounterReading.counter_id == Counter.id)
        .join(latest, (latest.c.counter_id == CounterReading.counter_id) & (latest.c.read_at == CounterReading.read_at))
    )
    return {name: Decimal(value) for name, value in rows.all()}
