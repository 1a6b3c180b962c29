"""What a billing run of one month bills: fees, usage and billable items, gathered set-based.

`gather(session, month)` reads everything due in a handful of queries (whatever the number of
contracts) and answers the lines still to bill, each with its `source_key`. What is already
billed (a line holds the key, a usage period exists, an item is no longer open) is left out;
the unique keys in the database make sure that holds even against a concurrent run.

Usage counts the counters named by the contract's `usage_counter_name` on the units listed on
its lines, from each counter's baseline (the last billed reading) to the end of the billing
period (UTC); see `contracts.usage_charge` for the rule and `UsageBaseline` for the baseline.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableStatus, BillingPeriod, BillingTiming, ContractStatus, InvoiceLineSource
from contracts.fee_schedule import DateRange, FeeLine, FeeTerms, RunMonth, fee_line
from contracts.models import (
    BillableItem,
    ContractLine,
    ContractLineEquipment,
    ContractSuspension,
    InvoiceLine,
    ServiceContract,
    UsageBaseline,
    UsagePeriod,
)
from contracts.usage_charge import Reading, UsagePlan, included_for, used_volume
from core.db import in_chunks
from masterdata.models import Counter, CounterReading

ZERO = Decimal(0)
CENT = Decimal("0.01")
PRICE = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class BaselineMove:
    counter_id: UUID
    reading_id: UUID
    value: Decimal
    read_at: dt.datetime
    kind: str


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """A usage period billed for a contract, charged or not; the baselines it moves."""

    contract_id: UUID
    period_start: dt.date
    used: Decimal
    included: Decimal
    billable: Decimal
    baselines: tuple[BaselineMove, ...]


@dataclass(frozen=True, slots=True)
class LineToBill:
    customer_id: UUID  # the ordering customer; the run finds its bill-to
    currency: str
    source: InvoiceLineSource
    source_key: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net_amount: Decimal
    reference: str | None = None
    contract_id: UUID | None = None
    billable_item_id: UUID | None = None
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    details: dict[str, Any] = field(default_factory=dict)
    usage: UsageRecord | None = None  # set on usage lines


@dataclass(frozen=True, slots=True)
class DueForBilling:
    month: RunMonth
    contracts_considered: int
    lines: list[LineToBill]
    # Usage periods with nothing above the included volume: recorded, baselines moved, no line.
    uncharged_usage: list[tuple[UUID, str, UsageRecord]]  # (customer, currency, record)
    # Billable items covered in full (amount 0): marked billed, nothing to invoice.
    covered_items: list[tuple[UUID, str, UUID]]  # (customer, currency, item id)

    def customers(self) -> set[UUID]:
        return (
            {line.customer_id for line in self.lines}
            | {customer for customer, _, _ in self.uncharged_usage}
            | {customer for customer, _, _ in self.covered_items}
        )


@dataclass(frozen=True, slots=True)
class _Contract:
    id: UUID
    number: str
    name: str
    customer_id: UUID
    currency: str
    terms: FeeTerms
    usage: UsagePlan | None


def fee_key(contract_id: UUID, period_start: dt.date) -> str:
    return f"fee:{contract_id}:{period_start.isoformat()}"


def usage_key(contract_id: UUID, period_start: dt.date) -> str:
    return f"usage:{contract_id}:{period_start.isoformat()}"


def item_key(item_id: UUID) -> str:
    return f"item:{item_id}"


async def gather(session: AsyncSession, month: RunMonth, *, customer_ids: set[UUID] | None = None) -> DueForBilling:
    """Everything the run of `month` still has to bill (optionally for some customers only)."""
    contracts = await _contracts(session, month, customer_ids)
    fees = [
        (contract, line)
        for contract in contracts
        if (line := fee_line(contract.terms, month)) is not None and line.amount > ZERO  # usage-only contracts
    ]
    billed = await _billed_keys(session, [fee_key(c.id, line.period_start) for c, line in fees])
    lines = [
        _fee_line(contract, line) for contract, line in fees if fee_key(contract.id, line.period_start) not in billed
    ]
    usage_lines, uncharged = await _usage(session, month, [c for c in contracts if c.usage is not None])
    lines += usage_lines
    item_lines, covered = await _billable_items(session, month, customer_ids)
    lines += item_lines
    return DueForBilling(month, len(contracts), lines, uncharged, covered)


# --- contracts and fees ---------------------------------------------------------------------------


async def _contracts(session: AsyncSession, month: RunMonth, customer_ids: set[UUID] | None) -> list[_Contract]:
    stmt = select(ServiceContract).where(
        ServiceContract.status != ContractStatus.DRAFT.value,
        ServiceContract.starts_on <= month.last_day,
        ServiceContract.ends_on >= month.first_day,
    )
    if customer_ids is not None:
        stmt = stmt.where(ServiceContract.customer_id.in_(customer_ids))
    rows = list((await session.scalars(stmt.order_by(ServiceContract.id))).all())
    suspensions = await _suspensions(session, [row.id for row in rows])
    found = []
    for row in rows:
        ends_on = min(row.ends_on, row.terminated_on) if row.terminated_on is not None else row.ends_on
        if ends_on < row.starts_on:
            continue  # terminated before it started: nothing was served
        terms = FeeTerms(
            contract_id=row.id,
            starts_on=row.starts_on,
            ends_on=ends_on,
            fee_amount=row.fee_amount,
            billing_period=BillingPeriod(row.billing_period),
            billing_timing=BillingTiming(row.billing_timing),
            suspensions=tuple(suspensions.get(row.id, ())),
        )
        usage = None
        if row.usage_counter_name and row.usage_unit_price is not None:
            usage = UsagePlan(row.usage_counter_name, row.usage_included_volume or ZERO, row.usage_unit_price)
        found.append(_Contract(row.id, row.number, row.name, row.customer_id, row.currency, terms, usage))
    return found


async def _suspensions(session: AsyncSession, contract_ids: Sequence[UUID]) -> dict[UUID, list[DateRange]]:
    found: dict[UUID, list[DateRange]] = defaultdict(list)
    for chunk in in_chunks(contract_ids):
        rows = await session.execute(
            select(
                ContractSuspension.contract_id, ContractSuspension.suspended_from, ContractSuspension.resumed_on
            ).where(ContractSuspension.contract_id.in_(chunk))
        )
        for contract_id, first, resumed_on in rows.tuples():
            last = resumed_on - dt.timedelta(days=1) if resumed_on is not None else dt.date.max
            if last >= first:
                found[contract_id].append(DateRange(first, last))
    return found


async def _billed_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    billed: set[str] = set()
    for chunk in in_chunks(keys):
        rows = await session.scalars(select(InvoiceLine.source_key).where(InvoiceLine.source_key.in_(chunk)))
        billed |= {key for key in rows if key is not None}
    return billed


def _fee_line(contract: _Contract, line: FeeLine) -> LineToBill:
    period = f"{line.service_from.isoformat()} to {line.service_to.isoformat()}"
    whole = line.charged_days == line.period_days
    description = f"{contract.name}: {contract.terms.billing_period.value} fee {period}"
    if not whole:
        description += f" ({line.charged_days} of {line.period_days} days"
        description += f", {line.suspended_days} suspended)" if line.suspended_days else ")"
    return LineToBill(
        customer_id=contract.customer_id,
        currency=contract.currency,
        source=InvoiceLineSource.CONTRACT_FEE,
        source_key=fee_key(contract.id, line.period_start),
        description=description[:300],
        quantity=Decimal(1) if whole else Decimal(line.charged_days),
        unit="period" if whole else "day",
        unit_price=contract.terms.fee_amount
        if whole
        else (contract.terms.fee_amount / line.period_days).quantize(PRICE),
        net_amount=line.amount,
        reference=contract.number,
        contract_id=contract.id,
        service_from=line.service_from,
        service_to=line.service_to,
        details={
            "fee": str(contract.terms.fee_amount),
            "period_start": line.period_start.isoformat(),
            "period_days": line.period_days,
            "charged_days": line.charged_days,
            "suspended_days": line.suspended_days,
            "timing": contract.terms.billing_timing.value,
        },
    )


# --- usage ------------------------------------------------------------------------------------------


def usage_period(contract: _Contract, month: RunMonth) -> FeeLine | None:
    """Usage is billed in arrears for the contract's billing period, whatever the fee's timing."""
    return fee_line(replace(contract.terms, billing_timing=BillingTiming.IN_ARREARS, fee_amount=ZERO), month)


async def _usage(
    session: AsyncSession, month: RunMonth, contracts: list[_Contract]
) -> tuple[list[LineToBill], list[tuple[UUID, str, UsageRecord]]]:
    due = {c.id: (c, period) for c in contracts if (period := usage_period(c, month)) is not None}
    done = await _usage_periods_done(session, [(cid, period.period_start) for cid, (_, period) in due.items()])
    due = {cid: entry for cid, entry in due.items() if cid not in done}
    counters = await _usage_counters(session, due)
    baselines = await _baselines(session, list(due))
    readings = await _readings_after(session, counters, baselines, due)
    lines: list[LineToBill] = []
    uncharged: list[tuple[UUID, str, UsageRecord]] = []
    for contract_id, (contract, period) in due.items():
        line, record = _usage_of(contract, period, counters.get(contract_id, []), baselines, readings)
        if record is None:
            continue
        if line is not None:
            lines.append(line)
        else:
            uncharged.append((contract.customer_id, contract.currency, record))
    return lines, uncharged


async def _usage_periods_done(session: AsyncSession, pairs: list[tuple[UUID, dt.date]]) -> set[UUID]:
    wanted = set(pairs)
    done: set[UUID] = set()
    for chunk in in_chunks(sorted({cid for cid, _ in pairs})):
        rows = await session.execute(
            select(UsagePeriod.contract_id, UsagePeriod.period_start).where(UsagePeriod.contract_id.in_(chunk))
        )
        done |= {cid for cid, start in rows.tuples() if (cid, start) in wanted}
    return done


async def _usage_counters(session: AsyncSession, due: dict[UUID, tuple[_Contract, FeeLine]]) -> dict[UUID, list[UUID]]:
    """The counters each contract bills usage on: its counter name on the units its lines list."""
    found: dict[UUID, set[UUID]] = defaultdict(set)
    for chunk in in_chunks(sorted(due)):
        rows = await session.execute(
            select(ContractLine.contract_id, Counter.id, Counter.name)
            .join(ContractLineEquipment, ContractLineEquipment.line_id == ContractLine.id)
            .join(Counter, Counter.equipment_id == ContractLineEquipment.equipment_id)
            .where(ContractLine.contract_id.in_(chunk))
        )
        for contract_id, counter_id, name in rows.tuples():
            plan = due[contract_id][0].usage
            if plan is not None and name == plan.counter_name:
                found[contract_id].add(counter_id)
    return {cid: sorted(ids) for cid, ids in found.items()}


async def _baselines(session: AsyncSession, contract_ids: list[UUID]) -> dict[tuple[UUID, UUID], UsageBaseline]:
    found: dict[tuple[UUID, UUID], UsageBaseline] = {}
    for chunk in in_chunks(contract_ids):
        rows = await session.scalars(select(UsageBaseline).where(UsageBaseline.contract_id.in_(chunk)))
        found |= {(row.contract_id, row.counter_id): row for row in rows}
    return found


async def _readings_after(
    session: AsyncSession,
    counters: dict[UUID, list[UUID]],
    baselines: dict[tuple[UUID, UUID], UsageBaseline],
    due: dict[UUID, tuple[_Contract, FeeLine]],
) -> dict[UUID, list[tuple[UUID, Reading]]]:
    """Readings per counter up to the latest period end among the contracts (filtered per contract later)."""
    counter_ids = sorted({cid for ids in counters.values() for cid in ids})
    if not counter_ids:
        return {}
    until = max(_period_end(period) for _, period in due.values())
    # Readings older than every baseline of a counter can never count again.
    oldest: dict[UUID, dt.datetime] = {}
    for (_, counter_id), baseline in baselines.items():
        seen = oldest.get(counter_id)
        oldest[counter_id] = baseline.read_at if seen is None else min(seen, baseline.read_at)
    found: dict[UUID, list[tuple[UUID, Reading]]] = defaultdict(list)
    for chunk in in_chunks(counter_ids):
        rows = await session.execute(
            select(
                CounterReading.id,
                CounterReading.counter_id,
                CounterReading.value,
                CounterReading.read_at,
                CounterReading.kind,
            )
            .where(CounterReading.counter_id.in_(chunk), CounterReading.read_at < until)
            .order_by(CounterReading.counter_id, CounterReading.read_at, CounterReading.id)
        )
        for reading_id, counter_id, value, read_at, kind in rows.tuples():
            floor = oldest.get(counter_id)
            if floor is None or read_at >= floor:
                found[counter_id].append((reading_id, Reading(Decimal(value), read_at, kind)))
    return found


def _period_end(period: FeeLine) -> dt.datetime:
    """Readings count up to the end of the period's last day (UTC), exclusive."""
    return dt.datetime.combine(period.service_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _usage_of(
    contract: _Contract,
    period: FeeLine,
    counter_ids: list[UUID],
    baselines: dict[tuple[UUID, UUID], UsageBaseline],
    readings: dict[UUID, list[tuple[UUID, Reading]]],
) -> tuple[LineToBill | None, UsageRecord | None]:
    plan = contract.usage
    assert plan is not None
    end = _period_end(period)
    used, moves = ZERO, []
    for counter_id in counter_ids:
        baseline = baselines.get((contract.id, counter_id))
        previous = Reading(baseline.value, baseline.read_at, baseline.kind) if baseline is not None else None
        mine = [
            (rid, r)
            for rid, r in readings.get(counter_id, [])
            if r.read_at < end and (previous is None or r.read_at > previous.read_at)
        ]
        if not mine:
            continue
        used += used_volume(previous, [r for _, r in mine])
        last_id, last = mine[-1]
        moves.append(BaselineMove(counter_id, last_id, last.value, last.read_at, last.kind))
    if not moves:
        return None, None  # no reading in the period: nothing to bill, nothing to remember
    included = included_for(plan.included_volume, period.charged_days, period.period_days)
    billable = max(used - included, ZERO)
    record = UsageRecord(contract.id, period.period_start, used, included, billable, tuple(moves))
    amount = (billable * plan.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount <= ZERO:
        return None, record
    line = LineToBill(
        customer_id=contract.customer_id,
        currency=contract.currency,
        source=InvoiceLineSource.USAGE,
        source_key=usage_key(contract.id, period.period_start),
        description=(
            f"{contract.name}: {plan.counter_name} {period.service_from.isoformat()} to"
            f" {period.service_to.isoformat()}: {used} used, {included} included"
        )[:300],
        quantity=billable,
        unit="unit",
        unit_price=plan.unit_price,
        net_amount=amount,
        reference=contract.number,
        contract_id=contract.id,
        service_from=period.service_from,
        service_to=period.service_to,
        details={"counter": plan.counter_name, "used": str(used), "included": str(included), "billable": str(billable)},
        usage=record,
    )
    return line, record


# --- billable items ---------------------------------------------------------------------------------


async def _billable_items(
    session: AsyncSession, month: RunMonth, customer_ids: set[UUID] | None
) -> tuple[list[LineToBill], list[tuple[UUID, str, UUID]]]:
    stmt = select(BillableItem).where(
        BillableItem.status == BillableStatus.OPEN.value, BillableItem.service_date <= month.last_day
    )
    if customer_ids is not None:
        stmt = stmt.where(BillableItem.customer_id.in_(customer_ids))
    items = (await session.scalars(stmt.order_by(BillableItem.service_date, BillableItem.id))).all()
    lines = [_item_line(item) for item in items if item.amount > ZERO]
    covered = [(item.customer_id, item.currency, item.id) for item in items if item.amount == ZERO]
    return lines, covered


def _item_line(item: BillableItem) -> LineToBill:
    return LineToBill(
        customer_id=item.customer_id,
        currency=item.currency,
        source=InvoiceLineSource.BILLABLE_ITEM,
        source_key=item_key(item.id),
        description=item.description,
        quantity=item.quantity,
        unit=item.unit,
        unit_price=item.unit_price,
        net_amount=item.amount,
        reference=item.source_ref,
        billable_item_id=item.id,
        service_from=item.service_date,
        service_to=item.service_date,
        details={
            "kind": item.kind,
            "source_kind": item.source_kind,
            "coverage_pct": str(item.coverage_pct),
            "covered_amount": str(item.covered_amount),
        },
    )
