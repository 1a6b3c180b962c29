"""Parts a technician confirms leave their van: one issue per part, referencing the work order,
consuming the task's reservation; a van short of a part fails the confirmation; no van, no posting."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, select

from core.auth import SYSTEM
from core.db import session_scope
from returns.models import StockLevel, StockMove, StockReservation, StockSerial
from returns.services import reservations, stock
from returns.services.stock_locations import ensure_van
from service_mgmt.models import Confirmation
from tests.api.technician_fixtures import Job, confirm, confirmation_body, dispatched_job, on_site
from tests.api.test_work_orders import Client, Sessions
from tests.conftest import UserFactory, problem_of
from tests.integration.stock_fixtures import NOW


async def stock_the_van(sessions: Sessions, job: Job, fusers: str, *, psu_serial: str | None = "PSU-NEW-7") -> UUID:
    async with session_scope(sessions) as session:
        van = await ensure_van(session, SYSTEM, job.engineer_id)
        if Decimal(fusers) > 0:
            await stock.receive(
                session, SYSTEM, location_id=van.id, product_id=job.part_id, quantity=Decimal(fusers), now=NOW
            )
        if psu_serial:
            await stock.receive(
                session,
                SYSTEM,
                location_id=van.id,
                product_id=job.unit.psu_product_id,
                quantity=Decimal(1),
                serial_number=psu_serial,
                now=NOW,
            )
        return van.id


async def test_confirmed_parts_are_issued_from_the_van_and_consume_the_task_reservation(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    van_id = await stock_the_van(sessions, job, "2")
    async with session_scope(sessions) as session:  # the planned fuser is held in the van
        [held] = await reservations.reserve_task_parts(session, SYSTEM, UUID(job.task["id"]), now=NOW)
        assert held.location_id == van_id
    await on_site(client, job)

    response = await confirm(client, job, confirmation_body(job))

    assert response.status_code == 201, response.text
    async with session_scope(sessions) as session:
        moves = (await session.scalars(select(StockMove).where(StockMove.kind == "issue"))).all()
        assert sorted((m.product_id, m.quantity, m.serial_number, m.reference_ref) for m in moves) == sorted(
            [
                (job.part_id, Decimal(1), None, job.work_order["number"]),
                (job.unit.psu_product_id, Decimal(1), "PSU-NEW-7", job.work_order["number"]),
            ]
        )
        fuser = await session.get(StockReservation, held.id)
        assert fuser is not None and fuser.status == "consumed"
        level = await session.scalar(
            select(StockLevel).where(StockLevel.location_id == van_id, StockLevel.product_id == job.part_id)
        )
        assert level is not None and (level.on_hand, level.reserved) == (Decimal(1), Decimal(0))
        unit = await session.scalar(select(StockSerial).where(StockSerial.serial_number == "PSU-NEW-7"))
        assert unit is not None and unit.status == "issued"


async def test_a_van_short_of_a_part_fails_the_confirmation_naming_the_part(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await stock_the_van(sessions, job, "0")
    await on_site(client, job)

    response = await confirm(client, job, confirmation_body(job))

    assert response.status_code == 409, response.text
    problem = problem_of(response)
    assert (problem["code"], problem["field"], problem["available"]) == (
        "insufficient_stock",
        "parts[0].quantity",
        "0.000",
    )
    assert problem["product"].startswith("FUSER-")
    async with session_scope(sessions) as session:  # nothing half-written
        assert await session.scalar(select(func.count()).select_from(Confirmation)) == 0
        assert await session.scalar(select(func.count()).select_from(StockMove).where(StockMove.kind == "issue")) == 0
        assert await session.scalar(select(func.count()).select_from(StockReservation)) == 0


async def test_an_engineer_without_a_van_confirms_without_stock_postings(
    client: Client, login_as: UserFactory, sessions: Sessions
) -> None:
    job = await dispatched_job(client, login_as, sessions)
    await on_site(client, job)

    response = await confirm(client, job, confirmation_body(job))

    assert response.status_code == 201, response.text
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(StockMove)) == 0
