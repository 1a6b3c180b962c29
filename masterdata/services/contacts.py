"""Contacts: the people at a customer; customer users manage those of their own customers.

A customer has at most one primary contact: marking a contact primary demotes the previous
one in the same transaction (and audits that change too), so callers never see two.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import NotFound
from core.fields import Email, Phone, Version
from core.listing import Page, PageRequest, paginate
from masterdata.models import Contact, Customer
from masterdata.services.visibility import can_see_customer, customer_scope

PersonName = Annotated[str, Meta(min_length=1, max_length=100)]
ContactRole = Annotated[str, Meta(min_length=1, max_length=60, description="job role, e.g. 'Facility Manager'")]


class ContactCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    first_name: PersonName
    last_name: PersonName
    email: Email | None = None
    phone: Phone | None = None
    role: ContactRole | None = None
    is_primary: bool = False


class ContactUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A contact stays with its customer; create a new one at the other customer instead."""

    version: Version
    first_name: PersonName | msgspec.UnsetType = msgspec.UNSET
    last_name: PersonName | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    role: ContactRole | msgspec.UnsetType | None = msgspec.UNSET
    is_primary: bool | msgspec.UnsetType = msgspec.UNSET


class ContactFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    q: str | None = None


SORTABLE = {
    "last_name": Contact.last_name,
    "first_name": Contact.first_name,
    "email": Contact.email,
    "created_at": Contact.created_at,
}


async def get_contact(session: AsyncSession, principal: Principal, contact_id: UUID) -> Contact:
    contact = await session.get(Contact, contact_id)
    if contact is None or not await can_see_customer(session, principal, contact.customer_id):
        raise NotFound("contact", contact_id)
    return contact


async def list_contacts(
    session: AsyncSession, principal: Principal, filters: ContactFilter, page: PageRequest
) -> Page[Contact]:
    stmt = select(Contact)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, Contact.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Contact.customer_id == filters.customer_id)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        full_name = func.lower(Contact.first_name + " " + Contact.last_name)
        stmt = stmt.where(or_(full_name.like(pattern), func.lower(Contact.email).like(pattern)))
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="last_name", tie_breaker=Contact.id)


async def create_contact(session: AsyncSession, actor: Principal, data: ContactCreate) -> Contact:
    await _require_customer(session, actor, data.customer_id)
    contact = Contact(
        customer_id=data.customer_id,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        phone=data.phone,
        role=data.role,
        is_primary=data.is_primary,
    )
    session.add(contact)
    await session.flush()
    await audit.record(session, actor, "contact", contact.id, "create", after=audit.snapshot(contact))
    if contact.is_primary:
        await _demote_other_primaries(session, actor, contact)
    return contact


async def update_contact(session: AsyncSession, actor: Principal, contact_id: UUID, data: ContactUpdate) -> Contact:
    contact = await get_contact(session, actor, contact_id)
    check_version("contact", contact, data.version)
    before = audit.snapshot(contact)
    apply(contact, sent_fields(data))
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(contact))
    await audit.record(session, actor, "contact", contact.id, "update", before=old, after=new)
    if new.get("is_primary"):
        await _demote_other_primaries(session, actor, contact)
    return contact


async def delete_contact(session: AsyncSession, actor: Principal, contact_id: UUID) -> None:
    contact = await get_contact(session, actor, contact_id)
    before = audit.snapshot(contact)
    await session.delete(contact)
    await session.flush()
    await audit.record(session, actor, "contact", contact_id, "delete", before=before)


async def _require_customer(session: AsyncSession, actor: Principal, customer_id: UUID) -> None:
    # An invisible customer answers exactly like a missing one, so ids cannot be probed.
    if await session.get(Customer, customer_id) is None or not await can_see_customer(session, actor, customer_id):
        raise NotFound("customer", customer_id, field="customer_id")


async def _demote_other_primaries(session: AsyncSession, actor: Principal, primary: Contact) -> None:
    others = await session.scalars(
        select(Contact).where(
            Contact.customer_id == primary.customer_id, Contact.is_primary.is_(True), Contact.id != primary.id
        )
    )
    for other in others.all():
        before = audit.snapshot(other)
        other.is_primary = False
        await session.flush()
        old, new = audit.changed(before, audit.snapshot(other))
        await audit.record(session, actor, "contact", other.id, "update", before=old, after=new)
