"""Contract lines: what a contract covers, how much of the cost, with which quotas and exclusions.

A line covers listed units, everything at one site, and/or a product family (at least one of
them), all of the contract's own customer. Lines change while the contract is a draft or
active; an active contract keeps at least one line. Lock order: contract → line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from contracts.choices import ContractStatus, QuotaPeriod, ServiceType
from contracts.errors import Code
from contracts.models import ContractLine, ContractLineEquipment, EntitlementUsage, ServiceContract, ServiceLevel
from contracts.services.service_contracts import (
    Amount,
    LineView,
    Percent,
    checked_amount,
    checked_percent,
    count_lines,
    listed_equipment,
    locked_contract,
)
from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from masterdata.models import Equipment, Site

EDITABLE = frozenset({ContractStatus.DRAFT, ContractStatus.ACTIVE})

ProductFamily = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Visits = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Hours = Annotated[Decimal, msgspec.Meta(description='labour hours as a string: "40" or "7.5"')]
UnitIds = Annotated[list[UUID], msgspec.Meta(max_length=2000)]
ServiceTypes = Annotated[list[ServiceType], msgspec.Meta(max_length=len(ServiceType))]


class LineCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: Name
    # What is covered: at least one of these.
    equipment_ids: UnitIds = msgspec.field(default_factory=list)
    site_id: UUID | None = None
    product_family: ProductFamily | None = None
    service_level_id: UUID | None = None
    labour_pct: Percent
    parts_pct: Percent
    travel_pct: Percent
    quota_period: QuotaPeriod = QuotaPeriod.YEAR
    # None means unlimited.
    quota_visits: Visits | None = None
    quota_hours: Hours | None = None
    quota_parts_value: Amount | None = None
    excluded_service_types: ServiceTypes = msgspec.field(default_factory=list)


class LineUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    description: Name | msgspec.UnsetType = msgspec.UNSET
    equipment_ids: UnitIds | msgspec.UnsetType = msgspec.UNSET
    site_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    product_family: ProductFamily | msgspec.UnsetType | None = msgspec.UNSET
    service_level_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    labour_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    parts_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    travel_pct: Percent | msgspec.UnsetType = msgspec.UNSET
    quota_period: QuotaPeriod | msgspec.UnsetType = msgspec.UNSET
    quota_visits: Visits | msgspec.UnsetType | None = msgspec.UNSET
    quota_hours: Hours | msgspec.UnsetType | None = msgspec.UNSET
    quota_parts_value: Amount | msgspec.UnsetType | None = msgspec.UNSET
    excluded_service_types: ServiceTypes | msgspec.UnsetType = msgspec.UNSET


async def add_line(session: AsyncSession, actor: Principal, contract_id: UUID, data: LineCreate) -> LineView:
    contract = await _editable_contract(session, contract_id)
    fields = sent_fields(data, exclude=frozenset({"equipment_ids"}))
    units = _unique(data.equipment_ids)
    await _check_references(session, contract, fields, units)
    line = ContractLine(contract_id=contract.id)
    apply(line, _stored(fields))
    _check_line(line, units)
    session.add(line)
    await session.flush()
    session.add_all(ContractLineEquipment(line_id=line.id, equipment_id=unit) for unit in units)
    await session.flush()
    await audit.record(session, actor, "contract_line", line.id, "create", after=_snapshot(line, units))
    return LineView(line, sorted(units))


async def update_line(
    session: AsyncSession, actor: Principal, contract_id: UUID, line_id: UUID, data: LineUpdate
) -> LineView:
    contract = await _editable_contract(session, contract_id)
    line = await _line_of(session, contract, line_id)
    check_version("contract_line", line, data.version)
    listed = (await listed_equipment(session, [line.id])).get(line.id, [])
    fields = sent_fields(data, exclude=frozenset({"version", "equipment_ids"}))
    units = listed if data.equipment_ids is msgspec.UNSET else _unique(data.equipment_ids)
    await _check_references(session, contract, fields, [u for u in units if u not in listed])
    before = _snapshot(line, listed)
    apply(line, _stored(fields))
    _check_line(line, units)
    if set(units) != set(listed):
        # The listing is part of the line: one UPDATE moves its version for other editors,
        # whether or not a column changed too (no autoflush in between, or it would be two).
        with session.no_autoflush:
            await _replace_units(session, line, listed, units)
        flag_modified(line, "description")
    await session.flush()
    old, new = audit.changed(before, _snapshot(line, units))
    await audit.record(session, actor, "contract_line", line.id, "update", before=old, after=new)
    return LineView(line, sorted(units))


async def remove_line(session: AsyncSession, actor: Principal, contract_id: UUID, line_id: UUID) -> None:
    contract = await _editable_contract(session, contract_id)
    line = await _line_of(session, contract, line_id)
    used = await session.scalar(select(func.count()).where(EntitlementUsage.line_id == line.id))
    if used:
        raise Conflict(
            Code.IN_USE,
            f"the line has recorded entitlement usage ({used} work order(s)); it cannot be removed",
            extra={"dependents": {"entitlement_usage": int(used)}},
        )
    if contract.status == ContractStatus.ACTIVE and await count_lines(session, contract.id) <= 1:
        raise Conflict(
            Code.CONTRACT_WITHOUT_LINES,
            f"the line is the last one of active contract {contract.number}; an active contract covers something",
            extra={"current_status": contract.status},
        )
    before = _snapshot(line, (await listed_equipment(session, [line.id])).get(line.id, []))
    await session.delete(line)
    await session.flush()
    await audit.record(session, actor, "contract_line", line_id, "delete", before=before)


async def _editable_contract(session: AsyncSession, contract_id: UUID) -> ServiceContract:
    contract = await locked_contract(session, contract_id)
    status = ContractStatus(contract.status)
    if status not in EDITABLE:
        raise Conflict(
            Code.CONTRACT_NOT_EDITABLE,
            f"the lines of a {status.value} contract cannot change; only draft and active contracts' lines can",
            field="status",
            extra={"current_status": status.value},
        )
    return contract


async def _line_of(session: AsyncSession, contract: ServiceContract, line_id: UUID) -> ContractLine:
    line = await session.get(ContractLine, line_id, with_for_update=True, populate_existing=True)
    if line is None or line.contract_id != contract.id:
        raise NotFound("contract_line", line_id)
    return line


async def _check_references(
    session: AsyncSession, contract: ServiceContract, fields: dict[str, Any], new_units: list[UUID]
) -> None:
    if fields.get("site_id") is not None:
        owner = await session.scalar(select(Site.customer_id).where(Site.id == fields["site_id"]))
        if owner is None:
            raise NotFound("site", fields["site_id"], field="site_id")
        if owner != contract.customer_id:
            raise Invalid(Code.SITE_NOT_OF_CUSTOMER, "the site belongs to another customer", field="site_id")
    if (
        fields.get("service_level_id") is not None
        and await session.get(ServiceLevel, fields["service_level_id"]) is None
    ):
        raise NotFound("service_level", fields["service_level_id"], field="service_level_id")
    await _check_units(session, contract.customer_id, new_units)


async def _check_units(session: AsyncSession, customer_id: UUID, units: list[UUID]) -> None:
    if not units:
        return
    rows = await session.execute(select(Equipment.id, Equipment.customer_id).where(Equipment.id.in_(units)))
    owners: dict[UUID, UUID] = dict(rows.tuples().all())
    for index, unit in enumerate(units):
        if unit not in owners:
            raise NotFound("equipment", unit, field=f"equipment_ids[{index}]")
        if owners[unit] != customer_id:
            raise Invalid(
                Code.EQUIPMENT_NOT_OF_CUSTOMER,
                f"equipment {unit} belongs to another customer than the contract's",
                field=f"equipment_ids[{index}]",
            )


def _check_line(line: ContractLine, units: list[UUID]) -> None:
    if not units and line.site_id is None and not line.product_family:
        raise Invalid(
            Code.LINE_COVERS_NOTHING,
            "a line covers listed equipment, all equipment at a site, or a product family; give at least one",
            field="equipment_ids",
        )
    for name in ("labour_pct", "parts_pct", "travel_pct"):
        setattr(line, name, checked_percent(getattr(line, name), name))
    if line.quota_hours is not None:
        line.quota_hours = checked_amount(line.quota_hours, "quota_hours", places=2, digits=10)
    if line.quota_parts_value is not None:
        line.quota_parts_value = checked_amount(line.quota_parts_value, "quota_parts_value", places=2, digits=14)


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    """Input values as the columns hold them (enum values, a sorted list of excluded types)."""
    stored = dict(fields)
    if "quota_period" in stored:
        stored["quota_period"] = QuotaPeriod(stored["quota_period"]).value
    if "excluded_service_types" in stored:
        stored["excluded_service_types"] = sorted({ServiceType(t).value for t in stored["excluded_service_types"]})
    return stored


async def _replace_units(session: AsyncSession, line: ContractLine, listed: list[UUID], units: list[UUID]) -> None:
    gone = [unit for unit in listed if unit not in units]
    if gone:
        await session.execute(
            delete(ContractLineEquipment).where(
                ContractLineEquipment.line_id == line.id, ContractLineEquipment.equipment_id.in_(gone)
            )
        )
    session.add_all(ContractLineEquipment(line_id=line.id, equipment_id=unit) for unit in units if unit not in listed)


def _unique(units: list[UUID]) -> list[UUID]:
    return list(dict.fromkeys(units))


def _snapshot(line: ContractLine, units: list[UUID]) -> dict[str, Any]:
    return {**audit.snapshot(line), "equipment_ids": sorted(str(unit) for unit in units)}
