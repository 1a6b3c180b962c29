"""Document, for every operation, the problem+json errors it can answer.

Derived from what Litestar knows of each route rather than listed by hand: whether it is public
(JWT `exclude` patterns or `exclude_from_auth`), guarded by roles (`opt["roles"]`, set by
`api.security.allow`), and which inputs it parses (the route's kwargs model: path, query and
header parameters, a body). Each status becomes a `ResponseSpec` on the handler, so Litestar
renders it with the one `Problem` schema component, and the 400 it would otherwise document
(its own `{status_code, detail, extra}` body, which this app never sends) is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from api.openapi_problem import Problem
from api.problems import PROBLEM_JSON
from api.security import PUBLIC_PATHS

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

WHY = {
    400: "Bad request: the request cannot be read, e.g. its body is not well-formed JSON (`malformed_json`).",
    401: "Not authenticated: no bearer token, or an expired or invalid one (`unauthenticated`).",
    403: "Forbidden: your role may not do this, or the record is not yours to see.",
    404: "Not found: a record named in the path (or referred to by the request) does not exist.",
    409: (
        "Conflict: the record changed since you read it (`stale_version`), its status does not allow this, "
        "or the change clashes with existing data (`constraint_violation`)."
    ),
    413: "The request body is larger than the server accepts (`body_too_large`).",
    422: "Invalid input (`validation_failed` with `errors`, or a domain rule naming the `field`).",
    429: "Too many attempts: wait `Retry-After` seconds (`rate_limited`).",
}

# What no route fact tells: logging in answers 401 for wrong credentials although the route is
# public, and 429 once an account or address has failed too often (service_mgmt/services/users.py).
EXTRA = {("POST", "/api/v1/auth/login"): frozenset({401, 429})}

_PUBLIC = [re.compile(pattern) for pattern in PUBLIC_PATHS]


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem, description=WHY[status], media_type=PROBLEM_JSON, generate_examples=False
    )


def is_public(route: HTTPRoute, handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("exclude_from_auth")) or any(p.search(route.path) for p in _PUBLIC)


def error_statuses(route: HTTPRoute, method: str) -> frozenset[int]:
    """The error statuses one operation can answer, from what its route declares."""
    handler, inputs = route.route_handler_map[method]  # type: ignore[index]
    takes_body = "data" in inputs.expected_reserved_kwargs
    has_path_params = bool(inputs.expected_path_params or route.path_parameters)
    parses_input = takes_body or bool(
        inputs.expected_path_params
        or inputs.expected_query_params
        or inputs.expected_header_params
        or inputs.expected_cookie_params
    )
    statuses: set[int] = set(EXTRA.get((method, route.path_format), ()))
    if not is_public(route, handler):
        statuses.add(401)
        if method in UNSAFE_METHODS:
            # Every write can meet a stale version, a status that forbids it or a unique constraint.
            statuses.add(409)
    if handler.opt.get("roles"):
        statuses.add(403)
    if has_path_params or (takes_body and refers_to_records(_body_type(handler))):
        statuses.add(404)
    if parses_input:
        # exactly when Litestar would document its own 400, which this replaces
        statuses.update({400, 422})
    if takes_body:
        statuses.add(413)
    return frozenset(statuses)


def refers_to_records(body: Any) -> bool:
    """Whether a body type holds an id (a UUID) anywhere: a service answers 404 when none such exists."""
    seen: set[type] = set()

    def walk(info: msgspec.inspect.Type) -> bool:
        if isinstance(info, msgspec.inspect.UUIDType):
            return True
        if isinstance(info, msgspec.inspect.StructType | msgspec.inspect.DataclassType):
            if info.cls in seen:
                return False
            seen.add(info.cls)
            return any(walk(field.type) for field in info.fields)
        if isinstance(info, msgspec.inspect.UnionType):
            return any(walk(member) for member in info.types)
        if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.SetType | msgspec.inspect.FrozenSetType):
            return walk(info.item_type)
        if isinstance(info, msgspec.inspect.DictType):
            return walk(info.key_type) or walk(info.value_type)
        return False

    try:
        return walk(msgspec.inspect.type_info(body))
    except TypeError:  # not a type msgspec knows: assume it may name records
        return True


def _body_type(handler: HTTPRouteHandler) -> Any:
    dependencies = handler.resolve_dependencies().values()
    for signature in [handler.parsed_fn_signature, *(d.parsed_fn_signature for d in dependencies)]:
        if (data := signature.parameters.get("data")) is not None:
            return data.annotation
    return Any


def document_errors(app: Litestar) -> None:
    """Give every handler a problem+json response for each error status it can answer.

    Call before the schema is first built (it is built lazily, on the first request for it).
    Responses a handler declares itself win.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            statuses = _union(error_statuses(route, method) for method in handler.http_methods)
            declared = dict(handler.responses or {})
            handler.responses = {status: problem_response(status) for status in sorted(statuses)} | declared


def _union(sets: Iterable[frozenset[int]]) -> frozenset[int]:
    return frozenset().union(*sets)
