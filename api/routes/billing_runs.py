"""Billing runs: contract_admin starts one for a month; it runs after the response, in this process.

The run commits chunk by chunk in sessions of its own; progress is read from its record.
If this process dies, the next start takes over once the heartbeat is stale."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.billing_runs import BillingRunCreate, BillingRunOut, billing_run_out
from api.security import allow
from contracts.services import billing_run
from core.auth import Principal, Role
from core.settings import Settings

RUNNERS = {Role.CONTRACT_ADMIN}
READERS = RUNNERS | {Role.MANAGER}
RUNS = "/api/v1/billing-runs"


async def _execute(state: State, run_id: UUID) -> None:
    settings: Settings = state.settings
    try:
        await billing_run.execute_run(state.sessions, run_id, settings.billing)
    except Exception:  # noqa: BLE001 - the run record says what failed; nobody awaits this task
        return


class BillingRunController(Controller):
    path = RUNS
    tags = ["billing"]

    @post(
        "/",
        summary="Start the billing run of a month (fees, usage, billable items into draft invoices)",
        status_code=HTTP_202_ACCEPTED,
        **allow(RUNNERS),
    )
    async def start(
        self, state: State, request: Request[Principal, Any, Any], data: JSONBody[BillingRunCreate]
    ) -> Response[BillingRunOut]:
        run = await billing_run.start_run(state.sessions, request.user, data.period)
        return Response(
            billing_run_out(run),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"{RUNS}/{run.id}"},
            background=BackgroundTask(_execute, state, run.id),
        )

    @get("/", summary="Billing runs, newest first", **allow(READERS))
    async def list_runs(
        self,
        db_session: DbSession,
        page: Paging,
        period: Annotated[str | None, QueryParameter(pattern=r"^\d{4}-\d{2}$")] = None,
    ) -> PageOut[BillingRunOut]:
        return page_out(await billing_run.list_runs(db_session, page, period=period), billing_run_out)

    @get("/{run_id:uuid}", summary="One billing run: status, progress, counts and totals", **allow(READERS))
    async def get_run(self, db_session: DbSession, run_id: FromPath[UUID]) -> BillingRunOut:
        return billing_run_out(await billing_run.get_run(db_session, run_id))
