"""Dispatch: optimization runs, publishing, manual moves, urgent insertion, appointment offers.

A new run (or a re-optimization after an insertion) is launched as the response's background task,
which Litestar runs after the response is sent, so after the request's session has committed the
queued row the run's driver will update.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.routes.entitlements import allow_read_only
from api.schemas.board import (
    BoardAssignmentOut,
    BoardOut,
    ExplanationOut,
    assignment_out,
    board_out,
    explanation_out,
)
from api.schemas.dispatch import (
    InsertionOut,
    OffersOut,
    PublishOut,
    RunOut,
    RunSummaryOut,
    insertion_out,
    offers_out,
    publish_out,
    run_out,
    run_summary_out,
)
from api.schemas.work_orders import TaskOut, task_out
from api.security import allow
from core.auth import Principal, Role
from service_mgmt.choices import DispatchRunKind, DispatchRunStatus
from service_mgmt.dispatch import board, explanations, insertion, offers, pins, publish, published_kpis, runs
from service_mgmt.dispatch.runs import Dispatcher, StartedRun

PLANNERS = {Role.ADMIN, Role.PLANNER}
READERS = PLANNERS | {Role.MANAGER}
# Offering appointment slots is also what an agent does on the phone with the customer.
OFFERERS = PLANNERS | {Role.AGENT}
RUNS = "/api/v1/dispatch/runs"
BoardDays = Literal[1, 3, 7]
BoardSort = Literal["name", "utilisation"]


async def _launch(dispatcher: Dispatcher, started: StartedRun) -> None:
    dispatcher.launch(started)


async def _cancel_local(dispatcher: Dispatcher, run_id: UUID) -> None:
    dispatcher.cancel_local(run_id)


def _dispatcher(state: State) -> Dispatcher:
    dispatcher: Dispatcher = state.dispatcher
    return dispatcher


class DispatchController(Controller):
    path = "/api/v1/dispatch"
    tags = ["dispatch"]

    @post(
        "/runs",
        summary="Start an optimization run (full, reoptimize or what_if) in the background",
        status_code=HTTP_202_ACCEPTED,
        **allow(PLANNERS),
    )
    async def start_run(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        data: JSONBody[runs.RunCreate],
    ) -> Response[RunOut]:
        started = await runs.start_run(db_session, request.user, data)
        return Response(
            run_out(started.run),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"{RUNS}/{started.run.id}"},
            background=BackgroundTask(_launch, _dispatcher(state), started),
        )

    @get("/runs", summary="List optimization runs, newest first", **allow(READERS))
    async def list_runs(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        status: Annotated[DispatchRunStatus | None, QueryParameter()] = None,
        kind: Annotated[DispatchRunKind | None, QueryParameter()] = None,
    ) -> PageOut[RunSummaryOut]:
        found = await runs.list_runs(db_session, request.user, page, status=status, kind=kind)
        return page_out(found, run_summary_out)

    @get(
        "/runs/{run_id:uuid}",
        summary="One run: status, progress, KPIs, and its plan with reasons and explanations",
        **allow(READERS),
    )
    async def get_run(
        self, db_session: DbSession, request: Request[Principal, Any, Any], run_id: FromPath[UUID]
    ) -> RunOut:
        return run_out(await runs.get_run(db_session, request.user, run_id))

    @post(
        "/runs/{run_id:uuid}/cancel",
        summary="Stop a run; it keeps the best plan found so far, marked cancelled",
        status_code=HTTP_202_ACCEPTED,
        **allow(PLANNERS),
    )
    async def cancel_run(
        self, db_session: DbSession, state: State, request: Request[Principal, Any, Any], run_id: FromPath[UUID]
    ) -> Response[RunSummaryOut]:
        run = await runs.cancel_run(db_session, request.user, run_id)
        # after commit: a run this process drives stops at once; another process's at its next heartbeat
        return Response(
            run_summary_out(run),
            status_code=HTTP_202_ACCEPTED,
            background=BackgroundTask(_cancel_local, _dispatcher(state), run.id),
        )

    @post(
        "/runs/{run_id:uuid}/publish",
        summary="Write a succeeded run's plan to the tasks (409 if any task changed since the run started)",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def publish_run(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        run_id: FromPath[UUID],
        data: JSONBody[publish.PublishIn],
    ) -> PublishOut:
        return publish_out(await publish.publish_run(db_session, request.user, run_id, data))

    @post(
        "/moves",
        summary="Move a task to engineers and a start; 422 with the violations if it breaks a constraint",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def move_task(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[publish.MoveIn]
    ) -> TaskOut:
        return task_out(await publish.move_task(db_session, request.user, data))

    @post(
        "/insertions",
        summary="Rank the feasible insertions of an urgent task into the published plan",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def insert_task(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        data: JSONBody[insertion.InsertionIn],
    ) -> Response[InsertionOut]:
        dispatcher = _dispatcher(state)
        answer = await insertion.urgent_insertion(db_session, request.user, data, cache=dispatcher.published)
        started = answer.reoptimization
        return Response(
            insertion_out(answer),
            status_code=HTTP_200_OK,
            background=BackgroundTask(_launch, dispatcher, started) if started is not None else None,
        )

    @post(
        "/offers",
        summary="Feasible appointment windows over the next days for a task, cheapest first",
        status_code=HTTP_200_OK,
        **allow_read_only(OFFERERS),
    )
    async def offer_appointments(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        data: JSONBody[offers.OfferIn],
    ) -> OffersOut:
        found = await offers.appointment_offers(db_session, request.user, data, cache=_dispatcher(state).published)
        return offers_out(found)

    # --- the board ----------------------------------------------------------------------------

    @get(
        "/board",
        summary="The dispatch board: engineers (shifts, lunches, absences), planned tasks, open tasks, routes",
        **allow_read_only(READERS),
    )
    async def get_board(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        start: Annotated[dt.date | None, QueryParameter(description="first local day; default today (UTC)")] = None,
        days: Annotated[BoardDays, QueryParameter(description="days shown: 1, 3 or 7")] = 1,
        territory: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        skill: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        sort: Annotated[
            BoardSort, QueryParameter(description="engineers by name, or by utilisation (least used first)")
        ] = "name",
    ) -> BoardOut:
        query = board.BoardQuery(
            start=start or dt.datetime.now(dt.UTC).date(), days=days, territory=territory, skill=skill, sort=sort
        )
        return board_out(await board.read_board(db_session, request.user, query))

    @get(
        "/tasks/{task_id:uuid}/explanation",
        summary="Why a task is where it is on the published plan, and the best other engineer for it",
        **allow_read_only(READERS),
    )
    async def explain_task(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        task_id: FromPath[UUID],
        policy: Annotated[str, QueryParameter(max_length=32)] = "balanced",
    ) -> ExplanationOut:
        found = await explanations.explain_on_board(
            db_session, request.user, task_id, policy=policy, cache=_dispatcher(state).published
        )
        return explanation_out(found)

    @post(
        "/tasks/{task_id:uuid}/pin",
        summary="Pin a planned task: runs keep its engineers and start (409 naming who changed it if stale)",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def pin_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        task_id: FromPath[UUID],
        data: JSONBody[pins.PinIn],
    ) -> BoardAssignmentOut:
        return assignment_out(await pins.set_pinned(db_session, request.user, task_id, data, True))

    @post(
        "/tasks/{task_id:uuid}/unpin",
        summary="Unpin a task: the next run may move it again",
        status_code=HTTP_200_OK,
        **allow(PLANNERS),
    )
    async def unpin_task(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        task_id: FromPath[UUID],
        data: JSONBody[pins.PinIn],
    ) -> BoardAssignmentOut:
        return assignment_out(await pins.set_pinned(db_session, request.user, task_id, data, False))

    @get(
        "/published/kpis",
        summary="KPIs of the published plan over a horizon, with the same keys as a run's kpis",
        **allow_read_only(READERS),
    )
    async def get_published_kpis(
        self,
        db_session: DbSession,
        state: State,
        request: Request[Principal, Any, Any],
        first_day: Annotated[dt.date | None, QueryParameter(description="default today (UTC)")] = None,
        days: Annotated[int, QueryParameter(ge=1, le=14)] = 1,
        policy: Annotated[str, QueryParameter(max_length=32)] = "balanced",
        territory: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    ) -> dict[str, Any]:
        return await published_kpis.published_kpis(
            db_session,
            request.user,
            first_day=first_day,
            days=days,
            policy=policy,
            territories=(territory,) if territory else (),
            cache=_dispatcher(state).published,
        )
