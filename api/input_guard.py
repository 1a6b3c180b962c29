"""One gate for input no handler should see: NUL characters and JSON nested past a sane depth.

PostgreSQL cannot store U+0000 in text (asyncpg refuses it as an encoding error) and SQLite
truncates at it, so a NUL anywhere - a JSON string or key, a form field, a query or path
parameter, a header - is refused with 422 `nul_character` naming the offending `field`, before
any handler, dependency or database session runs. JSON nested deeper than `MAX_JSON_DEPTH` is
refused with 400 `json_too_deep`: msgspec decodes recursively and raises RecursionError near
Python's recursion limit, so the depth is measured first on the raw bytes, without recursion.

It is the app's `before_request` hook, which Litestar calls after routing and the guards and
before it extracts parameters or resolves dependencies; a layer below the app that set its own
`before_request` would replace it, so none does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY

from api.problems import problem

MAX_JSON_DEPTH = 64
NUL = "\x00"
NUL_CHARACTER = "nul_character"
JSON_TOO_DEEP = "json_too_deep"

# A JSON string (escapes included; unterminated at the end of the input) or a bracket. Strings are
# matched whole so that brackets inside them do not count; the pattern has no nested quantifiers
# that could backtrack, so one pass over the body is linear.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{\]}]', re.DOTALL)
_OPENERS = frozenset(b"[{")
_QUOTE = ord('"')
_FORM_TYPES = frozenset({RequestEncodingType.URL_ENCODED.value, RequestEncodingType.MULTI_PART.value})


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` in `body` (brackets inside strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKEN.finditer(body):
        first = body[match.start()]
        if first == _QUOTE:
            continue
        if first in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def nul_path(document: Any) -> str | None:
    """The JSON path (`lines[0].note`) of the first string or key holding a NUL, in document order.

    Walks with an explicit stack, so the depth of the document cannot exhaust Python's stack;
    `""` is the document itself (a bare string)."""
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path
        elif isinstance(value, dict):
            children: list[tuple[Any, str]] = []
            for key, item in value.items():
                name = _member(path, str(key))
                if NUL in str(key):
                    return name.replace(NUL, "\\u0000")
                children.append((item, name))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in reversed(list(enumerate(value))))
    return None


def _first_nul(pairs: Iterable[tuple[str, Any]]) -> str | None:
    for name, value in pairs:
        if NUL in name or (isinstance(value, str | PurePath) and NUL in str(value)):
            return name.replace(NUL, "\\u0000")
    return None


def _nul_in_json(body: bytes) -> str | None:
    # a NUL can only come as the escape \u0000 (a raw control byte is malformed JSON, which the
    # decoder refuses itself); a body without that spelling is not decoded twice
    if b"\\u0000" not in body:
        return None
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None  # malformed: the handler's decoder answers 400 malformed_json
    return nul_path(document)


def _nul_refused(request: Request[Any, Any, Any], source: str, field: str) -> Response[dict[str, Any]]:
    where = field or "the body"
    return problem(
        request,
        HTTP_422_UNPROCESSABLE_ENTITY,
        NUL_CHARACTER,
        f"{where}: the NUL character (U+0000) is not allowed in text",
        field=field or None,
        extra={"source": source},
    )


async def refuse_bad_input(request: Request[Any, Any, Any]) -> Response[dict[str, Any]] | None:
    """Litestar `before_request` hook: a problem response for bad input, None to go on."""
    if (field := _first_nul((k, v) for k, v in request.path_params.items())) is not None:
        return _nul_refused(request, "path", field)
    if (field := _first_nul(request.query_params.multi_items())) is not None:
        return _nul_refused(request, "query", field)
    for name, value in request.scope["headers"]:
        if b"\x00" in value:
            return _nul_refused(request, "header", name.decode("latin-1"))
    body = await request.body()  # kept by Litestar for the handler; the body size limit applies here
    if not body:
        return None
    if request.content_type[0] in _FORM_TYPES:
        form = await request.form()  # parsed once, kept for the handler too
        if (field := _first_nul(form.multi_items())) is not None:
            return _nul_refused(request, "body", field)
        return None
    if json_depth_exceeds(body):
        return problem(
            request,
            HTTP_400_BAD_REQUEST,
            JSON_TOO_DEEP,
            f"the JSON body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
            extra={"max_depth": MAX_JSON_DEPTH},
        )
    if (field := _nul_in_json(body)) is not None:
        return _nul_refused(request, "body", field)
    return None
