"""Stock locations: the warehouse, depots, and one van per engineer (created on demand)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from core.listing import Page, PageRequest, contains, paginate
from masterdata.models import Engineer
from returns.choices import StockLocationKind
from returns.errors import Code
from returns.models import StockLevel, StockLocation, StockMove, StockReservation, StockSerial

LocationCode = Annotated[
    str,
    Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$", description="unique code: letters, digits and . _ / -"),
]
Address = Annotated[str, Meta(max_length=300)]


class LocationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: LocationCode
    name: Name
    kind: StockLocationKind
    engineer_id: UUID | None = None  # vans only
    address: Address | None = None
    active: bool = True


class LocationUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    code: LocationCode | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class LocationFilter(msgspec.Struct, kw_only=True):
    q: str | None = None
    kind: StockLocationKind | None = None
    engineer_id: UUID | None = None
    active: bool | None = None


SORTABLE = {"code": StockLocation.code, "name": StockLocation.name, "kind": StockLocation.kind}


async def get_location(session: AsyncSession, location_id: UUID, *, field: str | None = None) -> StockLocation:
    location = await session.get(StockLocation, location_id)
    if location is None:
        raise NotFound("stock_location", location_id, field=field)
    return location


async def visible_location(session: AsyncSession, viewer: Principal, location_id: UUID) -> StockLocation:
    """A location the viewer may see: staff see all, a technician only their own van (404 else)."""
    location = await get_location(session, location_id)
    if viewer.is_technician and (location.engineer_id is None or location.engineer_id != viewer.engineer_id):
        raise NotFound("stock_location", location_id)
    return location


async def list_locations(
    session: AsyncSession, viewer: Principal, filters: LocationFilter, page: PageRequest
) -> Page[StockLocation]:
    stmt = select(StockLocation)
    if viewer.is_technician:  # their own van only
        stmt = stmt.where(StockLocation.engineer_id == (viewer.engineer_id or UUID(int=0)))
    if filters.q:
        stmt = stmt.where(contains(StockLocation.code, filters.q) | contains(StockLocation.name, filters.q))
    if filters.kind is not None:
        stmt = stmt.where(StockLocation.kind == filters.kind.value)
    if filters.engineer_id is not None:
        stmt = stmt.where(StockLocation.engineer_id == filters.engineer_id)
    if filters.active is not None:
        stmt = stmt.where(StockLocation.active.is_(filters.active))
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="code", tie_breaker=StockLocation.id)


async def create_location(session: AsyncSession, actor: Principal, data: LocationCreate) -> StockLocation:
    if (data.kind is StockLocationKind.VAN) != (data.engineer_id is not None):
        raise Invalid(
            "invalid_engineer", "a van names its engineer; a warehouse or depot names none", field="engineer_id"
        )
    await _check_code_free(session, data.code)
    if data.engineer_id is not None:
        await _engineer(session, data.engineer_id)
        if await van_of(session, data.engineer_id) is not None:
            raise Conflict(Code.DUPLICATE_LOCATION_CODE, "this engineer already has a van", field="engineer_id")
    location = StockLocation(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        engineer_id=data.engineer_id,
        address=data.address,
        active=data.active,
    )
    session.add(location)
    await session.flush()
    await audit.record(session, actor, "stock_location", location.id, "create", after=audit.snapshot(location))
    return location


async def update_location(
    session: AsyncSession, actor: Principal, location_id: UUID, data: LocationUpdate
) -> StockLocation:
    location = await get_location(session, location_id)
    check_version("stock_location", location, data.version)
    changes = sent_fields(data)
    if "code" in changes and changes["code"] != location.code:
        await _check_code_free(session, changes["code"])
    before = audit.snapshot(location)
    apply(location, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(location))
    await audit.record(session, actor, "stock_location", location.id, "update", before=old, after=new)
    return location


async def delete_location(session: AsyncSession, actor: Principal, location_id: UUID) -> None:
    """Only a location nothing ever happened at can go; otherwise deactivate it (409 lists why)."""
    location = await get_location(session, location_id)
    dependents: dict[str, int] = {}
    for name, stmt in (
        (
            "stock_moves",
            select(func.count()).where(
                (StockMove.from_location_id == location.id) | (StockMove.to_location_id == location.id)
            ),
        ),
        ("stock_levels", select(func.count()).where(StockLevel.location_id == location.id)),
        ("stock_serials", select(func.count()).where(StockSerial.location_id == location.id)),
        ("stock_reservations", select(func.count()).where(StockReservation.location_id == location.id)),
    ):
        count = int(await session.scalar(stmt) or 0)
        if count:
            dependents[name] = count
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.LOCATION_IN_USE,
            f"stock location {location.code} is referenced by {listed}; deactivate it instead",
            extra={"dependents": dependents},
        )
    before = audit.snapshot(location)
    await session.delete(location)
    await session.flush()
    await audit.record(session, actor, "stock_location", location_id, "delete", before=before)


async def van_of(session: AsyncSession, engineer_id: UUID) -> StockLocation | None:
    """The engineer's van, or None: an engineer without a van has no managed inventory."""
    van: StockLocation | None = await session.scalar(
        select(StockLocation).where(StockLocation.engineer_id == engineer_id)
    )
    return van


async def ensure_van(session: AsyncSession, actor: Principal, engineer_id: UUID) -> StockLocation:
    """The engineer's van, created (code VAN-<engineer number>) if there is none yet."""
    van = await van_of(session, engineer_id)
    if van is not None:
        return van
    engineer = await _engineer(session, engineer_id)
    code = f"VAN-{engineer.number}"
    if await session.scalar(select(StockLocation.id).where(StockLocation.code == code)) is not None:
        code = f"VAN-{engineer.id.hex[:12]}"
    return await create_location(
        session,
        actor,
        LocationCreate(code=code, name=f"Van {engineer.name}", kind=StockLocationKind.VAN, engineer_id=engineer.id),
    )


async def _engineer(session: AsyncSession, engineer_id: UUID) -> Engineer:
    engineer = await session.get(Engineer, engineer_id)
    if engineer is None:
        raise NotFound("engineer", engineer_id, field="engineer_id")
    return engineer


async def _check_code_free(session: AsyncSession, code: str) -> None:
    if await session.scalar(select(StockLocation.id).where(StockLocation.code == code)) is not None:
        raise Conflict(Code.DUPLICATE_LOCATION_CODE, f"a stock location with code {code!r} exists", field="code")
