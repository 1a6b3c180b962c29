"""RFC 9457 problem+json for every error, with a machine-readable `code` and, where known, `field`.

The one place where errors become HTTP. Domain errors carry their code; framework errors
(validation, auth, routing) and database errors are translated here. Bad input never
becomes a 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core.errors import DomainError, ErrorKind

log = logging.getLogger("service_mgmt.api")

PROBLEM_JSON = "application/problem+json"

STATUS_BY_KIND = {
    ErrorKind.NOT_FOUND: HTTP_404_NOT_FOUND,
    ErrorKind.CONFLICT: HTTP_409_CONFLICT,
    ErrorKind.INVALID: HTTP_422_UNPROCESSABLE_ENTITY,
    ErrorKind.FORBIDDEN: HTTP_403_FORBIDDEN,
    ErrorKind.UNAUTHENTICATED: HTTP_401_UNAUTHORIZED,
    ErrorKind.RATE_LIMITED: HTTP_429_TOO_MANY_REQUESTS,
}

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "field": field,
    }
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    headers = {"Retry-After": str(exc.extra.get("retry_after", 60))} if exc.kind is ErrorKind.RATE_LIMITED else None
    return problem(
        request, STATUS_BY_KIND[exc.kind], exc.code, exc.detail, field=exc.field, extra=exc.extra, headers=headers
    )


_MSGSPEC_PATH = re.compile(r"at `\$\.?([^`]*)`")
_UNKNOWN_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]*)`")


def _field_of(error: dict[str, Any]) -> str | None:
    """The offending field: msgspec's JSON path where it gives one, else Litestar's key."""
    message = str(error.get("message", ""))
    unknown = _UNKNOWN_FIELD.search(message)
    path = _MSGSPEC_PATH.search(message)
    inner = path.group(1) if path else ""
    if unknown:
        return f"{inner}.{unknown.group(1)}" if inner else unknown.group(1)
    if inner:
        return inner
    key = error.get("key")
    return str(key) if key and key != "data" else None


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    invalid = [{"field": _field_of(e), "message": e.get("message"), "source": e.get("source")} for e in errors]
    first = invalid[0] if invalid else {"field": None, "message": exc.detail}
    if first["message"] and "malformed" in str(first["message"]).lower():
        return problem(request, HTTP_400_BAD_REQUEST, "malformed_json", str(first["message"]))
    detail = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"] or exc.detail)
    return problem(
        request,
        HTTP_422_UNPROCESSABLE_ENTITY,
        "validation_failed",
        detail,
        field=first["field"],
        extra={"errors": invalid},
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        return problem(
            request,
            HTTP_401_UNAUTHORIZED,
            "unauthenticated",
            "log in and send the token as 'Authorization: Bearer …'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if isinstance(exc, PermissionDeniedException):
        return problem(request, HTTP_403_FORBIDDEN, "forbidden", exc.detail or "not allowed for your role")
    if isinstance(exc, NotFoundException):
        return problem(request, HTTP_404_NOT_FOUND, "not_found", "no such resource")
    if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return problem(request, status, "body_too_large", exc.detail or "request body too large")
    if isinstance(exc, ClientException) and status == HTTP_400_BAD_REQUEST:
        code = "malformed_json" if "malformed" in (exc.detail or "").lower() else "bad_request"
        return problem(request, status, code, exc.detail or "bad request")
    code = {405: "method_not_allowed", 429: "rate_limited"}.get(status, "http_error")
    return problem(request, status, code, exc.detail or TITLES.get(status, "error"))


_CONSTRAINT = re.compile(r'constraint "?([a-z0-9_]+)"?|(UNIQUE|CHECK|FOREIGN KEY) constraint failed: ?([\w.]*)', re.I)


def integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    """A constraint the service did not pre-check (a race): 409 naming the constraint."""
    message = str(exc.orig)
    match = _CONSTRAINT.search(message)
    constraint = (match.group(1) or match.group(3)) if match else None
    log.info("integrity error mapped to 409: %s", message)
    return problem(
        request,
        HTTP_409_CONFLICT,
        "constraint_violation",
        "the change conflicts with existing data" + (f" ({constraint})" if constraint else ""),
        extra={"constraint": constraint},
    )


def stale_data(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[dict[str, Any]]:
    return problem(
        request,
        HTTP_409_CONFLICT,
        "stale_version",
        "the record was changed concurrently; reload and retry",
        field="version",
    )


def data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[dict[str, Any]]:
    """A value the database refused (a number out of its column's range, text too long, a NUL):
    bad input that no schema or service check caught. 422 rather than a 500, logged so the
    missing check gets added where the field is known."""
    log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
    return problem(request, HTTP_422_UNPROCESSABLE_ENTITY, "invalid_value", "a value is out of range or not storable")


def database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    log.exception("database error", exc_info=exc)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "a database error occurred")


def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    IntegrityError: integrity_error,
    StaleDataError: stale_data,
    DataError: data_error,
    DBAPIError: database_error,
    Exception: unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "problem"]
