"""The technician's phone: /api/v1/technician (own tasks only), and confirmations of a work order."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import DbSession
from api.idempotency import IdempotencyKey, idempotent
from api.schemas.technician import (
    ConfirmationOut,
    ConfirmationResultOut,
    JobOut,
    JobSummaryOut,
    StatusResultOut,
    confirmation_out,
    confirmation_result_out,
    job_out,
    job_summary_out,
    status_result_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK
from service_mgmt.services import confirmations, task_status, technician_jobs
from service_mgmt.services.confirmation_input import SIGNATURE_LIMIT, ConfirmationCreate

TECHNICIAN = {Role.TECHNICIAN}
CONFIRMATION_READERS = STAFF | {Role.CUSTOMER}
# A confirmation carries a signature image of up to 512 KiB, base64-encoded (4/3 of it), and the rest.
CONFIRMATION_BODY_LIMIT = 2 * SIGNATURE_LIMIT


class TechnicianController(Controller):
    path = "/api/v1/technician"
    tags = ["technician"]

    @get(
        "/tasks",
        summary="My tasks by planned start (default today and the next 7 days, UTC) plus those under way",
        **allow(TECHNICIAN),
    )
    async def list_tasks(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        first: Annotated[str | None, QueryParameter(name="from", description="first UTC day, YYYY-MM-DD")] = None,
        last: Annotated[str | None, QueryParameter(name="to", description="last UTC day, inclusive")] = None,
    ) -> list[JobSummaryOut]:
        jobs = await technician_jobs.list_my_tasks(db_session, request.user, first, last, now=SYSTEM_CLOCK.now())
        return [job_summary_out(job) for job in jobs]

    @get("/tasks/{task_id:uuid}", summary="One of my tasks with everything needed on site", **allow(TECHNICIAN))
    async def get_task(
        self, db_session: DbSession, request: Request[Principal, Any, Any], task_id: FromPath[UUID]
    ) -> JobOut:
        return job_out(await technician_jobs.job_bundle(db_session, request.user, task_id))

    @post(
        "/tasks/{task_id:uuid}/status",
        summary="Report en route or on site (device time); the work order and request follow",
        status_code=HTTP_200_OK,
        responses={HTTP_200_OK: ResponseSpec(data_container=StatusResultOut, description="the step was recorded")},
        **allow(TECHNICIAN),
    )
    async def report_status(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        task_id: FromPath[UUID],
        data: JSONBody[task_status.StatusReport],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def run() -> StatusResultOut:
            return status_result_out(await task_status.report_status(db_session, request.user, task_id, data))

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_200_OK)

    @post(
        "/tasks/{task_id:uuid}/confirmation",
        summary="Confirm the task: time, parts, readings, findings, signature; completes it",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_201_CREATED: ResponseSpec(data_container=ConfirmationResultOut, description="the task is completed")
        },
        request_max_body_size=CONFIRMATION_BODY_LIMIT,
        **allow(TECHNICIAN),
    )
    async def confirm_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        task_id: FromPath[UUID],
        data: JSONBody[ConfirmationCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def run() -> ConfirmationResultOut:
            result = await confirmations.confirm_task(db_session, request.user, task_id, data)
            return confirmation_result_out(result)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)


@get(
    "/api/v1/work-orders/{work_order_id:uuid}/confirmations",
    summary="What the technicians reported on a work order (no signature images)",
    tags=["work orders"],
    **allow(CONFIRMATION_READERS),
)
async def list_confirmations(
    db_session: DbSession, request: Request[Principal, Any, Any], work_order_id: FromPath[UUID]
) -> list[ConfirmationOut]:
    views = await confirmations.list_confirmations(db_session, request.user, work_order_id)
    return [confirmation_out(view) for view in views]
