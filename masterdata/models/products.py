"""Products: equipment models, spare parts, consumables and service products."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import VersionedEntity, sql_in
from masterdata.choices import ProductKind


class Product(VersionedEntity):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("sku", name="uq_products_sku"),
        CheckConstraint(f"kind IN {sql_in(ProductKind)}", name="kind_valid"),
        CheckConstraint("list_price >= 0", name="list_price_not_negative"),
    )

    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    family: Mapped[str | None] = mapped_column(String(80), index=True)
    serialized: Mapped[bool] = mapped_column(default=False)
    list_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
