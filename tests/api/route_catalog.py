"""Every HTTP operation of the app, read from its routes, and requests that reach each one.

The authorization tests walk this catalogue instead of a hand-picked list, so a new route is
covered the day it is added. A request gets placeholder path parameters (random UUIDs) and a
minimal body built from the operation's own OpenAPI schema: only the required fields, each
with a value of the right shape. Such a request passes the role guard and usually stops at a
lookup (404) or a business rule (409/422), which is all an authorization test needs.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

# Routes anyone may call without a token, as docs/api.md lists them. A handler that opts out
# of authentication without being named here fails the matrix: public routes are deliberate.
PUBLIC_OPERATIONS = frozenset(
    {
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/ready"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/calendar/{feed:str}"),
    }
)
# Framework-served documents and files, public by `api.security.PUBLIC_PATHS`. (The pages' public
# routes, the sign-in and repair tracking pages, are the web application's: tests/web/test_pages_access.py.)
PUBLIC_PREFIXES = ("/schema",)

JsonSchema = Mapping[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # Litestar's template, with parameter types: /api/v1/sites/{site_id:uuid}
    path_format: str  # the OpenAPI spelling: /api/v1/sites/{site_id}
    params: Mapping[str, type]
    handler: HTTPRouteHandler

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def roles(self) -> frozenset[str] | None:
        roles = self.handler.opt.get("roles")
        return frozenset(roles) if roles else None

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC_OPERATIONS or self.path.startswith(PUBLIC_PREFIXES)

    @property
    def opts_out_of_auth(self) -> bool:
        return bool(self.handler.opt.get("exclude_from_auth"))

    @property
    def id_params(self) -> tuple[str, ...]:
        return tuple(name for name in self.params if name.endswith("_id"))

    def url(self, values: Mapping[str, object]) -> str:
        """The path with each parameter replaced by its value."""
        return re.sub(r"\{(\w+):[^}]+\}", lambda m: str(values[m.group(1)]), self.path)


def operations(app: Litestar) -> list[Operation]:
    """Every (method, path) the app serves, in a stable order; OPTIONS and HEAD are the framework's."""
    found: list[Operation] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        params = {name: p.type for name, p in route.path_parameters.items()}
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append(Operation(method, route.path, route.path_format, params, handler))
    return sorted(found, key=lambda op: (op.path, op.method))


def guarded_operations(app: Litestar) -> list[Operation]:
    return [op for op in operations(app) if not op.public]


def placeholder(param_type: type) -> str:
    """A value that routes (a UUID for `:uuid`, a plausible number for `:str`) but names nothing."""
    return str(uuid.uuid4()) if param_type is uuid.UUID else "RMA-999999"


def placeholder_path(op: Operation) -> str:
    return op.url({name: placeholder(kind) for name, kind in op.params.items()})


# --- minimal bodies and query strings from the OpenAPI document ---------------------------


@dataclass(frozen=True)
class RequestParts:
    body: Any  # None: send no body
    query: dict[str, str]


IdFor = Callable[[str], str | None]
"""Given a field name (`site_id`), the id to put there; None for a fresh placeholder."""


@cache
def openapi_document(app: Litestar) -> dict[str, Any]:
    return app.openapi_schema.to_schema()


def query_parameter_names(app: Litestar, op: Operation) -> list[str]:
    spec = openapi_document(app)["paths"].get(op.path_format, {}).get(op.method.lower(), {})
    return [p["name"] for p in spec.get("parameters", []) if p.get("in") == "query"]


def request_parts(
    app: Litestar, op: Operation, id_for: IdFor | None = None, *, optional_ids: bool = False
) -> RequestParts:
    """The required query parameters and a minimal body of `op`, as its OpenAPI schema asks for.

    With `optional_ids`, the body also carries every optional top-level `…_id` field that
    `id_for` knows a value for (to probe what the operation does with them)."""
    document = openapi_document(app)
    spec = document["paths"].get(op.path_format, {}).get(op.method.lower())
    if spec is None:  # not in the schema (HTML pages): an empty JSON object is as minimal as it gets
        return RequestParts({} if op.method in {"POST", "PUT", "PATCH"} else None, {})
    sampler = _Sampler(document["components"]["schemas"], id_for or (lambda _name: None), optional_ids)
    query = {
        p["name"]: _as_query(sampler.sample(p.get("schema", {}), p["name"]))
        for p in spec.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }
    body = None
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = sampler.sample(content["application/json"].get("schema", {}), "")
    return RequestParts(body, query)


def _as_query(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class _Sampler:
    components: Mapping[str, JsonSchema]
    id_for: IdFor
    optional_ids: bool = False

    def resolve(self, schema: JsonSchema) -> JsonSchema:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def sample(self, schema: JsonSchema, name: str, depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if depth > 8:
            return None
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema[key]]
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                return self.sample(chosen, name, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._of_type(kind, schema, name, depth)

    def _of_type(self, kind: str | None, schema: JsonSchema, name: str, depth: int) -> Any:
        if kind == "object" or "properties" in schema:
            properties = schema.get("properties", {})
            names = list(schema.get("required", []))
            if self.optional_ids and depth == 0:
                names += [k for k in properties if k not in names and k.endswith("_id") and self.id_for(k)]
            return {key: self.sample(properties.get(key, {}), key, depth + 1) for key in names}
        if kind == "array":
            count = schema.get("minItems", 0)
            return [self.sample(schema.get("items", {}), name, depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(schema, name)
        if kind in {"integer", "number"}:
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
            return max(1, int(low) + (1 if "exclusiveMinimum" in schema else 0))
        if kind == "boolean":
            return False
        return None

    def _string(self, schema: JsonSchema, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return self.id_for(name) or str(uuid.uuid4())
        if fmt == "date-time":
            return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        if fmt == "date":
            return dt.date.today().isoformat()
        if fmt == "time":
            return "09:00:00"
        if fmt == "email":
            return "someone@example.com"
        pattern = schema.get("pattern")
        length = max(1, int(schema.get("minLength", 1)))
        if pattern:
            fits = (c for c in _PATTERN_CANDIDATES if re.search(pattern, c) and len(c) >= length)
            return next(fits, "1" * length)
        # Plain strings carry free text and decimal amounts alike; a digit is both.
        return "1" * length


# Values for the patterns of the API's string fields (codes, currencies, countries, periods, times ...).
_PATTERN_CANDIDATES = (
    "1",
    "EUR",
    "DE",
    "a",
    "A1",
    dt.date.today().strftime("%Y-%m"),
    "09:00",
    "1.000",
    "1.0000",
    "someone@example.com",
    "+49 30 1234",
)
