"""The billing run of a month: contract fees, usage and billable items into draft invoices.

Exactly once, whatever happens:
- the database admits one running run (`billing_runs.running_lock` is unique); a second start
  answers 409 `billing_run_in_progress`, unless the running one stopped sending heartbeats
  (its process died): then it is marked abandoned and the new run takes over;
- every line carries the unique key of what it bills, so a fee, a usage period or an item is
  never on two live invoices, even if two runs did overlap;
- the run commits chunk by chunk (a few hundred bill-to customers each). A run killed in the
  middle leaves whole chunks behind; the next run gathers what is still unbilled and bills
  exactly that: no duplicates, no gaps.

A run adds to the customer's open draft for the month if there is one (re-runs add what came
in since), otherwise it creates one draft invoice per bill-to customer and currency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.choices import BillingRunStatus
from contracts.errors import Code
from contracts.fee_schedule import RunMonth
from contracts.models import BillingRun
from contracts.services.bill_to import BillTo, bill_to_of
from contracts.services.billing_sources import DueForBilling, gather
from contracts.services.billing_write import BillToWork, ChunkContended, ChunkOutcome, write_chunk
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.db import session_scope
from core.errors import Conflict, Invalid, NotFound
from core.listing import Page, PageRequest, paginate
from core.settings import BillingSettings

RUNNING_LOCK = "billing"
ZERO = Decimal("0.00")
MAX_ATTEMPTS = 3

Progress = Callable[[int, int], None]  # (bill-to customers done, in all)


@dataclass(frozen=True, slots=True)
class RunOptions:
    chunk_size: int = 200  # bill-to customers (× currency) per transaction
    # A running run whose heartbeat is older than this is taken to be dead and taken over.
    take_over_after: dt.timedelta = dt.timedelta(minutes=2)
    pause_seconds: float = 0.0  # between chunks: spreads the load on a busy database

    def __post_init__(self) -> None:
        if not 1 <= self.chunk_size <= 5000:
            raise Invalid(Code.INVALID_BILLING_PERIOD, "chunk size must lie between 1 and 5000", field="chunk_size")


def parse_period(text: str) -> RunMonth:
    try:
        return RunMonth.parse(text)
    except ValueError as exc:
        raise Invalid(Code.INVALID_BILLING_PERIOD, str(exc), field="period") from exc


async def start_run(
    sessions: async_sessionmaker[AsyncSession],
    actor: Principal,
    period: str,
    *,
    clock: Clock = SYSTEM_CLOCK,
    options: RunOptions = RunOptions(),
) -> BillingRun:
    """Record a new running run (committed), taking over from a dead one; 409 while one is alive."""
    month = parse_period(period)
    now = clock.now()
    async with session_scope(sessions) as session:
        await _abandon_stale(session, now, options.take_over_after)
    try:
        async with session_scope(sessions) as session:
            run = BillingRun(
                period=str(month),
                status=BillingRunStatus.RUNNING.value,
                running_lock=RUNNING_LOCK,
                started_by=actor.username,
                started_at=now,
                heartbeat_at=now,
                totals={},
            )
            session.add(run)
            await session.flush()
            return run
    except IntegrityError:
        pass
    async with session_scope(sessions) as session:
        running = await session.scalar(select(BillingRun).where(BillingRun.running_lock == RUNNING_LOCK))
    raise Conflict(
        Code.BILLING_RUN_IN_PROGRESS,
        f"billing run {running.id if running else ''} for {running.period if running else 'a period'} is still"
        " running; wait for it to finish",
        extra={"run_id": str(running.id) if running else None},
    )


async def execute_run(
    sessions: async_sessionmaker[AsyncSession],
    run_id: UUID,
    settings: BillingSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
) -> BillingRun:
    """Bill everything due for the run's month, chunk by chunk; the run record ends completed or failed."""
    try:
        async with session_scope(sessions) as session:
            run = await _run(session, run_id)
            month = RunMonth.parse(run.period)
            due = await gather(session, month)
            bill_tos = await bill_to_of(session, due.customers(), settings)
        work = _work_by_bill_to(due, bill_tos)
        await _update_run(
            sessions, run_id, clock, progress_total=len(work), contracts_considered=due.contracts_considered
        )
        done = 0
        for start in range(0, len(work), options.chunk_size):
            chunk = work[start : start + options.chunk_size]
            outcome = await _write_with_retry(sessions, run_id, month, chunk, settings, clock)
            done += len(chunk)
            await _record_chunk(sessions, run_id, outcome, done, clock)
            if progress is not None:
                progress(done, len(work))
            if options.pause_seconds:
                await asyncio.sleep(options.pause_seconds)
        return await _finish(sessions, run_id, BillingRunStatus.COMPLETED, None, clock)
    except Exception as exc:
        await _finish(sessions, run_id, BillingRunStatus.FAILED, f"{type(exc).__name__}: {exc}"[:1000], clock)
        raise


async def run_billing(
    sessions: async_sessionmaker[AsyncSession],
    actor: Principal,
    period: str,
    settings: BillingSettings,
    *,
    clock: Clock = SYSTEM_CLOCK,
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
) -> BillingRun:
    """Start and execute a run in one go (the CLI, jobs and tests)."""
    run = await start_run(sessions, actor, period, clock=clock, options=options)
    return await execute_run(sessions, run.id, settings, clock=clock, options=options, progress=progress)


async def get_run(session: AsyncSession, run_id: UUID) -> BillingRun:
    return await _run(session, run_id)


