"""Stored answers to POSTs sent with an `Idempotency-Key` (offline clients replay them).

One row per (principal, key): the request's fingerprint (method, path, body hash) and the
response that was sent. A replay with the same fingerprint gets the stored response; the same
key with another request is refused. Rows are kept for `RETENTION` so that a phone that was
offline for days still has its submissions recognised.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Entity

RETENTION = dt.timedelta(days=30)


class IdempotencyRecord(Entity):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_records_principal_key"),)

    principal: Mapped[str] = mapped_column(String(150))  # the username: keys are per user
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    response_body: Mapped[bytes] = mapped_column(LargeBinary)
