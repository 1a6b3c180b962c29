"""Service contracts, their lines (what is covered, how, with which quotas) and notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import BillingPeriod, BillingTiming, ContractStatus, QuotaPeriod
from contracts.models.warranties import PERCENT
from core.db import Entity, VersionedEntity, sql_in
from masterdata.models.custom_fields import custom_column, custom_index


class ServiceContract(VersionedEntity):
    __tablename__ = "service_contracts"
    __table_args__ = (
        UniqueConstraint("number", name="uq_service_contracts_number"),
        UniqueConstraint("predecessor_id", name="uq_service_contracts_predecessor"),
        CheckConstraint(f"status IN {sql_in(ContractStatus)}", name="status_valid"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        CheckConstraint("notice_days >= 0", name="notice_days_not_negative"),
        CheckConstraint(f"billing_period IN {sql_in(BillingPeriod)}", name="billing_period_valid"),
        CheckConstraint(f"billing_timing IN {sql_in(BillingTiming)}", name="billing_timing_valid"),
        CheckConstraint("fee_amount >= 0", name="fee_not_negative"),
        CheckConstraint("usage_included_volume IS NULL OR usage_included_volume >= 0", name="included_not_negative"),
        CheckConstraint("usage_unit_price IS NULL OR usage_unit_price >= 0", name="unit_price_not_negative"),
        Index("ix_service_contracts_customer_status", "customer_id", "status"),
        Index("ix_service_contracts_ends_on", "ends_on"),
        custom_index("service_contracts"),
    )

    number: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ContractStatus.DRAFT.value)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    auto_renew: Mapped[bool] = mapped_column(default=False)
    notice_days: Mapped[int] = mapped_column(Integer, default=60)
    renewal_uplift_pct: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal(0))
    predecessor_id: Mapped[UUID | None] = mapped_column(ForeignKey("service_contracts.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    fee_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    billing_period: Mapped[str] = mapped_column(String(12), default=BillingPeriod.MONTHLY.value)
    billing_timing: Mapped[str] = mapped_column(String(12), default=BillingTiming.IN_ADVANCE.value)
    usage_counter_name: Mapped[str | None] = mapped_column(String(60))
    usage_included_volume: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    usage_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    terminated_on: Mapped[dt.date | None]  # last day of service when terminated early; billing stops there
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = custom_column()


class ContractLine(VersionedEntity):
    __tablename__ = "contract_lines"
    __table_args__ = (
        CheckConstraint(
            "labour_pct BETWEEN 0 AND 100 AND parts_pct BETWEEN 0 AND 100 AND travel_pct BETWEEN 0 AND 100",
            name="percent_range",
        ),
        CheckConstraint(f"quota_period IN {sql_in(QuotaPeriod)}", name="quota_period_valid"),
        CheckConstraint(
            "(quota_visits IS NULL OR quota_visits >= 0) AND (quota_hours IS NULL OR quota_hours >= 0)"
            " AND (quota_parts_value IS NULL OR quota_parts_value >= 0)",
            name="quotas_not_negative",
        ),
        Index("ix_contract_lines_site", "site_id"),
        Index("ix_contract_lines_family", "product_family"),
    )

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contracts.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[UUID | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    product_family: Mapped[str | None] = mapped_column(String(80))
    service_level_id: Mapped[UUID | None] = mapped_column(ForeignKey("service_levels.id", ondelete="RESTRICT"))
    labour_pct: Mapped[Decimal] = mapped_column(PERCENT)
    parts_pct: Mapped[Decimal] = mapped_column(PERCENT)
    travel_pct: Mapped[Decimal] = mapped_column(PERCENT)
    quota_period: Mapped[str] = mapped_column(String(8), default=QuotaPeriod.YEAR.value)
    quota_visits: Mapped[int | None] = mapped_column(Integer)
    quota_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    quota_parts_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    excluded_service_types: Mapped[list[str]] = mapped_column(JsonB, default=list)


class ContractLineEquipment(Entity):
    """A unit listed on a line (lines can also cover a whole site or a product family)."""

    __tablename__ = "contract_line_equipment"
    __table_args__ = (UniqueConstraint("line_id", "equipment_id", name="uq_contract_line_equipment_line_unit"),)

    line_id: Mapped[UUID] = mapped_column(ForeignKey("contract_lines.id", ondelete="CASCADE"))
    equipment_id: Mapped[UUID] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)


class EntitlementUsage(Entity):
    """What one work order consumed of a line's quota in one quota period; one row per order."""

    __tablename__ = "entitlement_usage"
    __table_args__ = (
        UniqueConstraint("line_id", "work_order_ref", name="uq_entitlement_usage_line_work_order"),
        CheckConstraint("visits >= 0 AND hours >= 0 AND parts_value >= 0", name="amounts_not_negative"),
        Index("ix_entitlement_usage_line_period", "line_id", "period_start"),
    )

    line_id: Mapped[UUID] = mapped_column(ForeignKey("contract_lines.id", ondelete="RESTRICT"))
    work_order_ref: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[dt.date]
    visits: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    parts_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    consumed_at: Mapped[dt.datetime]


class ContractNotice(Entity):
    """A notice raised about a contract (e.g. renewal reminder), once per contract term."""

    __tablename__ = "contract_notices"
    __table_args__ = (UniqueConstraint("contract_id", "kind", "term_ends_on", name="uq_contract_notices_once"),)

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contracts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    term_ends_on: Mapped[dt.date]
    raised_at: Mapped[dt.datetime]
    message: Mapped[str] = mapped_column(String(500))


class ContractSuspension(Entity):
    """A stretch of days a contract was suspended: not charged by billing, not covered."""

    __tablename__ = "contract_suspensions"
    __table_args__ = (
        CheckConstraint("resumed_on IS NULL OR resumed_on >= suspended_from", name="resumes_after_suspension"),
        Index("ix_contract_suspensions_contract", "contract_id", "suspended_from"),
    )

    contract_id: Mapped[UUID] = mapped_column(ForeignKey("service_contracts.id", ondelete="CASCADE"))
    suspended_from: Mapped[dt.date]  # first suspended day
    resumed_on: Mapped[dt.date | None]  # first day charged again; None while suspended
    reason: Mapped[str] = mapped_column(String(500))
