"""Service contracts over HTTP: drafting, lines, the status table, terms that freeze, renewal, scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.jobs import raise_renewal_reminders
from contracts.models import EntitlementUsage
from core.audit import audit_log
from core.db import session_scope
from masterdata.models import Customer, Equipment, Product, Site
from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
Sessions = async_sessionmaker[AsyncSession]

API = "/api/v1/contracts"
TODAY = dt.date.today()


# --- test data -------------------------------------------------------------------------------


@dataclass
class Party:
    """A customer with one site and two printers standing there."""

    customer_id: str
    site_id: str
    units: list[str]


async def party(sessions: Sessions, name: str) -> Party:
    async with session_scope(sessions) as s:
        customer = Customer(number=f"C-{name[:6].upper()}", name=name)
        product = Product(
            sku=f"PRN-{name[:6].upper()}",
            name="Printer 4000",
            kind="equipment",
            family="printers",
            serialized=True,
            list_price=Decimal("4990.00"),
            currency="EUR",
            unit="pc",
        )
        s.add_all([customer, product])
        await s.flush()
        site = Site(customer_id=customer.id, name="Plant 1", country="DE", time_zone="Europe/Berlin")
        s.add(site)
        await s.flush()
        units = [
            Equipment(product_id=product.id, serial_number=f"{name}-{n}", customer_id=customer.id, site_id=site.id)
            for n in (1, 2)
        ]
        s.add_all(units)
        await s.flush()
        return Party(str(customer.id), str(site.id), [str(u.id) for u in units])


def contract_body(customer_id: str, **body: Any) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "name": "Printer care 8x5",
        "starts_on": TODAY.replace(month=1, day=1).isoformat(),
        "ends_on": TODAY.replace(month=12, day=31).isoformat(),
        "currency": "EUR",
        "fee_amount": "1200.00",
        "billing_period": "quarterly",
        **body,
    }


def line_body(**body: Any) -> dict[str, Any]:
    return {"description": "All printers", "labour_pct": "100", "parts_pct": "80", "travel_pct": "0", **body}


async def draft(client: Client, headers: Headers, customer_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(API, json=contract_body(customer_id, **body), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_line(client: Client, headers: Headers, contract_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/{contract_id}/lines", json=line_body(**body), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def move(client: Client, headers: Headers, contract_id: str, status: str, reason: str | None = None) -> Any:
    return await client.post(
        f"{API}/{contract_id}/transitions", json={"status": status, "reason": reason}, headers=headers
    )


async def active(client: Client, headers: Headers, acme: Party, **body: Any) -> dict[str, Any]:
    contract = await draft(client, headers, acme.customer_id, **body)
    await add_line(client, headers, contract["id"], equipment_ids=acme.units)
    response = await move(client, headers, contract["id"], "active")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# --- drafting --------------------------------------------------------------------------------


async def test_a_contract_admin_drafts_a_contract_and_lists_what_it_covers(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")

    created = await draft(
        client,
        admin,
        acme.customer_id,
        usage_counter_name="pages",
        usage_included_volume="10000",
        usage_unit_price="0.012",
    )
    line = await add_line(
        client,
        admin,
        created["id"],
        equipment_ids=[acme.units[1], acme.units[0], acme.units[1]],
        quota_period="year",
        quota_visits=10,
        quota_hours="40",
        excluded_service_types=["installation", "inspection", "installation"],
    )
    shown = await client.get(f"{API}/{created['id']}", headers=admin)

    assert created["number"] == "SC-000001" and created["status"] == "draft" and created["version"] == 1
    assert created["lines"] == [] and created["successor_id"] is None and created["predecessor_id"] is None
    assert created["fee_amount"] == "1200.00" and created["usage_unit_price"] == "0.012000"
    assert line["equipment_ids"] == sorted(acme.units) and line["quota_visits"] == 10
    assert line["excluded_service_types"] == ["inspection", "installation"]
    assert shown.status_code == 200, shown.text
    assert shown.json()["lines"] == [line]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"ends_on": "2020-01-01"}, 422, "ends_before_starts", "ends_on"),
        ({"currency": "XYZ"}, 422, "invalid_currency", "currency"),
        ({"currency": "XAU"}, 422, "invalid_currency", "currency"),
        ({"currency": "eur"}, 422, "validation_failed", "currency"),
        ({"fee_amount": "-1"}, 422, "invalid_amount", "fee_amount"),
        ({"fee_amount": "10.005"}, 422, "invalid_amount", "fee_amount"),
        ({"fee_amount": "NaN"}, 422, "invalid_amount", "fee_amount"),
        ({"renewal_uplift_pct": "100.01"}, 422, "invalid_amount", "renewal_uplift_pct"),
        ({"usage_counter_name": "pages"}, 422, "usage_incomplete", "usage_included_volume"),
        ({"usage_unit_price": "0.01", "usage_included_volume": "5"}, 422, "usage_incomplete", "usage_counter_name"),
        ({"notice_days": -1}, 422, "validation_failed", "notice_days"),
        ({"billing_period": "weekly"}, 422, "validation_failed", "billing_period"),
        ({"status": "active"}, 422, "validation_failed", "status"),
        ({"customer_id": "0190c6b2-7e2a-7000-8000-000000000000"}, 404, "customer_not_found", "customer_id"),
    ],
)
async def test_contract_input_is_checked(
    client: Client,
    sessions: Sessions,
    login_as: UserFactory,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")

    response = await client.post(API, json={**contract_body(acme.customer_id), **change}, headers=admin)

    assert response.status_code == status, response.text
    assert problem_of(response)["code"] == code and problem_of(response)["field"] == field


async def test_line_coverage_must_name_objects_of_the_contracts_own_customer(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme, globex = await party(sessions, "ACME"), await party(sessions, "Globex")
    contract = await draft(client, admin, acme.customer_id)
    lines = f"{API}/{contract['id']}/lines"
    nowhere = "0190c6b2-7e2a-7000-8000-000000000000"

    answers = {
        "foreign_unit": await client.post(
            lines, json=line_body(equipment_ids=[acme.units[0], globex.units[0]]), headers=admin
        ),
        "foreign_site": await client.post(lines, json=line_body(site_id=globex.site_id), headers=admin),
        "nothing": await client.post(lines, json=line_body(), headers=admin),
        "unknown_unit": await client.post(lines, json=line_body(equipment_ids=[nowhere]), headers=admin),
        "unknown_level": await client.post(
            lines, json=line_body(product_family="printers", service_level_id=nowhere), headers=admin
        ),
        "percent": await client.post(lines, json=line_body(product_family="printers", labour_pct="101"), headers=admin),
        "type": await client.post(
            lines, json=line_body(product_family="printers", excluded_service_types=["cleaning"]), headers=admin
        ),
    }
    by_site = await client.post(lines, json=line_body(site_id=acme.site_id), headers=admin)

    expected = {
        "foreign_unit": (422, "equipment_not_of_customer", "equipment_ids[1]"),
        "foreign_site": (422, "site_not_of_customer", "site_id"),
        "nothing": (422, "line_covers_nothing", "equipment_ids"),
        "unknown_unit": (404, "equipment_not_found", "equipment_ids[0]"),
        "unknown_level": (404, "service_level_not_found", "service_level_id"),
        "percent": (422, "invalid_amount", "labour_pct"),
        "type": (422, "validation_failed", "excluded_service_types[0]"),
    }
    assert {
        name: (r.status_code, problem_of(r)["code"], problem_of(r)["field"]) for name, r in answers.items()
    } == expected
    assert by_site.status_code == 201 and by_site.json()["site_id"] == acme.site_id


# --- status ----------------------------------------------------------------------------------


async def test_status_moves_only_along_the_transition_table(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await draft(client, admin, acme.customer_id)
    cid = contract["id"]

    empty = await move(client, admin, cid, "active")
    await add_line(client, admin, cid, product_family="printers")
    skipped = await move(client, admin, cid, "suspended", "unpaid")
    activated = await move(client, admin, cid, "active")
    no_reason = await move(client, admin, cid, "suspended", "  ")
    suspended = await move(client, admin, cid, "suspended", "invoices 90 days overdue")
    resumed = await move(client, admin, cid, "active")
    renewed_by_hand = await move(client, admin, cid, "renewed")
    terminated = await move(client, admin, cid, "terminated", "customer went out of business")
    revived = await move(client, admin, cid, "active")

    assert empty.status_code == 409 and problem_of(empty)["code"] == "contract_without_lines"
    assert skipped.status_code == 409 and problem_of(skipped)["code"] == "illegal_transition"
    assert problem_of(skipped)["current_status"] == "draft" and "draft" in problem_of(skipped)["detail"]
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert no_reason.status_code == 422 and problem_of(no_reason)["code"] == "reason_required"
    assert problem_of(no_reason)["field"] == "reason"
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "invoices 90 days overdue"
    assert resumed.json()["status"] == "active" and resumed.json()["status_reason"] is None
    assert renewed_by_hand.status_code == 422 and problem_of(renewed_by_hand)["code"] == "use_renewal"
    assert terminated.json()["status"] == "terminated"
    assert terminated.json()["status_reason"] == "customer went out of business"
    assert revived.status_code == 409 and problem_of(revived)["current_status"] == "terminated"


async def test_status_changes_are_audited(client: Client, sessions: Sessions, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await active(client, admin, acme)

    async with sessions() as s:
        rows = (
            await s.execute(
                select(audit_log.c.action, audit_log.c.after).where(
                    audit_log.c.entity == "contract", audit_log.c.entity_id == contract["id"]
                )
            )
        ).all()

    assert [action for action, _ in rows] == ["create", "transition"]
    assert rows[1].after == {"status": "active", "status_reason": None}


# --- changing --------------------------------------------------------------------------------


async def test_only_a_draft_changes_its_terms_and_billing_plan(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await draft(client, admin, acme.customer_id)
    url = f"{API}/{contract['id']}"

    drafted = await client.patch(url, json={"version": 1, "fee_amount": "1500", "ends_on": "2099-12-31"}, headers=admin)
    await add_line(client, admin, contract["id"], product_family="printers")
    await move(client, admin, contract["id"], "active")
    fee = await client.patch(url, json={"version": 3, "fee_amount": "999.00"}, headers=admin)
    same_fee = await client.patch(
        url, json={"version": 3, "fee_amount": "1500.00", "auto_renew": True, "notice_days": 90}, headers=admin
    )
    stale = await client.patch(url, json={"version": 3, "notes": "late"}, headers=admin)
    uplift = await client.patch(url, json={"version": 4, "renewal_uplift_pct": "3.5", "notes": "CPI"}, headers=admin)
    await move(client, admin, contract["id"], "terminated")
    closed = await client.patch(url, json={"version": 6, "notice_days": 30}, headers=admin)
    noted = await client.patch(url, json={"version": 6, "notes": "archived"}, headers=admin)

    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["fee_amount"] == "1500.00" and drafted.json()["version"] == 2
    assert fee.status_code == 409 and problem_of(fee)["code"] == "contract_not_editable"
    assert problem_of(fee)["field"] == "fee_amount" and problem_of(fee)["current_status"] == "active"
    assert same_fee.status_code == 200, same_fee.text
    assert same_fee.json()["auto_renew"] is True and same_fee.json()["notice_days"] == 90
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert uplift.status_code == 200 and uplift.json()["renewal_uplift_pct"] == "3.50"
    assert closed.status_code == 409 and problem_of(closed)["field"] == "notice_days"
    assert noted.status_code == 200 and noted.json()["notes"] == "archived"


async def test_lines_change_while_the_contract_is_a_draft_or_active(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await active(client, admin, acme)
    first = contract["lines"][0]
    url = f"{API}/{contract['id']}/lines"

    narrowed = await client.patch(
        f"{url}/{first['id']}", json={"version": 1, "equipment_ids": [acme.units[0]], "parts_pct": "50"}, headers=admin
    )
    stale = await client.patch(f"{url}/{first['id']}", json={"version": 1, "description": "x"}, headers=admin)
    emptied = await client.patch(
        f"{url}/{first['id']}", json={"version": 2, "equipment_ids": [], "product_family": None}, headers=admin
    )
    last = await client.delete(f"{url}/{first['id']}", headers=admin)
    second = await add_line(client, admin, contract["id"], site_id=acme.site_id)
    removed = await client.delete(f"{url}/{first['id']}", headers=admin)
    await move(client, admin, contract["id"], "terminated")
    closed = await client.post(url, json=line_body(product_family="printers"), headers=admin)
    shown = await client.get(f"{API}/{contract['id']}", headers=admin)

    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["equipment_ids"] == [acme.units[0]] and narrowed.json()["parts_pct"] == "50.00"
    assert narrowed.json()["version"] == 2
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert emptied.status_code == 422 and problem_of(emptied)["code"] == "line_covers_nothing"
    assert last.status_code == 409 and problem_of(last)["code"] == "contract_without_lines"
    assert removed.status_code == 204
    assert closed.status_code == 409 and problem_of(closed)["code"] == "contract_not_editable"
    assert [line["id"] for line in shown.json()["lines"]] == [second["id"]]


async def test_a_line_with_recorded_usage_is_not_removed(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await draft(client, admin, acme.customer_id)
    used = await add_line(client, admin, contract["id"], product_family="printers", quota_visits=10)
    other = await add_line(client, admin, contract["id"], site_id=acme.site_id)
    async with session_scope(sessions) as s:
        s.add(
            EntitlementUsage(
                line_id=UUID(used["id"]),
                work_order_ref="WO-000001",
                period_start=TODAY,
                visits=1,
                consumed_at=dt.datetime.now(dt.UTC),
            )
        )

    refused = await client.delete(f"{API}/{contract['id']}/lines/{used['id']}", headers=admin)
    elsewhere = await client.delete(f"{API}/{UUID(int=1)}/lines/{other['id']}", headers=admin)
    wrong_contract = await client.delete(
        f"{API}/{(await draft(client, admin, acme.customer_id))['id']}/lines/{other['id']}", headers=admin
    )

    assert refused.status_code == 409 and problem_of(refused)["code"] == "in_use"
    assert problem_of(refused)["dependents"] == {"entitlement_usage": 1}
    assert elsewhere.status_code == 404 and problem_of(elsewhere)["code"] == "contract_not_found"
    assert wrong_contract.status_code == 404 and problem_of(wrong_contract)["code"] == "contract_line_not_found"


# --- renewal ---------------------------------------------------------------------------------


async def test_renewal_creates_the_successor_with_the_next_term_and_an_uplifted_fee(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await draft(
        client, admin, acme.customer_id, fee_amount="10.10", renewal_uplift_pct="5", auto_renew=True, notice_days=45
    )
    await add_line(
        client,
        admin,
        contract["id"],
        equipment_ids=acme.units,
        quota_visits=10,
        excluded_service_types=["installation"],
    )
    await move(client, admin, contract["id"], "active")

    renewed = await client.post(f"{API}/{contract['id']}/renew", headers=admin)
    again = await client.post(f"{API}/{contract['id']}/renew", headers=admin)
    before = await client.get(f"{API}/{contract['id']}", headers=admin)

    assert renewed.status_code == 201, renewed.text
    successor = renewed.json()
    year = TODAY.year + 1
    assert successor["number"] == "SC-000002" and successor["predecessor_id"] == contract["id"]
    assert (successor["starts_on"], successor["ends_on"]) == (f"{year}-01-01", f"{year}-12-31")
    assert successor["status"] == "active"
    assert successor["fee_amount"] == "10.61"  # 10.605 rounded half up, not to even
    assert (successor["auto_renew"], successor["notice_days"], successor["renewal_uplift_pct"]) == (True, 45, "5.00")
    [line] = successor["lines"]
    assert line["equipment_ids"] == sorted(acme.units) and line["quota_visits"] == 10
    assert line["excluded_service_types"] == ["installation"]
    assert before.json()["status"] == "renewed" and before.json()["successor_id"] == successor["id"]
    assert again.status_code == 409 and problem_of(again)["code"] == "contract_already_renewed"
    assert problem_of(again)["successor_id"] == successor["id"]


async def test_an_expired_contract_renews_into_a_draft_and_a_draft_does_not_renew(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme = await party(sessions, "ACME")
    contract = await active(client, admin, acme)
    await move(client, admin, contract["id"], "expired")
    fresh = await draft(client, admin, acme.customer_id)

    renewed = await client.post(f"{API}/{contract['id']}/renew", headers=admin)
    from_draft = await client.post(f"{API}/{fresh['id']}/renew", headers=admin)

    assert renewed.status_code == 201 and renewed.json()["status"] == "draft"
    assert from_draft.status_code == 409 and problem_of(from_draft)["code"] == "illegal_transition"
    assert problem_of(from_draft)["current_status"] == "draft"


# --- reading ---------------------------------------------------------------------------------


async def test_contracts_are_listed_by_customer_status_and_end(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme, globex = await party(sessions, "ACME"), await party(sessions, "Globex")
    a1 = await active(client, admin, acme, ends_on=f"{TODAY.year}-06-30")
    a2 = await draft(client, admin, acme.customer_id)
    g1 = await active(client, admin, globex, ends_on=f"{TODAY.year}-03-31")

    async def numbers(**params: Any) -> list[str]:
        response = await client.get(API, params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [c["number"] for c in response.json()["items"]]

    assert await numbers() == [a1["number"], a2["number"], g1["number"]]
    assert await numbers(customer_id=acme.customer_id) == [a1["number"], a2["number"]]
    assert await numbers(status="active") == [a1["number"], g1["number"]]
    assert await numbers(ends_before=f"{TODAY.year}-07-01") == [a1["number"], g1["number"]]
    assert await numbers(ends_before=f"{TODAY.year}-06-30") == [g1["number"]]
    assert await numbers(sort="-ends_on") == [a2["number"], a1["number"], g1["number"]]
    bad_sort = await client.get(API, params={"sort": "fee_amount"}, headers=admin)
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["code"] == "invalid_sort"


async def test_a_customer_sees_only_its_own_contracts_and_notices(
    client: Client, sessions: Sessions, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    acme, globex = await party(sessions, "ACME"), await party(sessions, "Globex")
    own = await active(client, admin, acme, ends_on=(TODAY + dt.timedelta(days=10)).isoformat())
    theirs = await active(client, admin, globex, ends_on=(TODAY + dt.timedelta(days=10)).isoformat())
    async with session_scope(sessions) as s:
        assert await raise_renewal_reminders(s, TODAY) == 2
    portal = await login_as("customer", customer_id=UUID(acme.customer_id))

    listed = await client.get(API, headers=portal)
    probed = await client.get(API, params={"customer_id": globex.customer_id}, headers=portal)
    mine = await client.get(f"{API}/{own['id']}", headers=portal)
    foreign = await client.get(f"{API}/{theirs['id']}", headers=portal)
    notices = await client.get(f"{API}/notices", headers=portal)
    all_notices = await client.get(f"{API}/notices", params={"kind": "renewal_reminder"}, headers=admin)
    write = await client.post(API, json=contract_body(acme.customer_id), headers=portal)

    assert [c["id"] for c in listed.json()["items"]] == [own["id"]]
    assert probed.json()["items"] == []
    assert mine.status_code == 200 and [line["id"] for line in mine.json()["lines"]] == [own["lines"][0]["id"]]
    assert foreign.status_code == 404 and problem_of(foreign)["code"] == "contract_not_found"
    assert [n["contract_id"] for n in notices.json()["items"]] == [own["id"]]
    assert notices.json()["items"][0]["kind"] == "renewal_reminder"
    assert own["number"] in notices.json()["items"][0]["message"]
    assert all_notices.json()["total"] == 2
    assert write.status_code == 403 and problem_of(write)["code"] == "role_not_allowed"


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        ("admin", 200, 201),
        ("contract_admin", 200, 201),
        ("agent", 200, 403),
        ("planner", 200, 403),
        ("manager", 200, 403),
        ("depot", 200, 403),
        ("technician", 403, 403),
    ],
)
async def test_who_may_read_and_write_contracts(
    client: Client, sessions: Sessions, login_as: UserFactory, role: str, reads: int, writes: int
) -> None:
    acme = await party(sessions, "ACME")
    headers = await login_as(role)

    read = await client.get(API, headers=headers)
    write = await client.post(API, json=contract_body(acme.customer_id), headers=headers)

    assert (read.status_code, write.status_code) == (reads, writes)
