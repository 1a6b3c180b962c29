"""Friendly error pages for people; problem+json stays the answer for API clients.

On page routes: no session -> the sign-in page (coming back afterwards), a refused role -> a 403
page, an unknown record -> a 404 page, anything unexpected -> a 500 page (logged). A wrong address
anywhere gets the 404 page when the browser asks for HTML, problem+json otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.response import Redirect

from core.errors import DomainError, ErrorKind
from web.pages.rendering import page

log = logging.getLogger("service_mgmt.web")

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def wants_html(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_page(request: Request[Any, Any, Any], status: int) -> Response[Any]:
    return page(request, "error.html", status_code=status, status=status)


def to_sign_in(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/sign-in?next={quote(target, safe='/')}", status_code=303)


def _forbidden(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return error_page(request, 403)


def _not_found(request: Request[Any, Any, Any], _exc: Exception) -> Response[Any]:
    return error_page(request, 404)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = {ErrorKind.NOT_FOUND: 404, ErrorKind.FORBIDDEN: 403, ErrorKind.UNAUTHENTICATED: 401}.get(exc.kind)
    if status == 401:
        return to_sign_in(request, exc)
    return error_page(request, status or 400)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return error_page(request, exc.status_code)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("page %s failed", request.url.path, exc_info=exc)
    return error_page(request, 500)


PAGE_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    NotAuthorizedException: to_sign_in,
    PermissionDeniedException: _forbidden,
    NotFoundException: _not_found,
    DomainError: _domain_error,
    HTTPException: _http_error,  # bad query values (400), a wrong method (405), a body too large (413)
    Exception: _unexpected,
}


def html_or_problem_not_found(api_handler: Any) -> Any:
    """The app-wide 404 (also for paths no route matches): a page for a browser, else the API's."""

    def handle(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
        if wants_html(request):
            return _not_found(request, exc)
        if api_handler is not None:
            return api_handler(request, exc)  # type: ignore[no-any-return]
        return Response({"status": 404, "detail": exc.detail}, status_code=404, media_type=MediaType.JSON)

    return handle
