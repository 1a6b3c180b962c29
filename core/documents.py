"""Generated documents (service reports, RMA slips, invoices) kept in the database.

Stored with the business data rather than on a local disk, so every app process and worker
serves the same bytes, backups include them, and a document is written in the same
transaction as the fact it documents. `key` names what a document is of (one service report
per work order, say), so rendering twice keeps one document.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity


class Document(Entity):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("key", name="uq_documents_key"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
    )

    key: Mapped[str] = mapped_column(String(200))  # e.g. "service_report:<work order id>"
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
