"""A 204 answer has no body, and the OpenAPI document must say so.

Litestar documents a handler returning `Response[None]` (needed to set or clear cookies) as JSON
`null`; clients and schemathesis then expect a JSON body that never comes. The document is built
once here, after every other post-processing, and its 204 responses lose their content.
"""

from __future__ import annotations

from litestar import Litestar


def document_no_content(app: Litestar) -> None:
    schema = app.openapi_schema  # built now and cached by Litestar's OpenAPI plugin
    for path_item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            no_content = operation.responses.get("204") if operation and operation.responses else None
            if no_content is not None and not isinstance(no_content, str) and hasattr(no_content, "content"):
                no_content.content = None
