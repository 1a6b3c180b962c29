"""Request and response shapes for billing runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec

from contracts.models import BillingRun

Period = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"], description="the month to bill")]


class BillingRunCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period: Period


class BillingRunOut(msgspec.Struct, kw_only=True):
    id: UUID
    period: str
    status: str
    started_by: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    finished_at: dt.datetime | None
    progress_done: int
    progress_total: int
    contracts_considered: int
    fee_lines: int
    usage_lines: int
    item_lines: int
    invoices_created: int
    invoices_updated: int
    totals: dict[str, Any]
    error: str | None


def billing_run_out(run: BillingRun) -> BillingRunOut:
    return BillingRunOut(
        id=run.id,
        period=run.period,
        status=run.status,
        started_by=run.started_by,
        started_at=run.started_at,
        heartbeat_at=run.heartbeat_at,
        finished_at=run.finished_at,
        progress_done=run.progress_done,
        progress_total=run.progress_total,
        contracts_considered=run.contracts_considered,
        fee_lines=run.fee_lines,
        usage_lines=run.usage_lines,
        item_lines=run.item_lines,
        invoices_created=run.invoices_created,
        invoices_updated=run.invoices_updated,
        totals=dict(run.totals or {}),
        error=run.error,
    )
