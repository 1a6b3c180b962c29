"""Insertion and explanations price a place with the solver's own objective: the engineer's cost rate
on the working span, and stability for moving what was communicated."""

from __future__ import annotations

from dataclasses import replace

from scheduling.explain import explain
from scheduling.insertion import InsertionIndex
from scheduling.plan import Plan, Route, Visit
from scheduling.problem import Engineer, Previous, Task

from .builders import H, engineer, engineer_of, problem, solved, task

EIGHT = 8 * H
# min_travel (the builders' policy) charges 3 a second and 1 a metre; one metre takes one second here
TRAVEL_2000 = 2000 * 3 + 2000 * 1


def _rated(engineer_id: str, x: float, rate: int) -> Engineer:
    return replace(engineer(engineer_id, x), cost_rate=rate)


def _held(t: Task, engineer_id: str, start: int) -> Task:
    return replace(t, previous=Previous(engineer_id, start))


def test_with_equal_travel_the_engineer_with_the_cheaper_rate_wins() -> None:
    # Anna and Bert are each 1,000 m from the job; Anna costs 3 a second of working day, Bert 1
    p = problem([_rated("anna", 0, 3), _rated("bert", 2000, 1)], [task("job", 1000)])

    bert, anna = InsertionIndex(p, Plan((), ())).best(task("job", 1000))

    assert (bert.engineer_id, anna.engineer_id) == ("bert", "anna")
    assert bert.added_travel_seconds == anna.added_travel_seconds == 2000
    assert bert.added_span_seconds == anna.added_span_seconds == 1000 + H + 1000  # drive, work, drive back
    assert bert.cost == TRAVEL_2000 + 1 * 5600
    assert anna.cost == TRAVEL_2000 + 3 * 5600
    # the solver, on the same objective, gives it to Bert as well, at exactly that cost
    plan = solved(p)
    assert engineer_of(plan, "job") == "bert"
    assert plan.stats.objective == bert.cost


def test_the_explanation_names_the_dearer_engineer_at_the_rate_difference() -> None:
    p = problem([_rated("anna", 0, 3), _rated("bert", 2000, 1)], [task("job", 1000)])
    plan = solved(p)

    (explanation,) = explain(p, plan)

    assert explanation.engineer_id == "bert"
    assert explanation.alternative is not None
    assert explanation.alternative.engineer_id == "anna"
    assert explanation.alternative.extra_travel_seconds == 0
    assert explanation.alternative.extra_cost == (3 - 1) * 5600
    assert explanation.alternative.text == "anna would add 0 min travel (cost +11200)"


def test_the_rate_is_charged_from_the_latest_departure_not_from_the_shift_start() -> None:
    # an appointment at 14:00: the solver sends Bert out at 13:43, so his day is 1,000 s + 1 h + 1,000 s
    p = problem([_rated("bert", 0, 1)], [])
    late_job = task("job", 1000, windows=((14 * H, 14 * H),))

    (best,) = InsertionIndex(p, Plan((), ())).best(late_job)

    assert best.start == 14 * H
    assert best.added_span_seconds == 5600
    assert best.cost == TRAVEL_2000 + 5600
    plan = solved(replace(p, tasks=(late_job,)))
    assert plan.routes[0].departure == 14 * H - 1000
    assert plan.stats.objective == best.cost


def test_giving_a_communicated_task_to_someone_else_costs_the_engineer_change() -> None:
    # told for 09:00 with Anna; Bert lives next door, the start can stay 09:00 with either
    p = problem([engineer("anna", 0), engineer("bert", 0)], [])
    told = _held(task("told", 1000), "anna", 9 * H)

    anna, bert = InsertionIndex(p, Plan((), ())).best(told)

    assert (anna.engineer_id, anna.start, anna.stability) == ("anna", 9 * H, 0)
    assert (bert.engineer_id, bert.start, bert.stability) == ("bert", 9 * H, p.policy.stability_engineer_change)
    assert bert.cost - anna.cost == 1800
    plan = solved(replace(p, tasks=(told,)))  # the solver keeps it with Anna at 09:00, at Anna's cost
    assert (engineer_of(plan, "told"), plan.stats.objective) == ("anna", anna.cost)


def test_pushing_a_communicated_appointment_later_costs_stability_per_second() -> None:
    told = _held(task("told", 1000), "anna", 9 * H)
    p = problem([engineer("anna", 0)], [told])
    visit = Visit("told", EIGHT + 1000, 9 * H, 10 * H, 1000, 1000)
    plan = Plan((Route("anna", 0, EIGHT, 17 * H, EIGHT, 10 * H + 1000, (visit,)),), ())

    after, before = InsertionIndex(p, plan).best(task("urgent", 1000), limit=5)

    # before it, the urgent hour pushes the 09:00 visit to 09:16:40: 1,000 s past what was told
    assert (before.position, before.stability) == (0, 1000 * p.policy.stability_per_second)
    assert (after.position, after.stability) == (1, 0)
    assert before.added_travel_seconds == after.added_travel_seconds == 0
    assert before.cost - after.cost == 1000
