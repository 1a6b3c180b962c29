"""The pre-check: reasons given before solving, and tasks it keeps away from the solver."""

from __future__ import annotations

from scheduling.feasibility import check
from scheduling.plan import Reason
from scheduling.policy import sla_first

from .builders import H, engineer, problem, task


def reasons(p):
    return {u.task_id: u.reason for u in check(p).rejected}


def test_no_engineer_with_the_skill_at_the_level_names_both():
    result = check(problem([engineer("a", skills={"hvac": 1})], [task("t", skills={"hvac": 2})]))
    assert result.rejected[0].reason == Reason.NO_SKILL
    assert "hvac" in result.rejected[0].text and "2" in result.rejected[0].text


def test_skills_split_over_two_engineers_do_not_count():
    engineers = [engineer("a", skills={"hvac": 1}), engineer("b", skills={"elec": 1})]
    assert reasons(problem(engineers, [task("t", skills={"hvac": 1, "elec": 1})])) == {"t": Reason.NO_SKILL}


def test_certification_expired_before_every_possible_day():
    a = engineer("a", certifications={"gas": 0}, days=(0, 1))
    day1 = (86_400 + 8 * H, 86_400 + 12 * H)
    got = reasons(problem([a], [task("t", certifications=("gas",), windows=(day1,))], days=2))
    assert got == {"t": Reason.NO_CERTIFICATION}


def test_hard_sla_before_any_shift_leaves_no_availability():
    got = reasons(problem([engineer("a")], [task("t", sla_deadline=7 * H)], policy=sla_first()))
    assert got == {"t": Reason.NO_AVAILABILITY}


def test_pinned_to_an_unqualified_engineer():
    from scheduling.problem import Pin

    engineers = [engineer("a", skills={"hvac": 1}), engineer("b")]
    got = reasons(problem(engineers, [task("t", skills={"hvac": 1}, pin=Pin(engineer_id="b"))]))
    assert got == {"t": Reason.PIN_INFEASIBLE}


def test_dependency_cycle_is_rejected():
    tasks = [task("a", after=("b",)), task("b", after=("a",)), task("c")]
    result = check(problem([engineer("e")], tasks))
    assert reasons(problem([engineer("e")], tasks)) == {"a": Reason.DEPENDENCY_CYCLE, "b": Reason.DEPENDENCY_CYCLE}
    assert set(result.eligible) == {"c"}


def test_rejection_travels_along_a_chain_of_dependencies():
    tasks = [task("a", skills={"x": 1}), task("b", after=("a",)), task("c", after=("b",))]
    assert reasons(problem([engineer("e")], tasks)) == {
        "a": Reason.NO_SKILL,
        "b": Reason.DEPENDENCY_INFEASIBLE,
        "c": Reason.DEPENDENCY_INFEASIBLE,
    }


def test_eligible_vehicles_are_engineer_shifts():
    result = check(
        problem([engineer("a", days=(0, 1)), engineer("b", skills={"x": 1})], [task("t", skills={"x": 1})], days=2)
    )
    assert [result.vehicles[i].engineer.id for i in result.eligible["t"]] == ["b"]
