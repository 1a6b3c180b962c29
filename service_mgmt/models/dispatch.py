"""Dispatch optimization runs: what was asked, how the search went, and the plan it produced."""

from __future__ import annotations

import datetime as dt
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import VersionedEntity, sql_in
from service_mgmt.choices import DispatchRunKind, DispatchRunStatus


class DispatchRun(VersionedEntity):
    """One optimizer run. The plan is stored as the solver answered it (DB ids, UTC times), so a run
    can be read, compared and published later without solving again."""

    __tablename__ = "dispatch_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(DispatchRunStatus)}", name="status_valid"),
        CheckConstraint(f"kind IN {sql_in(DispatchRunKind)}", name="kind_valid"),
        CheckConstraint("finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at", name="finish_order"),
        Index("ix_dispatch_runs_status_created", "status", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=DispatchRunStatus.QUEUED.value)
    # horizon, policy, time limit, filters, what-if changes, and the task versions seen at the start
    parameters: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    # [[seconds since the search began, best objective], ...]
    progress: Mapped[list[Any]] = mapped_column(JsonB, default=list)
    kpis: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JsonB)
    requested_by: Mapped[str] = mapped_column(String(150))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # the driver's "still alive", every few seconds while queued or running (see dispatch/stale.py)
    heartbeat_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(150))
