"""Deterministic demo contracts on top of the demo installed base (`service_mgmt.demo_data`).

Adds what a service business has signed: coverage calendars (8×5 with the public holidays of
each German state, and 24×7), service levels with P1–P4 targets, warranty terms as the default
terms of the products, one manufacturer warranty per serialized unit (some sold on as extended
warranties), and about one service contract per customer with one to three lines covering
listed units, a whole site or a product family, plus some quota already used.

Everything is drawn from `random.Random(seed)` over the demo data read back in a stable order
(customers by number, units by serial number), and dates are computed from the demo data's
`REFERENCE_DATE`, so the same demo data and seed give the same contracts (numbers, terms,
coverage) on SQLite and PostgreSQL alike. The large tables go through demo_data's bulk writer
(COPY on PostgreSQL); nothing is written per contract. The caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple, cast
from uuid import UUID

import uuid_utils
from dateutil.relativedelta import relativedelta
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from contracts.choices import (
    BillingPeriod,
    BillingTiming,
    ContractStatus,
    ExchangeType,
    Priority,
    QuotaPeriod,
    ServiceType,
    StartBasis,
    WarrantyKind,
)
from contracts.models import (
    ContractLine,
    ContractLineEquipment,
    CoverageCalendarRecord,
    EntitlementUsage,
    ProductWarrantyTerm,
    ServiceContract,
    ServiceLevel,
    ServiceLevelTarget,
    Warranty,
    WarrantyTerm,
)
from contracts.quota_periods import period_start
from contracts.services.warranties import counter_limit, warranty_end, warranty_start
from core.numbering import next_numbers
from masterdata.models import Customer, Equipment, Product, Site
from service_mgmt.demo_data import _CHUNK, CURRENCY, REFERENCE_DATE, Progress, _BulkWriter

# --------------------------------------------------------------------------- reference data

STATES = {
    "BB": "Brandenburg", "BE": "Berlin", "BW": "Baden-Württemberg", "BY": "Bavaria", "HB": "Bremen",
    "HE": "Hesse", "HH": "Hamburg", "MV": "Mecklenburg-Vorpommern", "NI": "Lower Saxony",
    "NW": "North Rhine-Westphalia", "RP": "Rhineland-Palatinate", "SH": "Schleswig-Holstein", "SL": "Saarland",
    "SN": "Saxony", "ST": "Saxony-Anhalt", "TH": "Thuringia",
}  # fmt: skip
NATIONAL = "DE"  # holidays of the whole country, for sites without a state and for warranties
OFFICE_WINDOWS = [{"weekday": day, "start": "08:00", "end": "17:00"} for day in range(5)]
ROUND_THE_CLOCK = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)]


class Tier(NamedTuple):
    """A service level family; the 8×5 ones exist once per state, as holidays differ."""

    code: str
    name: str
    round_the_clock: bool
    # (response, resolution) in business minutes for P1, P2, P3, P4
    targets: tuple[tuple[int, int], ...]


GOLD = Tier("GOLD", "Gold 24×7 4h", True, ((240, 480), (480, 1440), (1440, 2880), (2880, 10080)))
SILVER = Tier("SILVER", "Silver 8×5 NBD", False, ((240, 540), (540, 1080), (540, 1620), (1080, 2700)))
BRONZE = Tier("BRONZE", "Bronze 8×5 2 days", False, ((540, 1080), (1080, 1620), (1080, 2700), (1620, 4500)))
WARRANTY_TIER = Tier(
    "WARRANTY", "Manufacturer warranty 8×5", False, ((540, 1620), (1080, 2700), (1080, 2700), (2700, 5400))
)


class TermSpec(NamedTuple):
    code: str
    name: str
    months: int
    counter: tuple[str, int] | None  # (counter name, units) when coverage also ends at a count
    basis: StartBasis
    coverage: tuple[int, int, int]  # labour, parts, travel %
    exchange: ExchangeType
    with_service_level: bool


TERMS = (
    TermSpec("MFR-12", "Manufacturer warranty 12 months", 12, None, StartBasis.INSTALL_DATE, (100, 100, 100),
             ExchangeType.NONE, True),
    TermSpec("MFR-24", "Manufacturer warranty 24 months", 24, None, StartBasis.INSTALL_DATE, (100, 100, 100),
             ExchangeType.NONE, True),
    TermSpec("MFR-36-AX", "Manufacturer warranty 36 months, advance exchange", 36, None, StartBasis.INSTALL_DATE,
             (100, 100, 100), ExchangeType.ADVANCE_EXCHANGE, True),
    TermSpec("MFR-24-150KP", "Manufacturer warranty 24 months or 150,000 pages", 24, ("pages", 150_000),
             StartBasis.INSTALL_DATE, (100, 100, 100), ExchangeType.NONE, True),
    TermSpec("MFR-24-3MP", "Manufacturer warranty 24 months or 3,000,000 pages", 24, ("pages", 3_000_000),
             StartBasis.INSTALL_DATE, (100, 100, 100), ExchangeType.NONE, True),
    TermSpec("MFR-24-8000H", "Manufacturer warranty 24 months or 8,000 operating hours", 24,
             ("operating_hours", 8_000), StartBasis.INSTALL_DATE, (100, 100, 50), ExchangeType.NONE, True),
    TermSpec("PARTS-12", "Spare part warranty 12 months from shipment", 12, None, StartBasis.SHIP_DATE, (0, 100, 0),
             ExchangeType.NONE, False),
    TermSpec("EXT-12", "Extended warranty 12 months", 12, None, StartBasis.INSTALL_DATE, (100, 100, 0),
             ExchangeType.NONE, True),
    TermSpec("EXT-24-LOANER", "Extended warranty 24 months with loaner", 24, None, StartBasis.INSTALL_DATE,
             (100, 100, 0), ExchangeType.LOANER, True),
)  # fmt: skip
EXTENDED_TERMS = ("EXT-12", "EXT-24-LOANER")

# The default term of each serialized product (by SKU); every demo unit is serialized.
PRODUCT_TERMS = {
    "PRN-2200": "MFR-24-150KP", "PRN-4000": "MFR-24-3MP", "PRN-7500": "MFR-24",
    "HVAC-SP12": "MFR-12", "HVAC-RT50": "MFR-24", "HVAC-CH200": "MFR-36-AX",
    "MED-US3": "MFR-24", "MED-XR2": "MFR-36-AX", "MED-CT64": "MFR-36-AX",
    "CMP-P7": "MFR-12", "CMP-S22": "MFR-24-8000H", "CMP-S75": "MFR-24-8000H",
    "CTL-PRN": "PARTS-12", "PSU-PRN": "PARTS-12", "CTL-HVAC": "PARTS-12", "PSU-HVAC": "PARTS-12",
    "CTL-MED": "PARTS-12", "PSU-MED": "PARTS-12", "CTL-CMP": "PARTS-12", "PSU-CMP": "PARTS-12",
}  # fmt: skip

EXCLUDED_STATUSES = frozenset({"decommissioned", "returned"})  # units nobody extends a warranty for


class Package(NamedTuple):
    """What a contract line offers: service level, coverage, quotas, exclusions."""

    name: str
    weight: int
    tier: Tier
    coverage: tuple[int, int, int]
    quota_period: QuotaPeriod
    visits: int | None
    hours: int | None
    parts_value: int | None
    excluded: tuple[ServiceType, ...]
    rate: Decimal  # monthly fee per covered machine, before the family factor


_INSTALL = ServiceType.INSTALLATION
PACKAGES = (
    Package("Full Service Gold", 12, GOLD, (100, 100, 100), QuotaPeriod.YEAR, None, None, None, (_INSTALL,),
            Decimal("48")),
    Package("Full Service Gold, 2 visits a month", 6, GOLD, (100, 100, 100), QuotaPeriod.MONTH, 2, None, None,
            (_INSTALL,), Decimal("44")),
    Package("Full Service Silver", 30, SILVER, (100, 100, 100), QuotaPeriod.YEAR, 10, None, None, (_INSTALL,),
            Decimal("30")),
    Package("Labour & Travel Bronze", 20, BRONZE, (100, 0, 100), QuotaPeriod.YEAR, 6, 24, None,
            (_INSTALL, ServiceType.INSPECTION), Decimal("18")),
    Package("Parts Protection", 10, BRONZE, (0, 100, 0), QuotaPeriod.YEAR, None, None, 5000,
            (_INSTALL, ServiceType.MAINTENANCE, ServiceType.INSPECTION), Decimal("12")),
    Package("Preventive Maintenance", 14, SILVER, (100, 50, 100), QuotaPeriod.YEAR, 4, 16, None,
            (_INSTALL, ServiceType.REPAIR), Decimal("15")),
    Package("Service Package, term quota", 8, BRONZE, (80, 80, 100), QuotaPeriod.TERM, 12, None, None, (),
            Decimal("20")),
)  # fmt: skip
_PACKAGE_WEIGHTS = [p.weight for p in PACKAGES]

# A medical system costs more to look after than an office printer.
FAMILY_FACTORS = {
    "printers": Decimal("0.8"),
    "hvac": Decimal("1.2"),
    "medical": Decimal("4"),
    "compressors": Decimal("1.5"),
}
PERIOD_MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.QUARTERLY: 3, BillingPeriod.YEARLY: 12}
MINIMUM_MONTHLY_FEE = Decimal("45")
PAGE_PRICE = Decimal("0.0085")
PAGES_INCLUDED_PER_MONTH = 20_000

STATUSES = (
    (ContractStatus.ACTIVE, 84),
    (ContractStatus.EXPIRED, 6),
    (ContractStatus.SUSPENDED, 3),
    (ContractStatus.DRAFT, 4),
    (ContractStatus.TERMINATED, 3),
)
STATUS_REASONS = {
    ContractStatus.SUSPENDED: (
        "Payment overdue; service suspended until the balance is settled",
        "Site temporarily closed for refurbishment",
    ),
    ContractStatus.TERMINATED: (
        "Terminated by the customer: site closed",
        "Terminated by mutual agreement; equipment replaced",
    ),
}
CONTRACT_NOTES = (
    "Purchase order number required on every invoice",
    "Annual service review in March",
    "Customer requests a call before every visit",
)
HOURS_PER_VISIT = tuple(Decimal(n) / 2 for n in range(2, 13))  # 1.0 … 6.0 h

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class DemoContractsSummary:
    """What was created, row counts per kind."""

    calendars: int
    service_levels: int
    warranty_terms: int
    warranties: int
    extended_warranties: int
    contracts: int
    contract_lines: int
    listed_equipment: int
    usage: int


async def load_demo_contracts(
    session: AsyncSession, *, seed: int, contract_share: float = 1.0, progress: Progress | None = None
) -> DemoContractsSummary:
    """Add the contracts layer to loaded demo data; about `contract_share` contracts per customer.

    Flushes but does not commit. Refuses a database without customers or with contracts data.
    """
    if contract_share < 0:
        raise ValueError("contract_share must not be negative")
    if await session.scalar(select(Customer.id).limit(1)) is None:
        raise ValueError("demo contracts need the demo data (customers, sites, equipment) first")
    for model in (CoverageCalendarRecord, WarrantyTerm, Warranty, ServiceContract):
        if await session.scalar(select(model.id).limit(1)) is not None:
            raise ValueError("demo contracts can only be loaded where there are no calendars, terms or contracts")
    loader = _Loader(session, seed, contract_share, progress or _no_progress)
    return await loader.run()


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


# --------------------------------------------------------------------------- what is read back


class _Unit(NamedTuple):
    id: UUID
    customer_id: UUID
    site_id: UUID | None
    sku: str
    family: str
    is_machine: bool  # top level; components are covered through their machine or family
    installed: dt.date | None
    shipped: dt.date | None
    status: str


@dataclass(slots=True)
class _Customer:
    id: UUID
    number: str
    sites: list[tuple[UUID, str, str]] = field(default_factory=list)  # (id, name, state)
    machines: list[_Unit] = field(default_factory=list)


@dataclass(slots=True)
class _Line:
    row: dict[str, Any]
    package: Package
    listed: list[_Unit]
    covered: list[_Unit]  # machines in scope, for the fee and the usage plan


@dataclass(slots=True)
class _Contract:
    customer: _Customer
    status: ContractStatus
    starts_on: dt.date
    ends_on: dt.date
    lines: list[_Line]


# --------------------------------------------------------------------------- the loader


class _Loader:
    def __init__(self, session: AsyncSession, seed: int, share: float, progress: Progress) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.share = share
        self.progress = progress
        self.now = dt.datetime.now(dt.UTC)
        self.writer = _BulkWriter(session)
        self.calendars: dict[str, UUID] = {}
        self.levels: dict[tuple[str, str], UUID] = {}  # (tier code, state or DE) -> id
        self.terms: dict[str, UUID] = {}
        self.customers: list[_Customer] = []
        self.products: dict[str, UUID] = {}
        self.term_rows: dict[str, WarrantyTerm] = {}
        self.counts: dict[str, int] = dict.fromkeys(DemoContractsSummary.__dataclass_fields__, 0)

    async def run(self) -> DemoContractsSummary:
        units = await self._read_demo_data()
        await self._load_calendars()
        await self._load_service_levels()
        await self._load_warranty_terms()
        await self._load_warranties(units)
        contracts = self._plan_contracts()
        await self._load_contracts(contracts)
        await self.session.flush()
        return DemoContractsSummary(**self.counts)

    def _stamp(self) -> dict[str, Any]:
        return {"id": uuid7(), "created_at": self.now, "updated_at": self.now}

    def _versioned(self) -> dict[str, Any]:
        return self._stamp() | {"version": 1}

    async def _insert(self, model: type[Any], rows: list[dict[str, Any]], stage: str | None = None) -> None:
        """Small tables, as plain Core inserts; a stage is reported for the main table of each kind."""
        table = cast(Table, model.__table__)
        for start in range(0, len(rows), _CHUNK):
            await self.session.execute(table.insert(), rows[start : start + _CHUNK])
            if stage:
                self.progress(stage, min(start + _CHUNK, len(rows)), len(rows))
        if stage and not rows:
            self.progress(stage, 0, 0)

    async def _write(self, model: type[Any], columns: tuple[str, ...], rows: list[tuple[Any, ...]], stage: str) -> None:
        for start in range(0, len(rows), _CHUNK):
            await self.writer.write(model, columns, rows[start : start + _CHUNK])
            self.progress(stage, min(start + _CHUNK, len(rows)), len(rows))
        if not rows:
            self.progress(stage, 0, 0)

    # ------------------------------------------------------------------ reading the demo data

    async def _read_demo_data(self) -> list[_Unit]:
        """Customers, their sites and units, in an order that does not depend on ids."""
        by_id: dict[UUID, _Customer] = {}
        for customer_id, number in await self.session.execute(
            select(Customer.id, Customer.number).order_by(Customer.number)
        ):
            by_id[customer_id] = customer = _Customer(customer_id, number)
            self.customers.append(customer)
        sites = await self.session.execute(
            select(Site.id, Site.customer_id, Site.name, Site.subdivision)
            .join(Customer, Customer.id == Site.customer_id)
            .order_by(Customer.number, Site.name, Site.street, Site.postal_code, Site.id)
        )
        for site_id, customer_id, name, subdivision in sites:
            by_id[customer_id].sites.append((site_id, name, subdivision if subdivision in STATES else NATIONAL))
        rows = await self.session.execute(
            select(
                Equipment.id, Equipment.customer_id, Equipment.site_id, Product.sku, Product.family,
                Equipment.parent_id.is_(None), Equipment.install_date, Equipment.ship_date, Equipment.status,
            )
            .join(Product, Product.id == Equipment.product_id)
            .order_by(Equipment.serial_number, Equipment.id)
        )  # fmt: skip
        units = [_Unit(*row) for row in rows]
        for unit in units:
            if unit.is_machine:
                by_id[unit.customer_id].machines.append(unit)
        self.products = {
            sku: product_id for product_id, sku in await self.session.execute(select(Product.id, Product.sku))
        }
        return units

    # ------------------------------------------------------------------ calendars and service levels

    async def _load_calendars(self) -> None:
        rows = [self._calendar_row("24X7", "24×7, no holidays", ROUND_THE_CLOCK, None, None)]
        rows.append(self._calendar_row(f"8X5-{NATIONAL}", "Mon–Fri 08:00–17:00, national holidays", OFFICE_WINDOWS,
                                       NATIONAL, None))  # fmt: skip
        for state, name in STATES.items():
            rows.append(self._calendar_row(f"8X5-{state}", f"Mon–Fri 08:00–17:00, holidays of {name}",
                                           OFFICE_WINDOWS, NATIONAL, state))  # fmt: skip
        await self._insert(CoverageCalendarRecord, rows, "calendars")
        self.calendars = {row["code"]: row["id"] for row in rows}
        self.counts["calendars"] = len(rows)

    def _calendar_row(
        self, code: str, name: str, windows: list[dict[str, Any]], country: str | None, state: str | None
    ) -> dict[str, Any]:
        # No time zone: the calendar runs in the zone of the site served.
        return self._versioned() | {
            "code": code, "name": name, "time_zone": None, "windows": windows,
            "holiday_country": country, "holiday_subdivision": state, "closures": [],
        }  # fmt: skip

    async def _load_service_levels(self) -> None:
        levels: list[dict[str, Any]] = []
        targets: list[dict[str, Any]] = []
        regions = [(NATIONAL, "Germany"), *STATES.items()]
        for tier in (GOLD, SILVER, BRONZE, WARRANTY_TIER):
            # A 24×7 level knows no holidays, and a warranty is the same all over the country.
            for region, region_name in [(NATIONAL, "")] if tier in (GOLD, WARRANTY_TIER) else regions:
                calendar = "24X7" if tier.round_the_clock else f"8X5-{region}"
                suffix = f" ({region_name})" if region_name else ""
                row = self._versioned() | {
                    "code": f"{tier.code}-{region}" if region_name else tier.code,
                    "name": tier.name + suffix,
                    "calendar_id": self.calendars[calendar],
                    "pause_on_customer_wait": True,
                }
                levels.append(row)
                self.levels[tier.code, region] = row["id"]
                targets.extend(
                    self._stamp() | {"service_level_id": row["id"], "priority": priority.value,
                                     "response_minutes": response, "resolution_minutes": resolution}
                    for priority, (response, resolution) in zip(Priority, tier.targets, strict=True)
                )  # fmt: skip
        await self._insert(ServiceLevel, levels, "service levels")
        await self._insert(ServiceLevelTarget, targets)
        self.counts["service_levels"] = len(levels)

    def _level(self, tier: Tier, state: str) -> UUID:
        return self.levels.get((tier.code, state)) or self.levels[tier.code, NATIONAL]

    # ------------------------------------------------------------------ warranties

    async def _load_warranty_terms(self) -> None:
        rows = []
        for spec in TERMS:
            labour, parts, travel = spec.coverage
            rows.append(self._versioned() | {
                "code": spec.code, "name": spec.name, "duration_months": spec.months,
                "counter_name": spec.counter[0] if spec.counter else None,
                "counter_units": Decimal(spec.counter[1]) if spec.counter else None,
                "start_basis": spec.basis.value, "labour_pct": Decimal(labour), "parts_pct": Decimal(parts),
                "travel_pct": Decimal(travel), "exchange_type": spec.exchange.value,
                "service_level_id": self.levels[WARRANTY_TIER.code, NATIONAL] if spec.with_service_level else None,
            })  # fmt: skip
        await self._insert(WarrantyTerm, rows, "warranty terms")
        self.terms = {row["code"]: row["id"] for row in rows}
        self.term_rows = {row["code"]: WarrantyTerm(**row) for row in rows}  # transient, for counter_limit
        defaults = [
            self._stamp() | {"product_id": self.products[sku], "term_id": self.terms[code]}
            for sku, code in PRODUCT_TERMS.items()
            if sku in self.products
        ]
        await self._insert(ProductWarrantyTerm, defaults)
        self.counts["warranty_terms"] = len(rows)

    async def _load_warranties(self, units: Sequence[_Unit]) -> None:
        """A manufacturer warranty per unit, computed as the warranty service grants it."""
        rows: list[tuple[Any, ...]] = []
        extended = 0
        for unit in units:
            code = PRODUCT_TERMS.get(unit.sku)
            if code is None:
                continue
            spec = _TERM_SPECS[code]
            starts_on = warranty_start(spec.basis, unit.installed, unit.shipped)
            if starts_on is None:
                continue
            ends_on = _warranty_end(starts_on, spec.months)
            limit = counter_limit(self.term_rows[code], None)  # a new unit's counters start at 0
            rows.append(self._warranty(unit, code, WarrantyKind.MANUFACTURER, starts_on, ends_on, limit))
            if self._extends(unit, ends_on):
                ext_code = EXTENDED_TERMS[self.rng.random() < 0.4]
                ext_start = ends_on + dt.timedelta(days=1)
                ext_end = _warranty_end(ext_start, _TERM_SPECS[ext_code].months)
                rows.append(self._warranty(unit, ext_code, WarrantyKind.EXTENDED, ext_start, ext_end, None))
                extended += 1
        await self._write(Warranty, _WARRANTY_COLUMNS, rows, "warranties")
        self.counts["warranties"] = len(rows)
        self.counts["extended_warranties"] = extended

    def _extends(self, unit: _Unit, ends_on: dt.date) -> bool:
        # Extensions are sold for machines near the end of their warranty, or shortly after it.
        if not unit.is_machine or unit.status in EXCLUDED_STATUSES:
            return False
        return -365 <= (ends_on - REFERENCE_DATE).days <= 180 and self.rng.random() < 0.3

    def _warranty(
        self, unit: _Unit, code: str, kind: WarrantyKind, starts_on: dt.date, ends_on: dt.date, limit: Decimal | None
    ) -> tuple[Any, ...]:
        spec = _TERM_SPECS[code]
        counter = spec.counter[0] if spec.counter else None
        return (
            uuid_utils.uuid7(), unit.id, unit.customer_id, self.terms[code], kind.value, starts_on, ends_on,
            counter, limit, False, 1, self.now, self.now,
        )  # fmt: skip

    # ------------------------------------------------------------------ contracts (planning)

    def _plan_contracts(self) -> list[_Contract]:
        """Which customers get contracts: everyone with machines once, the biggest a second time."""
        eligible = [customer for customer in self.customers if customer.machines]
        wanted = round(self.share * len(self.customers))
        if not eligible or wanted == 0:
            return []
        if wanted <= len(eligible):
            chosen = sorted(self.rng.sample(range(len(eligible)), wanted))
            holders = [eligible[i] for i in chosen]
        else:
            weights = [len(customer.machines) for customer in eligible]
            holders = eligible + self.rng.choices(eligible, weights=weights, k=wanted - len(eligible))
        contracts = [self._plan_contract(customer) for customer in holders]
        # Numbers follow the signing order, as they would have been given out.
        contracts.sort(key=lambda c: (c.starts_on, c.customer.number))
        return contracts

    def _plan_contract(self, customer: _Customer) -> _Contract:
        status = self.rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
        months = self.rng.choice((12, 24, 36, 36))
        first_of_month = REFERENCE_DATE.replace(day=1)
        if status is ContractStatus.EXPIRED:
            starts_on = _add_months(first_of_month, -months - self.rng.randint(1, 12))
        elif status is ContractStatus.DRAFT:
            starts_on = _add_months(first_of_month, self.rng.randint(1, 3))
        else:
            starts_on = _add_months(first_of_month, -self.rng.randint(1, months - 2))
        ends_on = _add_months(starts_on, months) - dt.timedelta(days=1)
        lines = [self._plan_line(customer) for _ in range(self.rng.choices((1, 2, 3), (45, 35, 20))[0])]
        # Two lines for the same thing say nothing more than one.
        unique: dict[tuple[Any, ...], _Line] = {}
        for line in lines:
            unique.setdefault(_scope_key(line), line)
        return _Contract(customer, status, starts_on, ends_on, list(unique.values()))

    def _plan_line(self, customer: _Customer) -> _Line:
        package = self.rng.choices(PACKAGES, weights=_PACKAGE_WEIGHTS)[0]
        kind = self.rng.choices(("listed", "site", "family"), (45, 30, 25))[0]
        main_state = _main_state(customer)
        listed: list[_Unit] = []
        site_id: UUID | None = None
        family: str | None = None
        if kind == "site" and customer.sites:
            site_id, site_name, state = self.rng.choice(customer.sites)
            covered = [m for m in customer.machines if m.site_id == site_id]
            description = f"All equipment at {site_name}"
        elif kind == "family":
            family = self.rng.choice(sorted({m.family for m in customer.machines}))
            covered = [m for m in customer.machines if m.family == family]
            state = main_state
            description = f"All {family} equipment"
        else:
            count = min(len(customer.machines), self.rng.choice((1, 1, 2, 3, 4, 6, 10)))
            listed = covered = self.rng.sample(customer.machines, count)
            state = main_state
            description = "Listed unit" if count == 1 else f"Listed units ({count})"
        labour, parts, travel = package.coverage
        row = self._versioned() | {
            "description": f"{package.name}: {description}",
            "site_id": site_id,
            "product_family": family,
            "service_level_id": self._level(package.tier, state),
            "labour_pct": Decimal(labour), "parts_pct": Decimal(parts), "travel_pct": Decimal(travel),
            "quota_period": package.quota_period.value,
            "quota_visits": package.visits,
            "quota_hours": None if package.hours is None else Decimal(package.hours),
            "quota_parts_value": None if package.parts_value is None else Decimal(package.parts_value),
            "excluded_service_types": [t.value for t in package.excluded],
        }  # fmt: skip
        return _Line(row, package, listed, covered)

    # ------------------------------------------------------------------ contracts (writing)

    async def _load_contracts(self, contracts: list[_Contract]) -> None:
        numbers = await next_numbers(self.session, "contract", len(contracts)) if contracts else []
        contract_rows: list[tuple[Any, ...]] = []
        line_rows: list[dict[str, Any]] = []
        listed_rows: list[tuple[Any, ...]] = []
        usage_rows: list[tuple[Any, ...]] = []
        for contract, number in zip(contracts, numbers, strict=True):
            contract_id = uuid7()
            contract_rows.append(self._contract_row(contract_id, number, contract))
            for line in contract.lines:
                line.row["contract_id"] = contract_id
                line_rows.append(line.row)
                listed_rows.extend(
                    (uuid_utils.uuid7(), line.row["id"], unit.id, self.now, self.now) for unit in line.listed
                )
                usage_rows.extend(self._usage(contract, line, len(usage_rows)))
        await self._write(ServiceContract, _CONTRACT_COLUMNS, contract_rows, "contracts")
        await self._write(ContractLine, _LINE_COLUMNS, await self._line_tuples(line_rows), "contract lines")
        await self._write(ContractLineEquipment, _LISTED_COLUMNS, listed_rows, "line equipment")
        await self._write(EntitlementUsage, _USAGE_COLUMNS, usage_rows, "usage")
        self.counts |= {
            "contracts": len(contract_rows),
            "contract_lines": len(line_rows),
            "listed_equipment": len(listed_rows),
            "usage": len(usage_rows),
        }

    async def _line_tuples(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        # COPY hands JSONB to the codec SQLAlchemy registers on asyncpg connections, which takes
        # JSON text; on SQLite the bulk writer runs the column's own bind processor, memoised by
        # value, so the list goes in as a (hashable) tuple, which serializes the same.
        copy = (await self.session.connection()).dialect.name == "postgresql"
        encode: Callable[[list[str]], Any] = json.dumps if copy else tuple
        excluded = _LINE_COLUMNS.index("excluded_service_types")
        return [
            tuple(encode(row[name]) if i == excluded else row[name] for i, name in enumerate(_LINE_COLUMNS))
            for row in rows
        ]

    def _contract_row(self, contract_id: UUID, number: str, contract: _Contract) -> tuple[Any, ...]:
        rng = self.rng
        period = rng.choices((BillingPeriod.MONTHLY, BillingPeriod.QUARTERLY, BillingPeriod.YEARLY), (50, 30, 20))[0]
        timing = BillingTiming.IN_ADVANCE if rng.random() < 0.8 else BillingTiming.IN_ARREARS
        months = PERIOD_MONTHS[period]
        fee = (max(MINIMUM_MONTHLY_FEE, sum(map(_monthly_fee, contract.lines), Decimal(0))) * months).quantize(_CENT)
        prints = any(unit.family == "printers" for line in contract.lines for unit in line.covered)
        usage = prints and rng.random() < 0.5
        live = contract.status in (ContractStatus.ACTIVE, ContractStatus.DRAFT)
        reasons = STATUS_REASONS.get(contract.status)
        name = contract.lines[0].package.name if len(contract.lines) == 1 else "Service agreement"
        return (
            contract_id, number, contract.customer.id, f"{name} {contract.starts_on.year}", contract.status.value,
            contract.starts_on, contract.ends_on, live and rng.random() < 0.7, rng.choice((30, 60, 60, 90)),
            Decimal(rng.choice(("0", "2.5", "3", "4"))), CURRENCY, fee, period.value, timing.value,
            "pages" if usage else None,
            Decimal(PAGES_INCLUDED_PER_MONTH * months) if usage else None,
            PAGE_PRICE if usage else None,
            rng.choice(reasons) if reasons else None,
            rng.choice(CONTRACT_NOTES) if rng.random() < 0.1 else None,
            1, self.now, self.now,
        )  # fmt: skip

    def _usage(self, contract: _Contract, line: _Line, taken: int) -> list[tuple[Any, ...]]:
        """Work orders that already used some of a line's quota in the current period."""
        package = line.package
        used_up_to = min(REFERENCE_DATE - dt.timedelta(days=1), contract.ends_on)
        if contract.status is ContractStatus.DRAFT or used_up_to < contract.starts_on or self.rng.random() >= 0.35:
            return []
        start = _period_start(package.quota_period, contract.starts_on, used_up_to)
        if package.visits is not None:
            # One in ten has used all of it, so the check has something to refuse.
            orders = package.visits if self.rng.random() < 0.1 else self.rng.randint(1, max(1, package.visits - 1))
        else:
            orders = self.rng.randint(1, 4)
        span = (used_up_to - start).days
        rows = []
        for n in range(orders):
            day = start + dt.timedelta(days=self.rng.randint(0, span))
            hours = self.rng.choice(HOURS_PER_VISIT)
            parts = Decimal(self.rng.randrange(0, 120_000)) / 100 if package.parts_value is not None else Decimal(0)
            at = dt.datetime.combine(day, dt.time(7 + self.rng.randrange(10)), dt.UTC)
            rows.append((
                uuid_utils.uuid7(), line.row["id"], f"WO-DEMO-{taken + n + 1:07d}", start, 1, hours, parts, at,
                self.now, self.now,
            ))  # fmt: skip
        return rows


