"""Entitlement: load the facts for one request, decide with the pure rule, consume quota.

Lock order for consumption (documented in docs/architecture.md): contract → line → usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ContractStatus, Priority, QuotaPeriod
from contracts.entitlement_rule import (
    ContractLineFacts,
    Coverage,
    Decision,
    EntitlementRequest,
    Quotas,
    ServiceLevelFacts,
    ServiceObject,
    WarrantyFacts,
    decide,
)
from contracts.models import (
    ContractLine,
    ContractLineEquipment,
    EntitlementUsage,
    ServiceContract,
    Warranty,
    WarrantyTerm,
)
from contracts.quota_periods import period_start
from contracts.services.service_levels import load_service_level_facts

# Contracts that can never cover anything are not worth listing as candidates.
LISTED_STATUSES = [s.value for s in ContractStatus if s is not ContractStatus.DRAFT]


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What service_mgmt knows about the object of a request (contracts cannot look it up)."""

    customer_id: UUID
    equipment_id: UUID | None
    site_id: UUID | None
    product_family: str | None
    time_zone: str  # the site's zone; calendars without a zone of their own run in it
    counters: dict[str, Decimal]


async def check_entitlement(
    session: AsyncSession, obj: ObjectFacts, service_type: str, priority: Priority, moment: dt.datetime
) -> Decision:
    request = EntitlementRequest(
        object=ServiceObject(
            customer_id=obj.customer_id,
            equipment_id=obj.equipment_id,
            site_id=obj.site_id,
            product_family=obj.product_family,
            counters=obj.counters,
        ),
        service_type=service_type,
        priority=priority,
        moment=moment,
    )
    day = moment.astimezone(dt.UTC).date()
    warranty_rows = await _warranties(session, obj.equipment_id)
    line_rows = await _lines(session, obj.customer_id)
    listed = await _lines_listing(session, [line.id for line, _ in line_rows], obj.equipment_id)
    used = await _usage(session, line_rows, day)
    level_ids = {term.service_level_id for _, term in warranty_rows} | {line.service_level_id for line, _ in line_rows}
    levels = await load_service_level_facts(session, {i for i in level_ids if i is not None}, obj.time_zone)

    warranties = [_warranty_facts(w, term, levels) for w, term in warranty_rows]
    listing = frozenset({obj.equipment_id}) if obj.equipment_id else frozenset()
    lines = [
        _line_facts(line, contract, listing if line.id in listed else frozenset(), used, levels)
        for line, contract in line_rows
    ]
    return decide(request, warranties, lines)


# -- loading facts ----------------------------------------------------------------------------
async def _warranties(session: AsyncSession, equipment_id: UUID | None) -> Sequence[tuple[Warranty, WarrantyTerm]]:
    if equipment_id is None:
        return []
    rows = await session.execute(
        select(Warranty, WarrantyTerm)
        .join(WarrantyTerm, WarrantyTerm.id == Warranty.term_id)
        .where(Warranty.equipment_id == equipment_id, Warranty.void.is_(False))
        .order_by(Warranty.starts_on)
    )
    return [(warranty, term) for warranty, term in rows.all()]


async def _lines(session: AsyncSession, customer_id: UUID) -> Sequence[tuple[ContractLine, ServiceContract]]:
    rows = await session.execute(
        select(ContractLine, ServiceContract)
        .join(ServiceContract, ServiceContract.id == ContractLine.contract_id)
        .where(ServiceContract.customer_id == customer_id, ServiceContract.status.in_(LISTED_STATUSES))
        .order_by(ServiceContract.number, ContractLine.created_at)
    )
    return [(line, contract) for line, contract in rows.all()]


async def _lines_listing(session: AsyncSession, line_ids: list[UUID], equipment_id: UUID | None) -> set[UUID]:
    if not line_ids or equipment_id is None:
        return set()
    rows = await session.scalars(
        select(ContractLineEquipment.line_id).where(
            ContractLineEquipment.line_id.in_(line_ids), ContractLineEquipment.equipment_id == equipment_id
        )
    )
    return set(rows.all())


async def _usage(
    session: AsyncSession, line_rows: Sequence[tuple[ContractLine, ServiceContract]], day: dt.date
) -> dict[UUID, tuple[Decimal, Decimal, Decimal]]:
    starts = {
        line.id: period_start(QuotaPeriod(line.quota_period), contract.starts_on, day) for line, contract in line_rows
    }
    with_quota = [line.id for line, _ in line_rows if _has_quota(line)]
    if not with_quota:
        return {}
    rows = await session.execute(
        select(
            EntitlementUsage.line_id,
            EntitlementUsage.period_start,
            func.sum(EntitlementUsage.visits),
            func.sum(EntitlementUsage.hours),
            func.sum(EntitlementUsage.parts_value),
        )
        .where(EntitlementUsage.line_id.in_(with_quota))
        .group_by(EntitlementUsage.line_id, EntitlementUsage.period_start)
    )
    used: dict[UUID, tuple[Decimal, Decimal, Decimal]] = {}
    for line_id, start, visits, hours, parts in rows.all():
        if starts[line_id] == start:
            used[line_id] = (Decimal(visits or 0), Decimal(hours or 0), Decimal(parts or 0))
    return used


def _has_quota(line: ContractLine) -> bool:
    return any(q is not None for q in (line.quota_visits, line.quota_hours, line.quota_parts_value))


def _warranty_facts(w: Warranty, term: WarrantyTerm, levels: dict[UUID, ServiceLevelFacts]) -> WarrantyFacts:
    return WarrantyFacts(
        id=w.id,
        equipment_id=w.equipment_id,
        kind=w.kind,
        starts_on=w.starts_on,
        ends_on=w.ends_on,
        coverage=Coverage(term.labour_pct, term.parts_pct, term.travel_pct),
        service_level=levels.get(term.service_level_id) if term.service_level_id else None,
        counter_name=w.counter_name,
        counter_limit=w.counter_limit,
    )


def _line_facts(
    line: ContractLine,
    contract: ServiceContract,
    listed_units: frozenset[UUID],
    used: dict[UUID, tuple[Decimal, Decimal, Decimal]],
    levels: dict[UUID, ServiceLevelFacts],
) -> ContractLineFacts:
    visits, hours, parts = used.get(line.id, (Decimal(0), Decimal(0), Decimal(0)))
    return ContractLineFacts(
        id=line.id,
        contract_id=contract.id,
        contract_number=contract.number,
        contract_status=ContractStatus(contract.status),
        customer_id=contract.customer_id,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        coverage=Coverage(line.labour_pct, line.parts_pct, line.travel_pct),
        service_level=levels.get(line.service_level_id) if line.service_level_id else None,
        equipment_ids=listed_units,
        site_id=line.site_id,
        product_family=line.product_family,
        excluded_service_types=frozenset(line.excluded_service_types or []),
        remaining=Quotas(
            visits=None if line.quota_visits is None else Decimal(line.quota_visits) - visits,
            hours=None if line.quota_hours is None else line.quota_hours - hours,
            parts_value=None if line.quota_parts_value is None else line.quota_parts_value - parts,
        ),
    )
