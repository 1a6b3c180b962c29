"""An engineer's lunch break and overtime rules, which dispatch plans with: set, shown, validated."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.test_engineers import create, engineer_body
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
LUNCH = {"lunch_minutes": 30, "lunch_window_start": "11:30", "lunch_window_end": "13:30"}


async def test_lunch_and_overtime_are_stored_and_shown(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    plain = await create(client, planner)
    created = await create(client, planner, **LUNCH, max_overtime_minutes=90, overtime_rate_multiplier="1.50")

    assert (plain["lunch_minutes"], plain["max_overtime_minutes"], plain["overtime_rate_multiplier"]) == (
        None,
        0,
        "1.00",
    )
    assert {k: created[k] for k in LUNCH} == LUNCH
    assert (created["max_overtime_minutes"], created["overtime_rate_multiplier"]) == (90, "1.50")

    moved = await client.patch(
        f"/api/v1/engineers/{created['id']}",
        json={"version": created["version"], "lunch_window_start": "12:00", "max_overtime_minutes": 0},
        headers=planner,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["lunch_window_start"], moved.json()["max_overtime_minutes"]) == ("12:00", 0)

    dropped = await client.patch(
        f"/api/v1/engineers/{created['id']}",
        json={
            "version": moved.json()["version"],
            "lunch_minutes": None,
            "lunch_window_start": None,
            "lunch_window_end": None,
        },
        headers=planner,
    )
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["lunch_minutes"] is None


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"lunch_minutes": 30}, "lunch_incomplete", "lunch_window_start"),
        (LUNCH | {"lunch_window_end": "11:00"}, "ends_before_starts", "lunch_window_end"),
        (LUNCH | {"lunch_minutes": 150}, "lunch_window_too_short", "lunch_window_end"),
        (LUNCH | {"lunch_window_start": "25:00"}, None, "lunch_window_start"),
        ({"max_overtime_minutes": 721}, None, "max_overtime_minutes"),
        ({"overtime_rate_multiplier": "0.50"}, "invalid_amount", "overtime_rate_multiplier"),
        ({"overtime_rate_multiplier": "1.555"}, "invalid_amount", "overtime_rate_multiplier"),
    ],
)
async def test_bad_rules_are_refused_with_the_field(
    client: Client, login_as: UserFactory, body: dict[str, Any], code: str | None, field: str
) -> None:
    planner = await login_as("planner")
    response = await client.post("/api/v1/engineers", json=engineer_body(**body), headers=planner)
    problem = problem_of(response)
    assert response.status_code in (400, 422), response.text
    assert problem["field"] == field or field in str(problem)
    if code is not None:
        assert problem["code"] == code


async def test_a_patch_cannot_leave_half_a_lunch(client: Client, login_as: UserFactory) -> None:
    planner = await login_as("planner")
    created = await create(client, planner, **LUNCH)
    response = await client.patch(
        f"/api/v1/engineers/{created['id']}",
        json={"version": created["version"], "lunch_minutes": None},
        headers=planner,
    )
    assert response.status_code == 422
    assert (problem_of(response)["code"], problem_of(response)["field"]) == ("lunch_incomplete", "lunch_minutes")
