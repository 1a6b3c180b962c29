"""Object-level scoping: which customers' data a caller may see.

A customer user sees its own customer and every customer below it in the hierarchy; staff and
technicians see all. Things that are not visible answer 404, never 403, so that ids cannot be
probed. Every service that reads customer-owned data takes a `CustomerScope` as a required
argument: there is no default, and "everyone" is a scope written out at the call site
(`CustomerScope.everyone()`), so forgetting to scope is a type error rather than a leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from masterdata.models import Customer

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class CustomerScope:
    """The customers a caller may see: every one (staff, jobs) or an explicit set (a customer's tree)."""

    customer_ids: frozenset[UUID] | None

    @classmethod
    def everyone(cls) -> CustomerScope:
        return cls(None)

    @classmethod
    def only(cls, customer_ids: set[UUID] | frozenset[UUID]) -> CustomerScope:
        return cls(frozenset(customer_ids))

    @property
    def is_everyone(self) -> bool:
        return self.customer_ids is None

    def allows(self, customer_id: UUID | None) -> bool:
        return self.customer_ids is None or customer_id in self.customer_ids

    def condition(self, column: Any) -> ColumnElement[bool] | None:
        """The WHERE clause restricting `column` (a customer id) to the scope; None for everyone."""
        if self.customer_ids is None:
            return None
        return column.in_(self.customer_ids) if self.customer_ids else false()

    def restrict(self, stmt: S, column: Any) -> S:
        """`stmt` limited to rows whose `column` (a customer id) lies in the scope."""
        condition = self.condition(column)
        return stmt if condition is None else stmt.where(condition)


async def customer_scope(session: AsyncSession, principal: Principal) -> CustomerScope:
    """The scope of a logged-in principal: its customer's tree for a customer user, everyone for staff."""
    if not principal.is_customer:
        return CustomerScope.everyone()
    if principal.customer_id is None:
        return CustomerScope.only(set())
    return CustomerScope.only(await descendant_ids(session, principal.customer_id))


async def descendant_ids(session: AsyncSession, customer_id: UUID) -> set[UUID]:
    """The customer and everything below it (a customer's scope; also refuses hierarchy cycles)."""
    tree = select(Customer.id).where(Customer.id == customer_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Customer.id).where(Customer.parent_id == tree.c.id))
    return set((await session.scalars(select(tree.c.id))).all())


async def can_see_customer(session: AsyncSession, principal: Principal, customer_id: UUID) -> bool:
    return (await customer_scope(session, principal)).allows(customer_id)
