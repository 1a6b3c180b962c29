"""Sending due webhook deliveries: claim, check the target, POST signed, record the outcome.

The same three short transactions as the outbox (`core.outbox_dispatch`): claim due rows
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers) counting the attempt and
pushing `next_attempt_at` a lease ahead; send with no transaction open; then mark the row,
conditional on the claim. A 2xx answer delivers it; anything else (another status, a timeout,
a refused connection) schedules a retry with exponential backoff, and after
`max_attempts` the delivery is dead-lettered. A target that is refused (private address, bad
URL) is dead-lettered at once: trying again cannot help until an admin changes something, and
a replay sends it again then.

Deliveries of a paused subscription are not claimed: they wait and go out when it is resumed.
Delivery is at least once; `webhook-id` lets receivers drop repeats.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from uuid import UUID

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.clock import SYSTEM_CLOCK, Clock
from core.db import create_session_factory, session_scope
from core.job_runs import prune_runs
from core.jobs import Every, JobContext, JobSpec
from core.settings import WebhookSettings
from core.webhooks import signing, targets
from core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

log = logging.getLogger("service_mgmt.webhooks")

JOB = "webhook_dispatch"
INTERVAL = dt.timedelta(seconds=15)
ERROR_LIMIT = 2000
USER_AGENT = "service-mgmt-webhooks/1"
SNIPPET_BYTES = 200  # of a failed answer's body, kept in the log


@dataclass(frozen=True, slots=True)
class Policy:
    max_attempts: int = 8
    first_retry: dt.timedelta = dt.timedelta(seconds=30)
    max_retry: dt.timedelta = dt.timedelta(hours=1)
    timeout_seconds: float = 10.0
    allow_private: bool = False
    batch_size: int = 20
    lease: dt.timedelta = dt.timedelta(minutes=10)  # far longer than one request's timeout

    @classmethod
    def of(cls, settings: WebhookSettings) -> Policy:
        return cls(
            max_attempts=settings.max_attempts,
            first_retry=dt.timedelta(seconds=settings.first_retry_seconds),
            max_retry=dt.timedelta(seconds=settings.max_retry_seconds),
            timeout_seconds=settings.timeout_seconds,
            allow_private=settings.allow_private_targets,
        )

    def retry_delay(self, attempts: int) -> dt.timedelta:
        delay: dt.timedelta = self.first_retry * 2 ** max(attempts - 1, 0)
        return min(delay, self.max_retry)


@dataclass(slots=True)
class Report:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: UUID
    attempts: int
    url: str
    secret: str
    message_id: str
    body: str


@dataclass(frozen=True, slots=True)
class _Outcome:
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


async def dispatch_due(
    sessions: async_sessionmaker[AsyncSession],
    policy: Policy,
    *,
    clock: Clock = SYSTEM_CLOCK,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Send the deliveries due now (one batch); answer what happened."""
    report = Report()
    claims = await _claim_due(sessions, clock.now(), policy)
    report.claimed = len(claims)
    if not claims:
        return report
    # No redirects: a 3xx could point anywhere, past the target check.
    async with httpx.AsyncClient(
        transport=transport, timeout=policy.timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        for claim in claims:
            outcome = await _send(client, claim, clock, policy)
            await _record(sessions, claim, outcome, clock.now(), policy, report)
    return report


async def _claim_due(sessions: async_sessionmaker[AsyncSession], now: dt.datetime, policy: Policy) -> list[_Claim]:
    async with session_scope(sessions) as session:
        rows = (
            await session.execute(
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING.value,
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.active.is_(True),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(policy.batch_size)
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            )
        ).all()
        claims = []
        for delivery, subscription in rows:
            delivery.attempts += 1
            delivery.next_attempt_at = now + policy.lease
            claims.append(
                _Claim(
                    delivery.id,
                    delivery.attempts,
                    subscription.url,
                    subscription.secret,
                    delivery.message_id,
                    delivery.body,
                )
            )
        return claims


async def _send(client: httpx.AsyncClient, claim: _Claim, clock: Clock, policy: Policy) -> _Outcome:
    try:
        target = await targets.check(claim.url, allow_private=policy.allow_private)
    except targets.TargetRefused as exc:
        return _Outcome(error=f"{exc.code}: {exc.detail}", permanent=True)
    timestamp = int(clock.now().timestamp())
    headers = signing.headers(claim.secret, claim.message_id, timestamp, claim.body)
    headers["user-agent"] = USER_AGENT
    request = _pinned(client, target, claim.url, headers, claim.body)
    try:
        # httpx's timeout is per read; this bounds the whole try, so a target that drips its
        # answer byte by byte cannot hold the dispatcher.
        async with asyncio.timeout(policy.timeout_seconds):
            status, snippet = await _post(client, request)
    except (httpx.HTTPError, TimeoutError) as exc:
        return _Outcome(error=f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT])
    if 200 <= status < 300:
        return _Outcome(status_code=status)
    error = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    return _Outcome(status_code=status, error=error[:ERROR_LIMIT])


