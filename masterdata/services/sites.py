"""Sites: the customer's service locations, with time zone and weekly opening hours.

SLA clocks and appointment windows are computed in the site's time zone, so the zone must
be a real IANA name, and opening hours must be unambiguous: per weekday, intervals that do
not overlap, each closing after it opens (overnight hours are split at midnight, with
"24:00" allowed as a closing time).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import audit
from core.auth import Principal
from core.domain_events import publish
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import CountryCode, Latitude, Longitude, LongText, Name, SubdivisionCode, Version
from core.listing import Page, PageRequest, paginate
from core.time_zones import checked_zone
from core.weekly_hours import WeeklyFields, sorted_entries
from masterdata.custom_fields.queries import custom_filters, custom_sort_keys
from masterdata.custom_fields.records import CustomView, apply_custom
from masterdata.errors import Code
from masterdata.events import SiteDeleting
from masterdata.models import Customer, Equipment, EquipmentEvent, Site
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.engineers import Territory
from masterdata.services.visibility import can_see_customer, customer_scope

Street = Annotated[str, Meta(max_length=200)]
PostalCode = Annotated[str, Meta(max_length=20)]
City = Annotated[str, Meta(max_length=100)]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Berlin")]


class OpeningHours(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One opening interval; checked by the service so that every mistake names its entry."""

    weekday: Annotated[int, Meta(description="0 = Monday … 6 = Sunday")]
    opens: Annotated[str, Meta(description="HH:MM, local time of the site")]
    closes: Annotated[str, Meta(description="HH:MM after `opens`; 24:00 for midnight")]


WeeklyHours = Annotated[list[OpeningHours], Meta(max_length=100)]


class SiteCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    name: Name
    country: CountryCode
    time_zone: TimeZoneName
    street: Street | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    subdivision: SubdivisionCode | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    territory: Territory | None = None
    access_notes: LongText | None = None
    opening_hours: WeeklyHours = msgspec.field(default_factory=list)
    custom: dict[str, Any] = msgspec.field(default_factory=dict)


class SiteUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A site stays with its customer (its equipment and contracts are the customer's)."""

    version: Version
    name: Name | msgspec.UnsetType = msgspec.UNSET
    country: CountryCode | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZoneName | msgspec.UnsetType = msgspec.UNSET
    street: Street | msgspec.UnsetType | None = msgspec.UNSET
    postal_code: PostalCode | msgspec.UnsetType | None = msgspec.UNSET
    city: City | msgspec.UnsetType | None = msgspec.UNSET
    subdivision: SubdivisionCode | msgspec.UnsetType | None = msgspec.UNSET
    latitude: Latitude | msgspec.UnsetType | None = msgspec.UNSET
    longitude: Longitude | msgspec.UnsetType | None = msgspec.UNSET
    territory: Territory | msgspec.UnsetType | None = msgspec.UNSET
    access_notes: LongText | msgspec.UnsetType | None = msgspec.UNSET
    opening_hours: WeeklyHours | msgspec.UnsetType = msgspec.UNSET
    custom: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class SiteFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    country: str | None = None
    q: str | None = None
    territory: str | None = None
    custom: dict[str, str] = msgspec.field(default_factory=dict)  # ?custom.<name>=value


SORTABLE = {"name": Site.name, "city": Site.city, "country": Site.country, "created_at": Site.created_at}


# Names the zoneinfo directory holds that are not IANA zones a site can be in.
async def get_site(session: AsyncSession, principal: Principal, site_id: UUID) -> Site:
    site = await session.get(Site, site_id)
    if site is None or not await can_see_customer(session, principal, site.customer_id):
        raise NotFound("site", site_id)
    return site


async def list_sites(session: AsyncSession, principal: Principal, filters: SiteFilter, page: PageRequest) -> Page[Site]:
    stmt = select(Site)
    scope = await customer_scope(session, principal)
    stmt = scope.restrict(stmt, Site.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Site.customer_id == filters.customer_id)
    if filters.country:
        stmt = stmt.where(Site.country == filters.country)
    if filters.territory:
        stmt = stmt.where(Site.territory == filters.territory)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Site.name).like(pattern), func.lower(Site.city).like(pattern)))
    view = await CustomView.load(session, principal, CustomEntity.SITE)
    dialect = session.get_bind().dialect.name
    stmt = stmt.where(*custom_filters(view.definitions, Site.custom, filters.custom, dialect))
    sortable = {**SORTABLE, **custom_sort_keys(view.definitions, Site.custom, dialect)}
    return await paginate(session, stmt, page, sortable=sortable, default_sort="name", tie_breaker=Site.id)


