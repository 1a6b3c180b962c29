"""The RFC 9457 problem document as the OpenAPI schema describes it (what api/problems.py sends).

Only for documentation: `api.problems.problem` builds the body. Domain errors may add further
members of their own (`extra`); RFC 9457 calls those extension members, and the schema allows
them (no `additionalProperties: false`). The ones many errors share are typed here.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType


class InvalidParam(msgspec.Struct, kw_only=True):
    """One rejected input of a 422 `validation_failed`."""

    field: Annotated[str | None, msgspec.Meta(description="the input's name or JSON path, e.g. `lines[0].quantity`")]
    message: Annotated[str | None, msgspec.Meta(description="why it was rejected")]
    source: Annotated[str | None, msgspec.Meta(description="where the input was: `body`, `query`, `path`, `header`")]


class Problem(msgspec.Struct, kw_only=True):
    """An error (RFC 9457 problem details), sent as `application/problem+json`."""

    type: Annotated[str, msgspec.Meta(description="`/problems/{code}`, a URI reference naming the problem")]
    title: Annotated[str, msgspec.Meta(description="the status in words, e.g. `Not found`")]
    status: Annotated[int, msgspec.Meta(description="the HTTP status code, repeated")]
    detail: Annotated[str, msgspec.Meta(description="what went wrong, for a person")]
    instance: Annotated[str, msgspec.Meta(description="the request path")]
    code: Annotated[str, msgspec.Meta(description="machine-readable, e.g. `stale_version`, `validation_failed`")]
    field: Annotated[str | None, msgspec.Meta(description="the offending input, where one is to blame")]
    errors: Annotated[
        list[InvalidParam] | UnsetType,
        msgspec.Meta(description="422 `validation_failed`: every rejected input"),
    ] = UNSET
    constraint: Annotated[
        str | None | UnsetType,
        msgspec.Meta(description="409 `constraint_violation`: the database constraint that refused the change"),
    ] = UNSET
    current_version: Annotated[
        int | UnsetType, msgspec.Meta(description="409 `stale_version` from a service: the version to reload")
    ] = UNSET
    current_status: Annotated[
        str | UnsetType, msgspec.Meta(description="409: the status the record is in, which forbids the action")
    ] = UNSET
    retry_after: Annotated[
        int | UnsetType, msgspec.Meta(description="429: seconds to wait (also in the `Retry-After` header)")
    ] = UNSET
