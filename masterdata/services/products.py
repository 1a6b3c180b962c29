"""Products: the catalogue of equipment models, spare parts, consumables and service products.

Prices are Decimal with at most four decimal places (the column's scale) and are stored
exactly as they are answered, so what a client sends, reads back and is billed agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import CurrencyCode, Name, Version
from core.listing import Page, PageRequest, paginate
from masterdata.choices import ProductKind
from masterdata.errors import Code
from masterdata.models import Equipment, Product

Sku = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$",
        description="stock keeping unit, unique: letters, digits and . _ / - (at most 40)",
    ),
]
Family = Annotated[str, Meta(min_length=1, max_length=80, description="product family, e.g. 'printers'")]
Unit = Annotated[str, Meta(min_length=1, max_length=16, description="unit of measure, e.g. 'pc', 'h', 'km'")]
Price = Annotated[
    Decimal,
    Meta(description='list price, a decimal string such as "125.50": at least 0, at most 4 decimal places'),
]

PRICE_SCALE = Decimal("0.0001")
PRICE_LIMIT = Decimal(10) ** 10  # Numeric(14, 4): ten digits before the point


class ProductCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    name: Name
    kind: ProductKind
    list_price: Price
    currency: CurrencyCode
    unit: Unit
    family: Family | None = None
    serialized: bool = False
    active: bool = True


class ProductUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    sku: Sku | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: ProductKind | msgspec.UnsetType = msgspec.UNSET
    list_price: Price | msgspec.UnsetType = msgspec.UNSET
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    family: Family | msgspec.UnsetType | None = msgspec.UNSET
    serialized: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class ProductFilter(msgspec.Struct, kw_only=True):
    q: str | None = None
    kind: ProductKind | None = None
    family: str | None = None
    serialized: bool | None = None
    active: bool | None = None


SORTABLE = {"sku": Product.sku, "name": Product.name, "list_price": Product.list_price}


async def get_product(session: AsyncSession, product_id: UUID) -> Product:
    product = await session.get(Product, product_id)
    if product is None:
        raise NotFound("product", product_id)
    return product


async def list_products(session: AsyncSession, filters: ProductFilter, page: PageRequest) -> Page[Product]:
    stmt = select(Product)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(pattern), func.lower(Product.name).like(pattern)))
    if filters.kind is not None:
        stmt = stmt.where(Product.kind == filters.kind.value)
    if filters.family is not None:
        stmt = stmt.where(Product.family == filters.family)
    if filters.serialized is not None:
        stmt = stmt.where(Product.serialized.is_(filters.serialized))
    if filters.active is not None:
        stmt = stmt.where(Product.active.is_(filters.active))
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="sku", tie_breaker=Product.id)


async def create_product(session: AsyncSession, actor: Principal, data: ProductCreate) -> Product:
    await _check_sku_free(session, data.sku)
    product = Product(
        sku=data.sku,
        name=data.name,
        kind=data.kind.value,
        family=data.family,
        serialized=data.serialized,
        list_price=checked_price(data.list_price),
        currency=data.currency,
        unit=data.unit,
        active=data.active,
    )
    session.add(product)
    await session.flush()
    await audit.record(session, actor, "product", product.id, "create", after=audit.snapshot(product))
    return product


async def update_product(session: AsyncSession, actor: Principal, product_id: UUID, data: ProductUpdate) -> Product:
    product = await get_product(session, product_id)
    check_version("product", product, data.version)
    before = audit.snapshot(product)
    changes = sent_fields(data)
    if "sku" in changes and changes["sku"] != product.sku:
        await _check_sku_free(session, changes["sku"])
    if "list_price" in changes:
        changes["list_price"] = checked_price(changes["list_price"])
    if "kind" in changes:
        changes["kind"] = changes["kind"].value
    if changes.get("serialized") is False and product.serialized:
        await _check_no_units(session, product)
    apply(product, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(product))
    await audit.record(session, actor, "product", product.id, "update", before=old, after=new)
    return product


async def delete_product(session: AsyncSession, actor: Principal, product_id: UUID) -> None:
    product = await get_product(session, product_id)
    dependents = await _dependents(session, product.id)
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.PRODUCT_IN_USE,
            f"product {product.sku} is still referenced by {listed}; deactivate it instead",
            extra={"dependents": dependents},
        )
    before = audit.snapshot(product)
    await session.delete(product)
    await session.flush()
    await audit.record(session, actor, "product", product_id, "delete", before=before)


def checked_price(value: Decimal) -> Decimal:
    """The price at the column's scale, or 422 if it cannot be stored exactly."""
    if not value.is_finite() or value < 0:
        raise Invalid(Code.INVALID_PRICE, "list_price must be a number of at least 0", field="list_price")
    if value >= PRICE_LIMIT:
        raise Invalid(Code.INVALID_PRICE, f"list_price must be below {PRICE_LIMIT}", field="list_price")
    stored = value.quantize(PRICE_SCALE)
    if stored != value:
        raise Invalid(Code.INVALID_PRICE, "list_price may have at most 4 decimal places", field="list_price")
    return stored.copy_abs()  # "-0" is a valid zero; store it without the sign


async def _check_sku_free(session: AsyncSession, sku: str) -> None:
    if await session.scalar(select(Product.id).where(Product.sku == sku)) is not None:
        raise Conflict(Code.DUPLICATE_SKU, f"a product with sku {sku!r} already exists", field="sku")


async def _check_no_units(session: AsyncSession, product: Product) -> None:
    # Equipment records are serialized units; the product cannot stop being serialized under them.
    units = await session.scalar(select(func.count()).where(Equipment.product_id == product.id))
    if units:
        raise Conflict(
            Code.PRODUCT_IN_USE,
            f"product {product.sku} has {units} serialized equipment records; it must stay serialized",
            field="serialized",
            extra={"dependents": {"equipment": int(units)}},
        )


async def _dependents(session: AsyncSession, product_id: UUID) -> dict[str, int]:
    count = await session.scalar(select(func.count()).where(Equipment.product_id == product_id))
    return {"equipment": int(count)} if count else {}
