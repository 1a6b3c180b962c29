"""Response shapes of the dispatch board: the board itself, a task's explanation, pin / unpin answers
and the published plan's KPIs. Field names are the board contract's (see docs/api.md, "Dispatch
board"); people are named, money is {"amount", "currency"}."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from service_mgmt.dispatch.board import Board, BoardAssignment
from service_mgmt.dispatch.explanations import TaskExplanation


class SpanOut(msgspec.Struct, kw_only=True):
    start: dt.datetime
    end: dt.datetime


class BoardAbsenceOut(SpanOut, kw_only=True):
    reason: str


class BoardSkillOut(msgspec.Struct, kw_only=True):
    skill: str
    level: int


class HomeOut(msgspec.Struct, kw_only=True):
    latitude: float
    longitude: float
    address: str | None


class BoardEngineerOut(msgspec.Struct, kw_only=True):
    id: UUID
    number: str
    name: str
    territory: str | None
    time_zone: str
    skills: list[BoardSkillOut]
    home: HomeOut
    utilisation: float
    shifts: list[SpanOut]
    lunches: list[SpanOut]
    absences: list[BoardAbsenceOut]


class SiteRefOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    latitude: float | None
    longitude: float | None


class BoardAssignmentOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    task_version: int
    work_order_id: UUID
    work_order_number: str
    name: str
    customer_name: str
    site: SiteRefOut
    engineer_ids: list[UUID]
    engineer_names: list[str]
    start: dt.datetime
    end: dt.datetime
    travel_minutes: int
    priority: str
    status: str
    pinned: bool
    sla_due: dt.datetime | None
    late: bool
    skills: list[BoardSkillOut]
    duration_minutes: int


class ReasonOut(msgspec.Struct, kw_only=True):
    code: str
    text: str


class BoardUnassignedOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    task_version: int
    work_order_id: UUID
    work_order_number: str
    name: str
    customer_name: str
    site: SiteRefOut
    priority: str
    status: str
    sla_due: dt.datetime | None
    skills: list[BoardSkillOut]
    time_windows: list[SpanOut]
    duration_minutes: int
    crew_size: int
    reason: ReasonOut | None


class CountsOut(msgspec.Struct, kw_only=True):
    unassigned_by_priority: dict[str, int]


class RouteStopOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    latitude: float | None
    longitude: float | None
    start: dt.datetime


class RouteOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    date: dt.date
    stops: list[RouteStopOut]


class BoardOut(msgspec.Struct, kw_only=True):
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    revision: str
    can_edit: bool
    engineers: list[BoardEngineerOut]
    assignments: list[BoardAssignmentOut]
    unassigned: list[BoardUnassignedOut]
    counts: CountsOut
    routes: list[RouteOut]


def board_out(board: Board) -> BoardOut:
    return msgspec.convert(board, BoardOut, from_attributes=True)


def assignment_out(assignment: BoardAssignment) -> BoardAssignmentOut:
    return msgspec.convert(assignment, BoardAssignmentOut, from_attributes=True)


class MoneyOut(msgspec.Struct, kw_only=True):
    amount: str  # decimal, two places: "12.50"
    currency: str


class AlternativeOut(msgspec.Struct, kw_only=True):
    engineer_id: UUID
    engineer_name: str
    start: dt.datetime | None
    extra_minutes: int  # more (or, negative, less) travel than where it is
    extra_cost: MoneyOut
    late_minutes: int


class FactorOut(msgspec.Struct, kw_only=True):
    label: str
    value: str


class ExplanationOut(msgspec.Struct, kw_only=True):
    task_id: UUID
    engineer_names: list[str]
    why: str
    alternative: AlternativeOut | None
    factors: list[FactorOut]


def explanation_out(explanation: TaskExplanation) -> ExplanationOut:
    return msgspec.convert(explanation, ExplanationOut, from_attributes=True)
