"""Calendar feeds: who may make one for whom, the secret token, revocation, and finding a feed.

- A technician makes a feed of their own engineer's jobs; an admin or planner one for any engineer.
- A customer user makes a feed of their own customer's visits; an admin, agent or contract admin
  one for any customer.
- The token (256 random bits) is shown once, in the answer that creates the feed; only its SHA-256
  is kept. Unknown, malformed and revoked tokens all read as "no such feed".
- Whoever made a feed, or an admin, lists and revokes it. A feed whose maker's user has been
  deactivated or deleted stops answering: a calendar URL must not outlive the person it was for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal, Role
from core.errors import FieldNotAllowed, Forbidden, Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from masterdata.models import Customer, Engineer, User
from service_mgmt.errors import Code
from service_mgmt.models import CalendarFeed, FeedKind
from service_mgmt.services.technician_jobs import engineer_of

ENGINEER_FEED_MAKERS = frozenset({Role.ADMIN, Role.PLANNER, Role.TECHNICIAN})
CUSTOMER_FEED_MAKERS = frozenset({Role.ADMIN, Role.AGENT, Role.CONTRACT_ADMIN, Role.CUSTOMER})
FEED_MAKERS = ENGINEER_FEED_MAKERS | CUSTOMER_FEED_MAKERS
FEED_PATH = "/calendar/{token}.ics"
_TOKEN_BYTES = 32
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")

Label = Annotated[str, Meta(min_length=1, max_length=100, description='how the owner names the feed, e.g. "phone"')]


class FeedCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: FeedKind
    # the engineer of an engineer feed (a technician's own by default)
    engineer_id: UUID | None = None
    # the customer of a customer feed (a customer user's own by default)
    customer_id: UUID | None = None
    label: Label | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(token: str) -> str:
    return FEED_PATH.format(token=token)


async def create_feed(
    session: AsyncSession, principal: Principal, data: FeedCreate, now: dt.datetime
) -> tuple[CalendarFeed, str]:
    """The new feed and its token (the only time the token is known)."""
    if data.kind is FeedKind.ENGINEER:
        engineer_id = await _engineer_for(session, principal, data)
        customer_id = None
    else:
        customer_id = await _customer_for(session, principal, data)
        engineer_id = None
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    feed = CalendarFeed(
        kind=data.kind.value,
        engineer_id=engineer_id,
        customer_id=customer_id,
        token_hash=hash_token(token),
        label=data.label,
        owner_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(feed)
    await session.flush()
    return feed, token


async def _engineer_for(session: AsyncSession, principal: Principal, data: FeedCreate) -> UUID:
    if principal.role not in ENGINEER_FEED_MAKERS:
        raise FieldNotAllowed("kind", "your role cannot make engineer feeds")
    if data.customer_id is not None:
        raise Invalid(Code.FIELD_NOT_FOR_KIND, "an engineer feed names no customer", field="customer_id")
    if principal.role is Role.TECHNICIAN:
        own = engineer_of(principal)
        if data.engineer_id not in (None, own):
            raise Forbidden(Code.NOT_YOUR_ENGINEER, "a technician makes feeds of their own jobs", field="engineer_id")
        return own
    if data.engineer_id is None:
        raise Invalid(Code.FIELD_REQUIRED, "name the engineer whose jobs the feed shows", field="engineer_id")
    if await session.get(Engineer, data.engineer_id) is None:
        raise NotFound("engineer", data.engineer_id, field="engineer_id")
    return data.engineer_id


async def _customer_for(session: AsyncSession, principal: Principal, data: FeedCreate) -> UUID:
    if principal.role not in CUSTOMER_FEED_MAKERS:
        raise FieldNotAllowed("kind", "your role cannot make customer feeds")
    if data.engineer_id is not None:
        raise Invalid(Code.FIELD_NOT_FOR_KIND, "a customer feed names no engineer", field="engineer_id")
    if principal.role is Role.CUSTOMER:
        own = principal.customer_id
        assert own is not None  # a customer user is bound to a customer (users.customer_binding)
        if data.customer_id not in (None, own):
            raise Forbidden(Code.NOT_YOUR_CUSTOMER, "a customer makes feeds of its own visits", field="customer_id")
        return own
    if data.customer_id is None:
        raise Invalid(Code.FIELD_REQUIRED, "name the customer whose visits the feed shows", field="customer_id")
    if await session.get(Customer, data.customer_id) is None:
        raise NotFound("customer", data.customer_id, field="customer_id")
    return data.customer_id


# --- listing and revoking ----------------------------------------------------------------------

SORTABLE = {"created_at": CalendarFeed.created_at, "revoked_at": CalendarFeed.revoked_at}


async def list_feeds(
    session: AsyncSession, principal: Principal, page: PageRequest, *, include_revoked: bool = False
) -> Page[CalendarFeed]:
    """The caller's feeds; an admin sees everyone's."""
    stmt = select(CalendarFeed)
    if principal.role is not Role.ADMIN:
        stmt = stmt.where(CalendarFeed.owner_id == principal.user_id)
    if not include_revoked:
        stmt = stmt.where(CalendarFeed.revoked_at.is_(None))
    return await paginate(
        session, stmt, page, sortable=SORTABLE, default_sort="-created_at", tie_breaker=CalendarFeed.id
    )


async def get_feed(session: AsyncSession, principal: Principal, feed_id: UUID) -> CalendarFeed:
    """A feed the caller made (an admin: any); 404 otherwise, so others' feeds are not revealed."""
    feed = await session.get(CalendarFeed, feed_id)
    if feed is None or (principal.role is not Role.ADMIN and feed.owner_id != principal.user_id):
        raise NotFound("calendar_feed", feed_id)
    return feed


async def revoke_feed(session: AsyncSession, principal: Principal, feed_id: UUID, now: dt.datetime) -> CalendarFeed:
    """Revoked from now on; revoking a revoked feed changes nothing (the first revocation stands)."""
    feed = await get_feed(session, principal, feed_id)
    if feed.revoked_at is None:
        feed.revoked_at, feed.revoked_by, feed.updated_at = now, principal.user_id, now
        await session.flush()
    return feed


# --- the public URL ----------------------------------------------------------------------------


async def live_feed(session: AsyncSession, token: str) -> CalendarFeed:
    """The unrevoked feed of a token whose maker is still an active user; 404 for anything else."""
    if not _TOKEN_SHAPE.match(token):
        raise NotFound("calendar_feed", "of this token")
    feed = await session.scalar(
        select(CalendarFeed)
        .join(User, User.id == CalendarFeed.owner_id)
        .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None), User.active.is_(True))
    )
    if feed is None:
        raise NotFound("calendar_feed", "of this token")
    return feed
