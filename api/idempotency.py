"""`Idempotency-Key` for POSTs: a replay gets the stored response, and nothing runs again.

A phone that loses its connection cannot know whether its POST arrived, so it sends it again
with the same key, possibly days later. A handler opts in by running its service call through
`idempotent(...)`; the helper knows nothing of the domain.

- The key is per user (`principal` + key unique), 1 to 200 printable ASCII characters.
- First request: a record is claimed (inserted) before the work runs, the work runs, and the
  response bytes are written into the record, all in the request's one transaction. A crash or
  a rollback leaves neither the work nor the record, so the phone's retry simply runs again.
- Replay (same user, key, method, path and SHA-256 of the raw body): the stored status and
  body, with `Idempotent-Replayed: true`; nothing runs.
- The same key with another method, path or body: 422 `idempotency_key_reused`.
- Two requests with one key at once: the second's insert of the claim meets the unique
  constraint (on PostgreSQL it waits until the first commits; SQLite serializes writers
  anyway) and answers the stored response, or 409 `idempotency_key_in_flight` when it cannot
  see a committed answer yet.
- Error responses are not stored: a 4xx means nothing was done (the transaction rolled back),
  so the phone may correct the body and send it again under the same key.
- Records are kept for `RETENTION` (30 days) and pruned by a daily job; a phone offline for
  less than that still has its submissions recognised.

A request without the header runs normally (nothing is stored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import MediaType, Request, Response
from litestar.params import HeaderParameter
from litestar.serialization import encode_json, get_serializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.errors import Conflict, Invalid
from core.idempotency import RETENTION, IdempotencyRecord
from core.jobs import Cron, JobContext, JobSpec

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY = re.compile(r"[\x20-\x7e]{1,200}")
KEY_REUSED = "idempotency_key_reused"
KEY_IN_FLIGHT = "idempotency_key_in_flight"
INVALID_KEY = "invalid_idempotency_key"
CLAIMED = 0  # the status code of a record whose request is still running (never committed as such)

# A handler declares the header with this type (so it is documented) and passes it on.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        description="1-200 printable characters, new for each submission; a replay with the same key and body "
        "answers the stored response with 'Idempotent-Replayed: true'",
    ),
]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    method: str
    path: str
    sha256: str


async def idempotent(
    request: Request[Principal, Any, Any],
    session: AsyncSession,
    key: str | None,
    run: Callable[[], Awaitable[Any]],
    *,
    status_code: int,
) -> Response[bytes]:
    """Run `run` once per key; its result is encoded and stored with the work it did."""
    if key is None:
        return _response(status_code, _encode(request, await run()))
    _check(key)
    principal = request.user.username
    fingerprint = Fingerprint(request.method, request.url.path, hashlib.sha256(await request.body()).hexdigest())
    stored = await _find(session, principal, key)
    if stored is None:
        stored = await _claim(session, principal, key, fingerprint)
    if stored.status_code != CLAIMED:
        return _replay(stored, fingerprint)
    body = _encode(request, await run())
    stored.status_code, stored.content_type, stored.response_body = status_code, MediaType.JSON.value, body
    await session.flush()
    return _response(status_code, body)


def _check(key: str) -> None:
    if not KEY.fullmatch(key) or not key.strip():
        raise Invalid(INVALID_KEY, f"{HEADER} is 1 to 200 printable ASCII characters", field=HEADER)


async def _find(session: AsyncSession, principal: str, key: str) -> IdempotencyRecord | None:
    record: IdempotencyRecord | None = await session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )
    return record


async def _claim(session: AsyncSession, principal: str, key: str, fingerprint: Fingerprint) -> IdempotencyRecord:
    record = IdempotencyRecord(
        principal=principal,
        key=key,
        method=fingerprint.method,
        path=fingerprint.path,
        request_sha256=fingerprint.sha256,
        status_code=CLAIMED,
        content_type="",
        response_body=b"",
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        # Someone else holds the key: on PostgreSQL the insert waited for their commit.
        stored = await _find(session, principal, key)
        if stored is None or stored.status_code == CLAIMED:
            raise Conflict(
                KEY_IN_FLIGHT, f"a request with this {HEADER} is still running; retry shortly", field=HEADER
            ) from None
        return stored
    return record


def _replay(stored: IdempotencyRecord, fingerprint: Fingerprint) -> Response[bytes]:
    if Fingerprint(stored.method, stored.path, stored.request_sha256) != fingerprint:
        raise Invalid(
            KEY_REUSED,
            f"this {HEADER} was used for another request (different body or path); use a new key",
            field=HEADER,
        )
    return Response(
        content=stored.response_body,
        status_code=stored.status_code,
        media_type=stored.content_type,
        headers={REPLAYED: "true"},
    )


def _encode(request: Request[Any, Any, Any], result: Any) -> bytes:
    """The bytes Litestar would send for the handler's answer (same type encoders)."""
    return encode_json(result, serializer=get_serializer(request.route_handler.resolve_type_encoders()))


def _response(status_code: int, body: bytes) -> Response[bytes]:
    return Response(content=body, status_code=status_code, media_type=MediaType.JSON)


# --- retention -------------------------------------------------------------------------------


async def prune_idempotency_records(session: AsyncSession, context: JobContext) -> int:
    """Forget stored answers older than the retention; answers how many were deleted."""
    cutoff = context.clock.now() - RETENTION
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def idempotency_jobs() -> list[JobSpec]:
    return [
        JobSpec(
            "prune_idempotency_records",
            prune_idempotency_records,
            Cron(hour=3, minute=45),
            dt.timedelta(hours=20),  # late the same day is fine; the next run catches up anyway
            f"delete Idempotency-Key answers older than {RETENTION.days} days",
        )
    ]