# --------------------------------------------------------------------------- helpers

_TERM_SPECS = {spec.code: spec for spec in TERMS}

_WARRANTY_COLUMNS = (
    "id", "equipment_id", "customer_id", "term_id", "kind", "starts_on", "ends_on", "counter_name",
    "counter_limit", "void", "version", "created_at", "updated_at",
)  # fmt: skip
_CONTRACT_COLUMNS = (
    "id", "number", "customer_id", "name", "status", "starts_on", "ends_on", "auto_renew", "notice_days",
    "renewal_uplift_pct", "currency", "fee_amount", "billing_period", "billing_timing", "usage_counter_name",
    "usage_included_volume", "usage_unit_price", "status_reason", "notes", "version", "created_at", "updated_at",
)  # fmt: skip
_LINE_COLUMNS = (
    "id", "contract_id", "description", "site_id", "product_family", "service_level_id", "labour_pct", "parts_pct",
    "travel_pct", "quota_period", "quota_visits", "quota_hours", "quota_parts_value", "excluded_service_types",
    "version", "created_at", "updated_at",
)  # fmt: skip
_LISTED_COLUMNS = ("id", "line_id", "equipment_id", "created_at", "updated_at")
_USAGE_COLUMNS = (
    "id", "line_id", "work_order_ref", "period_start", "visits", "hours", "parts_value", "consumed_at",
    "created_at", "updated_at",
)  # fmt: skip


# Dates repeat a lot across tens of thousands of units and contracts, and relativedelta is slow.
_warranty_end = cache(warranty_end)
_period_start = cache(period_start)


@cache
def _add_months(day: dt.date, months: int) -> dt.date:
    moved: dt.date = day + relativedelta(months=months)
    return moved


def _main_state(customer: _Customer) -> str:
    """The state of the site with most machines: where the customer's service is run from."""
    if not customer.sites:
        return NATIONAL
    machines: dict[UUID | None, int] = defaultdict(int)
    for unit in customer.machines:
        machines[unit.site_id] += 1
    return max(customer.sites, key=lambda site: machines[site[0]])[2]


def _scope_key(line: _Line) -> tuple[Any, ...]:
    return (line.row["site_id"], line.row["product_family"], tuple(sorted(str(u.id) for u in line.listed)))


def _monthly_fee(line: _Line) -> Decimal:
    return sum((line.package.rate * FAMILY_FACTORS.get(unit.family, Decimal(1)) for unit in line.covered), Decimal(0))
