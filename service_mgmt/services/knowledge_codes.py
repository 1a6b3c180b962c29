"""Knowledge codes: the symptom and resolution codes agents and technicians choose from.

Codes are kept in upper case (``PAPER_JAM``) and matched without regard to case, so what an
agent types and what the catalogue holds agree; the canonical spelling is what gets stored on
a request. A code is never deleted, only deactivated: requests and confirmations that used it
keep pointing at a row that explains it. Only active codes are accepted for new work
(`validate_code`). A code may belong to a product family (``printers``) or to every product
(no family); a family filter lists both, since both apply to a unit of that family.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import LongText, Version
from core.listing import Page, PageRequest, paginate
from service_mgmt.choices import KnowledgeKind
from service_mgmt.errors import Code
from service_mgmt.models import KnowledgeCode

CodeText = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
        description="the code: letters, digits and _ . - (at most 40), kept in upper case",
    ),
]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Family = Annotated[str, msgspec.Meta(min_length=1, max_length=80, description="product family; none: any product")]

UNKNOWN = {KnowledgeKind.SYMPTOM: Code.UNKNOWN_SYMPTOM_CODE, KnowledgeKind.RESOLUTION: Code.UNKNOWN_RESOLUTION_CODE}


class KnowledgeCodeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: KnowledgeKind
    code: CodeText
    description: Description
    product_family: Family | None = None
    guidance: LongText | None = None
    active: bool = True


class KnowledgeCodeUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The kind and the code stay: requests refer to the code by its text."""

    version: Version
    description: Description | msgspec.UnsetType = msgspec.UNSET
    product_family: Family | None | msgspec.UnsetType = msgspec.UNSET
    guidance: LongText | None | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class KnowledgeCodeFilter(msgspec.Struct, kw_only=True):
    kind: KnowledgeKind | None = None
    product_family: str | None = None  # codes of this family and codes for any product
    active: bool | None = None
    q: str | None = None


SORTABLE = {"code": KnowledgeCode.code, "kind": KnowledgeCode.kind, "created_at": KnowledgeCode.created_at}


def canonical(code: str) -> str:
    return code.strip().upper()


# --- reading ---------------------------------------------------------------------------------


async def get_code(session: AsyncSession, code_id: UUID) -> KnowledgeCode:
    row = await session.get(KnowledgeCode, code_id)
    if row is None:
        raise NotFound("knowledge_code", code_id)
    return row


async def list_codes(session: AsyncSession, filters: KnowledgeCodeFilter, page: PageRequest) -> Page[KnowledgeCode]:
    stmt = select(KnowledgeCode)
    if filters.kind is not None:
        stmt = stmt.where(KnowledgeCode.kind == filters.kind.value)
    if filters.product_family is not None:
        stmt = stmt.where(
            or_(KnowledgeCode.product_family == filters.product_family, KnowledgeCode.product_family.is_(None))
        )
    if filters.active is not None:
        stmt = stmt.where(KnowledgeCode.active.is_(filters.active))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(KnowledgeCode.code).like(pattern), func.lower(KnowledgeCode.description).like(pattern))
        )
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="code", tie_breaker=KnowledgeCode.id)


async def validate_code(session: AsyncSession, kind: KnowledgeKind, code: str, field: str) -> str:
    """The canonical spelling of an active code of `kind`; 422 ``unknown_<kind>_code`` on `field` otherwise.

    For every place that takes a code: request logging and changes (``symptom_code``),
    resolving a request and technician confirmations (``resolution_code``).
    """
    wanted = canonical(code)
    found = await session.scalar(
        select(KnowledgeCode.code).where(
            KnowledgeCode.kind == kind.value, KnowledgeCode.code == wanted, KnowledgeCode.active.is_(True)
        )
    )
    if found is None:
        raise Invalid(
            UNKNOWN[kind],
            f"{code!r} is not an active {kind.value} code; pick one from /api/v1/knowledge-codes?kind={kind.value}",
            field=field,
        )
    return found


# --- changing --------------------------------------------------------------------------------


async def create_code(session: AsyncSession, actor: Principal, data: KnowledgeCodeCreate) -> KnowledgeCode:
    code = canonical(data.code)
    await _check_free(session, data.kind, code)
    row = KnowledgeCode(
        kind=data.kind.value,
        code=code,
        description=_description(data.description),
        product_family=data.product_family,
        guidance=data.guidance,
        active=data.active,
    )
    session.add(row)
    await session.flush()
    await audit.record(session, actor, "knowledge_code", row.id, "create", after=audit.snapshot(row))
    return row


async def update_code(
    session: AsyncSession, actor: Principal, code_id: UUID, data: KnowledgeCodeUpdate
) -> KnowledgeCode:
    """Change a code's text or family, or (de)activate it with ``active``."""
    row = await get_code(session, code_id)
    check_version("knowledge_code", row, data.version)
    changes = sent_fields(data)
    if "description" in changes:
        changes["description"] = _description(changes["description"])
    before = audit.snapshot(row)
    apply(row, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(row))
    await audit.record(session, actor, "knowledge_code", row.id, "update", before=old, after=new)
    return row


def _description(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise Invalid(Code.FIELD_REQUIRED, "describe the code", field="description")
    return stripped


async def _check_free(session: AsyncSession, kind: KnowledgeKind, code: str) -> None:
    taken = await session.scalar(
        select(KnowledgeCode.id).where(KnowledgeCode.kind == kind.value, KnowledgeCode.code == code)
    )
    if taken is not None:
        raise Conflict(
            Code.DUPLICATE_KNOWLEDGE_CODE,
            f"the {kind.value} code {code} exists already; change or reactivate it instead",
            field="code",
        )