async def create_site(session: AsyncSession, actor: Principal, data: SiteCreate) -> Site:
    if await session.get(Customer, data.customer_id) is None or not await can_see_customer(
        session, actor, data.customer_id
    ):
        raise NotFound("customer", data.customer_id, field="customer_id")
    check_time_zone(data.time_zone)
    site = Site(
        customer_id=data.customer_id,
        name=data.name,
        country=data.country,
        time_zone=data.time_zone,
        street=data.street,
        postal_code=data.postal_code,
        city=data.city,
        subdivision=data.subdivision,
        latitude=data.latitude,
        longitude=data.longitude,
        territory=data.territory,
        access_notes=data.access_notes,
        opening_hours=checked_opening_hours(data.opening_hours),
        custom=await apply_custom(session, actor, CustomEntity.SITE, data.custom, None),
    )
    _check_coordinates(site)
    session.add(site)
    await session.flush()
    await audit.record(session, actor, "site", site.id, "create", after=audit.snapshot(site))
    return site


async def update_site(session: AsyncSession, actor: Principal, site_id: UUID, data: SiteUpdate) -> Site:
    site = await get_site(session, actor, site_id)
    check_version("site", site, data.version)
    before = audit.snapshot(site)
    changes = sent_fields(data)
    if "time_zone" in changes:
        check_time_zone(changes["time_zone"])
    if "opening_hours" in changes:
        changes["opening_hours"] = checked_opening_hours(changes["opening_hours"])
    if "custom" in changes:
        changes["custom"] = await apply_custom(session, actor, CustomEntity.SITE, changes["custom"], site.custom)
    apply(site, changes)
    _check_coordinates(site)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(site))
    await audit.record(session, actor, "site", site.id, "update", before=old, after=new)
    return site


async def delete_site(session: AsyncSession, actor: Principal, site_id: UUID) -> None:
    site = await get_site(session, actor, site_id)
    dependents = await _dependents(session, site.id)
    if dependents:
        listed = ", ".join(f"{count} {name}" for name, count in dependents.items())
        raise Conflict(
            Code.SITE_IN_USE, f"site {site.name!r} is still referenced by {listed}", extra={"dependents": dependents}
        )
    before = audit.snapshot(site)
    await session.delete(site)
    await session.flush()
    await audit.record(session, actor, "site", site_id, "delete", before=before)


async def _dependents(session: AsyncSession, site_id: UUID) -> dict[str, int]:
    # Equipment history keeps moves from and to the site, so it counts as a reference too.
    checks: dict[str, tuple[Any, ColumnElement[bool]]] = {
        "equipment": (Equipment, Equipment.site_id == site_id),
        "equipment_events": (
            EquipmentEvent,
            or_(EquipmentEvent.from_site_id == site_id, EquipmentEvent.to_site_id == site_id),
        ),
    }
    found: dict[str, int] = {}
    for name, (model, condition) in checks.items():
        count = await session.scalar(select(func.count()).select_from(model).where(condition))
        if count:
            found[name] = int(count)
    # Contract lines, requests, work orders ... are other domains' references: each adds its own.
    event = SiteDeleting(site_id)
    await publish(session, event)
    found.update({name: count for name, count in event.dependents.items() if count})
    return found


def check_time_zone(name: str) -> None:
    checked_zone(name)


_OPENING_HOURS = WeeklyFields(list_name="opening_hours", start="opens", end="closes", code=Code.INVALID_OPENING_HOURS)


def checked_opening_hours(entries: list[OpeningHours]) -> list[dict[str, Any]]:
    """The entries as stored (sorted by weekday and time), after checking each and their overlaps."""
    order = sorted_entries([(e.weekday, e.opens, e.closes) for e in entries], _OPENING_HOURS)
    return [{"weekday": entries[i].weekday, "opens": entries[i].opens, "closes": entries[i].closes} for i in order]


def _check_coordinates(site: Site) -> None:
    # Travel times are computed from coordinates; half a position is worse than none.
    if (site.latitude is None) != (site.longitude is None):
        missing = "longitude" if site.longitude is None else "latitude"
        raise Invalid(Code.COORDINATES_INCOMPLETE, "send latitude and longitude together", field=missing)
