"""The billing rule on plain values: rounding, quota allocation, travel modes; no database."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from contracts.choices import BillableKind
from core.errors import Conflict
from service_mgmt.services.billable_work import (
    NO_COVER,
    Cover,
    EngineerWork,
    PartUse,
    Price,
    Visit,
    WorkDone,
    hours_of,
    price_work,
    priced,
)

D = Decimal
LABOUR = Price(uuid.uuid4(), "SVC-LABOUR", "Labour hour", "h", D("98.00"), "EUR")
FLAT = Price(uuid.uuid4(), "SVC-TRAVEL-FLAT", "Travel flat rate", "visit", D("85.00"), "EUR")
EIGHT = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def part(price: str, quantity: str = "1") -> PartUse:
    return PartUse(uuid.uuid4(), Price(uuid.uuid4(), "P", "Part", "pc", D(price), "EUR"), D(quantity))


def test_hours_are_summed_in_seconds_then_rounded_half_up_to_the_hundredth() -> None:
    assert hours_of(D(20 * 60)) == D("0.33")
    assert hours_of(D(18)) == D("0.01")  # 0.005 h rounds up
    assert hours_of(D(17)) == D("0.00")


def test_covered_plus_amount_is_the_gross_rounded_half_up() -> None:
    line = priced("part:x", BillableKind.PARTS, part("32.17").price, "a part", D(1), D(50))
    assert (line.covered_amount, line.amount) == (D("16.09"), D("16.08"))
    assert line.covered_amount + line.amount == D("32.17")


def test_granted_hours_go_to_the_first_starter_and_the_rest_is_split_off() -> None:
    erik = EngineerWork(uuid.uuid4(), "Erik", D("1.5"), EIGHT)
    frida = EngineerWork(uuid.uuid4(), "Frida", D("1.5"), EIGHT + dt.timedelta(hours=1))
    done = WorkDone(work=(frida, erik), visits=(), parts=())

    lines = price_work(done, LABOUR, None, Cover(labour_pct=D(100), hours=D(2)))

    assert [(line.line_key.split(":", 2)[-1] == "beyond_quota", line.quantity, line.amount) for line in lines] == [
        (False, D("1.5"), D(0)),
        (False, D("0.5"), D(0)),
        (True, D("1.0"), D("98.00")),
    ]
    assert lines[0].line_key == f"labour:{erik.engineer_id}"


def test_a_part_straddling_the_parts_quota_has_its_granted_rest_covered() -> None:
    done = WorkDone(work=(), visits=(), parts=(part("120"), part("50", "2"), part("30")))

    lines = price_work(done, LABOUR, None, Cover(parts_pct=D(100), parts_value=D(200)))

    assert [(line.coverage_pct, line.covered_amount, line.amount) for line in lines] == [
        (D(100), D("120.00"), D("0.00")),
        (D("80.00"), D("80.00"), D("20.00")),
        (D("0.00"), D("0.00"), D("30.00")),
    ]


def test_a_flat_rate_charges_each_visit_once_and_timed_travel_needs_travel_time() -> None:
    visits = (Visit(uuid.uuid4(), "Diagnose", D("0.75")), Visit(uuid.uuid4(), "Repair", D(0)))
    done = WorkDone(work=(), visits=visits, parts=())

    flat = price_work(done, LABOUR, FLAT, NO_COVER)
    timed = price_work(done, LABOUR, None, NO_COVER)

    assert [(line.quantity, line.amount) for line in flat] == [(D(1), D("85.00")), (D(1), D("85.00"))]
    assert [(line.quantity, line.amount) for line in timed] == [(D("0.75"), D("73.50"))]


def test_a_visit_not_granted_leaves_travel_uncovered() -> None:
    done = WorkDone(work=(), visits=(Visit(uuid.uuid4(), "Repair", D(1)),), parts=())

    [line] = price_work(done, LABOUR, FLAT, Cover(travel_pct=D(100), visit=False))

    assert (line.coverage_pct, line.amount) == (D(0), D("85.00"))


def test_work_without_a_labour_price_is_refused_with_the_sku() -> None:
    done = WorkDone(work=(EngineerWork(uuid.uuid4(), "Erik", D(1), EIGHT),), visits=(), parts=())

    with pytest.raises(Conflict) as refused:
        price_work(done, None, FLAT, NO_COVER)

    assert (refused.value.code, refused.value.extra) == ("price_missing", {"sku": "SVC-LABOUR"})
