"""The entitlement decision on the wire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from uuid import UUID

import msgspec

from contracts.entitlement_rule import Candidate, Coverage, Decision, DueTimes, Quotas


class CoverageOut(msgspec.Struct):
    labour_pct: Decimal
    parts_pct: Decimal
    travel_pct: Decimal


class DueOut(msgspec.Struct):
    response_due: dt.datetime
    resolution_due: dt.datetime


class QuotasOut(msgspec.Struct):
    visits: Decimal | None
    hours: Decimal | None
    parts_value: Decimal | None


class CandidateOut(msgspec.Struct):
    kind: str
    id: UUID
    label: str
    applies: bool
    reason: str
    detail: str
    coverage: CoverageOut
    due: DueOut | None
    remaining: QuotasOut | None


class DecisionOut(msgspec.Struct):
    covered_by: str
    winner_id: UUID | None
    coverage: CoverageOut
    billable: bool
    due: DueOut | None
    remaining: QuotasOut | None
    why: str
    candidates: list[CandidateOut]


def _coverage(c: Coverage) -> CoverageOut:
    return CoverageOut(labour_pct=c.labour, parts_pct=c.parts, travel_pct=c.travel)


def _due(d: DueTimes | None) -> DueOut | None:
    return DueOut(response_due=d.response_due, resolution_due=d.resolution_due) if d else None


def _quotas(q: Quotas | None) -> QuotasOut | None:
    return QuotasOut(visits=q.visits, hours=q.hours, parts_value=q.parts_value) if q else None


def _candidate(c: Candidate) -> CandidateOut:
    return CandidateOut(
        kind=c.kind.value,
        id=c.id,
        label=c.label,
        applies=c.applies,
        reason=c.reason.value,
        detail=c.detail,
        coverage=_coverage(c.coverage),
        due=_due(c.due),
        remaining=_quotas(c.remaining),
    )


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        covered_by=d.covered_by.value,
        winner_id=d.winner.id if d.winner else None,
        coverage=_coverage(d.coverage),
        billable=d.billable,
        due=_due(d.due),
        remaining=_quotas(d.remaining),
        why=d.why,
        candidates=[_candidate(c) for c in d.candidates],
    )
