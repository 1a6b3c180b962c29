"""Synthetic month-end data for the billing benchmark, written with bulk inserts.

Customers (DE, some FR with VAT ids, some US), contracts with every billing plan (monthly,
quarterly, yearly; in advance and in arrears; mid-month starts; suspensions; terminations),
usage contracts with one metered unit each and readings over the months before, and open
billable items. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from contracts.models import (
    BillableItem,
    BillingProfile,
    ContractLine,
    ContractLineEquipment,
    ContractSuspension,
    ServiceContract,
)
from masterdata.models import Counter, CounterReading, Customer, Equipment, Product

NOW = dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)
BATCH = 5000


@dataclass(frozen=True, slots=True)
class Volume:
    contracts: int = 20_000
    usage_contracts: int = 5_000
    readings_per_counter: int = 20
    billable_items: int = 10_000

    @property
    def customers(self) -> int:
        return max(1, self.contracts // 2)

    @property
    def readings(self) -> int:
        return self.usage_contracts * self.readings_per_counter


def _stamp(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": uuid7(), "created_at": NOW, "updated_at": NOW, **row}


async def _insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(model), list(rows[start : start + BATCH]))


async def generate(session: AsyncSession, volume: Volume, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    customers = [_customer(n, rng) for n in range(volume.customers)]
    await _insert(session, Customer, customers)
    profiles = [
        _stamp({"customer_id": c["id"], "tax_rate": Decimal("0.00"), "tax_id": f"FR{n:09d}", "country": "FR",
                "tax_exemption_reason": "Reverse charge", "payment_terms_days": 30, "version": 1})
        for n, c in enumerate(customers) if c["country"] == "FR"
    ]  # fmt: skip
    await _insert(session, BillingProfile, profiles)
    product = _stamp({
        "sku": "BENCH-PRN", "name": "Printer", "kind": "equipment", "family": "printers", "serialized": True,
        "list_price": Decimal(1000), "currency": "EUR", "unit": "pc", "version": 1,
    })  # fmt: skip
    await _insert(session, Product, [product])
    contracts = [_contract(n, customers[n % len(customers)]["id"], rng) for n in range(volume.contracts)]
    await _insert(session, ServiceContract, contracts)
    suspensions = [
        _stamp({"contract_id": c["id"], "suspended_from": dt.date(2026, 11, 5), "resumed_on": dt.date(2026, 11, 15),
                "reason": "bench"})
        for c in contracts if rng.random() < 0.05
    ]  # fmt: skip
    await _insert(session, ContractSuspension, suspensions)
    readings = await _usage(session, contracts[: volume.usage_contracts], product["id"], volume, rng)
    items = [_item(n, customers[rng.randrange(len(customers))]["id"], rng) for n in range(volume.billable_items)]
    await _insert(session, BillableItem, items)
    return {
        "customers": len(customers),
        "contracts": len(contracts),
        "usage_contracts": volume.usage_contracts,
        "readings": readings,
        "billable_items": len(items),
        "suspensions": len(suspensions),
    }


def _customer(n: int, rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    country = "DE" if roll < 0.9 else ("FR" if roll < 0.95 else "US")
    return _stamp({"number": f"C-B{n:06d}", "name": f"Bench customer {n}", "status": "active",
                   "country": country, "email": f"billing{n}@bench.test", "version": 1})  # fmt: skip


def _contract(n: int, customer_id: Any, rng: random.Random) -> dict[str, Any]:
    period = rng.choice(["monthly", "monthly", "monthly", "quarterly", "yearly"])
    timing = rng.choice(["in_advance", "in_advance", "in_arrears"])
    starts_on = dt.date(rng.choice([2025, 2026]), rng.randint(1, 11), rng.choice([1, 1, 1, 16]))
    ends_on = dt.date(starts_on.year + 1, starts_on.month, 1) + dt.timedelta(days=rng.choice([-1, 200, 400]))
    terminated = dt.date(2026, 11, 20) if rng.random() < 0.02 else None
    return _stamp({
        "number": f"SC-B{n:06d}", "customer_id": customer_id, "name": f"Bench contract {n}",
        "status": "terminated" if terminated else "active", "starts_on": starts_on, "ends_on": ends_on,
        "terminated_on": terminated, "auto_renew": False, "notice_days": 60, "renewal_uplift_pct": Decimal(0),
        "currency": "EUR", "fee_amount": Decimal(rng.randint(50, 2000)), "billing_period": period,
        "billing_timing": timing, "version": 1,
    })  # fmt: skip


async def _usage(
    session: AsyncSession, contracts: Sequence[dict[str, Any]], product_id: Any, volume: Volume, rng: random.Random
) -> int:
    units, lines, links, counters, readings = [], [], [], [], []
    for contract in contracts:
        unit = _stamp({"product_id": product_id, "serial_number": f"SN-{contract['number']}",
                       "customer_id": contract["customer_id"], "status": "in_service", "version": 1})  # fmt: skip
        line = _stamp({"contract_id": contract["id"], "description": "metered printer", "labour_pct": Decimal(100),
                       "parts_pct": Decimal(100), "travel_pct": Decimal(100), "quota_period": "year",
                       "excluded_service_types": [], "version": 1})  # fmt: skip
        counter = _stamp({"equipment_id": unit["id"], "name": "pages", "unit": "pages"})
        units.append(unit)
        lines.append(line)
        links.append(_stamp({"line_id": line["id"], "equipment_id": unit["id"]}))
        counters.append(counter)
        value = rng.randint(0, 50_000)
        for k in range(volume.readings_per_counter):
            value += rng.randint(50, 400)
            at = NOW - dt.timedelta(days=(volume.readings_per_counter - k) * 9 - 5, hours=rng.randint(0, 12))
            readings.append(_stamp({"counter_id": counter["id"], "value": Decimal(value), "read_at": at,
                                    "source": "manual", "kind": "regular", "recorded_by": "bench"}))  # fmt: skip
    await _insert(session, Equipment, units)
    await _insert(session, ContractLine, lines)
    await _insert(session, ContractLineEquipment, links)
    await _insert(session, Counter, counters)
    await _insert(session, CounterReading, readings)
    # The usage plan is set after the contracts were inserted: an UPDATE per batch of ids.
    from sqlalchemy import update

    ids = [c["id"] for c in contracts]
    for chunk in _chunks(ids, 1000):
        await session.execute(
            update(ServiceContract)
            .where(ServiceContract.id.in_(chunk))
            .values(usage_counter_name="pages", usage_included_volume=Decimal(300), usage_unit_price=Decimal("0.012"))
        )
    return len(readings)


def _item(n: int, customer_id: Any, rng: random.Random) -> dict[str, Any]:
    hours = Decimal(rng.choice(["0.5", "1.0", "1.5", "2.25", "3.0"]))
    price = Decimal("98.00")
    coverage = Decimal(rng.choice([0, 0, 50, 100]))
    gross = (hours * price).quantize(Decimal("0.01"))
    amount = (gross * (100 - coverage) / 100).quantize(Decimal("0.01"))
    return _stamp({
        "source_kind": "work_order", "source_id": uuid7(), "source_ref": f"WO-B{n:06d}", "line_key": "labour",
        "customer_id": customer_id, "kind": "labour", "description": f"Labour WO-B{n:06d}", "quantity": hours,
        "unit": "h", "unit_price": price, "currency": "EUR", "coverage_pct": coverage,
        "covered_amount": gross - amount, "amount": amount, "service_date": dt.date(2026, 11, rng.randint(1, 30)),
        "status": "open",
    })  # fmt: skip


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
