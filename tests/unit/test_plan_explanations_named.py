"""A planner reads explanations with people's names in them, not the solver's engineer ids."""

from __future__ import annotations

import datetime as dt

from scheduling import Alternative, CostBreakdown, Explanation, Violation
from service_mgmt.dispatch.plan_json import explanation_json, violation_json
from service_mgmt.dispatch.problem_builder import TimeFrame

ANNA, BEN = "0190a3c4-0000-7000-8000-00000000000a", "0190a3c4-0000-7000-8000-00000000000b"
NAMES = {ANNA: "Anna Schmidt", BEN: "Ben Weber"}
FRAME = TimeFrame(origin=dt.datetime(2026, 12, 14, tzinfo=dt.UTC))


def test_an_explanation_names_the_engineer_and_the_best_other_one() -> None:
    alternative = Alternative(
        engineer_id=BEN,
        day=0,
        start=3600,
        extra_cost=2040,
        extra_travel_seconds=2040,
        late_seconds=720,
        text=f"{BEN} would add 34 min travel and be 12 min late (cost +2040)",
    )
    explanation = Explanation(
        task_id="t1",
        engineer_id=ANNA,
        day=0,
        cost=CostBreakdown(travel=900, travel_seconds=900),
        alternative=alternative,
        text=f"{ANNA}: 15 min travel to it; {alternative.text}",
    )

    shown = explanation_json(FRAME, explanation, NAMES)

    assert shown["text"] == (
        "Anna Schmidt: 15 min travel to it; Ben Weber would add 34 min travel and be 12 min late (cost +2040)"
    )
    assert shown["alternative"]["text"] == "Ben Weber would add 34 min travel and be 12 min late (cost +2040)"
    assert (shown["engineer_id"], shown["engineer_name"]) == (ANNA, "Anna Schmidt")
    assert (shown["alternative"]["engineer_id"], shown["alternative"]["engineer_name"]) == (BEN, "Ben Weber")


def test_a_violation_names_its_engineer_and_an_unknown_id_stays_as_it_is() -> None:
    known = Violation("no_shift", f"{ANNA} has no shift 0-28800 on day 1", "t1", ANNA)
    unknown = Violation("no_shift", "x-1 has no shift 0-28800 on day 1", "t1", "x-1")

    assert violation_json(known, NAMES)["text"] == "Anna Schmidt has no shift 0-28800 on day 1"
    assert violation_json(unknown, NAMES)["text"] == "x-1 has no shift 0-28800 on day 1"
