"""Credit management over HTTP: accounts, holds, the credit check, four-eyes overrides, roles and scope."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import UserFactory, problem_of

Client = AsyncTestClient[Litestar]
ACCOUNTS = "/api/v1/credit/accounts"
CHECK = "/api/v1/credit/check"
OVERRIDES = "/api/v1/credit/overrides"


async def new_customer(client: Client, headers: dict[str, str], name: str = "ACME Printing") -> str:
    response = await client.post("/api/v1/customers", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def user_id(client: Client, headers: dict[str, str]) -> str:
    return str((await client.get("/api/v1/auth/me", headers=headers)).json()["user_id"])


async def open_account(client: Client, headers: dict[str, str], customer_id: str, **body: Any) -> dict[str, Any]:
    payload = {"customer_id": customer_id, "credit_limit": "5000.00", "currency": "EUR", "tolerance_days": 30, **body}
    response = await client.post(ACCOUNTS, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def check(client: Client, headers: dict[str, str], customer_id: str, amount: str, **body: Any) -> Any:
    payload = {"customer_id": customer_id, "amount": amount, "currency": "EUR", **body}
    return await client.post(CHECK, json=payload, headers=headers)


async def test_a_contract_admin_opens_an_account_and_the_figures_come_back_as_decimals(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin)

    account = await open_account(
        client, admin, customer_id, opening_balance="1200.50", opening_overdue="200.00", opening_overdue_days=12
    )

    assert account["customer_id"] == customer_id and account["version"] == 1
    assert (account["credit_limit"], account["open_receivables"], account["available_credit"]) == (
        "5000.00",
        "1200.50",
        "3799.50",
    )
    assert (account["overdue_amount"], account["overdue_days"], account["on_hold"]) == ("200.00", 12, False)
    fetched = await client.get(f"{ACCOUNTS}/{customer_id}", headers=admin)
    assert fetched.status_code == 200 and fetched.json()["id"] == account["id"]


async def test_one_account_per_customer_and_bad_figures_are_refused(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin)
    await open_account(client, admin, customer_id)

    duplicate = await client.post(
        ACCOUNTS, json={"customer_id": customer_id, "credit_limit": "1", "currency": "EUR"}, headers=admin
    )
    other = await new_customer(client, admin, "Globex")
    cents = await client.post(
        ACCOUNTS, json={"customer_id": other, "credit_limit": "10.005", "currency": "EUR"}, headers=admin
    )
    negative = await client.post(
        ACCOUNTS, json={"customer_id": other, "credit_limit": "-5", "currency": "EUR"}, headers=admin
    )
    currency = await client.post(
        ACCOUNTS, json={"customer_id": other, "credit_limit": "5", "currency": "eur"}, headers=admin
    )
    unknown = await client.post(
        ACCOUNTS,
        json={"customer_id": "00000000-0000-0000-0000-000000000009", "credit_limit": "5", "currency": "EUR"},
        headers=admin,
    )

    assert duplicate.status_code == 409 and problem_of(duplicate)["code"] == "credit_account_exists"
    assert cents.status_code == 422 and problem_of(cents)["field"] == "credit_limit"
    assert problem_of(cents)["code"] == "invalid_amount"
    assert negative.status_code == 422 and problem_of(negative)["code"] == "invalid_amount"
    assert currency.status_code == 422 and problem_of(currency)["field"] == "currency"
    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "customer_not_found"


async def test_changing_an_account_needs_the_current_version(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin)
    await open_account(client, admin, customer_id)
    url = f"{ACCOUNTS}/{customer_id}"

    raised = await client.patch(url, json={"version": 1, "credit_limit": "8000.00"}, headers=admin)
    stale = await client.patch(url, json={"version": 1, "credit_limit": "9000.00"}, headers=admin)
    overdue = await client.patch(url, json={"version": 2, "opening_overdue": "1.00"}, headers=admin)

    assert raised.status_code == 200
    assert (raised.json()["credit_limit"], raised.json()["version"]) == ("8000.00", 2)
    assert stale.status_code == 409 and problem_of(stale)["code"] == "stale_version"
    assert overdue.status_code == 422 and problem_of(overdue)["code"] == "overdue_exceeds_open"


async def test_the_check_passes_within_the_limit_and_fails_over_it_by_how_much(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    agent = await login_as("agent")
    customer_id = await new_customer(client, admin)
    await open_account(client, admin, customer_id, opening_balance="4500.00")

    within = await check(client, agent, customer_id, "500.00", reference="WO-000001")
    over = await check(client, agent, customer_id, "750.00")

    assert within.status_code == 200, within.text
    assert within.json()["outcome"] == "pass" and within.json()["reference"] == "WO-000001"
    assert within.json()["reasons"][0]["code"] == "within_limit"
    assert within.json()["account"]["available_credit"] == "500.00"
    body = over.json()
    assert body["outcome"] == "fail"
    assert body["reasons"] == [
        {
            "code": "over_limit",
            "detail": body["reasons"][0]["detail"],
            "amount": "750.00",
            "currency": "EUR",
            "credit_limit": "5000.00",
            "open_receivables": "4500.00",
            "available_credit": "500.00",
            "exceeded_by": "250.00",
        }
    ]


async def test_overdue_beyond_tolerance_fails(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    planner = await login_as("planner")
    customer_id = await new_customer(client, admin)
    await open_account(
        client, admin, customer_id, opening_balance="900.00", opening_overdue="900.00", opening_overdue_days=45
    )

    response = await check(client, planner, customer_id, "10.00")

    assert response.json()["outcome"] == "fail"
    (reason,) = response.json()["reasons"]
    assert reason["code"] == "overdue_beyond_tolerance"
    assert (reason["overdue_amount"], reason["overdue_days"], reason["tolerance_days"]) == ("900.00", 45, 30)


async def test_a_hold_applies_to_the_next_check_at_once_and_release_lifts_it(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    agent = await login_as("agent")
    customer_id = await new_customer(client, admin)
    await open_account(client, admin, customer_id)

    before = await check(client, agent, customer_id, "100.00")
    held = await client.post(f"{ACCOUNTS}/{customer_id}/hold", json={"reason": "cheque bounced"}, headers=admin)
    during = await check(client, agent, customer_id, "100.00")
    released = await client.post(f"{ACCOUNTS}/{customer_id}/release", headers=admin)
    after = await check(client, agent, customer_id, "100.00")

    assert before.json()["outcome"] == "pass"
    assert held.status_code == 200 and held.json()["on_hold"] is True
    assert held.json()["hold_set_by"] == "contract_admin1" and held.json()["hold_set_at"]
    assert during.json()["outcome"] == "hold"
    hold_reason = during.json()["reasons"][0]
    assert (hold_reason["code"], hold_reason["hold_reason"], hold_reason["hold_set_by"]) == (
        "on_hold",
        "cheque bounced",
        "contract_admin1",
    )
    assert released.status_code == 200 and released.json()["hold_reason"] is None
    assert after.json()["outcome"] == "pass"


async def test_a_hold_needs_a_reason_and_cannot_be_set_twice(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    customer_id = await new_customer(client, admin)
    await open_account(client, admin, customer_id)
    url = f"{ACCOUNTS}/{customer_id}"

    missing = await client.post(f"{url}/hold", json={}, headers=admin)
    blank = await client.post(f"{url}/hold", json={"reason": "   "}, headers=admin)
    first = await client.post(f"{url}/hold", json={"reason": "unpaid"}, headers=admin)
    twice = await client.post(f"{url}/hold", json={"reason": "again"}, headers=admin)
    not_held = await client.post(f"{ACCOUNTS}/{await new_customer(client, admin, 'B')}/release", headers=admin)

    assert missing.status_code == 422 and problem_of(missing)["field"] == "reason"
    assert blank.status_code == 422 and problem_of(blank)["code"] == "hold_reason_required"
    assert first.status_code == 200
    assert twice.status_code == 409 and problem_of(twice)["code"] == "already_on_hold"
    assert not_held.status_code == 404 and problem_of(not_held)["code"] == "credit_account_not_found"


async def test_without_a_credit_account_only_an_amount_of_zero_passes(client: Client, login_as: UserFactory) -> None:
    agent = await login_as("agent")
    customer_id = await new_customer(client, agent)

    some = await check(client, agent, customer_id, "0.01")
    nothing = await check(client, agent, customer_id, "0")
    negative = await check(client, agent, customer_id, "-1")

    assert some.json()["outcome"] == "fail" and some.json()["account"] is None
    assert some.json()["reasons"][0]["code"] == "no_credit_account"
    assert nothing.json()["outcome"] == "pass"
    assert negative.status_code == 422 and problem_of(negative)["field"] == "amount"


async def test_nobody_approves_their_own_credit_override(client: Client, login_as: UserFactory) -> None:
    carla = await login_as("contract_admin")
    customer_id = await new_customer(client, carla)
    await open_account(client, carla, customer_id, credit_limit="0")
    body = {"customer_id": customer_id, "amount": "800.00", "currency": "EUR", "reason": "promised payment"}

    own = await client.post(OVERRIDES, json={**body, "requested_by_id": await user_id(client, carla)}, headers=carla)

    assert own.status_code == 403
    assert problem_of(own)["code"] == "four_eyes_required" and problem_of(own)["field"] == "requested_by_id"
    listed = await client.get(OVERRIDES, headers=carla)
    assert listed.json()["total"] == 0


async def test_a_second_contract_admin_approves_and_the_override_lets_one_check_pass(
    client: Client, login_as: UserFactory
) -> None:
    carla = await login_as("contract_admin")
    dieter = await login_as("contract_admin")
    agent = await login_as("agent")
    customer_id = await new_customer(client, carla)
    await open_account(client, carla, customer_id, opening_balance="4800.00")
    await client.post(f"{ACCOUNTS}/{customer_id}/hold", json={"reason": "late payments"}, headers=carla)
    agent_id = await user_id(client, agent)

    approved = await client.post(
        OVERRIDES,
        json={
            "customer_id": customer_id,
            "amount": "1000.00",
            "currency": "EUR",
            "reference": "WO-000042",
            "reason": "urgent repair at a hospital",
            "requested_by_id": agent_id,
        },
        headers=dieter,
    )
    refused_without_reference = await check(client, agent, customer_id, "900.00")
    first = await check(client, agent, customer_id, "900.00", reference="WO-000042")
    second = await check(client, agent, customer_id, "900.00", reference="WO-000042")

    assert approved.status_code == 201, approved.text
    override = approved.json()
    assert (override["requested_by_id"], override["approved_by_id"]) == (agent_id, await user_id(client, dieter))
    assert override["used"] is False and override["valid_until"]
    assert refused_without_reference.json()["outcome"] == "hold"
    assert first.json()["outcome"] == "pass" and first.json()["override_id"] == override["id"]
    assert [r["code"] for r in first.json()["reasons"]] == ["override", "on_hold", "over_limit"]
    assert first.json()["reasons"][0]["override_amount"] == "1000.00"
    assert second.json()["outcome"] == "hold"
    used = await client.get(OVERRIDES, params={"customer_id": customer_id, "used": "true"}, headers=carla)
    assert [o["id"] for o in used.json()["items"]] == [override["id"]]


async def test_an_override_needs_an_existing_staff_requester(client: Client, login_as: UserFactory) -> None:
    dieter = await login_as("contract_admin")
    customer_id = await new_customer(client, dieter)
    portal = await login_as("customer", customer_id=customer_id)
    body = {"customer_id": customer_id, "amount": "50.00", "currency": "EUR", "reason": "goodwill"}

    unknown = await client.post(
        OVERRIDES, json={**body, "requested_by_id": "00000000-0000-0000-0000-000000000001"}, headers=dieter
    )
    customer_user = await client.post(
        OVERRIDES, json={**body, "requested_by_id": await user_id(client, portal)}, headers=dieter
    )

    assert unknown.status_code == 404 and problem_of(unknown)["code"] == "user_not_found"
    assert customer_user.status_code == 422 and problem_of(customer_user)["code"] == "invalid_requester"


async def test_roles(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("admin")
    contract_admin = await login_as("contract_admin")
    agent = await login_as("agent")
    technician = await login_as("technician")
    manager = await login_as("manager")
    customer_id = await new_customer(client, agent)
    portal = await login_as("customer", customer_id=customer_id)
    account_body = {"customer_id": customer_id, "credit_limit": "100", "currency": "EUR"}
    override_body = {
        "customer_id": customer_id,
        "amount": "50.00",
        "currency": "EUR",
        "reason": "x",
        "requested_by_id": await user_id(client, contract_admin),
    }

    agent_opens = await client.post(ACCOUNTS, json=account_body, headers=agent)
    admin_opens = await client.post(ACCOUNTS, json=account_body, headers=admin)
    manager_reads = await client.get(ACCOUNTS, headers=manager)
    technician_reads = await client.get(ACCOUNTS, headers=technician)
    portal_lists = await client.get(ACCOUNTS, headers=portal)
    technician_checks = await check(client, technician, customer_id, "1")
    portal_checks = await check(client, portal, customer_id, "1")
    manager_checks = await check(client, manager, customer_id, "1")
    admin_approves = await client.post(OVERRIDES, json=override_body, headers=admin)
    agent_approves = await client.post(OVERRIDES, json=override_body, headers=agent)
    agent_lists_overrides = await client.get(OVERRIDES, headers=agent)
    agent_holds = await client.post(f"{ACCOUNTS}/{customer_id}/hold", json={"reason": "x"}, headers=agent)

    assert admin_opens.status_code == 201 and manager_reads.status_code == 200
    for refused in (
        agent_opens,
        technician_reads,
        portal_lists,
        technician_checks,
        portal_checks,
        manager_checks,
        admin_approves,
        agent_approves,
        agent_lists_overrides,
        agent_holds,
    ):
        assert refused.status_code == 403, refused.request.url
        assert problem_of(refused)["code"] == "role_not_allowed"


async def test_a_customer_user_sees_its_own_account_only_and_not_who_set_a_hold(
    client: Client, login_as: UserFactory
) -> None:
    admin = await login_as("contract_admin")
    own = await new_customer(client, admin, "Own")
    stranger = await new_customer(client, admin, "Stranger")
    await open_account(client, admin, own)
    await open_account(client, admin, stranger)
    await client.post(f"{ACCOUNTS}/{own}/hold", json={"reason": "overdue invoices"}, headers=admin)
    portal = await login_as("customer", customer_id=own)

    mine = await client.get(f"{ACCOUNTS}/{own}", headers=portal)
    theirs = await client.get(f"{ACCOUNTS}/{stranger}", headers=portal)

    assert mine.status_code == 200
    assert (mine.json()["on_hold"], mine.json()["hold_reason"], mine.json()["hold_set_by"]) == (
        True,
        "overdue invoices",
        None,
    )
    assert theirs.status_code == 404 and problem_of(theirs)["code"] == "credit_account_not_found"


async def test_accounts_are_listed_and_filtered_by_hold(client: Client, login_as: UserFactory) -> None:
    admin = await login_as("contract_admin")
    first = await new_customer(client, admin, "First")
    second = await new_customer(client, admin, "Second")
    await open_account(client, admin, first)
    await open_account(client, admin, second, currency="USD")
    await client.post(f"{ACCOUNTS}/{second}/hold", json={"reason": "bankruptcy filing"}, headers=admin)

    everything = await client.get(ACCOUNTS, headers=admin)
    held = await client.get(ACCOUNTS, params={"on_hold": "true"}, headers=admin)
    in_euro = await client.get(ACCOUNTS, params={"currency": "EUR"}, headers=admin)
    bad_sort = await client.get(ACCOUNTS, params={"sort": "colour"}, headers=admin)

    assert everything.json()["total"] == 2
    assert [a["customer_id"] for a in held.json()["items"]] == [second]
    assert [a["customer_id"] for a in in_euro.json()["items"]] == [first]
    assert bad_sort.status_code == 422 and problem_of(bad_sort)["code"] == "invalid_sort"
