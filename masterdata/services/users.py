"""Users and logging in. Passwords are argon2 hashes; failed logins are counted in the DB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.auth import Principal, Role, burn_verification, hash_password, verify_password
from core.auth_events import AuthOutcome
from core.auth_sessions import RevokeReason, revoke_sessions
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, DomainError, Invalid, NotFound, RateLimited, Unauthenticated
from core.fields import Email, Name, Version
from core.listing import Page, PageRequest, paginate
from core.login_throttle import note_attempt, recent_failures
from core.settings import AuthSettings
from masterdata.errors import Code
from masterdata.models import Customer, Engineer, User

Username = Annotated[str, Meta(min_length=2, max_length=150, pattern=r"^[A-Za-z0-9_.@-]+$")]
Password = Annotated[str, Meta(min_length=4, max_length=256)]


class UserCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: Role
    display_name: Name | None = None
    email: Email | None = None
    customer_id: UUID | None = None
    engineer_id: UUID | None = None


class UserUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    display_name: Name | msgspec.UnsetType | None = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    customer_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET


class Credentials(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=150)]
    password: Annotated[str, Meta(min_length=1, max_length=256)]


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The principal on success, else the error to answer with (after the attempt is stored).

    `result` and `user_id` are for the login audit only: the caller answers every failure alike.
    """

    principal: Principal | None
    error: DomainError | None = None
    result: AuthOutcome = AuthOutcome.LOGGED_IN
    user_id: UUID | None = None


SORTABLE = {"username": User.username, "role": User.role, "created_at": User.created_at}


async def create_user(session: AsyncSession, actor: Principal, data: UserCreate) -> User:
    await _check_binding(session, data)
    if await session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(Code.DUPLICATE_USERNAME, f"username {data.username!r} is taken", field="username")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role.value,
        display_name=data.display_name,
        email=data.email,
        customer_id=data.customer_id,
    )
    session.add(user)
    await session.flush()
    if data.engineer_id is not None:
        await _link_engineer(session, user, data.engineer_id)
    await audit.record(session, actor, "user", user.id, "create", after=audit.snapshot(user) | {"password_hash": "***"})
    return user


async def _check_binding(session: AsyncSession, data: UserCreate) -> None:
    if (data.role is Role.CUSTOMER) != (data.customer_id is not None):
        raise Invalid(Code.CUSTOMER_BINDING, "customer users need a customer_id, and only they", field="customer_id")
    if data.customer_id is not None and await session.get(Customer, data.customer_id) is None:
        raise NotFound("customer", data.customer_id, field="customer_id")
    if data.engineer_id is not None and data.role is not Role.TECHNICIAN:
        raise Invalid(Code.USER_NOT_TECHNICIAN, "only technician users are linked to an engineer", field="engineer_id")


async def _link_engineer(session: AsyncSession, user: User, engineer_id: UUID) -> None:
    engineer = await session.get(Engineer, engineer_id)
    if engineer is None:
        raise NotFound("engineer", engineer_id, field="engineer_id")
    if engineer.user_id is not None:
        raise Conflict(Code.USER_ALREADY_LINKED, f"engineer {engineer.number} already has a user", field="engineer_id")
    engineer.user_id = user.id
    await session.flush()


async def get_user(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def list_users(session: AsyncSession, role: Role | None, page: PageRequest) -> Page[User]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role.value)
    return await paginate(session, stmt, page, sortable=SORTABLE, default_sort="username", tie_breaker=User.id)


# The password hash never goes into the audit log, not even as a before/after pair.
_AUDITED = frozenset({"created_at", "updated_at", "password_hash"})


async def update_user(
    session: AsyncSession, actor: Principal, user_id: UUID, data: UserUpdate, now: dt.datetime | None = None
) -> User:
    """Change a user; a new password is hashed, and a deactivated user can no longer log in.

    A new password or a deactivation ends the user's sessions; a user changing its own password
    keeps the session it did so from (you stay logged in where you typed it), all others end.
    """
    user = await get_user(session, user_id)
    check_version("user", user, data.version)
    changes = sent_fields(data)
    password = changes.pop("password", None)
    if "role" in changes:
        changes["role"] = changes["role"].value
    _refuse_self_lockout(actor, user, changes)
    before = audit.snapshot(user, exclude=_AUDITED)
    was_technician = user.role == Role.TECHNICIAN
    apply(user, changes)
    await _check_new_binding(session, user, was_technician)
    if password is not None:
        user.password_hash = hash_password(password)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(user, exclude=_AUDITED))
    if password is not None:
        new["password_changed"] = True
    await audit.record(session, actor, "user", user.id, "update", before=old, after=new)
    reason = _revoke_reason(changes, password)
    if reason is not None:
        keep = actor.session_id if actor.user_id == user.id else None
        at = now or dt.datetime.now(dt.UTC)
        await revoke_sessions(session, user.id, reason, at, keep=keep, actor_id=actor.user_id)
    return user


