"""The invoice PDF part of the billing benchmark (called by bench/billing.py after the run).

1. Issues `count` of the run's drafts (`issue_invoice`: number, due date, bill-to snapshot, outbox
   message) and times `stored_invoice_document` for each (gather lines, fill the template,
   WeasyPrint, store): p50 / p95 of a one-page invoice.
2. Throughput: the same invoices' HTML rendered to PDF in a pool of worker processes (what
   rendering a month's invoices costs), against one process; projected to the whole month.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

TEMPLATE_PACKAGE = "contracts"


def _render(html: str) -> int:
    from core.pdf import render_pdf

    return len(render_pdf(html))


def _warm(_: int) -> int:
    # First render in a process pays for font discovery and module imports: not throughput.
    return _render("<html><body><p>warm up</p></body></html>")


async def _issue_and_time(url: str, count: int) -> tuple[list[float], list[str], int]:
    from sqlalchemy import func, select

    import service_mgmt.models  # noqa: F401  (foreign keys get their column types)
    from contracts.models import Invoice
    from contracts.services.invoice_document import document_data, stored_invoice_document
    from contracts.services.invoice_issue import issue_invoice
    from contracts.services.invoice_totals import lines_of
    from contracts.services.invoices import InvoiceIssue
    from core.auth import SYSTEM
    from core.db import create_engine, create_session_factory, session_scope
    from core.pdf import render_template
    from core.settings import BillingSettings, DatabaseSettings

    settings = BillingSettings()
    engine = create_engine(DatabaseSettings(url=url))
    sessions = create_session_factory(engine)
    timings: list[float] = []
    pages: list[str] = []
    try:
        async with sessions() as session:
            drafts = (
                await session.execute(
                    select(Invoice.id, Invoice.version)
                    .where(Invoice.status == "draft")
                    .order_by(Invoice.id)
                    .limit(count)
                )
            ).all()
            months_invoices = int(await session.scalar(select(func.count()).select_from(Invoice)) or 0)
        for invoice_id, version in drafts:
            async with session_scope(sessions) as session:
                await issue_invoice(session, SYSTEM, invoice_id, InvoiceIssue(version=version), settings)
            started = time.perf_counter()
            async with session_scope(sessions) as session:
                invoice = await session.get_one(Invoice, invoice_id)
                await stored_invoice_document(session, invoice, settings)
            timings.append((time.perf_counter() - started) * 1000)
            async with sessions() as session:
                invoice = await session.get_one(Invoice, invoice_id)
                lines = await lines_of(session, invoice.id)
                data = document_data(invoice, lines, invoice.bill_to, settings, None)
                pages.append(render_template(TEMPLATE_PACKAGE, "invoice.html", data))
        return timings, pages, months_invoices
    finally:
        await engine.dispose()


def _throughput(pages: list[str], workers: int) -> float:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers)))
        started = time.perf_counter()
        list(pool.map(_render, pages, chunksize=max(1, len(pages) // (workers * 4))))
        return len(pages) / (time.perf_counter() - started)


def measure_pdfs(url: str, count: int, workers: int, target_p50_ms: float) -> dict[str, Any]:
    timings, pages, months_invoices = asyncio.run(_issue_and_time(url, count))
    if not timings:
        print("  invoice PDFs: no draft invoices to issue")
        return {}
    ordered = sorted(timings)
    p50 = statistics.median(ordered[1:] or ordered)  # the first render is the cold one
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    single = _throughput(pages, 1)
    pooled = _throughput(pages, workers)
    print(
        f"  invoice PDF (issue, render, store) over {len(timings)} invoices: cold {timings[0]:.0f} ms,"
        f" warm p50 {p50:.0f} ms, p95 {p95:.0f} ms"
        f" (target p50 <= {target_p50_ms:.0f} ms: {'met' if p50 <= target_p50_ms else 'MISSED'})"
    )
    print(
        f"  rendering throughput: {single:.1f} PDFs/s in 1 process, {pooled:.1f} PDFs/s in {workers} worker processes;"
        f" the month's {months_invoices} invoices would take {months_invoices / pooled / 60:.1f} min"
    )
    return {"p50_ms": p50, "p95_ms": p95, "single_per_s": single, "pooled_per_s": pooled}
