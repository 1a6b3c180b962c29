"""Symptom and resolution codes: the catalogue agents and technicians choose from."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import VersionedEntity, sql_in
from service_mgmt.choices import KnowledgeKind


class KnowledgeCode(VersionedEntity):
    __tablename__ = "knowledge_codes"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_knowledge_codes_kind_code"),
        CheckConstraint(f"kind IN {sql_in(KnowledgeKind)}", name="kind_valid"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    product_family: Mapped[str | None] = mapped_column(String(80))  # None: any product
    guidance: Mapped[str | None] = mapped_column(Text)  # what usually fixes it / what it means
    active: Mapped[bool] = mapped_column(default=True)
