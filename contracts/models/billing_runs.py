"""Billing runs, and what usage billing remembers between them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import BillingRunStatus
from core.db import Entity, sql_in

VOLUME = Numeric(18, 3)


class BillingRun(Entity):
    """One billing run: who started it, for which month, how far it got and what it billed.

    `running_lock` is set while the run is running and unique, so the database admits one
    running run at a time; a run whose process died is marked abandoned by the next one."""

    __tablename__ = "billing_runs"
    __table_args__ = (
        UniqueConstraint("running_lock", name="uq_billing_runs_one_running"),
        CheckConstraint(f"status IN {sql_in(BillingRunStatus)}", name="status_valid"),
        CheckConstraint("(status = 'running') = (running_lock IS NOT NULL)", name="lock_while_running"),
        CheckConstraint("progress_done >= 0 AND progress_done <= progress_total", name="progress_range"),
    )

    period: Mapped[str] = mapped_column(String(7), index=True)  # "2026-11"
    status: Mapped[str] = mapped_column(String(12), default=BillingRunStatus.RUNNING.value)
    running_lock: Mapped[str | None] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(150))
    started_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    progress_done: Mapped[int] = mapped_column(Integer, default=0)  # customers (bill-to × currency) done
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    contracts_considered: Mapped[int] = mapped_column(Integer, default=0)
    fee_lines: Mapped[int] = mapped_column(Integer, default=0)
    usage_lines: Mapped[int] = mapped_column(Integer, default=0)
    item_lines: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    invoices_updated: Mapped[int] = mapped_column(Integer, default=0)
    # {"EUR": {"net": "1200.00", "tax": "228.00", "gross": "1428.00"}}
    totals: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    error: Mapped[str | None] = mapped_column(String(1000))


class UsagePeriod(Entity):
    """Usage of one contract billed for one billing period, charged or not: once per period."""

    __tablename__ = "usage_periods"
    __table_args__ = (UniqueConstraint("contract_id", "period_start", name="uq_usage_periods_contract_period"),)

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contracts.id", ondelete="RESTRICT"))
    period_start: Mapped[dt.date]
    billing_run_id: Mapped[UUID | None] = mapped_column(ForeignKey("billing_runs.id", ondelete="RESTRICT"))
    used_volume: Mapped[Decimal] = mapped_column(VOLUME)
    included_volume: Mapped[Decimal] = mapped_column(VOLUME)
    billable_volume: Mapped[Decimal] = mapped_column(VOLUME)
    invoice_line_id: Mapped[UUID | None] = mapped_column(ForeignKey("invoice_lines.id", ondelete="SET NULL"))


class UsageBaseline(Entity):
    """The last reading of a counter billed under a contract: the next usage bill counts from it."""

    __tablename__ = "usage_baselines"
    __table_args__ = (UniqueConstraint("contract_id", "counter_id", name="uq_usage_baselines_contract_counter"),)

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contracts.id", ondelete="RESTRICT"))
    counter_id: Mapped[UUID] = mapped_column(ForeignKey("counters.id", ondelete="RESTRICT"))
    reading_id: Mapped[UUID] = mapped_column(ForeignKey("counter_readings.id", ondelete="RESTRICT"))
    value: Mapped[Decimal] = mapped_column(VOLUME)
    read_at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date]  # the billing period that moved it here
