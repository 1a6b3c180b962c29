"""Response shapes for dispatch runs, publishing, insertions and offers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from api.schemas.board import MoneyOut
from service_mgmt.dispatch.insertion import InsertionAnswer, InsertionOption
from service_mgmt.dispatch.money import money
from service_mgmt.dispatch.offers import Offer
from service_mgmt.dispatch.publish import PublishResult
from service_mgmt.models import DispatchRun


class RunSummaryOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    status: str
    parameters: dict[str, Any]
    kpis: dict[str, Any] | None
    requested_by: str
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    published_at: dt.datetime | None
    published_by: str | None
    version: int


class RunOut(RunSummaryOut, kw_only=True):
    """With the search progress ([seconds, best objective] points) and the plan: routes with visits,
    unassigned tasks with their reasons, and an explanation per assignment."""

    progress: list[Any]
    plan: dict[str, Any] | None


def _fields(run: DispatchRun) -> dict[str, Any]:
    parameters = {k: v for k, v in run.parameters.items() if k != "task_versions"}
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "parameters": parameters,
        "kpis": run.kpis,
        "requested_by": run.requested_by,
        "cancel_requested": run.cancel_requested,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "published_at": run.published_at,
        "published_by": run.published_by,
        "version": run.version,
    }


def run_summary_out(run: DispatchRun) -> RunSummaryOut:
    return RunSummaryOut(**_fields(run))


def run_out(run: DispatchRun) -> RunOut:
    return RunOut(**_fields(run), progress=run.progress, plan=run.plan)


class PublishOut(msgspec.Struct, kw_only=True):
    run: RunSummaryOut
    published: list[UUID]
    kept: list[UUID]
    not_planned: list[UUID]


def publish_out(result: PublishResult) -> PublishOut:
    return PublishOut(
        run=run_summary_out(result.run),
        published=result.published,
        kept=result.kept,
        not_planned=result.not_planned,
    )


class InsertionOptionOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    engineer_name: str | None
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime
    position: int
    added_travel_seconds: int
    added_travel_metres: int
    late_seconds: int
    added_overtime_seconds: int
    added_travel_minutes: int
    cost: MoneyOut  # the added objective, which the policies weigh as cents, in the engineer's currency
    cost_units: int  # the same in the objective's integer units (what the options are ranked by)


class InsertionOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    options: list[InsertionOptionOut]
    reoptimization_run_id: UUID | None


def insertion_out(answer: InsertionAnswer) -> InsertionOut:
    return InsertionOut(
        task_id=answer.task_id,
        options=[_option(o) for o in answer.options],
        reoptimization_run_id=answer.reoptimization.run.id if answer.reoptimization else None,
    )


def _option(o: InsertionOption) -> InsertionOptionOut:
    return InsertionOptionOut(
        engineer_id=o.engineer_id,
        engineer_name=o.engineer_name,
        arrival=o.arrival,
        start=o.start,
        end=o.end,
        position=o.position,
        added_travel_seconds=o.added_travel_seconds,
        added_travel_metres=o.added_travel_metres,
        late_seconds=o.late_seconds,
        added_overtime_seconds=o.added_overtime_seconds,
        added_travel_minutes=round(o.added_travel_seconds / 60),
        cost=MoneyOut(**dataclasses.asdict(money(o.cost, o.currency))),
        cost_units=o.cost,
    )


class OfferOut(msgspec.Struct, kw_only=True):
    window_start: dt.datetime
    window_end: dt.datetime
    engineer_id: UUID
    engineer_name: str | None
    start: dt.datetime
    cost: int
    added_travel_seconds: int


class OffersOut(msgspec.Struct, kw_only=True):
    offers: list[OfferOut]


def offers_out(offers: list[Offer]) -> OffersOut:
    return OffersOut(
        offers=[
            OfferOut(
                window_start=o.window_start,
                window_end=o.window_end,
                engineer_id=o.engineer_id,
                engineer_name=o.engineer_name,
                start=o.start,
                cost=o.cost,
                added_travel_seconds=o.added_travel_seconds,
            )
            for o in offers
        ]
    )
