"""Response shape for products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

# A string, not a JSON number, so no client parses the price into a binary float.
PriceText = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]+\.[0-9]{4}$",
        description='list price as a decimal string with exactly 4 decimal places, e.g. "125.5000"',
        examples=["125.5000"],
    ),
]


class ProductOut(msgspec.Struct, kw_only=True):
    id: UUID
    sku: str
    name: str
    kind: str
    family: str | None
    serialized: bool
    list_price: PriceText
    currency: str
    unit: str
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def price_text(value: Decimal) -> str:
    return f"{value:.4f}"


def product_out(product: Any) -> ProductOut:
    return ProductOut(
        id=product.id,
        sku=product.sku,
        name=product.name,
        kind=product.kind,
        family=product.family,
        serialized=product.serialized,
        list_price=price_text(product.list_price),
        currency=product.currency,
        unit=product.unit,
        active=product.active,
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )
