"""The page handlers, on one router whose errors are pages, not problem+json."""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import CacheControlHeader

from web.pages.account import choose_locale
from web.pages.errors import PAGE_EXCEPTION_HANDLERS
from web.pages.home import home, root
from web.pages.planner.board import board
from web.pages.sign_in import sign_in, sign_in_form, sign_out
from web.pages.tracking import track_form, track_lookup, track_quote_decision, track_view


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            root,
            home,
            sign_in_form,
            sign_in,
            sign_out,
            choose_locale,
            board,
            # public repair tracking
            track_form,
            track_lookup,
            track_view,
            track_quote_decision,
        ],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
        # redirects included: nothing a page answers is kept by a browser or a proxy
        cache_control=CacheControlHeader(no_store=True),
    )
