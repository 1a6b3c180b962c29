"""The entitlement rule: which warranty or contract line covers a request, and why.

A pure function over plain facts (no database): `decide(request, warranties, lines)`. Every
candidate is judged and keeps its reason; of those that apply, the one most favourable to
the customer wins, and the decision says on what grounds.

Most favourable means, in this order: the higher coverage (labour + parts + travel, then
labour alone, then parts), the earlier resolution due time, the earlier response due time,
and then a warranty before a contract line, because a warranty consumes no quota.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from contracts.choices import ContractStatus, CoveredBy, Priority, Reason
from core.calendars import CoverageCalendar

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Share of the cost the covering party pays, in percent."""

    labour: Decimal = ZERO
    parts: Decimal = ZERO
    travel: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.labour + self.parts + self.travel

    @property
    def is_full(self) -> bool:
        return self.labour == self.parts == self.travel == HUNDRED


NO_COVERAGE = Coverage()


@dataclass(frozen=True, slots=True)
class Target:
    response: dt.timedelta
    resolution: dt.timedelta


@dataclass(frozen=True, slots=True)
class ServiceLevelFacts:
    id: UUID
    name: str
    calendar: CoverageCalendar
    targets: Mapping[Priority, Target]


@dataclass(frozen=True, slots=True)
class Quotas:
    """Remaining quota in the current period; None means unlimited."""

    visits: Decimal | None = None
    hours: Decimal | None = None
    parts_value: Decimal | None = None

    def exhausted(self) -> list[str]:
        return [
            name
            for name in ("visits", "hours", "parts_value")
            if (value := getattr(self, name)) is not None and value <= 0
        ]


@dataclass(frozen=True, slots=True)
class ServiceObject:
    """What the request is about: one unit, or a site (then no equipment)."""

    customer_id: UUID
    equipment_id: UUID | None = None
    site_id: UUID | None = None
    product_family: str | None = None
    counters: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntitlementRequest:
    object: ServiceObject
    service_type: str
    priority: Priority
    moment: dt.datetime


@dataclass(frozen=True, slots=True)
class WarrantyFacts:
    id: UUID
    equipment_id: UUID
    kind: str
    starts_on: dt.date
    ends_on: dt.date | None
    coverage: Coverage
    service_level: ServiceLevelFacts | None = None
    counter_name: str | None = None
    counter_limit: Decimal | None = None  # coverage ends when the counter reaches this value


@dataclass(frozen=True, slots=True)
class ContractLineFacts:
    id: UUID
    contract_id: UUID
    contract_number: str
    contract_status: ContractStatus
    customer_id: UUID
    starts_on: dt.date
    ends_on: dt.date
    coverage: Coverage
    service_level: ServiceLevelFacts | None = None
    equipment_ids: frozenset[UUID] = frozenset()
    site_id: UUID | None = None
    product_family: str | None = None
    excluded_service_types: frozenset[str] = frozenset()
    remaining: Quotas = field(default_factory=Quotas)


@dataclass(frozen=True, slots=True)
class DueTimes:
    response_due: dt.datetime
    resolution_due: dt.datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: CoveredBy
    id: UUID
    label: str
    applies: bool
    reason: Reason
    detail: str
    coverage: Coverage
    due: DueTimes | None = None
    remaining: Quotas | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    covered_by: CoveredBy
    winner: Candidate | None
    coverage: Coverage
    due: DueTimes | None
    remaining: Quotas | None
    why: str
    candidates: tuple[Candidate, ...]

    @property
    def billable(self) -> bool:
        return not self.coverage.is_full


def decide(
    request: EntitlementRequest,
    warranties: Sequence[WarrantyFacts],
    lines: Sequence[ContractLineFacts],
) -> Decision:
    candidates = [judge_warranty(request, w) for w in warranties] + [judge_line(request, line) for line in lines]
    applicable = sorted((c for c in candidates if c.applies), key=_favourability)
    if not applicable:
        return Decision(
            covered_by=CoveredBy.NONE,
            winner=None,
            coverage=NO_COVERAGE,
            due=None,
            remaining=None,
            why=_why_none(candidates),
            candidates=tuple(candidates),
        )
    winner = applicable[0]
    return Decision(
        covered_by=winner.kind,
        winner=winner,
        coverage=winner.coverage,
        due=winner.due,
        remaining=winner.remaining,
        why=_why_winner(winner, applicable[1:]),
        candidates=tuple(candidates),
    )


def judge_warranty(request: EntitlementRequest, warranty: WarrantyFacts) -> Candidate:
    day = _local_day(request)
    label = f"{warranty.kind} warranty"

    def verdict(reason: Reason, detail: str) -> Candidate:
        applies = reason is Reason.APPLIES
        due = due_times(warranty.service_level, request) if applies else None
        return Candidate(CoveredBy.WARRANTY, warranty.id, label, applies, reason, detail, warranty.coverage, due)

    if request.object.equipment_id != warranty.equipment_id:
        return verdict(Reason.OBJECT_NOT_COVERED, "the warranty belongs to another unit")
    if day < warranty.starts_on:
        return verdict(Reason.NOT_STARTED, f"starts on {warranty.starts_on.isoformat()}")
    if warranty.ends_on is not None and day > warranty.ends_on:
        return verdict(Reason.EXPIRED, f"ended on {warranty.ends_on.isoformat()}")
    if warranty.counter_name and warranty.counter_limit is not None:
        reading = request.object.counters.get(warranty.counter_name)
        if reading is not None and reading >= warranty.counter_limit:
            return verdict(
                Reason.COUNTER_LIMIT_REACHED,
                f"{warranty.counter_name} at {reading} reached the limit of {warranty.counter_limit}",
            )
    until = f"until {warranty.ends_on.isoformat()}" if warranty.ends_on else "without an end date"
    return verdict(Reason.APPLIES, f"valid {until}")