async def _post(client: httpx.AsyncClient, request: httpx.Request) -> tuple[int, str]:
    """The answer's status and the start of its body (read no further: the body is the target's to size)."""
    response = await client.send(request, stream=True)
    try:
        head = b""
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= SNIPPET_BYTES:
                break
        return response.status_code, head[:SNIPPET_BYTES].decode("utf-8", "replace").strip()
    finally:
        await response.aclose()


def _pinned(
    client: httpx.AsyncClient, target: targets.Target, url: str, headers: dict[str, str], body: str
) -> httpx.Request:
    """A request to the checked address itself, with the URL's host as Host header and TLS name."""
    original = httpx.URL(url)
    headers["host"] = original.netloc.decode("ascii")  # host[:port] as written
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return client.build_request(
        "POST", original.copy_with(host=target.address), headers=headers, content=body.encode(), extensions=extensions
    )


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    claim: _Claim,
    outcome: _Outcome,
    now: dt.datetime,
    policy: Policy,
    report: Report,
) -> None:
    values: dict[str, object] = {"last_attempt_at": now, "last_status_code": outcome.status_code}
    if outcome.ok:
        values |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now, "last_error": None}
        report.delivered += 1
    elif outcome.permanent or claim.attempts >= policy.max_attempts:
        values |= {"status": DeliveryStatus.DEAD.value, "last_error": outcome.error}
        report.dead += 1
    else:
        values |= {"last_error": outcome.error, "next_attempt_at": now + policy.retry_delay(claim.attempts)}
        report.retried += 1
    if outcome.error:
        log.warning("webhook delivery %s attempt %s failed: %s", claim.id, claim.attempts, outcome.error)
        report.errors.append(f"{claim.id}: {outcome.error}")
    async with session_scope(sessions) as session:
        result = await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.id,
                WebhookDelivery.attempts == claim.attempts,
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if not getattr(result, "rowcount", 1):
        log.warning("webhook delivery %s: claim %s was overtaken; outcome not recorded", claim.id, claim.attempts)


def webhook_job(settings: WebhookSettings, every: dt.timedelta = INTERVAL) -> JobSpec:
    """The worker's job: send what is due, every 15 s."""
    policy = Policy.of(settings)

    async def dispatch_webhooks(session: AsyncSession, context: JobContext) -> Report:
        # Deliveries commit in sessions of their own; the job's session only carries the run record.
        engine = session.bind
        assert isinstance(engine, AsyncEngine)
        report = await dispatch_due(create_session_factory(engine), policy, clock=context.clock)
        # Every 15 s is 5,760 runs a day: only recent ones are worth keeping.
        await prune_runs(session, JOB, context.scheduled_for - dt.timedelta(days=1))
        return report

    return JobSpec(JOB, dispatch_webhooks, Every(every), every, "send due webhook deliveries")