def _revoke_reason(changes: dict[str, object], password: object) -> RevokeReason | None:
    if changes.get("active") is False:
        return RevokeReason.DEACTIVATED
    return RevokeReason.PASSWORD_CHANGED if password is not None else None


def _refuse_self_lockout(actor: Principal, user: User, changes: dict[str, object]) -> None:
    # The last way back in for an admin who demotes or deactivates itself would be the database.
    if actor.user_id != user.id:
        return
    if changes.get("active") is False:
        raise Conflict(Code.SELF_LOCKOUT, "you cannot deactivate your own user", field="active")
    if changes.get("role", user.role) != Role.ADMIN:
        raise Conflict(Code.SELF_LOCKOUT, "you cannot take the admin role from your own user", field="role")


async def _check_new_binding(session: AsyncSession, user: User, was_technician: bool) -> None:
    if (user.role == Role.CUSTOMER) != (user.customer_id is not None):
        raise Invalid(Code.CUSTOMER_BINDING, "customer users need a customer_id, and only they", field="customer_id")
    if user.customer_id is not None and await session.get(Customer, user.customer_id) is None:
        raise NotFound("customer", user.customer_id, field="customer_id")
    if was_technician and user.role != Role.TECHNICIAN:
        engineer = await session.scalar(select(Engineer.number).where(Engineer.user_id == user.id))
        if engineer is not None:
            raise Conflict(
                Code.USER_LINKED_TO_ENGINEER,
                f"user {user.username} is linked to engineer {engineer}; unlink it there first",
                field="role",
            )


async def principal_for(session: AsyncSession, user: User) -> Principal:
    engineer_id = await session.scalar(select(Engineer.id).where(Engineer.user_id == user.id))
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        customer_id=user.customer_id,
        engineer_id=engineer_id,
        display_name=user.display_name,
        locale=user.locale,
    )


async def active_principal(session: AsyncSession, user_id: UUID) -> Principal | None:
    """The principal of an active user, read afresh (role, customer and engineer binding)."""
    user = await session.get(User, user_id)
    if user is None or not user.active:
        return None
    return await principal_for(session, user)


async def log_in(
    session: AsyncSession, credentials: Credentials, address: str, now: dt.datetime, settings: AuthSettings
) -> LoginOutcome:
    """Check a password, counting failures per username and per client address.

    The caller commits whatever the outcome, so failed attempts are remembered.
    """
    since = now - dt.timedelta(seconds=settings.login_window_seconds)
    by_user, by_address = await recent_failures(session, credentials.username, address, since)
    if by_user >= settings.login_max_failures or by_address >= settings.login_max_failures * 4:
        return LoginOutcome(
            None,
            RateLimited(
                Code.TOO_MANY_ATTEMPTS,
                "too many failed logins; wait a few minutes and try again",
                extra={"retry_after": settings.login_window_seconds},
            ),
            AuthOutcome.THROTTLED,
        )
    user = await session.scalar(select(User).where(User.username == credentials.username))
    if user is None:
        burn_verification(credentials.password)
        result = AuthOutcome.UNKNOWN_USER
    elif not verify_password(user.password_hash, credentials.password):
        result = AuthOutcome.WRONG_PASSWORD
    else:
        result = AuthOutcome.LOGGED_IN if user.active else AuthOutcome.INACTIVE
    ok = result is AuthOutcome.LOGGED_IN
    await note_attempt(session, credentials.username, address, now, ok)
    if not ok or user is None:
        error = Unauthenticated(Code.INVALID_CREDENTIALS, "wrong username or password")
        return LoginOutcome(None, error, result, user.id if user is not None else None)
    return LoginOutcome(await principal_for(session, user), None, result, user.id)


async def set_locale(session: AsyncSession, actor: Principal, locale: str | None) -> None:
    """The language the user chose for the pages (None: follow the browser). Callers pass a locale
    the pages offer; which ones those are is the web layer's knowledge."""
    user = await session.get(User, actor.user_id)
    if user is None:
        raise NotFound("user", actor.user_id)
    user.locale = locale
    await session.flush()