def judge_line(request: EntitlementRequest, line: ContractLineFacts) -> Candidate:
    day = _local_day(request)
    label = f"contract {line.contract_number}"

    def verdict(reason: Reason, detail: str) -> Candidate:
        applies = reason is Reason.APPLIES
        due = due_times(line.service_level, request) if applies else None
        return Candidate(
            CoveredBy.CONTRACT_LINE, line.id, label, applies, reason, detail, line.coverage, due, line.remaining
        )

    if line.customer_id != request.object.customer_id:
        return verdict(Reason.CUSTOMER_MISMATCH, "the contract belongs to another customer")
    if line.contract_status is ContractStatus.SUSPENDED:
        return verdict(Reason.SUSPENDED, "the contract is suspended")
    if line.contract_status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.RENEWED):
        return verdict(Reason.CONTRACT_NOT_ACTIVE, f"the contract is {line.contract_status.value}")
    if day < line.starts_on:
        return verdict(Reason.NOT_STARTED, f"starts on {line.starts_on.isoformat()}")
    if day > line.ends_on or line.contract_status is ContractStatus.EXPIRED:
        return verdict(Reason.EXPIRED, f"ended on {line.ends_on.isoformat()}")
    if not _covers(line, request.object):
        return verdict(Reason.OBJECT_NOT_COVERED, f"the line covers {_coverage_scope(line)}, not this object")
    if request.service_type in line.excluded_service_types:
        return verdict(Reason.TYPE_EXCLUDED, f"{request.service_type} is excluded on this line")
    if exhausted := line.remaining.exhausted():
        return verdict(Reason.QUOTA_EXHAUSTED, f"no {', '.join(exhausted)} left in this period")
    return verdict(Reason.APPLIES, f"covers {_coverage_scope(line)} until {line.ends_on.isoformat()}")


def due_times(level: ServiceLevelFacts | None, request: EntitlementRequest) -> DueTimes | None:
    if level is None or request.priority not in level.targets:
        return None
    target = level.targets[request.priority]
    return DueTimes(
        response_due=level.calendar.add(request.moment, target.response),
        resolution_due=level.calendar.add(request.moment, target.resolution),
    )


def _covers(line: ContractLineFacts, obj: ServiceObject) -> bool:
    if obj.equipment_id is not None and obj.equipment_id in line.equipment_ids:
        return True
    if line.site_id is not None and obj.site_id == line.site_id:
        return True
    return line.product_family is not None and obj.product_family == line.product_family


def _coverage_scope(line: ContractLineFacts) -> str:
    scopes = []
    if line.equipment_ids:
        scopes.append("listed units")
    if line.site_id:
        scopes.append("all equipment at its site")
    if line.product_family:
        scopes.append(f"the product family {line.product_family!r}")
    return " and ".join(scopes) if scopes else "nothing"


def _local_day(request: EntitlementRequest) -> dt.date:
    # Validity dates are calendar days; the moment is judged in UTC for want of a better zone.
    return request.moment.astimezone(dt.UTC).date()


_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def _favourability(c: Candidate) -> tuple[Decimal, Decimal, Decimal, dt.datetime, dt.datetime, int]:
    resolution = c.due.resolution_due if c.due else _FAR_FUTURE
    response = c.due.response_due if c.due else _FAR_FUTURE
    return (
        -c.coverage.total,
        -c.coverage.labour,
        -c.coverage.parts,
        resolution,
        response,
        0 if c.kind is CoveredBy.WARRANTY else 1,
    )


def _why_winner(winner: Candidate, others: Sequence[Candidate]) -> str:
    if not others:
        return f"{winner.label} is the only one that applies"
    runner_up = others[0]
    if winner.coverage.total != runner_up.coverage.total:
        grounds = (
            f"higher coverage ({winner.coverage.total}% vs {runner_up.coverage.total}%,"
            " summed over labour, parts and travel)"
        )
    elif winner.coverage != runner_up.coverage:
        grounds = "the same total coverage, weighted towards labour"
    elif winner.due and (not runner_up.due or winner.due.resolution_due < runner_up.due.resolution_due):
        grounds = "an earlier resolution due time"
    elif winner.due and (not runner_up.due or winner.due.response_due < runner_up.due.response_due):
        grounds = "an earlier response due time"
    else:
        grounds = "equal terms; a warranty is used before contract quota"
    return f"{winner.label} wins over {runner_up.label}: {grounds}"


def _why_none(candidates: Sequence[Candidate]) -> str:
    if not candidates:
        return "no warranty or contract line exists for this customer and object; the work is billable"
    return (
        "nothing applies (" + "; ".join(f"{c.label}: {c.reason.value}" for c in candidates) + "); the work is billable"
    )
