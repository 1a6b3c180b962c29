"""Response shapes for warranty terms, product default terms and warranties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec


class WarrantyTermOut(msgspec.Struct, kw_only=True):
    id: UUID
    code: str
    name: str
    duration_months: int | None
    counter_name: str | None
    counter_units: Decimal | None
    start_basis: str
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal
    exchange_type: str
    service_level_id: UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductWarrantyTermOut(msgspec.Struct, kw_only=True):
    product_id: UUID
    term: WarrantyTermOut | None


class WarrantyCoverageOut(msgspec.Struct, kw_only=True):
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal


class WarrantyOut(msgspec.Struct, kw_only=True):
    id: UUID
    equipment_id: UUID
    customer_id: UUID
    kind: str
    term_id: UUID
    term_code: str
    term_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    counter_name: str | None
    counter_limit: Decimal | None
    coverage: WarrantyCoverageOut
    exchange_type: str
    service_level_id: UUID | None
    void: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def term_out(term: Any) -> WarrantyTermOut:
    return WarrantyTermOut(
        id=term.id,
        code=term.code,
        name=term.name,
        duration_months=term.duration_months,
        counter_name=term.counter_name,
        counter_units=term.counter_units,
        start_basis=term.start_basis,
        labour_pct=term.labour_pct,
        parts_pct=term.parts_pct,
        travel_pct=term.travel_pct,
        exchange_type=term.exchange_type,
        service_level_id=term.service_level_id,
        version=term.version,
        created_at=term.created_at,
        updated_at=term.updated_at,
    )


def product_term_out(product_id: UUID, term: Any | None) -> ProductWarrantyTermOut:
    return ProductWarrantyTermOut(product_id=product_id, term=term_out(term) if term is not None else None)


def warranty_out(view: Any) -> WarrantyOut:
    """From a `contracts.services.warranties.WarrantyView`: coverage and service level come from the term."""
    warranty, term = view.warranty, view.term
    return WarrantyOut(
        id=warranty.id,
        equipment_id=warranty.equipment_id,
        customer_id=warranty.customer_id,
        kind=warranty.kind,
        term_id=term.id,
        term_code=term.code,
        term_name=term.name,
        starts_on=warranty.starts_on,
        ends_on=warranty.ends_on,
        counter_name=warranty.counter_name,
        counter_limit=warranty.counter_limit,
        coverage=WarrantyCoverageOut(labour_pct=term.labour_pct, parts_pct=term.parts_pct, travel_pct=term.travel_pct),
        exchange_type=term.exchange_type,
        service_level_id=term.service_level_id,
        void=warranty.void,
        version=warranty.version,
        created_at=warranty.created_at,
        updated_at=warranty.updated_at,
    )
