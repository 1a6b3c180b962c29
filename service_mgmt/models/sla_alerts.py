"""SLA warnings and breaches raised for a request: one row per (request, target, stage)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity, sql_in
from service_mgmt.choices import SlaStage, SlaTarget


class SlaAlert(Entity):
    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("request_id", "target", "stage", name="uq_sla_alerts_request_target_stage"),
        CheckConstraint(f"target IN {sql_in(SlaTarget)}", name="target_valid"),
        CheckConstraint(f"stage IN {sql_in(SlaStage)}", name="stage_valid"),
    )

    request_id: Mapped[UUID] = mapped_column(ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True)
    target: Mapped[str] = mapped_column(String(12))  # response / resolution
    stage: Mapped[str] = mapped_column(String(8))  # warning / breach
    raised_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]  # the due time (pauses included) when it was raised
