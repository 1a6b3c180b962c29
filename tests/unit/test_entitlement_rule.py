"""The entitlement rule on plain facts: every reason code, and the most favourable candidate wins."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from contracts.choices import ContractStatus, CoveredBy, Priority, Reason
from contracts.entitlement_rule import (
    ContractLineFacts,
    Coverage,
    EntitlementRequest,
    Quotas,
    ServiceLevelFacts,
    ServiceObject,
    Target,
    WarrantyFacts,
    decide,
)
from core.calendars import CoverageCalendar

BERLIN = ZoneInfo("Europe/Berlin")
CUSTOMER = uuid4()
PRINTER = uuid4()
SITE = uuid4()
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 20, 16, 30, tzinfo=BERLIN)
FULL = Coverage(Decimal(100), Decimal(100), Decimal(100))
LABOUR_ONLY = Coverage(labour=Decimal(100))
H = dt.timedelta(hours=1)

EIGHT_BY_FIVE = ServiceLevelFacts(
    id=uuid4(),
    name="8x5 next business day",
    calendar=CoverageCalendar.weekdays("Europe/Berlin", "08:00", "17:00"),
    targets={Priority.P1: Target(4 * H, 16 * H), Priority.P3: Target(8 * H, 40 * H)},
)
ALWAYS = ServiceLevelFacts(
    id=uuid4(),
    name="24x7",
    calendar=CoverageCalendar.always("Europe/Berlin"),
    targets={Priority.P1: Target(4 * H, 8 * H)},
)


def request(**changes: object) -> EntitlementRequest:
    base = EntitlementRequest(
        object=ServiceObject(customer_id=CUSTOMER, equipment_id=PRINTER, site_id=SITE, product_family="printers"),
        service_type="repair",
        priority=Priority.P1,
        moment=FRIDAY_AFTERNOON,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def warranty(**changes: object) -> WarrantyFacts:
    base = WarrantyFacts(
        id=uuid4(),
        equipment_id=PRINTER,
        kind="manufacturer",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        coverage=FULL,
        service_level=EIGHT_BY_FIVE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def line(**changes: object) -> ContractLineFacts:
    base = ContractLineFacts(
        id=uuid4(),
        contract_id=uuid4(),
        contract_number="SC-000001",
        contract_status=ContractStatus.ACTIVE,
        customer_id=CUSTOMER,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        coverage=LABOUR_ONLY,
        service_level=EIGHT_BY_FIVE,
        equipment_ids=frozenset({PRINTER}),
        remaining=Quotas(visits=Decimal(10)),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def only_reason(decision_candidates: object) -> Reason:
    (candidate,) = decision_candidates  # type: ignore[misc]
    return candidate.reason  # type: ignore[no-any-return]


def test_a_valid_warranty_covers_with_sla_due_times() -> None:
    decision = decide(request(), [warranty()], [])

    assert decision.covered_by is CoveredBy.WARRANTY
    assert decision.coverage == FULL and not decision.billable
    assert decision.due is not None
    assert decision.due.response_due == dt.datetime(2026, 11, 23, 11, 30, tzinfo=BERLIN)
    # 16 h: 0.5 h on Friday, 9 h on Monday, 6.5 h on Tuesday
    assert decision.due.resolution_due == dt.datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN)


def test_nothing_applies_means_billable_with_every_reason() -> None:
    decision = decide(
        request(), [warranty(ends_on=dt.date(2026, 6, 30))], [line(contract_status=ContractStatus.SUSPENDED)]
    )

    assert decision.covered_by is CoveredBy.NONE
    assert decision.billable and decision.due is None
    assert [c.reason for c in decision.candidates] == [Reason.EXPIRED, Reason.SUSPENDED]
    assert "billable" in decision.why


def test_reason_expired() -> None:
    assert only_reason(decide(request(), [warranty(ends_on=dt.date(2026, 11, 19))], []).candidates) is Reason.EXPIRED
    assert only_reason(decide(request(), [], [line(ends_on=dt.date(2026, 11, 19))]).candidates) is Reason.EXPIRED
    assert (
        only_reason(decide(request(), [], [line(contract_status=ContractStatus.EXPIRED)]).candidates) is Reason.EXPIRED
    )


def test_reason_not_started() -> None:
    assert (
        only_reason(decide(request(), [warranty(starts_on=dt.date(2026, 12, 1))], []).candidates) is Reason.NOT_STARTED
    )
    assert only_reason(decide(request(), [], [line(starts_on=dt.date(2026, 12, 1))]).candidates) is Reason.NOT_STARTED


def test_reason_suspended_and_not_active() -> None:
    assert (
        only_reason(decide(request(), [], [line(contract_status=ContractStatus.SUSPENDED)]).candidates)
        is Reason.SUSPENDED
    )
    draft = decide(request(), [], [line(contract_status=ContractStatus.DRAFT)])
    assert only_reason(draft.candidates) is Reason.CONTRACT_NOT_ACTIVE


def test_reason_object_not_covered() -> None:
    other_unit = line(equipment_ids=frozenset({uuid4()}))
    other_site = line(equipment_ids=frozenset(), site_id=uuid4())
    other_family = line(equipment_ids=frozenset(), product_family="hvac")
    foreign_warranty = warranty(equipment_id=uuid4())

    decision = decide(request(), [foreign_warranty], [other_unit, other_site, other_family])

    assert {c.reason for c in decision.candidates} == {Reason.OBJECT_NOT_COVERED}


def test_a_line_covers_by_site_or_by_product_family() -> None:
    by_site = decide(request(), [], [line(equipment_ids=frozenset(), site_id=SITE)])
    by_family = decide(request(), [], [line(equipment_ids=frozenset(), product_family="printers")])
    site_request = request(object=ServiceObject(customer_id=CUSTOMER, site_id=SITE))
    whole_site = decide(site_request, [], [line(equipment_ids=frozenset(), site_id=SITE)])

    assert by_site.covered_by is by_family.covered_by is whole_site.covered_by is CoveredBy.CONTRACT_LINE


def test_reason_type_excluded() -> None:
    decision = decide(
        request(service_type="installation"), [], [line(excluded_service_types=frozenset({"installation"}))]
    )

    assert only_reason(decision.candidates) is Reason.TYPE_EXCLUDED


def test_reason_quota_exhausted() -> None:
    decision = decide(request(), [], [line(remaining=Quotas(visits=Decimal(0), hours=Decimal(5)))])

    (candidate,) = decision.candidates
    assert candidate.reason is Reason.QUOTA_EXHAUSTED and "visits" in candidate.detail


def test_reason_counter_limit_reached() -> None:
    limited = warranty(counter_name="pages", counter_limit=Decimal(500_000))
    worn = request(
        object=ServiceObject(customer_id=CUSTOMER, equipment_id=PRINTER, counters={"pages": Decimal(612_000)})
    )
    young = request(
        object=ServiceObject(customer_id=CUSTOMER, equipment_id=PRINTER, counters={"pages": Decimal(1_000)})
    )

    assert only_reason(decide(worn, [limited], []).candidates) is Reason.COUNTER_LIMIT_REACHED
    assert only_reason(decide(young, [limited], []).candidates) is Reason.APPLIES


def test_reason_customer_mismatch() -> None:
    assert only_reason(decide(request(), [], [line(customer_id=uuid4())]).candidates) is Reason.CUSTOMER_MISMATCH


def test_the_most_favourable_coverage_wins_and_says_why() -> None:
    labour_warranty = warranty(coverage=LABOUR_ONLY)
    full_contract = line(coverage=FULL)

    decision = decide(request(), [labour_warranty], [full_contract])

    assert decision.covered_by is CoveredBy.CONTRACT_LINE
    assert decision.winner is not None and decision.winner.id == full_contract.id
    assert "higher coverage" in decision.why and "SC-000001" in decision.why
    assert all(c.applies for c in decision.candidates)


def test_with_equal_coverage_the_faster_service_level_wins() -> None:
    slow = line(coverage=FULL, service_level=EIGHT_BY_FIVE, contract_number="SC-000001")
    fast = line(coverage=FULL, service_level=ALWAYS, contract_number="SC-000002")

    decision = decide(request(), [], [slow, fast])

    assert decision.winner is not None and decision.winner.id == fast.id
    assert "earlier resolution" in decision.why
    assert decision.due is not None and decision.due.resolution_due == FRIDAY_AFTERNOON + 8 * H


def test_with_equal_terms_the_warranty_is_used_before_contract_quota() -> None:
    decision = decide(request(), [warranty(coverage=FULL)], [line(coverage=FULL)])

    assert decision.covered_by is CoveredBy.WARRANTY
    assert "warranty is used before contract quota" in decision.why


def test_a_priority_without_a_target_has_no_due_times() -> None:
    decision = decide(request(priority=Priority.P4), [warranty()], [])

    assert decision.covered_by is CoveredBy.WARRANTY and decision.due is None
