"""Users who log in. A customer user belongs to one customer; a technician is linked from an engineer."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import Role
from core.db import VersionedEntity, sql_in


class User(VersionedEntity):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("username", name="uq_users_username"),
        CheckConstraint(f"role IN {sql_in(Role)}", name="role_valid"),
        CheckConstraint("(role = 'customer') = (customer_id IS NOT NULL)", name="customer_binding"),
    )

    username: Mapped[str] = mapped_column(String(150))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    customer_id: Mapped[UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # the language chosen for the pages, e.g. "zh_CN"; None follows the browser
    locale: Mapped[str | None] = mapped_column(String(16))
