"""Billable items: a work order's (/api/v1/work-orders/{id}/billable-items) and the list billing reads."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.billable_items import (
    BillableItemOut,
    WorkOrderBillableItemsOut,
    billable_item_out,
    work_order_billable_items_out,
)
from api.security import allow
from contracts.choices import BillableStatus
from core.auth import Principal, Role
from service_mgmt.services import billable_work as service

# Staff who follow a job, and the work order's customer (scoped in the service); not technicians.
WORK_ORDER_READERS = {Role.CONTRACT_ADMIN, Role.ADMIN, Role.MANAGER, Role.PLANNER, Role.AGENT, Role.CUSTOMER}
# Everything waiting for billing, across customers.
BILLING_READERS = {Role.CONTRACT_ADMIN, Role.ADMIN, Role.MANAGER}


class BillableItemController(Controller):
    path = "/api/v1"
    tags = ["billable items"]

    @get(
        "/work-orders/{work_order_id:uuid}/billable-items",
        summary="A work order's billable items: labour, travel and parts, with the coverage applied",
        **allow(WORK_ORDER_READERS),
    )
    async def work_order_billable_items(
        self, db_session: DbSession, request: Request[Principal, Any, Any], work_order_id: FromPath[UUID]
    ) -> WorkOrderBillableItemsOut:
        billing = await service.work_order_billable_items(db_session, request.user, work_order_id)
        return work_order_billable_items_out(billing)

    @get("/billable-items", summary="Billable items, e.g. the open ones of a customer", **allow(BILLING_READERS))
    async def list_billable_items(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[BillableStatus | None, QueryParameter()] = None,
    ) -> PageOut[BillableItemOut]:
        filters = service.BillableItemFilter(customer_id=customer_id, status=status)
        return page_out(await service.list_billable_items(db_session, request.user, filters, page), billable_item_out)
