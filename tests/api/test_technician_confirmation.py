"""The confirmation: one call that reports time, parts, readings, findings and the signature, and completes."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from core.db import session_scope
from core.idempotency import IdempotencyRecord
from core.outbox import OutboxMessage
from masterdata.models import CounterReading, Equipment, EquipmentEvent
from service_mgmt.models import Confirmation, PartConsumption, TimeEntry, WorkOrder
from tests.api.technician_fixtures import (
    PNG_MAGIC,
    ago,
    confirm,
    confirmation_body,
    dispatched_job,
    on_site,
    step,
)
from tests.api.test_work_orders import URL, Client, Sessions
from tests.conftest import UserFactory, problem_of


async def count(sessions: Sessions, model: Any) -> int:
    async with session_scope(sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_full_confirmation_completes_the_task_the_work_order_and_queues_the_report(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)

    response = await confirm(client, job, confirmation_body(job))

    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["task_status"], result["work_order_status"], result["first_time_fix"]) == (
        "completed",
        "completed",
        True,
    )
    assert result["work_order_completed_at"] == result["completed_at"]  # the device time
    assert [(e["kind"], e["engineer_id"]) for e in result["time_entries"]] == [
        ("travel", str(job.engineer_id)),
        ("work", str(job.engineer_id)),
    ]
    fuser, swap = result["parts"]
    assert (fuser["product_id"], fuser["quantity"], fuser["serial_in"]) == (str(job.part_id), "1.000", None)
    assert (swap["serial_out"], swap["serial_in"], swap["equipment_id"]) == (
        "PSU-OLD-1",
        "PSU-NEW-7",
        str(job.unit.printer_id),
    )
    assert swap["removed_equipment_id"] == str(job.unit.psu_id)
    (reading,) = result["readings"]
    assert reading["counter_id"] == str(job.unit.counter_id) and reading["value"] == "1500.000"
    assert result["checklist"] == [{"item": "Print a test page", "done": True, "note": None}]
    assert (result["findings"], result["resolution_code"]) == ("Fuser worn, PSU fan failing", "REPLACED_PART")
    assert result["signed_by"] == "Pat Doe" and result["has_signature"] is True
    assert "signature_png" not in result

    async with session_scope(sessions) as session:
        work_order = await session.get(WorkOrder, job.work_order["id"])
        assert work_order is not None and work_order.status == "completed" and work_order.first_time_fix is True
        outbox = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"service_report:{work_order.id}")
        )
        assert outbox is not None and outbox.kind == "service_report"
        stored = await session.scalar(select(Confirmation))
        assert stored is not None and stored.signature_png is not None and stored.signature_png.startswith(PNG_MAGIC)
        new_reading = await session.get(CounterReading, reading["reading_id"])
        assert new_reading is not None and new_reading.source == "technician"
        assert new_reading.recorded_by.startswith("technician")


async def test_a_component_swap_changes_the_installed_base_with_history_on_both_serials(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)

    response = await confirm(client, job, confirmation_body(job))

    assert response.status_code == 201, response.text
    swap = response.json()["parts"][1]
    tree = (await client.get(f"/api/v1/equipment/{job.unit.printer_id}/tree", headers=job.planner)).json()
    assert [(c["serial_number"], c["status"]) for c in tree["children"]] == [("PSU-NEW-7", "in_service")]
    assert tree["children"][0]["id"] == swap["installed_equipment_id"]
    async with session_scope(sessions) as session:
        old = await session.get(Equipment, job.unit.psu_id)
        assert old is not None and (old.parent_id, old.status) == (None, "removed")

        async def kinds(unit_id: Any) -> list[tuple[str, str | None, str | None]]:
            events = await session.scalars(
                select(EquipmentEvent).where(EquipmentEvent.equipment_id == unit_id).order_by(EquipmentEvent.id)
            )
            return [(e.kind, e.old_serial, e.new_serial) for e in events]

        assert (await kinds(job.unit.psu_id))[-1] == ("replaced_by", "PSU-OLD-1", "PSU-NEW-7")
        assert ("replaces", "PSU-OLD-1", "PSU-NEW-7") in await kinds(swap["installed_equipment_id"])
        parent_events = await kinds(job.unit.printer_id)
        assert ("component_removed", "PSU-OLD-1", "PSU-NEW-7") in parent_events
        assert ("component_installed", "PSU-OLD-1", "PSU-NEW-7") in parent_events


async def test_a_replayed_confirmation_answers_the_stored_response_and_confirms_once(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)
    body = confirmation_body(job)

    first = await confirm(client, job, body, key="conf-42")
    second = await confirm(client, job, body, key="conf-42")
    third = await confirm(client, job, body, key="conf-42")
    other_body = await confirm(client, job, body | {"notes": "changed"}, key="conf-42")
    other_key = await confirm(client, job, body, key="conf-43")

    assert first.status_code == second.status_code == third.status_code == 201, first.text
    assert first.content == second.content == third.content
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == third.headers["Idempotent-Replayed"] == "true"
    assert second.headers["content-type"].startswith("application/json")
    assert other_body.status_code == 422 and problem_of(other_body)["code"] == "idempotency_key_reused"
    assert problem_of(other_body)["field"] == "Idempotency-Key"
    assert other_key.status_code == 409 and problem_of(other_key)["code"] == "already_confirmed"
    assert problem_of(other_key)["confirmation_id"] == first.json()["id"]
    assert await count(sessions, Confirmation) == 1
    assert await count(sessions, TimeEntry) == 2 and await count(sessions, PartConsumption) == 2


async def test_the_same_key_on_another_task_is_a_reuse(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions, tasks=2)
    at = ago(minutes=5)

    first = await step(client, job, "en_route", at=at, key="k-1")
    elsewhere = await step(client, job, "en_route", at=at, key="k-1", task=job.tasks[1])

    assert first.status_code == 200
    assert elsewhere.status_code == 422 and problem_of(elsewhere)["code"] == "idempotency_key_reused"


async def test_idempotency_keys_are_printable_and_at_most_200_characters(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)

    for key in ("x" * 201, "tab\tkey", "ключ".encode()):
        response = await step(client, job, "en_route", key=key)
        assert response.status_code == 422, (key, response.text)
        assert problem_of(response)["code"] == "invalid_idempotency_key"
        assert problem_of(response)["field"] == "Idempotency-Key"
    assert (await step(client, job, "en_route", key="k" * 200)).status_code == 200


async def test_an_error_is_not_stored_so_the_phone_may_fix_the_body_and_resend_with_the_same_key(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)
    bad = confirmation_body(job, readings=[{"counter_id": str(job.unit.counter_id), "value": "900"}])

    refused = await confirm(client, job, bad, key="conf-1")

    # The swap came before the reading in the body: it was undone with everything else.
    assert refused.status_code == 422, refused.text
    assert (problem_of(refused)["code"], problem_of(refused)["field"]) == (
        "reading_below_previous",
        "readings[0].value",
    )
    for model in (Confirmation, TimeEntry, PartConsumption, IdempotencyRecord):
        assert await count(sessions, model) == 0, model
    async with session_scope(sessions) as session:
        old = await session.get(Equipment, job.unit.psu_id)
        assert old is not None and old.parent_id == job.unit.printer_id and old.status == "in_service"
        assert await session.scalar(select(Equipment).where(Equipment.serial_number == "PSU-NEW-7")) is None
    task = (await client.get(job.url(), headers=job.technician)).json()["task"]
    assert task["status"] == "on_site"

    fixed = await confirm(client, job, confirmation_body(job), key="conf-1")

    assert fixed.status_code == 201, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers


async def test_bad_parts_of_the_body_point_at_their_field(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    other = await dispatched_job(client, login_as, sessions, "Other")
    await on_site(client, job)
    swap = confirmation_body(job)["parts"][1]
    big_png = base64.b64encode(PNG_MAGIC + b"\x00" * (512 * 1024)).decode()
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"signature_png": base64.b64encode(b"GIF89a....").decode()}, 422, "invalid_signature", "signature_png"),
        ({"signature_png": "not base64!"}, 422, "invalid_signature", "signature_png"),
        ({"signature_png": big_png}, 422, "signature_too_large", "signature_png"),
        ({"signed_by": None}, 422, "signed_by_required", "signed_by"),
        ({"resolution_code": "MAGIC_FIX"}, 422, "unknown_resolution_code", "resolution_code"),
        ({"signature_png": None}, 422, "signature_required", "signature_png"),
        (
            {"time_entries": [{"kind": "work", "started_at": ago(hours=1), "ended_at": ago(hours=2)}]},
            422,
            "ends_before_starts",
            "time_entries[0].ended_at",
        ),
        (
            {
                "time_entries": [
                    {"kind": "travel", "started_at": ago(hours=3), "ended_at": ago(hours=2)},
                    {"kind": "work", "started_at": ago(hours=2, minutes=30), "ended_at": ago(hours=1)},
                ]
            },
            422,
            "time_entries_overlap",
            "time_entries[1].started_at",
        ),
        (
            {
                "time_entries": [
                    {
                        "kind": "work",
                        "started_at": ago(hours=1),
                        "ended_at": ago(minutes=5),
                        "engineer_id": str(other.engineer_id),
                    }
                ]
            },
            422,
            "engineer_not_on_task",
            "time_entries[0].engineer_id",
        ),
        (
            {"completed_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()},
            422,
            "time_in_future",
            "completed_at",
        ),
        ({"parts": [swap | {"serial_in": None}]}, 422, "swap_incomplete", "parts[0].serial_in"),
        ({"parts": [swap | {"quantity": "2"}]}, 422, "invalid_quantity", "parts[0].quantity"),
        ({"parts": [swap | {"serial_out": "PSU-NOPE"}]}, 422, "not_a_component", "parts[0].serial_out"),
        (
            {"parts": [swap | {"equipment_id": str(other.unit.printer_id)}]},
            422,
            "equipment_not_on_work_order",
            "parts[0].equipment_id",
        ),
        (
            {"parts": [{"product_id": "00000000-0000-7000-8000-000000000001", "quantity": "1"}]},
            404,
            "product_not_found",
            "parts[0].product_id",
        ),
        ({"parts": [{"product_id": str(job.part_id), "quantity": "0"}]}, 422, "invalid_quantity", "parts[0].quantity"),
        (
            {"readings": [{"counter_id": str(other.unit.counter_id), "value": "5"}]},
            422,
            "counter_not_on_work_order",
            "readings[0].counter_id",
        ),
        (
            {"readings": [{"counter_id": "00000000-0000-7000-8000-000000000002", "value": "5"}]},
            422,
            "counter_not_on_work_order",  # an unknown counter answers like another site's
            "readings[0].counter_id",
        ),
        (
            {"parts": [swap | {"equipment_id": "00000000-0000-7000-8000-000000000003"}]},
            422,
            "equipment_not_on_work_order",  # an unknown unit answers like another site's
            "parts[0].equipment_id",
        ),
        (
            {"readings": [{"counter_id": str(job.unit.counter_id), "value": "-1"}]},
            422,
            "invalid_reading_value",
            "readings[0].value",
        ),
        ({"checklist": [{"item": "", "done": True}]}, 422, "validation_failed", "checklist[0].item"),
    ]

    for overrides, status, code, field in cases:
        response = await confirm(client, job, confirmation_body(job) | overrides)
        assert response.status_code == status, (overrides, response.text)
        assert (problem_of(response)["code"], problem_of(response)["field"]) == (code, field), overrides

    assert await count(sessions, Confirmation) == 0
    assert await count(sessions, IdempotencyRecord) == 0


async def test_time_already_booked_elsewhere_overlaps(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions, tasks=2)
    for task in job.tasks:
        await on_site(client, job, task)
    work = {"kind": "work", "started_at": ago(hours=2), "ended_at": ago(hours=1)}
    first = await confirm(client, job, confirmation_body(job, time_entries=[work], parts=[], readings=[]))
    assert first.status_code == 201, first.text

    clash = await confirm(
        client,
        job,
        confirmation_body(job, time_entries=[work | {"started_at": ago(hours=1, minutes=30)}], parts=[], readings=[]),
        task=job.tasks[1],
    )

    assert clash.status_code == 422 and problem_of(clash)["code"] == "time_entries_overlap"
    assert problem_of(clash)["field"] == "time_entries[0].started_at"
    assert problem_of(clash)["time_entry_id"] == first.json()["time_entries"][0]["id"]


async def test_only_a_task_on_site_is_confirmed(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    job = await dispatched_job(client, login_as, sessions)

    refused = await confirm(client, job, confirmation_body(job))

    assert refused.status_code == 409 and problem_of(refused)["code"] == "illegal_transition"
    assert problem_of(refused)["current_status"] == "dispatched"


async def test_the_work_order_completes_with_its_last_task_and_a_crew_member_may_confirm(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions, tasks=2, crew=2, engineers=2)
    async with session_scope(sessions) as session:
        from service_mgmt.models import TaskAssignment

        mate_id = await session.scalar(
            select(TaskAssignment.engineer_id).where(TaskAssignment.engineer_id != job.engineer_id).limit(1)
        )
    mate = await login_as("technician", engineer_id=mate_id)
    for task in job.tasks:
        await on_site(client, job, task)
    simple = {"parts": [], "readings": [], "signature_png": None, "signed_by": None}

    first = await confirm(client, job, confirmation_body(job, **simple, time_entries=[]), headers=mate)
    outbox_before = await count(sessions, OutboxMessage)
    last = await confirm(client, job, confirmation_body(job, **simple), task=job.tasks[1])

    assert first.status_code == 201, first.text
    assert (first.json()["task_status"], first.json()["work_order_status"]) == ("completed", "on_site")
    assert first.json()["engineer_id"] == str(mate_id)
    assert outbox_before == 0
    assert last.status_code == 201, last.text
    assert (last.json()["work_order_status"], last.json()["first_time_fix"]) == ("completed", True)
    assert await count(sessions, OutboxMessage) == 1


async def test_a_second_visit_is_no_first_time_fix(client: Client, login_as: UserFactory, sessions: Sessions) -> None:
    job = await dispatched_job(client, login_as, sessions)
    for status in ("en_route", "on_site", "en_route", "on_site"):
        assert (await step(client, job, status)).status_code == 200

    done = await confirm(client, job, confirmation_body(job, parts=[], readings=[]))

    assert done.status_code == 201 and done.json()["first_time_fix"] is False


async def test_staff_and_the_customer_read_the_confirmations_without_the_signature_image(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    other = await dispatched_job(client, login_as, sessions, "Other")
    await on_site(client, job)
    created = (await confirm(client, job, confirmation_body(job))).json()
    url = f"{URL}/{job.work_order['id']}/confirmations"
    customer = await login_as("customer", customer_id=job.call.it.customer_id)
    stranger = await login_as("customer", customer_id=other.call.it.customer_id)
    manager = await login_as("manager")

    by_planner = await client.get(url, headers=job.planner)
    by_customer = await client.get(url, headers=customer)
    by_manager = await client.get(url, headers=manager)
    by_stranger = await client.get(url, headers=stranger)
    by_technician = await client.get(url, headers=job.technician)

    assert by_planner.status_code == 200, by_planner.text
    (listed,) = by_planner.json()
    assert listed["id"] == created["id"] and listed["has_signature"] is True and "signature_png" not in listed
    assert listed["parts"] == created["parts"] and listed["time_entries"] == created["time_entries"]
    assert by_customer.json() == by_planner.json() == by_manager.json()
    assert by_stranger.status_code == 404 and problem_of(by_stranger)["code"] == "work_order_not_found"
    assert by_technician.status_code == 403
    bundle = (await client.get(job.url(), headers=job.technician)).json()
    assert bundle["confirmation_id"] == created["id"] and bundle["task"]["status"] == "completed"