async def list_runs(session: AsyncSession, page: PageRequest, *, period: str | None = None) -> Page[BillingRun]:
    stmt = select(BillingRun)
    if period is not None:
        stmt = stmt.where(BillingRun.period == str(parse_period(period)))
    return await paginate(
        session,
        stmt,
        page,
        sortable={"started_at": BillingRun.started_at, "period": BillingRun.period},
        default_sort="-started_at",
        tie_breaker=BillingRun.id,
    )


# --- steps ----------------------------------------------------------------------------------------------


def _work_by_bill_to(due: DueForBilling, bill_tos: dict[UUID, BillTo]) -> list[BillToWork]:
    work: dict[tuple[UUID, str], BillToWork] = {}

    def entry(customer_id: UUID, currency: str) -> BillToWork | None:
        bill_to = bill_tos.get(customer_id)
        if bill_to is None:
            return None  # the customer row is gone: nothing can be invoiced to it
        return work.setdefault((bill_to.customer_id, currency), BillToWork(bill_to, currency))

    for line in due.lines:
        if (target := entry(line.customer_id, line.currency)) is not None:
            target.lines.append(line)
    for customer_id, currency, record in due.uncharged_usage:
        if (target := entry(customer_id, currency)) is not None:
            target.uncharged_usage.append(record)
    for customer_id, currency, item_id in due.covered_items:
        if (target := entry(customer_id, currency)) is not None:
            target.covered_items.append(item_id)
    return [work[key] for key in sorted(work, key=lambda key: (str(key[0]), key[1]))]


async def _write_with_retry(
    sessions: async_sessionmaker[AsyncSession],
    run_id: UUID,
    month: RunMonth,
    chunk: Sequence[BillToWork],
    settings: BillingSettings,
    clock: Clock,
) -> ChunkOutcome:
    last: Exception | None = None
    for _attempt in range(MAX_ATTEMPTS):
        try:
            async with session_scope(sessions) as session:
                return await write_chunk(session, run_id, str(month), chunk, clock.now())
        except (IntegrityError, ChunkContended) as exc:
            # Someone billed part of these customers meanwhile: gather them again and bill the rest.
            last = exc
            chunk = await _regather(sessions, month, chunk, settings)
    raise Conflict(
        Code.BILLING_RUN_IN_PROGRESS,
        f"another writer kept billing the same customers; {MAX_ATTEMPTS} attempts gave up ({last})"[:500],
    ) from last


async def _regather(
    sessions: async_sessionmaker[AsyncSession], month: RunMonth, chunk: Sequence[BillToWork], settings: BillingSettings
) -> list[BillToWork]:
    customers = {line.customer_id for entry in chunk for line in entry.lines}
    customers |= {entry.bill_to.customer_id for entry in chunk}
    async with session_scope(sessions) as session:
        due = await gather(session, month, customer_ids=customers)
        bill_tos = await bill_to_of(session, due.customers(), settings)
    wanted = {entry.key for entry in chunk}
    return [entry for entry in _work_by_bill_to(due, bill_tos) if entry.key in wanted]


async def _abandon_stale(session: AsyncSession, now: dt.datetime, take_over_after: dt.timedelta) -> None:
    await session.execute(
        update(BillingRun)
        .where(BillingRun.running_lock == RUNNING_LOCK, BillingRun.heartbeat_at < now - take_over_after)
        .values(
            status=BillingRunStatus.ABANDONED.value,
            running_lock=None,
            finished_at=now,
            error=f"no heartbeat for {int(take_over_after.total_seconds())} s: its process stopped; taken over",
        )
    )


async def _update_run(sessions: async_sessionmaker[AsyncSession], run_id: UUID, clock: Clock, **values: Any) -> None:
    async with session_scope(sessions) as session:
        await session.execute(
            update(BillingRun).where(BillingRun.id == run_id).values(heartbeat_at=clock.now(), **values)
        )


async def _record_chunk(
    sessions: async_sessionmaker[AsyncSession], run_id: UUID, outcome: ChunkOutcome, done: int, clock: Clock
) -> None:
    async with session_scope(sessions) as session:
        run = await _run(session, run_id)
        run.progress_done = done
        run.heartbeat_at = clock.now()
        run.invoices_created += outcome.invoices_created
        run.invoices_updated += outcome.invoices_updated
        run.fee_lines += outcome.fee_lines
        run.usage_lines += outcome.usage_lines
        run.item_lines += outcome.item_lines
        run.totals = _add_totals(run.totals, outcome.totals)


def _add_totals(stored: dict[str, Any], added: dict[str, list[Decimal]]) -> dict[str, Any]:
    merged = {currency: dict(sums) for currency, sums in stored.items()}
    for currency, (net, tax, gross) in added.items():
        sums = merged.setdefault(currency, {"net": "0.00", "tax": "0.00", "gross": "0.00"})
        sums["net"] = str(Decimal(sums["net"]) + net)
        sums["tax"] = str(Decimal(sums["tax"]) + tax)
        sums["gross"] = str(Decimal(sums["gross"]) + gross)
    return merged


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    run_id: UUID,
    status: BillingRunStatus,
    error: str | None,
    clock: Clock,
) -> BillingRun:
    async with session_scope(sessions) as session:
        run = await _run(session, run_id)
        if run.status == BillingRunStatus.RUNNING:  # an abandoned run stays abandoned
            run.status = status.value
            run.running_lock = None
            run.finished_at = clock.now()
            run.error = error
        await session.flush()
        return run


async def _run(session: AsyncSession, run_id: UUID) -> BillingRun:
    run = await session.scalar(
        select(BillingRun).where(BillingRun.id == run_id).execution_options(populate_existing=True)
    )
    if run is None:
        raise NotFound("billing_run", run_id)
    return run
