"""Billing benchmark: a month-end run over ≥ 20,000 contracts, then invoice PDFs.

1. Migrates a fresh database (a temporary SQLite file, or the PostgreSQL database given, which
   is wiped: its name must start with "bench"), and bulk-loads the month's data
   (`bench/billing_data.py`): contracts of every billing plan, usage contracts with counter
   readings, open billable items.
2. Runs the billing of 2026-11 through `run_billing` (what the CLI does) in a fresh child
   process, so its time and peak memory (max RSS) are the run's own, then runs it again (the
   re-run must bill nothing) and checks every source key is billed once.
3. Issues invoices and renders their PDFs: p50 of one render (the target is ≤ 300 ms for a
   one-page invoice), then the throughput of rendering a batch in worker processes.

    .venv/bin/python bench/billing.py
    .venv/bin/python bench/billing.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_billing
    .venv/bin/python bench/billing.py --contracts 2000 --usage-contracts 500 --items 1000 --pdfs 10   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RUN_SECONDS_PG = 60.0
TARGET_PDF_P50_MS = 300.0
PERIOD = "2026-11"


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema of a database named bench…; refuse anything else."""
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to wipe database {name!r}: the benchmark's database name must start with 'bench'")

    async def wipe() -> None:
        from sqlalchemy import text

        from core.db import create_engine
        from core.settings import DatabaseSettings

        engine = create_engine(DatabaseSettings(url=url))
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(wipe())


def ensure_postgres_database(url: str) -> None:
    import asyncpg

    parts = urlsplit(url.replace("postgresql+asyncpg", "postgresql"))
    name = parts.path.lstrip("/")

    async def create() -> None:
        admin = await asyncpg.connect(parts._replace(path="/postgres").geturl())
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())


async def load(url: str, volume: Any) -> tuple[dict[str, int], float]:
    from bench.billing_data import generate
    from core.db import create_engine, create_session_factory, session_scope
    from core.settings import DatabaseSettings

    engine = create_engine(DatabaseSettings(url=url))
    try:
        started = time.perf_counter()
        async with session_scope(create_session_factory(engine)) as session:
            counts = await generate(session, volume)
        return counts, time.perf_counter() - started
    finally:
        await engine.dispose()


def _run_in_child(url: str, queue: Any) -> None:
    """One billing run in a process of its own: seconds, peak RSS and the run's counts."""

    async def run() -> dict[str, Any]:
        import service_mgmt.models  # noqa: F401  (foreign keys to customers, counters get their column types)
        from contracts.services.billing_run import run_billing
        from core.auth import SYSTEM
        from core.db import create_engine, create_session_factory
        from core.settings import BillingSettings, DatabaseSettings

        engine = create_engine(DatabaseSettings(url=url))
        try:
            started = time.perf_counter()
            done = await run_billing(create_session_factory(engine), SYSTEM, PERIOD, BillingSettings())
            seconds = time.perf_counter() - started
        finally:
            await engine.dispose()
        return {
            "seconds": seconds,
            "status": done.status,
            "contracts_considered": done.contracts_considered,
            "invoices_created": done.invoices_created,
            "invoices_updated": done.invoices_updated,
            "fee_lines": done.fee_lines,
            "usage_lines": done.usage_lines,
            "item_lines": done.item_lines,
            "totals": done.totals,
        }

    before = _peak_rss_mib()
    try:
        figures = asyncio.run(run())
    except BaseException as exc:
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise
    figures["peak_rss_mib"] = _peak_rss_mib()
    figures["rss_before_mib"] = before
    queue.put(figures)


def _peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: that one survives fork+exec, so
    a child would report the parent's peak (the parent holds the generated data)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def billing_run_in_child(url: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_in_child, args=(url, queue))
    process.start()
    figures: dict[str, Any] = queue.get()
    process.join()
    if "error" in figures:
        raise SystemExit(f"the billing run failed: {figures['error']}")
    return figures


async def check_exactly_once(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from contracts.models import BillableItem, Invoice, InvoiceLine
    from core.db import create_engine, create_session_factory
    from core.settings import DatabaseSettings

    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_session_factory(engine)() as session:
            keys = await session.scalar(select(func.count(func.distinct(InvoiceLine.source_key))))
            lines = await session.scalar(select(func.count()).select_from(InvoiceLine))
            invoices = await session.scalar(select(func.count()).select_from(Invoice))
            open_items = await session.scalar(
                select(func.count()).select_from(BillableItem).where(BillableItem.status == "open")
            )
        return {"lines": int(lines or 0), "distinct_keys": int(keys or 0), "invoices": int(invoices or 0),
                "items_left_open": int(open_items or 0)}  # fmt: skip
    finally:
        await engine.dispose()


def main() -> None:
    from bench.billing_data import Volume
    from migrations.runner import upgrade

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file; PostgreSQL: a database named bench…")
    parser.add_argument("--contracts", type=int, default=20_000)
    parser.add_argument("--usage-contracts", type=int, default=5_000)
    parser.add_argument("--readings-per-counter", type=int, default=20)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=40, help="invoices to issue and render (0: skip the PDF part)")
    parser.add_argument("--pdf-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    volume = Volume(args.contracts, args.usage_contracts, args.readings_per_counter, args.items)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench_billing.db"
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        if backend == "PostgreSQL":
            ensure_postgres_database(url)
            reset_postgres(url)
        upgrade(url)
        counts, load_seconds = asyncio.run(load(url, volume))
        print(f"billing benchmark, {backend}, load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
        print(f"  data: {counts} (loaded in {load_seconds:.1f} s)")

        first = billing_run_in_child(url)
        again = billing_run_in_child(url)
        check = asyncio.run(check_exactly_once(url))
        target = (
            f" (target <= {TARGET_RUN_SECONDS_PG:.0f} s on PostgreSQL: "
            f"{'met' if first['seconds'] <= TARGET_RUN_SECONDS_PG else 'MISSED'})"
            if backend == "PostgreSQL"
            else ""
        )
        print(
            f"  billing run {PERIOD}: {first['seconds']:.1f} s{target}, peak RSS {first['peak_rss_mib']:.0f} MiB"
            f" (at the start of its process: {first['rss_before_mib']:.0f} MiB)"
        )
        print(
            f"    {first['contracts_considered']} contracts considered, {first['invoices_created']} draft invoices,"
            f" {first['fee_lines']} fee + {first['usage_lines']} usage + {first['item_lines']} item lines;"
            f" totals {first['totals']}"
        )
        print(
            f"  re-run: {again['seconds']:.1f} s, {again['fee_lines'] + again['usage_lines'] + again['item_lines']}"
            f" new lines, {again['invoices_created']} new invoices (exactly once: must be 0)"
        )
        print(f"  check: {check} (lines must equal distinct keys)")
        if args.pdfs:
            from bench.billing_pdfs import measure_pdfs

            measure_pdfs(url, args.pdfs, args.pdf_workers, TARGET_PDF_P50_MS)


if __name__ == "__main__":
    main()
