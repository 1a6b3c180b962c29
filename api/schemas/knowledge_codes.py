"""Response shape for knowledge codes (symptom and resolution codes)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from service_mgmt.models import KnowledgeCode


class KnowledgeCodeOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    code: str
    description: str
    product_family: str | None
    guidance: str | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def knowledge_code_out(row: KnowledgeCode) -> KnowledgeCodeOut:
    return KnowledgeCodeOut(
        id=row.id,
        kind=row.kind,
        code=row.code,
        description=row.description,
        product_family=row.product_family,
        guidance=row.guidance,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
