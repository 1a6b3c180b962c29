"""Friendly error pages for people; problem+json stays the answer for API clients.

A page's error is first turned into the API's problem (`api.problems`, the one place where
errors become HTTP), so a page and the API agree on the status and the `code`; the page then
shows it in the viewer's language: no session (401) -> the sign-in page, coming back afterwards;
403, 404, 409, 422, 429, 500 -> a page saying what happened, with the problem's code for support.
Only browsers get pages (they ask for HTML, or htmx asks); a script calling a page's address,
and anything under /api/, gets the problem+json itself. A wrong address anywhere likewise.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from api.problems import EXCEPTION_HANDLERS as API_HANDLERS
from web.pages.rendering import NO_STORE, page
from web.pages.urls import sign_in_url

# What a page shows for each status; any other 4xx shows the general "not right" wording.
SHOWN = frozenset({403, 404, 409, 422, 429, 500})


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser (or htmx in one) rather than a script: scripts get the API's problem+json."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def problem_for(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The API's problem+json answer to `exc` (its handler also logs what it logs for the API)."""
    for kind in type(exc).__mro__:
        handler = API_HANDLERS.get(kind)
        if handler is not None:
            return handler(request, exc)  # type: ignore[no-any-return]
    return API_HANDLERS[Exception](request, exc)  # type: ignore[no-any-return]


def error_page(
    request: Request[Any, Any, Any], status: int, code: str | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    shown = status if status in SHOWN else (500 if status >= 500 else 400)
    # an exception's answer does not get the page router's no-store, so it is set here
    headers = {**NO_STORE, **(headers or {})}
    return page(request, "error.html", status_code=status, status=shown, code=code, headers=headers)


def to_sign_in(request: Request[Any, Any, Any], _exc: Exception | None = None) -> Response[Any]:
    target: str | None = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in {"GET", "HEAD"}:
        # a form sent after the session ended: come back to the page it was sent from (a GET of
        # the form's own address would not be that page)
        target = _same_site_referer(request)
    if request.headers.get("hx-request") == "true":
        # an HTMX request would swap the sign-in page into a fragment: ask htmx to load it instead
        return Response(b"", status_code=401, headers={"HX-Redirect": sign_in_url(target), **NO_STORE})
    return Redirect(sign_in_url(target), status_code=303, headers=NO_STORE)


def _same_site_referer(request: Request[Any, Any, Any]) -> str | None:
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return None
    return referer.path + (f"?{referer.query}" if referer.query else "")


def page_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    problem = problem_for(request, exc)
    if not wants_html(request):
        return problem
    if problem.status_code == 401:
        return to_sign_in(request, exc)
    body = problem.content if isinstance(problem.content, dict) else {}
    retry = problem.headers.get("Retry-After")
    return error_page(request, problem.status_code or 500, body.get("code"), {"Retry-After": retry} if retry else None)


# Every exception of a page route goes through the API's mapping first. Each of the app's keys is
# overridden: Litestar picks the handler of the closest class, whichever layer registered it.
PAGE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    kind: page_error for kind in (*API_HANDLERS, NotFoundException)
}


def html_or_problem_not_found(api_handler: Any) -> Any:
    """The app-wide 404 (also for paths no route matches): a page for a browser, else the API's."""

    def handle(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
        if wants_html(request):
            # outside the page router, whose no-store covers only its own routes
            return error_page(request, 404, "not_found")
        if api_handler is not None:
            return api_handler(request, exc)  # type: ignore[no-any-return]
        return problem_for(request, exc)

    return handle
