"""The entitlement check for a customer's equipment or site: gather the object's facts here,
decide in `contracts` (which knows warranties and contracts but not the installed base)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from contracts.entitlement_rule import Decision
from contracts.services.entitlement import ObjectFacts, check_entitlement
from core.auth import Principal
from core.errors import Invalid, NotFound
from masterdata.models import Customer, Equipment, Product, Site
from masterdata.services.visibility import customer_scope
from service_mgmt.errors import Code


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
    """The customer, unit, site and product family of a request, read in one statement.

    Counter readings are left to the check, which reads only those a warranty is limited by.
    """
    scope = await customer_scope(session, principal)
    params = {"customer_id": query.customer_id, "equipment_id": query.equipment_id, "site_id": query.site_id}
    # Plain columns on the session's connection, past the ORM's per-statement work (see
    # contracts.services.entitlement); pending changes are flushed first, as autoflush would.
    await session.flush()
    row = (await (await session.connection()).execute(_OBJECT, params)).one_or_none()
    if row is None or not scope.allows(row.customer_id):
        raise NotFound("customer", query.customer_id, field="customer_id")
    if query.equipment_id is None and query.site_id is None:
        raise Invalid("object_required", "give equipment_id or site_id", field="equipment_id")
    if query.equipment_id is not None and (row.equipment_id is None or row.owner_id != row.customer_id):
        # Someone else's unit answers like a missing one.
        raise NotFound("equipment", query.equipment_id, field="equipment_id")
    if query.site_id is not None and (row.site_id is None or not scope.allows(row.site_customer_id)):
        # An unknown site, or one of a customer the caller may not see: the same answer, so
        # site ids cannot be probed (a visible one of another customer is a plain mistake).
        raise NotFound("site", query.site_id, field="site_id")
    if row.site_id is not None and row.site_customer_id != row.customer_id:
        raise Invalid(Code.SITE_NOT_OF_CUSTOMER, "the site belongs to another customer", field="site_id")
    return ObjectFacts(
        customer_id=row.customer_id,
        equipment_id=row.equipment_id,
        site_id=row.site_id,
        product_family=row.family,
        time_zone=row.time_zone or "UTC",
    )


# One row when the customer exists, with the unit and its product when asked for (a NULL id
# matches nothing), and the site asked for or else the unit's own. Built once: see
# contracts.services.entitlement for why.
_EQUIPMENT_ID = bindparam("equipment_id", type_=Equipment.id.type)
_OBJECT = (
    select(
        Customer.id.label("customer_id"),
        Equipment.id.label("equipment_id"),
        Equipment.customer_id.label("owner_id"),
        Product.family,
        Site.id.label("site_id"),
        Site.customer_id.label("site_customer_id"),
        Site.time_zone,
    )
    .select_from(Customer)
    .outerjoin(Equipment, Equipment.id == _EQUIPMENT_ID)
    .outerjoin(Product, Product.id == Equipment.product_id)
    .outerjoin(Site, Site.id == func.coalesce(bindparam("site_id", type_=Site.id.type), Equipment.site_id))
    .where(Customer.id == bindparam("customer_id", type_=Customer.id.type))
)
