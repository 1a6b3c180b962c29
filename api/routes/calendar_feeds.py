"""Calendar feeds: /api/v1/calendar-feeds to make, list and revoke them, and the public
/calendar/<token>.ics that calendar applications subscribe to (no session: the token is the key)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.calendar_feeds import (
    CalendarFeedOut,
    CreatedFeedOut,
    calendar_feed_out,
    created_feed_out,
)
from api.security import allow
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import NotFound
from service_mgmt.services import calendar_feeds, calendar_ics
from service_mgmt.services.calendar_feeds import FEED_MAKERS, FeedCreate

CLOCK: Clock = SYSTEM_CLOCK
ICS_SUFFIX = ".ics"


class CalendarFeedController(Controller):
    path = "/api/v1/calendar-feeds"
    tags = ["calendar feeds"]

    @post(
        "/",
        summary="Make a calendar feed: an engineer's jobs or a customer's visits; the URL is shown only here",
        status_code=HTTP_201_CREATED,
        **allow(FEED_MAKERS),
    )
    async def create_feed(
        self, state: State, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[FeedCreate]
    ) -> CreatedFeedOut:
        feed, token = await calendar_feeds.create_feed(db_session, request.user, data, CLOCK.now())
        return created_feed_out(feed, calendar_feeds.feed_path(token), state.settings.public_base_url)

    @get("/", summary="My calendar feeds (an admin: everyone's), newest first", **allow(FEED_MAKERS))
    async def list_feeds(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        include_revoked: Annotated[bool, QueryParameter(description="also the revoked feeds")] = False,
    ) -> PageOut[CalendarFeedOut]:
        found = await calendar_feeds.list_feeds(db_session, request.user, page, include_revoked=include_revoked)
        return page_out(found, calendar_feed_out)

    @get("/{feed_id:uuid}", summary="One of my calendar feeds (without its URL)", **allow(FEED_MAKERS))
    async def get_feed(
        self, db_session: DbSession, request: Request[Principal, Any, Any], feed_id: FromPath[UUID]
    ) -> CalendarFeedOut:
        return calendar_feed_out(await calendar_feeds.get_feed(db_session, request.user, feed_id))

    @delete(
        "/{feed_id:uuid}",
        summary="Revoke a calendar feed (its maker or an admin); its URL answers 404 from now on",
        status_code=HTTP_200_OK,
        **allow(FEED_MAKERS),
    )
    async def revoke_feed(
        self, db_session: DbSession, request: Request[Principal, Any, Any], feed_id: FromPath[UUID]
    ) -> CalendarFeedOut:
        return calendar_feed_out(await calendar_feeds.revoke_feed(db_session, request.user, feed_id, CLOCK.now()))


@get(
    "/calendar/{feed:str}",
    summary="A calendar feed as iCalendar (RFC 5545), for calendar applications; the token is the key",
    description=(
        "`feed` is `<token>.ics` from the URL made by POST /api/v1/calendar-feeds. "
        "An unknown or revoked token answers 404."
    ),
    tags=["calendar feeds"],
    opt={"exclude_from_auth": True},
    security=[{}],
    media_type=calendar_ics.MEDIA_TYPE,
    responses={
        HTTP_200_OK: ResponseSpec(
            data_container=bytes, media_type=calendar_ics.MEDIA_TYPE, description="the iCalendar document"
        )
    },
)
async def calendar_document(db_session: DbSession, feed: FromPath[str]) -> Response[bytes]:
    token, suffix = feed[: -len(ICS_SUFFIX)], feed[-len(ICS_SUFFIX) :]
    if suffix != ICS_SUFFIX:
        raise NotFound("calendar_feed", "of this token")
    now = CLOCK.now()
    found = await calendar_feeds.live_feed(db_session, token)
    document = await calendar_ics.feed_document(db_session, found, now)
    return Response(
        document,
        media_type=calendar_ics.MEDIA_TYPE,
        headers={
            # private: the URL is a secret, no shared cache may keep the answer
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="calendar.ics"',
            "X-Robots-Tag": "noindex",
        },
    )
