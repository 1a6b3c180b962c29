"""Response shape for users. The password hash never leaves the service."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import msgspec

from masterdata.models import User


class UserOut(msgspec.Struct, kw_only=True):
    id: UUID
    username: str
    role: str
    display_name: str | None
    email: str | None
    customer_id: UUID | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        email=user.email,
        customer_id=user.customer_id,
        active=user.active,
        version=user.version,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )
