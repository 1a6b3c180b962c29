"""Service report benchmark: render time of the one-page PDF, cold and warm.

Builds one realistic completed work order (a covered printer, a call, one task, travel and
work time, a swapped drum with serials in and out, a counter reading, findings, checklist,
notes and a PNG signature: the rows `tests/integration/service_report_fixtures.py` inserts)
in a freshly migrated SQLite database (or the database given, migrated to head), then calls
`render_service_report` — gather the rows, fill the template, WeasyPrint, store the document —
once cold (the first render in the process: template compilation, font discovery) and N times
warm, each in a session of its own committed like a job's. Prints p50/p99/max and PDF size.

    .venv/bin/python bench/service_report.py
    .venv/bin/python bench/service_report.py --renders 200
    .venv/bin/python bench/service_report.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_report
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import DatabaseSettings  # noqa: E402
from migrations.runner import upgrade  # noqa: E402
from service_mgmt.services.service_report import render_service_report  # noqa: E402
from tests.integration.service_report_fixtures import completed_work_order  # noqa: E402

TARGET_P50_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(url: str, renders: int) -> dict[str, float]:
    engine = create_engine(DatabaseSettings(url=url))
    sessions = create_session_factory(engine)
    try:
        suffix = uuid.uuid4().hex[:6]  # a reused database gets new numbers
        async with session_scope(sessions) as session:
            done = await completed_work_order(session, name=f"B{suffix}", number=f"WO-B{suffix}")

        started = time.perf_counter()
        async with session_scope(sessions) as session:
            document = await render_service_report(session, done.work_order_id)
        cold_ms = (time.perf_counter() - started) * 1000

        timings, cpu = [], []
        for _ in range(renders):
            started, cpu_started = time.perf_counter(), time.process_time()
            async with session_scope(sessions) as session:
                document = await render_service_report(session, done.work_order_id)
            timings.append((time.perf_counter() - started) * 1000)
            # CPU of the whole process (the render runs in a worker thread): what a render costs
            # regardless of how busy the machine is.
            cpu.append((time.process_time() - cpu_started) * 1000)
        return {
            "cold_ms": cold_ms,
            "p50_ms": statistics.median(timings),
            "p99_ms": percentile(timings, 0.99),
            "max_ms": max(timings),
            "cpu_p50_ms": statistics.median(cpu),
            "size_bytes": float(document.size_bytes),
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--renders", type=int, default=50, help="warm renders to time (default 50)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench_report.db"
        upgrade(url)  # outside the event loop: Alembic's env runs its own
        figures = asyncio.run(measure(url, args.renders))

    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"service report, {backend}, {args.renders} warm renders (load average {os.getloadavg()[0]:.2f})")
    print(f"  cold (first render in the process): {figures['cold_ms']:.1f} ms")
    print(
        f"  warm p50 {figures['p50_ms']:.1f} ms   p99 {figures['p99_ms']:.1f} ms   max {figures['max_ms']:.1f} ms"
        f"   (target p50 <= {TARGET_P50_MS:.0f} ms: {'met' if figures['p50_ms'] <= TARGET_P50_MS else 'MISSED'})"
    )
    print(f"  CPU per warm render p50 {figures['cpu_p50_ms']:.1f} ms")
    print(f"  PDF size {figures['size_bytes'] / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
