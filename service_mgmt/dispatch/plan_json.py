"""A solved plan as stored on a run and shown by the API: database ids, UTC times, reasons and
explanations; and the KPIs of any plan (a run's or the published one, so they compare).

The pure solver knows engineers by id only, so its sentences ("<id> would add 34 min travel") name
them by id; here, where the names are known, the sentences name the people a planner reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from scheduling import CostBreakdown, Explanation, Plan, Priority, Problem, Violation
from service_mgmt.dispatch.problem_builder import BuiltProblem, LeftOut, TimeFrame


def plan_json(
    built: BuiltProblem,
    plan: Plan,
    explanations: Sequence[Explanation] = (),
    violations: Sequence[Violation] = (),
) -> dict[str, Any]:
    frame = built.frame
    return {
        "origin": frame.origin.isoformat(),
        "routes": [
            {
                "engineer_id": r.engineer_id,
                "engineer_name": built.engineer_names.get(r.engineer_id),
                "day": r.day,
                "shift_start": _at(frame, r.shift_start),
                "shift_end": _at(frame, r.shift_end),
                "departure": _at(frame, r.departure),
                "return_at": _at(frame, r.return_at),
                "travel_seconds": r.travel_seconds,
                "travel_metres": r.travel_metres,
                "overtime_seconds": r.overtime_seconds,
                "lunch_start": _at(frame, r.lunch_start) if r.lunch_start is not None else None,
                "visits": [
                    {
                        "task_id": v.task_id,
                        "arrival": _at(frame, v.arrival),
                        "start": _at(frame, v.start),
                        "end": _at(frame, v.end),
                        "travel_seconds": v.travel_seconds,
                        "travel_metres": v.travel_metres,
                        "late_seconds": v.late_seconds,
                        "cost": cost_json(v.cost),
                    }
                    for v in r.visits
                ],
            }
            for r in plan.routes
        ],
        "unassigned": [{"task_id": u.task_id, "reason": str(u.reason), "text": u.text} for u in plan.unassigned]
        + [left_out_json(item) for item in built.left_out],
        "explanations": [explanation_json(frame, e, built.engineer_names) for e in explanations],
        "violations": [violation_json(v, built.engineer_names) for v in violations],
        "stats": {
            "status": plan.stats.status,
            "objective": plan.stats.objective,
            "wall_seconds": round(plan.stats.wall_seconds, 3),
        },
    }


def left_out_json(item: LeftOut) -> dict[str, Any]:
    return {"task_id": item.task_id, "reason": item.reason, "text": item.text}


def cost_json(cost: CostBreakdown) -> dict[str, int]:
    return {
        "total": cost.total,
        "travel": cost.travel,
        "lateness": cost.lateness,
        "overtime": cost.overtime,
        "territory": cost.territory,
        "stability": cost.stability,
        "travel_seconds": cost.travel_seconds,
        "travel_metres": cost.travel_metres,
        "late_seconds": cost.late_seconds,
        "overtime_seconds": cost.overtime_seconds,
        "moved_seconds": cost.moved_seconds,
        "engineer_changed": cost.engineer_changed,
    }


def explanation_json(frame: TimeFrame, e: Explanation, names: Mapping[str, str]) -> dict[str, Any]:
    alternative = e.alternative
    return {
        "task_id": e.task_id,
        "engineer_id": e.engineer_id,
        "engineer_name": names.get(e.engineer_id),
        "text": named(e.text, names, e.engineer_id, alternative.engineer_id if alternative else None),
        "cost": cost_json(e.cost),
        "alternative": None
        if alternative is None
        else {
            "engineer_id": alternative.engineer_id,
            "engineer_name": names.get(alternative.engineer_id),
            "start": _at(frame, alternative.start),
            "extra_cost": alternative.extra_cost,
            "extra_travel_seconds": alternative.extra_travel_seconds,
            "late_seconds": alternative.late_seconds,
            "text": named(alternative.text, names, alternative.engineer_id),
        },
    }


# The checker states times as seconds from the problem's origin (a bare number of 4+ digits; a
# duration carries an "s" and a count or day number is small): shown to people as a clock time.
_FRAME_SECONDS = re.compile(r"(?<![\w.])(\d{4,})(?![\w.])")


def violation_json(
    v: Violation, names: Mapping[str, str] | None = None, clock: Callable[[int], str] | None = None
) -> dict[str, Any]:
    text = named(v.text, names or {}, v.engineer_id)
    if clock is not None:
        text = _FRAME_SECONDS.sub(lambda m: clock(int(m.group(1))), text)
    return {"code": v.code, "text": text, "task_id": v.task_id, "engineer_id": v.engineer_id}


def frame_clock(frame: TimeFrame, zone: ZoneInfo) -> Callable[[int], str]:
    """Seconds of the frame as "Tue 08 Dec 09:15" in the zone (the engineers' zone on the board)."""
    return lambda seconds: frame.instant(seconds).astimezone(zone).strftime("%a %d %b %H:%M")


def named(text: str, names: Mapping[str, str], *engineer_ids: str | None) -> str:
    """The solver's sentence with the engineers it names by id named by their names."""
    for engineer_id in engineer_ids:
        name = names.get(engineer_id) if engineer_id else None
        if engineer_id and name:
            text = text.replace(engineer_id, name)
    return text


def kpis_json(problem: Problem, plan: Plan, left_out: Iterable[LeftOut] = ()) -> dict[str, Any]:
    """The plan's KPIs computed here from its routes, so a stored run and the published plan (which
    no solver produced) are measured the same way."""
    visits = [v for r in plan.routes for v in r.visits]
    shift_seconds = sum(s.end - s.start for e in problem.engineers for s in e.shifts)
    service = sum(v.end - v.start for v in visits)
    by_priority = {p.name: 0 for p in Priority}
    for u in plan.unassigned:
        by_priority[problem.task(u.task_id).priority.name] += 1
    left = list(left_out)
    return {
        "travel_seconds": sum(r.travel_seconds for r in plan.routes),
        "travel_metres": sum(r.travel_metres for r in plan.routes),
        "service_seconds": service,
        "shift_seconds": shift_seconds,
        "utilization": round(service / shift_seconds, 4) if shift_seconds else 0.0,
        "tasks_assigned": len({v.task_id for v in visits}),
        "tasks_late": len({v.task_id for v in visits if v.late_seconds > 0}),
        "late_seconds": sum(v.late_seconds for v in visits),
        "overtime_seconds": sum(r.overtime_seconds for r in plan.routes),
        "tasks_unassigned": len(plan.unassigned) + len(left),
        "unassigned_by_priority": by_priority,
        "tasks_left_out": len(left),
    }


def kpis_of(built: BuiltProblem, plan: Plan) -> dict[str, Any]:
    return kpis_json(built.problem, plan, built.left_out)


def compare(run: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Run minus baseline for every numeric KPI (what-if against the published plan)."""
    out: dict[str, Any] = {}
    for key, value in run.items():
        other = baseline.get(key)
        if isinstance(value, int | float) and isinstance(other, int | float):
            out[key] = round(value - other, 4)
        elif isinstance(value, dict) and isinstance(other, dict):
            out[key] = {k: value.get(k, 0) - other.get(k, 0) for k in value.keys() | other.keys()}
    return out


def _at(frame: TimeFrame, seconds: int) -> str:
    return frame.instant(seconds).isoformat()
