"""Why a task is where it is on the published plan, for the board's card: its cost terms and the best
other engineer, priced now by the exact insertion evaluator over the published plan (cached, see
``published.PublishedCache``), so a manual move since the last run is explained as it stands. A task
not in the plan is explained by the latest run's reason and its cheapest place (if any).

Money is the objective's units as cents in the engineer's currency (``money``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import NotFound
from masterdata.models import Engineer
from scheduling import CostBreakdown, Explanation, InsertionIndex, explain_task
from service_mgmt.dispatch.board import latest_unassigned, name_ids
from service_mgmt.dispatch.money import Money, money
from service_mgmt.dispatch.problem_builder import HorizonSpec
from service_mgmt.dispatch.published import Published, PublishedCache, load_published, published_plan
from service_mgmt.dispatch.runs import policy_of
from service_mgmt.models import Task, TaskAssignment


@dataclass(frozen=True, slots=True)
class ExplainedAlternative:
    engineer_id: UUID
    engineer_name: str
    start: dt.datetime | None
    extra_minutes: int
    extra_cost: Money
    late_minutes: int


@dataclass(frozen=True, slots=True)
class Factor:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class TaskExplanation:
    task_id: UUID
    engineer_names: list[str]
    why: str
    alternative: ExplainedAlternative | None
    factors: list[Factor]


def minutes(seconds: int) -> int:
    return round(seconds / 60)


UNPLANNED_DAYS = 2  # as the insertion ranking's default


async def explain_on_board(
    session: AsyncSession,
    _actor: Principal,
    task_id: UUID,
    *,
    policy: str = "balanced",
    cache: PublishedCache | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> TaskExplanation:
    now = clock.now()
    chosen = policy_of(policy)
    task = await session.get(Task, task_id)
    if task is None:
        raise NotFound("task", task_id)
    crew = list(
        (
            await session.scalars(
                select(TaskAssignment.engineer_id)
                .where(TaskAssignment.task_id == task_id)
                .order_by(TaskAssignment.lead.desc(), TaskAssignment.created_at)
            )
        ).all()
    )
    people = {e.id: e for e in await session.scalars(select(Engineer).where(Engineer.id.in_(crew)))} if crew else {}
    day = _local_day(task, people.get(crew[0]) if crew else None, now)
    # an unplanned task's cheapest place may well be tomorrow: late in the day, today has no room left
    days = 1 if task.planned_start is not None else UNPLANNED_DAYS
    published = await load_published(session, HorizonSpec(first_day=day, days=days), chosen, now, cache)
    names = {UUID(k): v for k, v in published.built.engineer_names.items()} | {e.id: e.name for e in people.values()}
    currencies = await _currencies(session, published)
    key = str(task_id)
    explained = explain_task(published.built.problem, published.plan, key, published.index)
    crew_names = [names.get(e, "?") for e in crew]
    if explained is None:
        return await _not_in_plan(session, published, task, crew_names, names, currencies)
    lead = UUID(explained.engineer_id)
    factors = _factors(explained.cost, currencies.get(lead, "EUR"))
    if task.pinned:
        factors.insert(0, Factor("Pinned", "yes: a run keeps it with this engineer at this time"))
    alternative = None
    if explained.alternative is not None:
        alt = explained.alternative
        other = UUID(alt.engineer_id)
        alternative = ExplainedAlternative(
            engineer_id=other,
            engineer_name=names.get(other, "?"),
            start=published.built.frame.instant(alt.start),
            extra_minutes=minutes(alt.extra_travel_seconds),
            extra_cost=money(alt.extra_cost, currencies.get(other, "EUR")),
            late_minutes=minutes(alt.late_seconds),
        )
    return TaskExplanation(
        task_id, crew_names, _why(explained, crew_names, alternative, task.crew_size), alternative, factors
    )


def _why(
    explained: Explanation, crew_names: list[str], alternative: ExplainedAlternative | None, crew_size: int
) -> str:
    """The solver's sentence (``scheduling.explain``) with people named and its cost as money."""
    cost = explained.cost
    text = f"{', '.join(crew_names) or '?'}: {minutes(cost.travel_seconds)} min travel to it"
    if cost.late_seconds:
        text += f", {minutes(cost.late_seconds)} min late"
    if cost.overtime_seconds:
        text += f", {minutes(cost.overtime_seconds)} min overtime"
    if alternative is None:
        return text + (
            "; a crew is not re-planned one by one" if crew_size > 1 else "; no other engineer could take it"
        )
    extra = alternative.extra_minutes
    travel = f"add {extra} min travel" if extra >= 0 else f"save {-extra} min travel"
    late = f" and be {alternative.late_minutes} min late" if alternative.late_minutes else ""
    amount, sign = alternative.extra_cost.amount, "" if alternative.extra_cost.amount.startswith("-") else "+"
    return (
        f"{text}; {alternative.engineer_name} would {travel}{late} ({sign}{amount} {alternative.extra_cost.currency})"
    )


