"""An invoice's totals from its lines, by the one rule of `contracts.invoice_math`.

Everything that adds or changes lines (the billing run, manual lines, credit notes) ends
with `apply_totals`, so the stored totals are always the sum of the stored lines."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.invoice_math import InvoiceTotals, TaxedLine, TaxRate, totals
from contracts.models import Invoice, InvoiceLine


def line_tax_rate(line: InvoiceLine) -> TaxRate:
    return TaxRate(line.tax_rate, line.tax_exemption_reason)


def taxed_lines(lines: Iterable[InvoiceLine]) -> list[TaxedLine]:
    return [TaxedLine(line.net_amount, line_tax_rate(line), line.tax_amount) for line in lines]


def apply_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> InvoiceTotals:
    result = totals(taxed_lines(lines))
    invoice.net_amount, invoice.tax_amount, invoice.gross_amount = result.net, result.tax, result.gross
    return result


async def lines_of(session: AsyncSession, invoice_id: object) -> list[InvoiceLine]:
    stmt = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    return list((await session.scalars(stmt)).all())


async def refresh_totals(session: AsyncSession, invoice: Invoice) -> InvoiceTotals:
    result = apply_totals(invoice, await lines_of(session, invoice.id))
    await session.flush()
    return result
