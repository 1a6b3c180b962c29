"""Object-level scoping: which customers a principal may see.

A customer user sees its own customer and every customer below it in the hierarchy; staff
see all. Things that are not visible answer 404, never 403, so that ids cannot be probed.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from service_mgmt.models import Customer


async def visible_customer_ids(session: AsyncSession, principal: Principal) -> set[UUID] | None:
    """None means "all customers"; otherwise the principal's customer and its descendants."""
    if not principal.is_customer:
        return None
    if principal.customer_id is None:
        return set()
    tree = select(Customer.id).where(Customer.id == principal.customer_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Customer.id).where(Customer.parent_id == tree.c.id))
    return set((await session.scalars(select(tree.c.id))).all())


async def descendant_ids(session: AsyncSession, customer_id: UUID) -> set[UUID]:
    """The customer and everything below it (used to refuse hierarchy cycles)."""
    tree = select(Customer.id).where(Customer.id == customer_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Customer.id).where(Customer.parent_id == tree.c.id))
    return set((await session.scalars(select(tree.c.id))).all())


async def can_see_customer(session: AsyncSession, principal: Principal, customer_id: UUID) -> bool:
    visible = await visible_customer_ids(session, principal)
    return visible is None or customer_id in visible
