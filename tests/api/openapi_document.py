"""The OpenAPI document as clients download it, built once for the tests that read it."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from litestar.serialization import encode_json

from api.app import create_app
from core.settings import AuthSettings, DatabaseSettings, Settings

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@cache
def openapi_json() -> bytes:
    """The bytes `/schema/openapi.json` serves (building the schema needs no database)."""
    settings = Settings(
        database=DatabaseSettings(url="sqlite+aiosqlite:///:memory:"),
        auth=AuthSettings(secret_key="openapi-" + "x" * 40),
    )
    return encode_json(create_app(settings).openapi_schema.to_schema())


def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(openapi_json())
    return document


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(METHOD, path) -> operation object."""
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def error_statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if int(status) >= 400}
