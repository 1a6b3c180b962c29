"""Demo activity on top of the demo company, contracts and stock: calls of the last days in
every state, work orders planned for the demo technician today and tomorrow, PM plans and RMAs.

Everything goes through the services (numbering, snapshots, audit and rules apply), each step
at its own fixed moment, so a seed always gives the same story. Never on a real installation.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import Priority, ServiceType
from core.auth import SYSTEM
from core.clock import FixedClock
from core.errors import DomainError
from masterdata.models import Engineer, Equipment, User, WorkingHours
from returns.choices import RmaStatus
from returns.services import quotes, repair_orders, rma_receipt, rmas
from returns.services.rma_notices import NoticeLinks
from service_mgmt.choices import RequestStatus, WorkOrderStatus
from service_mgmt.demo_data import TIME_ZONE
from service_mgmt.models import JobTemplate, ServiceRequest
from service_mgmt.services import job_templates, pm_plans, request_lifecycle, service_requests, tasks, work_orders
from service_mgmt.services.job_templates import JobTemplateCreate, TemplateTaskIn

_LOCAL = ZoneInfo(TIME_ZONE)
TRAVEL = dt.timedelta(minutes=30)  # between two jobs of the technician's day
DAY_STARTS, DAY_ENDS = dt.time(8, 30), dt.time(17)  # inside the demo technician's 8–17 shift

# Catalogue codes valid for any product family (service_mgmt.demo_data.SYMPTOM_CODES / RESOLUTION_CODES).
SYMPTOMS = (
    ("NO_POWER", "Unit does not power on after a power cut"),
    ("ERROR_CODE", "Display shows error E%d, unit stops"),
    ("NOISE", "Loud rattling noise since this morning"),
    ("LEAK", "Fluid under the unit"),
    ("INTERMITTENT", "Stops now and then, restart helps for a while"),
)
RESOLUTIONS = ("ADJUSTED", "RESET", "ADVICE", "CLEANED", "FIRMWARE_UPDATE", "OPERATOR_ERROR")

# What becomes of each call, in logging order; "wo" ones get a work order.
FATES = (
    "resolved",
    "wo_tech",
    "new",
    "triaged",
    "wo_other",
    "waiting",
    "wo_open",
    "wo_tech",
    "in_progress",
    "wo_other",
)

TEMPLATES = (
    JobTemplateCreate(
        code="DEMO-REPAIR",
        name="Corrective repair on site",
        service_type=ServiceType.REPAIR,
        tasks=[TemplateTaskIn(sequence=1, name="Diagnose and repair", duration_minutes=90)],
        checklist=["Fault reproduced", "Repair tested with the customer"],
    ),
    JobTemplateCreate(
        code="DEMO-PM",
        name="Preventive maintenance visit",
        service_type=ServiceType.MAINTENANCE,
        tasks=[TemplateTaskIn(sequence=1, name="Maintenance per checklist", duration_minutes=120)],
        checklist=["Filters and wear parts checked", "Safety functions tested", "Counters read"],
    ),
    JobTemplateCreate(
        code="DEMO-INSPECT",
        name="Inspection and safety test",
        service_type=ServiceType.INSPECTION,
        tasks=[
            TemplateTaskIn(sequence=1, name="Visual inspection", duration_minutes=30),
            TemplateTaskIn(sequence=2, name="Electrical safety test", duration_minutes=45, depends_on=[1]),
        ],
    ),
)


@dataclass(frozen=True, slots=True)
class DemoActivitySummary:
    requests: int
    work_orders: int
    technician_tasks: int
    templates: int
    pm_plans: int
    rmas: int


async def load_demo_activity(
    session: AsyncSession, *, seed: int, today: dt.date, links: NoticeLinks, requests: int = 30
) -> DemoActivitySummary:
    """Calls over the last six days up to `today` 07:00 local time, and the day's plan.

    `links`: the RMA e-mails' tracking links (the installation's secret key and public base URL).
    """
    if await session.scalar(select(ServiceRequest.id).limit(1)) is not None:
        raise ValueError("the database already holds service requests")
    return await _Activity(session, random.Random(seed), today, links).load(requests)


class _Activity:
    def __init__(self, session: AsyncSession, rng: random.Random, today: dt.date, links: NoticeLinks) -> None:
        self.session, self.rng, self.today, self.links = session, rng, today, links
        self.anchor = dt.datetime.combine(today, dt.time(7), _LOCAL).astimezone(dt.UTC)
        self.work_days = _work_days(today, 2)
        self.technician_tasks = 0
        self.cursor: dict[dt.date, dt.datetime] = {}  # the technician's next free moment per day

    async def load(self, count: int) -> DemoActivitySummary:
        templates = await self._templates()
        units = await self._units(count + 5)
        technician = await self._technician()
        others = await self._other_engineers(technician)
        moments = sorted(self.anchor - dt.timedelta(minutes=self.rng.randint(30, 6 * 24 * 60)) for _ in range(count))
        made = 0
        for index, (unit, at) in enumerate(zip(units, moments, strict=False)):
            fate = FATES[index % len(FATES)]
            request = await self._log(unit, at)
            if fate.startswith("wo"):
                template = self.rng.choice(templates)
                view = await work_orders.create_work_order(
                    self.session,
                    SYSTEM,
                    work_orders.WorkOrderCreate(request_id=request.id, template_id=template),
                    clock=FixedClock(self._after(at, 1)),
                )
                made += 1
                await self._move(request, RequestStatus.TRIAGED, self._after(at, 1))
                if fate == "wo_tech" and technician is not None:
                    await self._plan(view, [technician], dispatched=True, request=request)
                elif fate == "wo_other" and others:
                    await self._plan(view, others, dispatched=False, request=request)
            else:
                await self._follow(request, fate, at)
        pm_count = await self._pm_plans(units[count:], templates)
        rma_count = await self._rmas(units[count:])
        return DemoActivitySummary(
            requests=min(count, len(units)),
            work_orders=made,
            technician_tasks=self.technician_tasks,
            templates=len(templates),
            pm_plans=pm_count,
            rmas=rma_count,
        )

    # --- reference data -------------------------------------------------------------------

    async def _templates(self) -> list[UUID]:
        existing = (await self.session.scalars(select(JobTemplate.id).order_by(JobTemplate.code))).all()
        if existing:
            return list(existing)
        return [(await job_templates.create_template(self.session, SYSTEM, data)).template.id for data in TEMPLATES]

    async def _units(self, count: int) -> list[Equipment]:
        stmt = (
            select(Equipment)
            .where(Equipment.site_id.is_not(None), Equipment.parent_id.is_(None))
            .order_by(Equipment.serial_number)
        )
        units = list((await self.session.scalars(stmt)).all())
        return self.rng.sample(units, min(count, len(units)))

    async def _technician(self) -> Engineer | None:
        """The engineer the demo `technician` user works as."""
        engineer: Engineer | None = await self.session.scalar(
            select(Engineer).join(User, User.id == Engineer.user_id).where(User.username == "technician")
        )
        return engineer

    async def _other_engineers(self, technician: Engineer | None) -> list[Engineer]:
        """Active engineers with a day shift on the next working day, the technician left out."""
        weekday = self.work_days[-1].weekday()
        stmt = (
            select(Engineer)
            .join(WorkingHours, WorkingHours.engineer_id == Engineer.id)
            .where(
                Engineer.active.is_(True),
                WorkingHours.weekday == weekday,
                WorkingHours.starts <= dt.time(9),
                WorkingHours.ends >= dt.time(13),
            )
            .order_by(Engineer.number)
        )
        return [e for e in (await self.session.scalars(stmt)).unique() if technician is None or e.id != technician.id]

    # --- calls ----------------------------------------------------------------------------

    async def _log(self, unit: Equipment, at: dt.datetime) -> ServiceRequest:
        code, text = self.rng.choice(SYMPTOMS)
        data = service_requests.RequestCreate(
            customer_id=unit.customer_id,
            equipment_id=unit.id,
            symptom=text % self.rng.randint(10, 99) if "%d" in text else text,
            symptom_code=code,
            priority=self.rng.choices(tuple(Priority), weights=(1, 3, 5, 2))[0],
            service_type=ServiceType.REPAIR,
            reported_at=at,
        )
        return await service_requests.log_request(self.session, SYSTEM, data, clock=FixedClock(at))

    async def _follow(self, request: ServiceRequest, fate: str, at: dt.datetime) -> None:
        if fate == "new":
            return
        await self._move(request, RequestStatus.TRIAGED, self._after(at, 1))
        if fate == "waiting":
            await request_lifecycle.wait_for_customer(
                self.session,
                SYSTEM,
                request.id,
                request_lifecycle.WaitChange(notes="Asked the customer for the error log and a photo"),
                clock=FixedClock(self._after(at, 2)),
            )
        elif fate == "in_progress":
            await self._move(request, RequestStatus.IN_PROGRESS, self._after(at, 2))
        elif fate == "resolved":
            code = self.rng.choice(RESOLUTIONS)
            await self._move(request, RequestStatus.RESOLVED, self._after(at, 3), resolution_code=code)

    async def _move(
        self, request: ServiceRequest, status: RequestStatus, at: dt.datetime, resolution_code: str | None = None
    ) -> None:
        data = request_lifecycle.Transition(status=status, resolution_code=resolution_code)
        await request_lifecycle.transition(self.session, SYSTEM, request.id, data, clock=FixedClock(at))

    def _after(self, at: dt.datetime, hours: int) -> dt.datetime:
        """A later step of a call, never after the anchor (the demo's "now")."""
        return min(at + dt.timedelta(hours=hours), self.anchor)

    # --- planning -------------------------------------------------------------------------

    async def _plan(
        self,
        view: work_orders.WorkOrderView,
        engineers: list[Engineer],
        *,
        dispatched: bool,
        request: ServiceRequest,
    ) -> None:
        """Assign every task and schedule; a clash (absence, credit stop) leaves the order open."""
        work_order = view.work_order
        try:
            async with self.session.begin_nested():
                for task_view in view.tasks:
                    task = task_view.task
                    engineer, start = self._slot(engineers, task.duration_minutes)
                    data = tasks.AssignmentSet(engineer_ids=[engineer.id], planned_start=start)
                    await tasks.assign_task(self.session, SYSTEM, work_order.id, task.id, data)
                clock = FixedClock(self.anchor)
                step = work_orders.WorkOrderTransition(status=WorkOrderStatus.SCHEDULED)
                await work_orders.transition_work_order(self.session, SYSTEM, work_order.id, step, clock=clock)
                if dispatched:
                    step = work_orders.WorkOrderTransition(status=WorkOrderStatus.DISPATCHED)
                    await work_orders.transition_work_order(self.session, SYSTEM, work_order.id, step, clock=clock)
                    self.technician_tasks += len(view.tasks)
                    await self._move(request, RequestStatus.IN_PROGRESS, self.anchor)
        except DomainError:
            return

    def _slot(self, engineers: list[Engineer], minutes: int) -> tuple[Engineer, dt.datetime]:
        if len(engineers) > 1:  # others: one job each, on the next working day
            day = self.work_days[-1]
            start = dt.datetime.combine(day, dt.time(self.rng.choice((9, 10, 11))), _LOCAL)
            return self.rng.choice(engineers), start.astimezone(dt.UTC)
        length = dt.timedelta(minutes=minutes)
        for day in self.work_days:
            start = self.cursor.get(day) or dt.datetime.combine(day, DAY_STARTS, _LOCAL)
            if start + length <= dt.datetime.combine(day, DAY_ENDS, _LOCAL):
                self.cursor[day] = start + length + TRAVEL
                return engineers[0], start.astimezone(dt.UTC)
        day = self.work_days[-1]  # the day is full: overbook the last one, as planners do
        return engineers[0], dt.datetime.combine(day, dt.time(16), _LOCAL).astimezone(dt.UTC)

    # --- maintenance plans and returns ----------------------------------------------------

    async def _pm_plans(self, units: list[Equipment], templates: list[UUID]) -> int:
        pm_template = await self.session.scalar(select(JobTemplate.id).where(JobTemplate.code == "DEMO-PM"))
        template = pm_template or templates[0]
        made = 0
        for unit, months in zip(units[:2], (6, 12), strict=False):
            data = pm_plans.PmPlanCreate(
                name=f"Preventive maintenance every {months} months",
                equipment_id=unit.id,
                template_id=template,
                interval_months=months,
                starts_on=self.today - dt.timedelta(days=30 * months - 20),
            )
            await pm_plans.create_plan(self.session, SYSTEM, data)
            made += 1
        return made

    async def _rmas(self, units: list[Equipment]) -> int:
        """Three returns: just requested, authorized and on its way, and in repair at the depot."""
        made = 0
        for stage, unit in enumerate(units[2:5]):
            at = self.anchor - dt.timedelta(days=3 - stage, hours=2)
            data = rmas.RmaCreate(
                customer_id=unit.customer_id,
                equipment_id=unit.id,
                reason_code="no_power",
                problem_description="Unit fails to start; the customer sends it in for a depot repair.",
            )
            rma = await rmas.create_rma(self.session, SYSTEM, data, now=at)
            made += 1
            if stage >= 1:
                await rmas.authorize(
                    self.session, SYSTEM, rma.id, rmas.RmaStep(), now=at + dt.timedelta(hours=1), links=self.links
                )
            if stage >= 2:
                received = at + dt.timedelta(days=1)
                receipt = rma_receipt.RmaReceipt(serial_number=rma.serial_number)
                await rma_receipt.receive(self.session, SYSTEM, rma.id, receipt, now=received, links=self.links)
                view = await repair_orders.start_diagnosis(self.session, SYSTEM, rma.id, now=received)
                # A zero estimate counts as covered and starts the repair without a quote.
                quote = quotes.QuoteInput(labour_hours=Decimal(0), note="Covered: loose mains connector")
                await quotes.quote_repair(
                    self.session, SYSTEM, view.repair_order.id, quote, now=received, links=self.links
                )
                assert rma.status in {RmaStatus.IN_REPAIR.value, RmaStatus.AWAITING_APPROVAL.value}
        return made


def _work_days(today: dt.date, count: int) -> list[dt.date]:
    """Today (if Monday to Friday) and the next working days, `count` in all."""
    days: list[dt.date] = []
    day = today
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