def _local_day(task: Task, lead: Engineer | None, now: dt.datetime) -> dt.date:
    """The day the task is planned on in its lead's zone; unplanned: its earliest window's, or today."""
    zone = ZoneInfo(lead.time_zone) if lead is not None else dt.UTC
    if task.planned_start is not None:
        return task.planned_start.astimezone(zone).date()
    starts = [dt.datetime.fromisoformat(w["start"]) for w in task.time_windows if w.get("kind") != "sla"]
    future = [s for s in starts if s >= now]
    return (min(future) if future else now).astimezone(zone).date()


async def _currencies(session: AsyncSession, published: Published) -> dict[UUID, str]:
    ids = [UUID(e.id) for e in published.built.problem.engineers]
    if not ids:
        return {}
    rows = await session.execute(select(Engineer.id, Engineer.currency).where(Engineer.id.in_(ids)))
    return {engineer_id: currency for engineer_id, currency in rows}


def _factors(cost: CostBreakdown, currency: str) -> list[Factor]:
    out = [Factor("Travel to it", f"{minutes(cost.travel_seconds)} min ({cost.travel_metres / 1000:.1f} km)")]
    if cost.late_seconds:
        out.append(Factor("Late against the SLA", f"{minutes(cost.late_seconds)} min"))
    if cost.overtime_seconds:
        out.append(Factor("Overtime", f"{minutes(cost.overtime_seconds)} min"))
    if cost.moved_seconds or cost.engineer_changed:
        moved = f"moved {minutes(cost.moved_seconds)} min" if cost.moved_seconds else "kept its time"
        out.append(
            Factor("Change from what was planned", moved + (", other engineer" if cost.engineer_changed else ""))
        )
    if cost.territory:
        out.append(Factor("Outside the engineer's territory", "yes"))
    total = money(cost.total, currency)
    out.append(Factor("Cost", f"{total.amount} {total.currency}"))
    return out


async def _not_in_plan(
    session: AsyncSession,
    published: Published,
    task: Task,
    crew_names: list[str],
    names: dict[UUID, str],
    currencies: dict[UUID, str],
) -> TaskExplanation:
    key = str(task.id)
    built = published.built
    reason = next((u.text for u in published.plan.unassigned if u.task_id == key and u.text), None)
    stored = next((i for i in await latest_unassigned(session) if i.get("task_id") == key), None)
    left = next((o.text for o in built.left_out if o.task_id == key), None)
    if stored is not None:
        why = f"the latest run left it out: {stored.get('text') or stored.get('reason')}"
    elif left is not None:
        why = f"it cannot be planned: {left}"
    elif crew_names and task.planned_start is not None:
        why = f"{', '.join(crew_names)}: {reason or 'planned outside working hours'}"
    else:
        why = f"not planned yet ({reason or 'no run has planned it'})"
    alternative = None
    problem_task = next((t for t in built.problem.tasks if t.id == key), None)
    if problem_task is not None:
        problem_task = dataclasses.replace(problem_task, pin=None)
        plan = published.plan
        index = published.index
        if key in {v.task_id for r in plan.routes for v in r.visits}:
            plan = published_plan(built, without=frozenset({key}))
            index = InsertionIndex(built.problem, plan)
        found = index.best(problem_task, limit=1)
        if found:
            best = found[0]
            other = UUID(best.engineer_id)
            alternative = ExplainedAlternative(
                engineer_id=other,
                engineer_name=names.get(other, "?"),
                start=built.frame.instant(best.start),
                extra_minutes=minutes(best.added_travel_seconds),
                extra_cost=money(best.cost, currencies.get(other, "EUR")),
                late_minutes=minutes(best.late_seconds),
            )
            why += f"; the cheapest place is with {alternative.engineer_name} ({alternative.extra_minutes} min travel)"
    texts = await name_ids(session, {"why": why}, names)
    return TaskExplanation(task.id, crew_names, texts["why"], alternative, [])
