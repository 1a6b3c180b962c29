"""Response shapes for job templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from service_mgmt.services.job_templates import JobTemplateView


class SkillRequirementOut(msgspec.Struct, kw_only=True):
    skill: str
    level: int


class PartLineOut(msgspec.Struct, kw_only=True):
    product_id: UUID
    quantity: Decimal


class TemplateTaskOut(msgspec.Struct, kw_only=True):
    id: UUID
    sequence: int
    name: str
    duration_minutes: int
    required_skills: list[SkillRequirementOut]
    crew_size: int
    depends_on: list[int]
    parts: list[PartLineOut]


class JobTemplateOut(msgspec.Struct, kw_only=True):
    id: UUID
    code: str
    name: str
    service_type: str
    product_family: str | None
    checklist: list[str]
    active: bool
    tasks: list[TemplateTaskOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def skills_out(skills: list[dict[str, Any]]) -> list[SkillRequirementOut]:
    return [SkillRequirementOut(skill=str(s["skill"]), level=int(s["level"])) for s in skills]


def _task_out(task: Any) -> TemplateTaskOut:
    return TemplateTaskOut(
        id=task.id,
        sequence=task.sequence,
        name=task.name,
        duration_minutes=task.duration_minutes,
        required_skills=skills_out(task.required_skills),
        crew_size=task.crew_size,
        depends_on=list(task.depends_on),
        parts=[
            PartLineOut(product_id=UUID(str(p["product_id"])), quantity=Decimal(str(p["quantity"]))) for p in task.parts
        ],
    )


def job_template_out(view: JobTemplateView) -> JobTemplateOut:
    template = view.template
    return JobTemplateOut(
        id=template.id,
        code=template.code,
        name=template.name,
        service_type=template.service_type,
        product_family=template.product_family,
        checklist=list(template.checklist),
        active=template.active,
        tasks=[_task_out(task) for task in view.tasks],
        version=template.version,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )
