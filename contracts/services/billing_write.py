"""Writing one chunk of a billing run: draft invoices, their lines, billed items, usage periods.

A chunk is a few hundred bill-to customers (× currency), written in one transaction. The
database refuses a second line for a source key, a second usage period per contract and
period, and a second open draft per customer, currency and period; an item is marked billed
only while it is still open. If any of that meets a concurrent writer, the chunk raises
`ChunkContended`, the transaction is rolled back and the run gathers the chunk again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from contracts.choices import BillableStatus, InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.invoice_math import TaxedLine, TaxRate, taxed, totals
from contracts.models import BillableItem, Invoice, InvoiceLine, UsageBaseline, UsagePeriod
from contracts.services.bill_to import BillTo
from contracts.services.billing_sources import LineToBill, UsageRecord
from contracts.services.invoice_totals import apply_totals
from core.db import in_chunks, upsert_insert

ZERO = Decimal("0.00")


class ChunkContended(Exception):
    """Another writer billed part of this chunk meanwhile; roll back and gather it again."""


@dataclass(slots=True)
class BillToWork:
    """Everything one run bills to one bill-to customer in one currency."""

    bill_to: BillTo
    currency: str
    lines: list[LineToBill] = field(default_factory=list)
    uncharged_usage: list[UsageRecord] = field(default_factory=list)
    covered_items: list[UUID] = field(default_factory=list)

    @property
    def key(self) -> tuple[UUID, str]:
        return self.bill_to.customer_id, self.currency


@dataclass(slots=True)
class ChunkOutcome:
    invoices_created: int = 0
    invoices_updated: int = 0
    fee_lines: int = 0
    usage_lines: int = 0
    item_lines: int = 0
    # currency -> [net, tax, gross] of the lines written
    totals: dict[str, list[Decimal]] = field(default_factory=dict)


def draft_key(customer_id: UUID, currency: str, period: str) -> str:
    return f"{customer_id}:{currency}:{period}"


async def write_chunk(
    session: AsyncSession, run_id: UUID, period: str, work: Sequence[BillToWork], now: dt.datetime
) -> ChunkOutcome:
    outcome = ChunkOutcome()
    drafts = await _open_drafts(session, [draft_key(*w.key, period) for w in work])
    next_position = await _next_positions(session, [d.id for d in drafts.values()])
    invoice_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    usage_rows: list[dict[str, Any]] = []
    baseline_rows: list[dict[str, Any]] = []
    item_ids: list[UUID] = []
    for entry in work:
        key = draft_key(*entry.key, period)
        draft = drafts.get(key)
        invoice_id = draft.id if draft is not None else uuid7()
        position = next_position.get(invoice_id, 1)
        new_lines = []
        for line in entry.lines:
            row = _line_row(invoice_id, position, line, entry.bill_to.tax, now)
            new_lines.append(row)
            position += 1
            _count(outcome, line.source, entry.currency, row)
            if line.billable_item_id is not None:
                item_ids.append(line.billable_item_id)
            if line.usage is not None:
                usage_rows.append(_usage_row(line.usage, run_id, row["id"], now))
                baseline_rows += _baseline_rows(line.usage, now)
        for record in entry.uncharged_usage:
            usage_rows.append(_usage_row(record, run_id, None, now))
            baseline_rows += _baseline_rows(record, now)
        item_ids += entry.covered_items
        line_rows += new_lines
        if not new_lines:
            continue
        if draft is None:
            invoice_rows.append(_invoice_row(invoice_id, entry, run_id, period, key, new_lines, now))
            outcome.invoices_created += 1
        else:
            outcome.invoices_updated += 1
    if invoice_rows:
        await session.execute(insert(Invoice), invoice_rows)
    for rows in in_chunks(line_rows):
        await session.execute(insert(InvoiceLine), rows)
    await _mark_items_billed(session, item_ids, now)
    for rows in in_chunks(usage_rows):
        await session.execute(insert(UsagePeriod), rows)
    await _move_baselines(session, baseline_rows)
    await _refresh_draft_totals(session, [d for d in drafts.values()])
    await session.flush()
    return outcome


async def _open_drafts(session: AsyncSession, keys: list[str]) -> dict[str, Invoice]:
    found: dict[str, Invoice] = {}
    for chunk in in_chunks(keys):
        rows = await session.scalars(
            select(Invoice)
            .where(Invoice.open_draft_key.in_(chunk))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found |= {invoice.open_draft_key: invoice for invoice in rows if invoice.open_draft_key is not None}
    return found


async def _next_positions(session: AsyncSession, invoice_ids: list[UUID]) -> dict[UUID, int]:
    found: dict[UUID, int] = {}
    for chunk in in_chunks(invoice_ids):
        rows = await session.execute(
            select(InvoiceLine.invoice_id, func.max(InvoiceLine.position))
            .where(InvoiceLine.invoice_id.in_(chunk))
            .group_by(InvoiceLine.invoice_id)
        )
        found |= {invoice_id: int(last or 0) + 1 for invoice_id, last in rows.tuples()}
    return found


def _line_row(invoice_id: UUID, position: int, line: LineToBill, tax: TaxRate, now: dt.datetime) -> dict[str, Any]:
    taxed_line = taxed(line.net_amount, tax)
    return {
        "id": uuid7(),
        "created_at": now,
        "updated_at": now,
        "invoice_id": invoice_id,
        "position": position,
        "source": line.source.value,
        "source_key": line.source_key,
        "billable_item_id": line.billable_item_id,
        "contract_id": line.contract_id,
        "reference": line.reference,
        "description": line.description,
        "service_from": line.service_from,
        "service_to": line.service_to,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "net_amount": taxed_line.net,
        "tax_rate": tax.percent,
        "tax_exemption_reason": tax.exemption_reason,
        "tax_amount": taxed_line.tax,
        "details": line.details,
    }


def _invoice_row(
    invoice_id: UUID,
    entry: BillToWork,
    run_id: UUID,
    period: str,
    key: str,
    lines: list[dict[str, Any]],
    now: dt.datetime,
) -> dict[str, Any]:
    summed = totals(_taxed(lines))
    return {
        "id": invoice_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "kind": InvoiceKind.INVOICE.value,
        "status": InvoiceStatus.DRAFT.value,
        "customer_id": entry.bill_to.customer_id,
        "currency": entry.currency,
        "billing_period": period,
        "billing_run_id": run_id,
        "open_draft_key": key,
        "net_amount": summed.net,
        "tax_amount": summed.tax,
        "gross_amount": summed.gross,
        "settled_amount": ZERO,
        "bill_to": {},
    }


def _taxed(rows: Iterable[dict[str, Any]]) -> list[TaxedLine]:
    return [
        TaxedLine(row["net_amount"], TaxRate(row["tax_rate"], row["tax_exemption_reason"]), row["tax_amount"])
        for row in rows
    ]


def _count(outcome: ChunkOutcome, source: InvoiceLineSource, currency: str, row: dict[str, Any]) -> None:
    if source is InvoiceLineSource.CONTRACT_FEE:
        outcome.fee_lines += 1
    elif source is InvoiceLineSource.USAGE:
        outcome.usage_lines += 1
    else:
        outcome.item_lines += 1
    sums = outcome.totals.setdefault(currency, [ZERO, ZERO, ZERO])
    sums[0] += row["net_amount"]
    sums[1] += row["tax_amount"]
    sums[2] += row["net_amount"] + row["tax_amount"]


def _usage_row(record: UsageRecord, run_id: UUID, line_id: UUID | None, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "created_at": now,
        "updated_at": now,
        "contract_id": record.contract_id,
        "period_start": record.period_start,
        "billing_run_id": run_id,
        "used_volume": record.used,
        "included_volume": record.included,
        "billable_volume": record.billable,
        "invoice_line_id": line_id,
    }


def _baseline_rows(record: UsageRecord, now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid7(),
            "created_at": now,
            "updated_at": now,
            "contract_id": record.contract_id,
            "counter_id": move.counter_id,
            "reading_id": move.reading_id,
            "value": move.value,
            "read_at": move.read_at,
            "kind": move.kind,
            "period_start": record.period_start,
        }
        for move in record.baselines
    ]


async def _mark_items_billed(session: AsyncSession, item_ids: list[UUID], now: dt.datetime) -> None:
    for chunk in in_chunks(item_ids):
        result = await session.execute(
            update(BillableItem)
            .where(BillableItem.id.in_(chunk), BillableItem.status == BillableStatus.OPEN.value)
            .values(status=BillableStatus.BILLED.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(chunk):  # type: ignore[attr-defined]
            raise ChunkContended("a billable item was billed or voided by someone else meanwhile")


async def _move_baselines(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    insert_for = upsert_insert(session)
    for chunk in in_chunks(rows, 500):
        stmt = insert_for(UsageBaseline).values(chunk)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["contract_id", "counter_id"],
                set_={
                    "reading_id": stmt.excluded.reading_id,
                    "value": stmt.excluded.value,
                    "read_at": stmt.excluded.read_at,
                    "kind": stmt.excluded.kind,
                    "period_start": stmt.excluded.period_start,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )


async def _refresh_draft_totals(session: AsyncSession, drafts: list[Invoice]) -> None:
    if not drafts:
        return
    by_invoice: dict[UUID, list[InvoiceLine]] = defaultdict(list)
    for chunk in in_chunks([d.id for d in drafts]):
        for line in await session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id.in_(chunk))):
            by_invoice[line.invoice_id].append(line)
    for draft in drafts:
        apply_totals(draft, by_invoice[draft.id])
