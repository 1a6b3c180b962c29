"""Job templates (incident types): the tasks, skills, parts and checklist a kind of job usually needs.

A template's tasks are numbered by `sequence`; `depends_on` names the sequences of tasks of the
same template that must end before a task starts. Unknown sequences and cycles are refused, so
a work order made from a template always gets a dependency graph the planner can schedule.
The task graph checks here are shared with work orders created with explicit tasks.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Protocol, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import ServiceType
from core import audit
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Name, Version
from core.listing import Page, PageRequest, contains, paginate
from masterdata.models import Product
from masterdata.services.engineers import SkillCode, SkillLevel
from service_mgmt.errors import Code
from service_mgmt.models import JobTemplate, JobTemplateTask, WorkOrder

TemplateCode = Annotated[
    str,
    Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", description="unique: letters, digits and . _ - (at most 40)"),
]
Family = Annotated[str, Meta(min_length=1, max_length=80, description="product family, e.g. 'printers'")]
ChecklistText = Annotated[str, Meta(min_length=1, max_length=500)]
Checklist = Annotated[list[ChecklistText], Meta(max_length=100)]
TaskSequence = Annotated[int, Meta(ge=1, le=999)]
Minutes = Annotated[int, Meta(ge=1, le=10_080, description="estimated duration in minutes, at most a week")]
CrewSize = Annotated[int, Meta(ge=1, le=10, description="engineers needed at the same time")]
Quantity = Annotated[Decimal, Meta(description='a decimal above 0 with at most 3 decimals, e.g. "2" or "1.5"')]

QUANTITY_SCALE = Decimal("0.001")
QUANTITY_LIMIT = Decimal(10) ** 9  # Numeric(12, 3)


class SkillRequirement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    skill: SkillCode
    level: SkillLevel = 1


class PartLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    quantity: Quantity


SkillList = Annotated[list[SkillRequirement], Meta(max_length=20)]
PartList = Annotated[list[PartLine], Meta(max_length=50)]
SequenceList = Annotated[list[TaskSequence], Meta(max_length=50)]


class TemplateTaskIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sequence: TaskSequence
    name: Name
    duration_minutes: Minutes
    required_skills: SkillList = msgspec.field(default_factory=list)
    crew_size: CrewSize = 1
    depends_on: SequenceList = msgspec.field(default_factory=list)
    parts: PartList = msgspec.field(default_factory=list)


TemplateTasks = Annotated[list[TemplateTaskIn], Meta(min_length=1, max_length=50)]


class JobTemplateCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: TemplateCode
    name: Name
    service_type: ServiceType
    tasks: TemplateTasks
    product_family: Family | None = None
    checklist: Checklist = msgspec.field(default_factory=list)
    active: bool = True


class JobTemplateUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    code: TemplateCode | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    service_type: ServiceType | msgspec.UnsetType = msgspec.UNSET
    product_family: Family | None | msgspec.UnsetType = msgspec.UNSET
    checklist: Checklist | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    # Sent: replaces every task of the template.
    tasks: TemplateTasks | msgspec.UnsetType = msgspec.UNSET


class JobTemplateFilter(msgspec.Struct, kw_only=True):
    q: str | None = None
    service_type: ServiceType | None = None
    product_family: str | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class JobTemplateView:
    template: JobTemplate
    tasks: Sequence[JobTemplateTask]


SORTABLE = {"code": JobTemplate.code, "name": JobTemplate.name, "created_at": JobTemplate.created_at}


# --- the task graph (shared with work orders) ------------------------------------------------


class GraphTask(Protocol):
    """What the graph checks need of a task given by sequence (template or work order input)."""

    @property
    def sequence(self) -> int: ...
    @property
    def required_skills(self) -> list[SkillRequirement]: ...
    @property
    def depends_on(self) -> list[int]: ...
    @property
    def parts(self) -> list[PartLine]: ...


K = TypeVar("K", bound=Hashable)


def find_cycle(graph: Mapping[K, Iterable[K]]) -> list[K] | None:
    """A dependency cycle as [a, b, ..., a], or None; `graph` maps a node to what it depends on."""
    done: set[K] = set()
    for start in graph:
        if start in done:
            continue
        path: list[K] = [start]
        on_path = {start}
        stack = [iter(graph.get(start, ()))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                done.add(path[-1])
                on_path.discard(path.pop())
                stack.pop()
            elif following in on_path:
                return [*path[path.index(following) :], following]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                stack.append(iter(graph.get(following, ())))
    return None


async def check_task_graph(session: AsyncSession, tasks: Sequence[GraphTask], field: str = "tasks") -> None:
    """Unique sequences, skills listed once, dependencies on known tasks without cycles, real parts."""
    sequences: set[int] = set()
    for index, task in enumerate(tasks):
        if task.sequence in sequences:
            raise Invalid(
                Code.DUPLICATE_SEQUENCE,
                f"sequence {task.sequence} is used by two tasks",
                field=f"{field}[{index}].sequence",
            )
        sequences.add(task.sequence)
        check_skills(task.required_skills, f"{field}[{index}].required_skills")
    for index, task in enumerate(tasks):
        for position, sequence in enumerate(task.depends_on):
            if sequence not in sequences:
                raise Invalid(
                    Code.UNKNOWN_DEPENDENCY,
                    f"task {task.sequence} depends on sequence {sequence}, which is no task of this list",
                    field=f"{field}[{index}].depends_on[{position}]",
                )
    cycle = find_cycle({task.sequence: task.depends_on for task in tasks})
    if cycle is not None:
        index = next(i for i, task in enumerate(tasks) if task.sequence == cycle[0])
        raise Invalid(
            Code.DEPENDENCY_CYCLE,
            "the dependencies form a cycle: " + " -> ".join(str(s) for s in cycle),
            field=f"{field}[{index}].depends_on",
            extra={"cycle": cycle},
        )
    for index, task in enumerate(tasks):
        await check_parts(session, task.parts, f"{field}[{index}].parts")


def check_skills(skills: Sequence[SkillRequirement], field: str) -> None:
    seen: set[str] = set()
    for index, requirement in enumerate(skills):
        if requirement.skill in seen:
            raise Invalid(
                Code.DUPLICATE_SKILL, f"skill {requirement.skill!r} is listed twice", field=f"{field}[{index}].skill"
            )
        seen.add(requirement.skill)


async def check_parts(session: AsyncSession, parts: Sequence[PartLine], field: str) -> None:
    for index, part in enumerate(parts):
        quantity = part.quantity
        if (
            not quantity.is_finite()
            or quantity <= 0
            or quantity >= QUANTITY_LIMIT
            or quantity != quantity.quantize(QUANTITY_SCALE)
        ):
            raise Invalid(
                Code.INVALID_QUANTITY,
                "a quantity is above 0, below 1,000,000,000, with at most 3 decimals",
                field=f"{field}[{index}].quantity",
            )
    await require_products(session, [part.product_id for part in parts], field, "product_id")


async def require_products(session: AsyncSession, product_ids: Sequence[UUID], field: str, key: str) -> None:
    """404 `product_not_found` naming the first part whose product does not exist."""
    if not product_ids:
        return
    known = set((await session.scalars(select(Product.id).where(Product.id.in_(set(product_ids))))).all())
    for index, product_id in enumerate(product_ids):
        if product_id not in known:
            raise NotFound("product", product_id, field=f"{field}[{index}].{key}")


def skills_json(skills: Sequence[SkillRequirement]) -> list[dict[str, Any]]:
    return [{"skill": s.skill, "level": s.level} for s in skills]


def parts_json(parts: Sequence[PartLine]) -> list[dict[str, Any]]:
    # Three decimals, as the task_parts column answers them, so template and work order agree.
    return [{"product_id": str(p.product_id), "quantity": str(p.quantity.quantize(QUANTITY_SCALE))} for p in parts]


# --- templates -------------------------------------------------------------------------------


async def find_template(session: AsyncSession, template_id: UUID, *, field: str | None = None) -> JobTemplate:
    template = await session.get(JobTemplate, template_id)
    if template is None:
        raise NotFound("job_template", template_id, field=field)
    return template


async def template_tasks(session: AsyncSession, template_id: UUID) -> list[JobTemplateTask]:
    stmt = select(JobTemplateTask).where(JobTemplateTask.template_id == template_id)
    return list((await session.scalars(stmt.order_by(JobTemplateTask.sequence))).all())


async def get_template(session: AsyncSession, template_id: UUID) -> JobTemplateView:
    template = await find_template(session, template_id)
    return JobTemplateView(template, await template_tasks(session, template.id))


async def list_templates(session: AsyncSession, filters: JobTemplateFilter, page: PageRequest) -> Page[JobTemplateView]:
    stmt = select(JobTemplate)
    if filters.q:
        stmt = stmt.where(or_(contains(JobTemplate.code, filters.q), contains(JobTemplate.name, filters.q)))
    if filters.service_type is not None:
        stmt = stmt.where(JobTemplate.service_type == filters.service_type.value)
    if filters.product_family is not None:
        stmt = stmt.where(JobTemplate.product_family == filters.product_family)
    if filters.active is not None:
        stmt = stmt.where(JobTemplate.active.is_(filters.active))
    found = await paginate(session, stmt, page, sortable=SORTABLE, default_sort="code", tie_breaker=JobTemplate.id)
    tasks = await _tasks_by_template(session, [t.id for t in found.items])
    views = [JobTemplateView(t, tasks.get(t.id, [])) for t in found.items]
    return Page(items=views, total=found.total, limit=found.limit, offset=found.offset)


async def _tasks_by_template(session: AsyncSession, ids: list[UUID]) -> dict[UUID, list[JobTemplateTask]]:
    found: dict[UUID, list[JobTemplateTask]] = {}
    if not ids:
        return found
    stmt = select(JobTemplateTask).where(JobTemplateTask.template_id.in_(ids)).order_by(JobTemplateTask.sequence)
    for task in await session.scalars(stmt):
        found.setdefault(task.template_id, []).append(task)
    return found


async def create_template(session: AsyncSession, actor: Principal, data: JobTemplateCreate) -> JobTemplateView:
    await _check_code_free(session, data.code, None)
    await check_task_graph(session, data.tasks)
    template = JobTemplate(
        code=data.code,
        name=data.name,
        service_type=data.service_type.value,
        product_family=data.product_family,
        checklist=list(data.checklist),
        active=data.active,
    )
    session.add(template)
    await session.flush()
    _add_tasks(session, template.id, data.tasks)
    await session.flush()
    view = await get_template(session, template.id)
    await audit.record(session, actor, "job_template", template.id, "create", after=_snapshot(view))
    return view


async def update_template(
    session: AsyncSession,
    actor: Principal,
    template_id: UUID,
    data: JobTemplateUpdate,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> JobTemplateView:
    template = await session.get(JobTemplate, template_id, with_for_update=True)
    if template is None:
        raise NotFound("job_template", template_id)
    check_version("job_template", template, data.version)
    changes = sent_fields(data)
    if "code" in changes and changes["code"] != template.code:
        await _check_code_free(session, changes["code"], template.id)
    tasks = changes.pop("tasks", None)
    if tasks is not None:
        await check_task_graph(session, tasks)
    if "service_type" in changes:
        changes["service_type"] = changes["service_type"].value
    if "checklist" in changes:
        changes["checklist"] = list(changes["checklist"])
    before = _snapshot(await get_template(session, template.id))
    if tasks is not None:
        # Before `apply`: the DELETE autoflushes, and the template is to change in one UPDATE.
        await session.execute(delete(JobTemplateTask).where(JobTemplateTask.template_id == template.id))
        _add_tasks(session, template.id, tasks)
        # The tasks live in another table; touching the template bumps its version, so a
        # concurrent editor of the same template gets a stale-version conflict.
        template.updated_at = clock.now()
    apply(template, changes)
    await session.flush()
    view = await get_template(session, template.id)
    old, new = audit.changed(before, _snapshot(view))
    await audit.record(session, actor, "job_template", template.id, "update", before=old, after=new)
    return view


async def delete_template(session: AsyncSession, actor: Principal, template_id: UUID) -> None:
    view = await get_template(session, template_id)
    used = await session.scalar(select(func.count()).where(WorkOrder.template_id == template_id))
    if used:
        raise Conflict(
            Code.JOB_TEMPLATE_IN_USE,
            f"job template {view.template.code} was used by {used} work orders; deactivate it instead",
            extra={"dependents": {"work_orders": int(used)}},
        )
    before = _snapshot(view)
    await session.delete(view.template)
    await session.flush()
    await audit.record(session, actor, "job_template", template_id, "delete", before=before)


async def _check_code_free(session: AsyncSession, code: str, own_id: UUID | None) -> None:
    stmt = select(JobTemplate.id).where(JobTemplate.code == code)
    if own_id is not None:
        stmt = stmt.where(JobTemplate.id != own_id)
    existing = await session.scalar(stmt)
    if existing is not None:
        raise Conflict(
            Code.DUPLICATE_TEMPLATE_CODE,
            f"a job template with code {code!r} exists already",
            field="code",
            extra={"job_template_id": str(existing)},
        )


def _add_tasks(session: AsyncSession, template_id: UUID, tasks: Sequence[TemplateTaskIn]) -> None:
    session.add_all(
        JobTemplateTask(
            template_id=template_id,
            sequence=task.sequence,
            name=task.name,
            duration_minutes=task.duration_minutes,
            required_skills=skills_json(task.required_skills),
            crew_size=task.crew_size,
            depends_on=sorted(set(task.depends_on)),
            parts=parts_json(task.parts),
        )
        for task in tasks
    )


def _snapshot(view: JobTemplateView) -> dict[str, Any]:
    tasks = [audit.snapshot(task, frozenset({"id", "template_id", "created_at", "updated_at"})) for task in view.tasks]
    return audit.snapshot(view.template) | {"tasks": tasks}
