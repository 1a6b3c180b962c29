"""Work orders and their tasks: /api/v1/work-orders."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.work_orders import (
    TaskOut,
    WorkOrderDetailOut,
    WorkOrderOut,
    task_out,
    work_order_detail_out,
    work_order_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from service_mgmt.choices import WorkOrderStatus
from service_mgmt.services import tasks
from service_mgmt.services import work_orders as service

READERS = STAFF | {Role.CUSTOMER}
# An agent turns a service request into a work order; the service refuses it a standalone one.
CREATORS = {Role.ADMIN, Role.PLANNER, Role.AGENT}
PLANNERS = {Role.ADMIN, Role.PLANNER}
TASK_PATH = "/{work_order_id:uuid}/tasks/{task_id:uuid}"


class WorkOrderController(Controller):
    path = "/api/v1/work-orders"
    tags = ["work orders"]

    @get("/", summary="List work orders you may see", **allow(READERS))
    async def list_work_orders(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[WorkOrderStatus | None, QueryParameter()] = None,
        request_id: Annotated[UUID | None, QueryParameter()] = None,
        engineer_id: Annotated[UUID | None, QueryParameter(description="a task is assigned to this engineer")] = None,
        planned_from: Annotated[
            dt.datetime | None, QueryParameter(description="a task starts at or after (with a UTC offset)")
        ] = None,
        planned_to: Annotated[dt.datetime | None, QueryParameter(description="a task starts before")] = None,
    ) -> PageOut[WorkOrderOut]:
        filters = service.WorkOrderFilter(
            customer_id=customer_id,
            status=status,
            request_id=request_id,
            engineer_id=engineer_id,
            planned_from=planned_from,
            planned_to=planned_to,
            custom=custom_params(dict(request.query_params)),
        )
        found = await service.list_work_orders(db_session, request.user, filters, page)
        return page_out(found, partial(work_order_out, custom=await _custom(db_session, request.user)))

    @post(
        "/",
        summary="Create a work order from a service request (request_id) or standalone",
        **allow(CREATORS),
    )
    async def create_work_order(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.WorkOrderCreate]
    ) -> WorkOrderDetailOut:
        return work_order_detail_out(
            await service.create_work_order(db_session, request.user, data), await _custom(db_session, request.user)
        )

    @get("/{work_order_id:uuid}", summary="One work order with its tasks", **allow(READERS))
    async def get_work_order(
        self, db_session: DbSession, request: Request[Principal, Any, Any], work_order_id: FromPath[UUID]
    ) -> WorkOrderDetailOut:
        return work_order_detail_out(
            await service.get_work_order(db_session, request.user, work_order_id),
            await _custom(db_session, request.user),
        )

    @patch(
        "/{work_order_id:uuid}",
        summary="Change description, priority or checklist (send the version you read)",
        **allow(PLANNERS),
    )
    async def update_work_order(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        data: JSONBody[service.WorkOrderUpdate],
    ) -> WorkOrderDetailOut:
        view = await service.update_work_order(db_session, request.user, work_order_id, data)
        return work_order_detail_out(view, await _custom(db_session, request.user))

    @post(
        "/{work_order_id:uuid}/transitions",
        summary="Change the status; scheduling needs planned tasks and passes the credit gate",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def transition_work_order(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        data: JSONBody[service.WorkOrderTransition],
    ) -> WorkOrderDetailOut:
        view = await service.transition_work_order(db_session, request.user, work_order_id, data)
        return work_order_detail_out(view, await _custom(db_session, request.user))

    @post("/{work_order_id:uuid}/tasks", summary="Add a task (before scheduling)", **allow(PLANNERS))
    async def add_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        data: JSONBody[tasks.TaskCreate],
    ) -> TaskOut:
        return task_out(await tasks.add_task(db_session, request.user, work_order_id, data))

    @patch(TASK_PATH, summary="Change a task (before scheduling; send the version you read)", **allow(PLANNERS))
    async def update_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        task_id: FromPath[UUID],
        data: JSONBody[tasks.TaskUpdate],
    ) -> TaskOut:
        return task_out(await tasks.update_task(db_session, request.user, work_order_id, task_id, data))

    @delete(TASK_PATH, summary="Remove a task (before scheduling)", **allow(PLANNERS))
    async def delete_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        task_id: FromPath[UUID],
    ) -> None:
        await tasks.delete_task(db_session, request.user, work_order_id, task_id)

    @put(
        TASK_PATH + "/dependencies",
        summary="Replace the tasks this task waits for (same work order, no cycles)",
        **allow(PLANNERS),
    )
    async def set_dependencies(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        task_id: FromPath[UUID],
        data: JSONBody[tasks.DependenciesSet],
    ) -> TaskOut:
        return task_out(await tasks.set_dependencies(db_session, request.user, work_order_id, task_id, data))

    @put(
        TASK_PATH + "/assignment",
        summary="Assign engineers by hand (crew size, skills and absences are checked)",
        **allow(PLANNERS),
    )
    async def assign_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        work_order_id: FromPath[UUID],
        task_id: FromPath[UUID],
        data: JSONBody[tasks.AssignmentSet],
    ) -> TaskOut:
        return task_out(await tasks.assign_task(db_session, request.user, work_order_id, task_id, data))


async def _custom(session: AsyncSession, principal: Principal) -> CustomView:
    return await CustomView.load(session, principal, CustomEntity.WORK_ORDER)
