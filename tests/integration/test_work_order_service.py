"""Work order services without HTTP: controlled clock, the credit gate's bookkeeping, tasks following the order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ServiceType
from contracts.models import CreditAccount, CreditOverride
from contracts.services import credit
from core.audit import audit_log
from core.auth import SYSTEM, Principal, Role
from core.clock import FixedClock
from core.errors import Conflict, NotFound
from masterdata.models import Engineer, Product
from masterdata.services.users import UserCreate, create_user
from service_mgmt.choices import WorkOrderStatus
from service_mgmt.models import ServiceRequest, ServiceRequestEvent, TaskAssignment
from service_mgmt.services import job_templates, tasks, work_orders
from service_mgmt.services.job_templates import find_cycle
from tests.integration.contract_fixtures import Installed, installed_printer

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


async def staff(session: AsyncSession, username: str, role: Role) -> Principal:
    user = await create_user(session, SYSTEM, UserCreate(username=username, password="secret-pw", role=role))
    return Principal(user_id=user.id, username=user.username, role=role)


async def call_about(
    session: AsyncSession, it: Installed, *, resolution_due: dt.datetime | None, amount: str = "300.00"
) -> ServiceRequest:
    request = ServiceRequest(
        number="SR-000001",
        customer_id=it.customer_id,
        equipment_id=it.equipment_id,
        site_id=it.site_id,
        symptom="streaks on every page",
        priority="P1",
        service_type="repair",
        channel="phone",
        status="new",
        reported_at=NOW - dt.timedelta(hours=1),
        entitlement={"covered_by": "none"},
        covered_by="none",
        labour_pct=Decimal(0),
        parts_pct=Decimal(0),
        travel_pct=Decimal(0),
        resolution_due=resolution_due,
        estimated_amount=Decimal(amount),
        logged_by="agent",
    )
    session.add(request)
    await session.flush()
    return request


async def planned_engineer(session: AsyncSession) -> Engineer:
    row = Engineer(
        number="E-000001",
        name="Erik",
        home_latitude=52.5,
        home_longitude=13.4,
        time_zone="Europe/Berlin",
        cost_rate=Decimal("55.00"),
        currency="EUR",
    )
    session.add(row)
    await session.flush()
    return row


async def schedulable_order(
    session: AsyncSession, planner: Principal, it: Installed, clock: FixedClock
) -> work_orders.WorkOrderView:
    """A billable work order from a call, its one task assigned for tomorrow morning."""
    request = await call_about(session, it, resolution_due=NOW + dt.timedelta(days=1))
    view = await work_orders.create_work_order(
        session, planner, work_orders.WorkOrderCreate(request_id=request.id), clock=clock
    )
    erik = await planned_engineer(session)
    assignment = tasks.AssignmentSet(engineer_ids=[erik.id], planned_start=NOW + dt.timedelta(days=1))
    await tasks.assign_task(session, planner, view.work_order.id, view.tasks[0].task.id, assignment)
    return view


def to(status: str) -> work_orders.WorkOrderTransition:
    return work_orders.WorkOrderTransition(status=WorkOrderStatus(status))


def test_a_dependency_cycle_is_found_and_named_in_order() -> None:
    assert find_cycle({1: [], 2: [1], 3: [1, 2]}) is None
    assert find_cycle({1: [3], 2: [1], 3: [2], 4: [1]}) == [1, 3, 2, 1]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({1: [2]}) is None  # an edge to a node outside the graph is no cycle


async def test_the_sla_window_opens_at_the_clock_and_a_passed_due_time_gives_none(session: AsyncSession) -> None:
    it = await installed_printer(session)
    planner = await staff(session, "pat", Role.PLANNER)
    due = NOW + dt.timedelta(hours=6)
    request = await call_about(session, it, resolution_due=due)
    clock = FixedClock(NOW)

    view = await work_orders.create_work_order(
        session, planner, work_orders.WorkOrderCreate(request_id=request.id), clock=clock
    )
    clock.advance(dt.timedelta(hours=7))
    late = await work_orders.create_work_order(
        session, planner, work_orders.WorkOrderCreate(request_id=request.id), clock=clock
    )

    assert view.tasks[0].task.time_windows == [{"start": NOW.isoformat(), "end": due.isoformat(), "kind": "sla"}]
    assert late.tasks[0].task.time_windows == []


async def test_a_work_order_from_a_request_is_recorded_on_the_request_and_in_the_audit_log(
    session: AsyncSession,
) -> None:
    it = await installed_printer(session)
    agent = await staff(session, "alice", Role.AGENT)
    request = await call_about(session, it, resolution_due=None)

    view = await work_orders.create_work_order(
        session, agent, work_orders.WorkOrderCreate(request_id=request.id), clock=FixedClock(NOW)
    )

    event = await session.scalar(select(ServiceRequestEvent).where(ServiceRequestEvent.request_id == request.id))
    assert event is not None and event.kind == "work_order_created" and event.at == NOW
    assert event.detail == {"work_order_id": str(view.work_order.id), "number": view.work_order.number}
    logged = (await session.execute(select(audit_log).where(audit_log.c.entity_id == str(view.work_order.id)))).one()
    assert (logged.action, logged.actor_name) == ("create", "alice")
    assert [t["name"] for t in logged.after["tasks"]] == ["Repair"]


async def test_the_gate_uses_an_override_once_and_a_rescheduling_is_checked_again(session: AsyncSession) -> None:
    it = await installed_printer(session)
    planner = await staff(session, "pat", Role.PLANNER)
    carla = await staff(session, "carla", Role.CONTRACT_ADMIN)
    dora = await staff(session, "dora", Role.CONTRACT_ADMIN)
    clock = FixedClock(NOW)
    session.add(
        CreditAccount(
            customer_id=it.customer_id,
            credit_limit=Decimal("100.00"),
            currency="EUR",
            tolerance_days=0,
            on_hold=False,
        )
    )
    view = await schedulable_order(session, planner, it, clock)
    work_order_id = view.work_order.id

    with pytest.raises(Conflict) as over_limit:
        await work_orders.transition_work_order(session, planner, work_order_id, to("scheduled"), clock=clock)
    override = await credit.approve_override(
        session,
        dora,
        credit.OverrideCreate(
            customer_id=it.customer_id,
            amount=Decimal("300.00"),
            currency="EUR",
            reason="framework agreement pending",
            requested_by_id=carla.user_id,
            reference=view.work_order.number,
        ),
        clock=clock,
    )
    scheduled = await work_orders.transition_work_order(session, planner, work_order_id, to("scheduled"), clock=clock)
    await work_orders.transition_work_order(session, planner, work_order_id, to("open"), clock=clock)
    with pytest.raises(Conflict) as again:
        await work_orders.transition_work_order(session, planner, work_order_id, to("scheduled"), clock=clock)

    assert over_limit.value.code == "credit_check_failed"
    assert [r["code"] for r in over_limit.value.extra["reasons"]] == ["over_limit"]
    assert over_limit.value.extra["reasons"][0]["exceeded_by"] == "200.00"
    assert scheduled.work_order.credit_override_id == override.id
    assert (await session.get(CreditOverride, override.id)).used is True  # type: ignore[union-attr]
    assert again.value.code == "credit_check_failed"  # the override was used by the first scheduling
    transitions = (
        await session.execute(
            select(audit_log.c.after)
            .where(audit_log.c.entity_id == str(work_order_id), audit_log.c.action == "transition")
            .order_by(audit_log.c.id)
        )
    ).scalars()
    first = next(iter(transitions))
    assert first["status"] == "scheduled"
    assert first["credit"] == {"checked": True, "outcome": "pass", "override_id": str(override.id)}


async def test_tasks_follow_the_work_order_to_completion(session: AsyncSession) -> None:
    it = await installed_printer(session)
    planner = await staff(session, "pat", Role.PLANNER)
    clock = FixedClock(NOW)
    session.add(CreditAccount(customer_id=it.customer_id, credit_limit=Decimal("1000.00"), currency="EUR"))
    view = await schedulable_order(session, planner, it, clock)
    work_order_id = view.work_order.id

    seen = []
    for status in ("scheduled", "dispatched", "en_route", "on_site", "completed"):
        clock.advance(dt.timedelta(minutes=30))
        after = await work_orders.transition_work_order(session, planner, work_order_id, to(status), clock=clock)
        seen.append((after.work_order.status, [t.task.status for t in after.tasks]))

    assert seen == [
        ("scheduled", ["scheduled"]),
        ("dispatched", ["dispatched"]),
        ("en_route", ["en_route"]),
        ("on_site", ["on_site"]),
        ("completed", ["completed"]),
    ]
    assert after.work_order.completed_at == NOW + dt.timedelta(minutes=150)
    with pytest.raises(Conflict) as finished:
        await work_orders.update_work_order(
            session, planner, work_order_id, work_orders.WorkOrderUpdate(version=after.work_order.version)
        )
    assert finished.value.code == "work_order_closed"


async def test_a_new_assignment_replaces_the_crew(session: AsyncSession) -> None:
    it = await installed_printer(session)
    planner = await staff(session, "pat", Role.PLANNER)
    view = await schedulable_order(session, planner, it, FixedClock(NOW))
    task_id = view.tasks[0].task.id
    other = Engineer(
        number="E-000002",
        name="Olga",
        home_latitude=48.1,
        home_longitude=11.6,
        time_zone="Europe/Berlin",
        cost_rate=Decimal("50.00"),
        currency="EUR",
    )
    session.add(other)
    await session.flush()

    await tasks.assign_task(
        session,
        planner,
        view.work_order.id,
        task_id,
        tasks.AssignmentSet(engineer_ids=[other.id], planned_start=NOW + dt.timedelta(days=2)),
    )

    crew = (await session.scalars(select(TaskAssignment.engineer_id).where(TaskAssignment.task_id == task_id))).all()
    assert crew == [other.id]


async def test_a_template_naming_a_deleted_product_makes_no_work_order(session: AsyncSession) -> None:
    it = await installed_printer(session)
    planner = await staff(session, "pat", Role.PLANNER)
    toner = Product(sku="TONER-1", name="Toner", kind="consumable", list_price=Decimal("40"), currency="EUR", unit="pc")
    session.add(toner)
    await session.flush()
    template = await job_templates.create_template(
        session,
        planner,
        job_templates.JobTemplateCreate(
            code="TONER",
            name="Toner swap",
            service_type=ServiceType.MAINTENANCE,
            tasks=[
                job_templates.TemplateTaskIn(
                    sequence=1,
                    name="Swap toner",
                    duration_minutes=15,
                    parts=[job_templates.PartLine(product_id=toner.id, quantity=Decimal(1))],
                )
            ],
        ),
    )
    await session.delete(toner)
    await session.flush()
    request = await call_about(session, it, resolution_due=None)

    with pytest.raises(NotFound) as missing:
        await work_orders.create_work_order(
            session,
            planner,
            work_orders.WorkOrderCreate(request_id=request.id, template_id=template.template.id),
            clock=FixedClock(NOW),
        )

    assert missing.value.code == "product_not_found" and missing.value.field == "template_id"
