"""Response shapes for service contracts, their lines and notices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from masterdata.custom_fields.records import CustomView


class ContractOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    customer_id: UUID
    name: str
    status: str
    status_reason: str | None
    starts_on: dt.date
    ends_on: dt.date
    auto_renew: bool
    notice_days: int
    renewal_uplift_pct: Decimal
    predecessor_id: UUID | None
    currency: str
    fee_amount: Decimal
    billing_period: str
    billing_timing: str
    usage_counter_name: str | None
    usage_included_volume: Decimal | None
    usage_unit_price: Decimal | None
    notes: str | None
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ContractLineOut(msgspec.Struct, kw_only=True):
    id: UUID
    contract_id: UUID
    description: str
    equipment_ids: list[UUID]
    site_id: UUID | None
    product_family: str | None
    service_level_id: UUID | None
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal
    quota_period: str
    quota_visits: int | None
    quota_hours: Decimal | None
    quota_parts_value: Decimal | None
    excluded_service_types: list[str]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ContractDetailOut(ContractOut, kw_only=True):
    successor_id: UUID | None
    lines: list[ContractLineOut]


class ContractNoticeOut(msgspec.Struct, kw_only=True):
    id: UUID
    contract_id: UUID
    kind: str
    term_ends_on: dt.date
    raised_at: dt.datetime
    message: str


def _contract_fields(contract: Any, custom: CustomView | None) -> dict[str, Any]:
    fields = {name: getattr(contract, name) for name in ContractOut.__struct_fields__}
    # only the custom values the reader may see (none given: none shown)
    fields["custom"] = custom.read(contract.custom) if custom is not None else {}
    return fields


def contract_out(contract: Any, custom: CustomView | None = None) -> ContractOut:
    return ContractOut(**_contract_fields(contract, custom))


def contract_detail_out(detail: Any, custom: CustomView | None = None) -> ContractDetailOut:
    """From `contracts.services.service_contracts.ContractDetail`."""
    return ContractDetailOut(
        **_contract_fields(detail.contract, custom),
        successor_id=detail.successor_id,
        lines=[contract_line_out(view) for view in detail.lines],
    )


def contract_line_out(view: Any) -> ContractLineOut:
    """From `contracts.services.service_contracts.LineView` (a line and its listed units)."""
    line = view.line
    return ContractLineOut(
        id=line.id,
        contract_id=line.contract_id,
        description=line.description,
        equipment_ids=list(view.equipment_ids),
        site_id=line.site_id,
        product_family=line.product_family,
        service_level_id=line.service_level_id,
        labour_pct=line.labour_pct,
        parts_pct=line.parts_pct,
        travel_pct=line.travel_pct,
        quota_period=line.quota_period,
        quota_visits=line.quota_visits,
        quota_hours=line.quota_hours,
        quota_parts_value=line.quota_parts_value,
        excluded_service_types=list(line.excluded_service_types),
        version=line.version,
        created_at=line.created_at,
        updated_at=line.updated_at,
    )


def contract_notice_out(notice: Any) -> ContractNoticeOut:
    return ContractNoticeOut(
        id=notice.id,
        contract_id=notice.contract_id,
        kind=notice.kind,
        term_ends_on=notice.term_ends_on,
        raised_at=notice.raised_at,
        message=notice.message,
    )
