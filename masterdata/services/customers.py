"""Customers: create, change, block, delete (refused while referenced), list within scope."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal, Role
from core.domain_events import publish
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, FieldNotAllowed, Invalid, NotFound
from core.fields import CountryCode, Email, LongText, Name, Phone, ShortText, Version
from core.listing import Page, PageRequest, contains, paginate
from core.numbering import next_number
from masterdata.choices import CustomerStatus
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.errors import Code
from masterdata.events import CustomerDeleting
from masterdata.models import Contact, Customer, Equipment, Site, User
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import customer_scope, descendant_ids


class CustomerCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    parent_id: UUID | None = None
    email: Email | None = None
    phone: Phone | None = None
    country: CountryCode | None = None
    notes: LongText | None = None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class CustomerUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    parent_id: UUID | None | msgspec.UnsetType = msgspec.UNSET
    status: CustomerStatus | msgspec.UnsetType = msgspec.UNSET
    blocked_reason: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    email: Email | None | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | None | msgspec.UnsetType = msgspec.UNSET
    country: CountryCode | None | msgspec.UnsetType = msgspec.UNSET
    notes: LongText | None | msgspec.UnsetType = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class CustomerFilter(msgspec.Struct, kw_only=True):
    q: str | None = None
    status: CustomerStatus | None = None
    parent_id: UUID | None = None
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


BLOCKERS = frozenset({Role.ADMIN, Role.CONTRACT_ADMIN})
SORTABLE = {"number": Customer.number, "name": Customer.name, "created_at": Customer.created_at}


async def get_customer(session: AsyncSession, principal: Principal, customer_id: UUID) -> Customer:
    scope = await customer_scope(session, principal)
    customer = await session.get(Customer, customer_id)
    if customer is None or not scope.allows(customer.id):
        raise NotFound("customer", customer_id)
    return customer


async def list_customers(
    session: AsyncSession, principal: Principal, filters: CustomerFilter, page: PageRequest
) -> Page[Customer]:
    stmt = select(Customer)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, Customer.id)
    if filters.q:
        stmt = stmt.where(or_(contains(Customer.name, filters.q), contains(Customer.number, filters.q)))
    if filters.status:
        stmt = stmt.where(Customer.status == filters.status.value)
    if filters.parent_id:
        stmt = stmt.where(Customer.parent_id == filters.parent_id)
    view = await CustomView.load(session, principal, CustomEntity.CUSTOMER)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, Customer.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, Customer.custom, dialect)}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="number", tie_breaker=Customer.id)


async def create_customer(session: AsyncSession, actor: Principal, data: CustomerCreate) -> Customer:
    if data.parent_id is not None:
        await get_customer(session, actor, data.parent_id)
    customer = Customer(
        number=await next_number(session, "customer"),
        name=data.name,
        parent_id=data.parent_id,
        email=data.email,
        phone=data.phone,
        country=data.country,
        notes=data.notes,
        status=CustomerStatus.ACTIVE.value,
        custom=await apply_custom(session, actor, CustomEntity.CUSTOMER, data.custom, None),
    )
    session.add(customer)
    await session.flush()
    await audit.record(session, actor, "customer", customer.id, "create", after=audit.snapshot(customer))
    return customer


async def update_customer(session: AsyncSession, actor: Principal, customer_id: UUID, data: CustomerUpdate) -> Customer:
    customer = await get_customer(session, actor, customer_id)
    check_version("customer", customer, data.version)
    before = audit.snapshot(customer)
    changes = sent_fields(data)
    if "custom" in changes:
        changes["custom"] = await apply_custom(
            session, actor, CustomEntity.CUSTOMER, changes["custom"], customer.custom
        )
    _check_blocking_rights(actor, customer, changes)
    if "parent_id" in changes and changes["parent_id"] is not None:
        await _check_new_parent(session, actor, customer, changes["parent_id"])
    apply(customer, changes)
    _check_block_reason(customer)
    if customer.status == CustomerStatus.ACTIVE:
        customer.blocked_reason = None
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(customer))
    await audit.record(session, actor, "customer", customer.id, "update", before=old, after=new)
    return customer


async def _check_new_parent(session: AsyncSession, actor: Principal, customer: Customer, parent_id: UUID) -> None:
    await get_customer(session, actor, parent_id)
    if parent_id in await descendant_ids(session, customer.id):
        raise Invalid(
            Code.CUSTOMER_HIERARCHY_CYCLE,
            "the new parent is the customer itself or one of its subsidiaries",
            field="parent_id",
        )


def _check_blocking_rights(actor: Principal, customer: Customer, changes: dict[str, Any]) -> None:
    """Blocking and unblocking is the contract admins' (docs/api.md): others may send the
    status and reason they read back, but not change them."""
    if actor.role in BLOCKERS:
        return
    for name in ("status", "blocked_reason"):
        if name in changes and changes[name] != getattr(customer, name):
            raise FieldNotAllowed(name, "only contract admins block and unblock customers")


def _check_block_reason(customer: Customer) -> None:
    if customer.status == CustomerStatus.BLOCKED and not customer.blocked_reason:
        raise Invalid(Code.BLOCKED_REASON_REQUIRED, "a blocked customer needs a blocked_reason", field="blocked_reason")


async def delete_customer(session: AsyncSession, actor: Principal, customer_id: UUID) -> None:
    customer = await get_customer(session, actor, customer_id)
    dependents = await _dependents(session, customer.id)
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.CUSTOMER_IN_USE,
            f"customer {customer.number} is still referenced by {listed}",
            extra={"dependents": dependents},
        )
    before = audit.snapshot(customer)
    await session.delete(customer)
    await session.flush()
    await audit.record(session, actor, "customer", customer_id, "delete", before=before)


async def _dependents(session: AsyncSession, customer_id: UUID) -> dict[str, int]:
    checks: dict[str, Any] = {
        "subsidiaries": Customer.parent_id,
        "contacts": Contact.customer_id,
        "sites": Site.customer_id,
        "equipment": Equipment.customer_id,
        "users": User.customer_id,
    }
    found: dict[str, int] = {}
    for name, column in checks.items():
        count = await session.scalar(select(func.count()).where(column == customer_id))
        if count:
            found[name] = int(count)
    # Contracts, requests, returns ... are other domains' references: each adds its own.
    event = CustomerDeleting(customer_id)
    await publish(session, event)
    found.update({name: count for name, count in event.dependents.items() if count})
    return found
