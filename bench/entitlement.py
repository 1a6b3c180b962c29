"""Entitlement check benchmark: latency through the service layer and through HTTP, at scale.

Builds a database with the demo installed base and its contracts (`load_demo_data` +
`load_demo_contracts`: by default 100,000 equipment units and 20,000 customers, about one
contract each), or reuses one with --reuse, then checks a deterministic random sample of units,
priorities, service types and moments (the fortnight after the demo reference date):

  (a) service layer: `run_entitlement_check` in a fresh session per check, committed like a
      request (the edge commits), one check at a time;
  (b) HTTP: POST /api/v1/entitlements/check against `service-mgmt serve` (spawned on a free
      port), as admin, one request at a time and then --concurrency at once.

It prints p50/p95/p99/max latency and checks per second, and how the decisions came out
(covered by a warranty, by a contract line, or by nothing). SQLite uses a file under ./var/;
for PostgreSQL the database named in the URL is dropped and created again (unless --reuse):

    .venv/bin/python bench/entitlement.py --database-url sqlite+aiosqlite:///./var/bench_entitlement.db
    .venv/bin/python bench/entitlement.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_entitlement
    .venv/bin/python bench/entitlement.py --database-url ... --reuse --samples 5000 --json var/entitlement.json
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts.choices import CoveredBy, Priority, ServiceType  # noqa: E402
from contracts.models import ServiceContract  # noqa: E402
from core.auth import Principal, Role  # noqa: E402
from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import DatabaseSettings  # noqa: E402
from masterdata.models import Equipment  # noqa: E402
from service_mgmt.demo_contracts import load_demo_contracts  # noqa: E402
from service_mgmt.demo_data import REFERENCE_DATE, DemoSize, load_demo_data  # noqa: E402
from service_mgmt.services.entitlement_check import EntitlementQuery, run_entitlement_check  # noqa: E402

BIN = ROOT / ".venv" / "bin"
BERLIN = ZoneInfo("Europe/Berlin")
ADMIN = Principal(user_id=uuid.UUID(int=1), username="admin", role=Role.ADMIN)
WARM_UP = 50  # checks before measuring: pools, caches, holiday tables


@dataclass(frozen=True)
class Sample:
    customer_id: uuid.UUID
    equipment_id: uuid.UUID
    service_type: ServiceType
    priority: Priority
    moment: dt.datetime

    def query(self) -> EntitlementQuery:
        return EntitlementQuery(
            customer_id=self.customer_id,
            equipment_id=self.equipment_id,
            service_type=self.service_type,
            priority=self.priority,
            moment=self.moment,
        )

    def body(self) -> dict[str, str]:
        return {
            "customer_id": str(self.customer_id),
            "equipment_id": str(self.equipment_id),
            "service_type": self.service_type.value,
            "priority": self.priority.value,
            "moment": self.moment.isoformat(),
        }


@dataclass(frozen=True)
class Result:
    mode: str
    checks: int
    concurrency: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    checks_per_s: float


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarise(mode: str, latencies: list[float], elapsed: float, concurrency: int, failures: int) -> Result:
    ordered = sorted(latencies)
    return Result(
        mode=mode,
        checks=len(latencies),
        concurrency=concurrency,
        failures=failures,
        p50_ms=round(percentile(ordered, 50), 2),
        p95_ms=round(percentile(ordered, 95), 2),
        p99_ms=round(percentile(ordered, 99), 2),
        max_ms=round(ordered[-1], 2),
        checks_per_s=round(len(latencies) / elapsed, 1),
    )


# --------------------------------------------------------------------------- the database


def backend_of(url: str) -> str:
    return "postgresql" if make_url(url).drivername.startswith("postgresql") else "sqlite"


def recreate_database(url: str) -> None:
    """An empty database: a new SQLite file, or the PostgreSQL database dropped and created again."""
    parsed = make_url(url)
    if backend_of(url) == "sqlite":
        path = Path(parsed.database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    admin_url = parsed.set(drivername="postgresql+psycopg", database="postgres")
    admin = create_sync_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def analyze(url: str) -> None:
    """Fresh planner statistics after the bulk load, as autovacuum would gather them soon after."""
    if backend_of(url) != "postgresql":
        return
    engine = create_sync_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


async def build(url: str, customers: int, equipment: int, seed: int) -> dict[str, Any]:
    engine = create_engine(DatabaseSettings(url=url))
    last: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage != "equipment" or done - last.get(stage, 0) >= 25_000 or done == total:
            last[stage] = done
            print(f"  {stage:<16} {done:>9,} / {total:,}", file=sys.stderr)

    try:
        async with session_scope(create_session_factory(engine)) as session:
            started = time.perf_counter()
            size = DemoSize(customers=customers, equipment=equipment, engineers=max(24, customers // 500), seed=seed)
            data = await load_demo_data(session, size, progress)
            loaded_data = time.perf_counter()
            contracts = await load_demo_contracts(session, seed=seed, progress=progress)
            loaded_contracts = time.perf_counter()
        committed = time.perf_counter()
    finally:
        await engine.dispose()
    return {
        "demo_data_s": round(loaded_data - started, 1),
        "contracts_s": round(loaded_contracts - loaded_data, 1),
        "commit_s": round(committed - loaded_contracts, 1),
        "data": asdict(data),
        "contracts": asdict(contracts),
    }


async def counts(url: str) -> tuple[int, int]:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_session_factory(engine)() as session:
            units = await session.scalar(select(func.count()).select_from(Equipment))
            contracts = await session.scalar(select(func.count()).select_from(ServiceContract))
    finally:
        await engine.dispose()
    return int(units or 0), int(contracts or 0)


async def draw_samples(url: str, samples: int, seed: int) -> list[Sample]:
    """Units, priorities, service types and moments drawn from `seed`, in an id-free order."""
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_session_factory(engine)() as session:
            units = (
                await session.execute(
                    select(Equipment.customer_id, Equipment.id).order_by(Equipment.serial_number, Equipment.id)
                )
            ).all()
    finally:
        await engine.dispose()
    rng = random.Random(seed)
    chosen = rng.sample(units, min(samples + WARM_UP, len(units)))
    start = dt.datetime.combine(REFERENCE_DATE, dt.time(0), BERLIN)
    return [
        Sample(
            customer_id=customer_id,
            equipment_id=equipment_id,
            service_type=rng.choice(list(ServiceType)),
            priority=rng.choice(list(Priority)),
            moment=start + dt.timedelta(minutes=rng.randrange(14 * 24 * 60)),
        )
        for customer_id, equipment_id in chosen
    ]


# --------------------------------------------------------------------------- (a) service layer


async def bench_service(url: str, samples: list[Sample]) -> tuple[Result, Counter[str]]:
    engine = create_engine(DatabaseSettings(url=url, pool_size=5, max_overflow=5))
    sessions = create_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    gc.collect()  # the sample draw read every unit: not garbage the checks should pay for
    try:
        for index, sample in enumerate(samples):
            started = time.perf_counter()
            async with sessions() as session:
                decision = await run_entitlement_check(session, ADMIN, sample.query(), now)
                await session.commit()
            if index >= WARM_UP:
                latencies.append((time.perf_counter() - started) * 1000)
                outcomes[decision.covered_by.value] += 1
                outcomes["candidates"] += len(decision.candidates)
                outcomes["with_contract_line_candidate"] += any(
                    c.kind is CoveredBy.CONTRACT_LINE for c in decision.candidates
                )
    finally:
        await engine.dispose()
    return summarise("service layer", latencies, sum(latencies) / 1000, 1, 0), outcomes


# --------------------------------------------------------------------------- (b) HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def spawned_server(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "SECRET_KEY": "bench-" + "k" * 40}
    server = subprocess.Popen([BIN / "service-mgmt", "serve", "--port", str(port)], env=env, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError("the server exited before it became ready")
            time.sleep(0.3)
        else:
            raise RuntimeError("the server did not become ready within 60 s")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


async def bench_http(base_url: str, samples: list[Sample], concurrency: int) -> Result:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        async def check(sample: Sample) -> httpx.Response:
            return await client.post("/api/v1/entitlements/check", json=sample.body())

        for sample in samples[:WARM_UP]:
            await check(sample)
        return await measure(f"HTTP, {concurrency} at a time", samples[WARM_UP:], concurrency, check)


async def measure(
    mode: str, samples: list[Sample], concurrency: int, call: Callable[[Sample], Awaitable[httpx.Response]]
) -> Result:
    latencies: list[float] = []
    failures = 0
    queue = iter(samples)

    async def worker() -> None:
        nonlocal failures
        for sample in queue:
            started = time.perf_counter()
            response = await call(sample)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures += 1
                if failures <= 3:
                    print(f"  unexpected {response.status_code}: {response.text[:300]}", file=sys.stderr)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarise(mode, latencies, time.perf_counter() - started, concurrency, failures)


# --------------------------------------------------------------------------- main


def print_report(
    backend: str, built: dict[str, Any] | None, results: list[Result], outcomes: Counter[str], load_before: float
) -> None:
    load_after = os.getloadavg()[0]
    print(f"\nEntitlement check on {backend} (1-minute load average {load_before:.2f} before, {load_after:.2f} after)")
    if built:
        print(
            f"built in {built['demo_data_s'] + built['contracts_s'] + built['commit_s']:.1f} s: demo data "
            f"{built['demo_data_s']} s, contracts {built['contracts_s']} s, commit {built['commit_s']} s"
        )
    header = f"{'mode':<22} {'checks':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'checks/s':>9}"
    print(header)
    for r in results:
        print(
            f"{r.mode:<22} {r.checks:>7} {r.p50_ms:>8} {r.p95_ms:>8} {r.p99_ms:>8} {r.max_ms:>8} "
            f"{r.checks_per_s:>9}" + (f"  ({r.failures} failed)" if r.failures else "")
        )
    total = sum(outcomes[k.value] for k in CoveredBy)
    print("decisions: " + ", ".join(f"{k.value} {outcomes[k.value]} ({100 * outcomes[k.value] / total:.1f}%)"
                                    for k in CoveredBy))  # fmt: skip
    with_line = outcomes["with_contract_line_candidate"]
    print(
        f"candidates per check: {outcomes['candidates'] / total:.2f}; checks with a contract line among the "
        f"candidates: {with_line} ({100 * with_line / total:.1f}%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite+aiosqlite:///./var/bench_entitlement.db")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--equipment", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database built before (built when empty)")
    parser.add_argument("--samples", type=int, default=2000, help="checks measured per mode")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel HTTP clients in the second HTTP run")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--no-http", action="store_true", help="measure the service layer only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    url = args.database_url
    backend = backend_of(url)
    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}", file=sys.stderr)
    built = None
    if not args.reuse:
        recreate_database(url)
    from migrations.runner import upgrade

    upgrade(url)
    units, contracts = asyncio.run(counts(url))
    if units == 0:
        print(f"building: {args.customers:,} customers, {args.equipment:,} units with contracts", file=sys.stderr)
        built = asyncio.run(build(url, args.customers, args.equipment, args.seed))
        analyze(url)
        units, contracts = asyncio.run(counts(url))
    print(f"database: {units:,} equipment units, {contracts:,} contracts", file=sys.stderr)

    samples = asyncio.run(draw_samples(url, args.samples, args.seed))
    service, outcomes = asyncio.run(bench_service(url, samples))
    results = [service]
    if not args.no_http:
        with spawned_server(url) as base_url:
            results.append(asyncio.run(bench_http(base_url, samples, 1)))
            results.append(asyncio.run(bench_http(base_url, samples, args.concurrency)))

    print_report(backend, built, results, outcomes, load_before[0])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "backend": backend,
            "equipment": units,
            "contracts": contracts,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "build": built,
            "results": [asdict(r) for r in results],
            "outcomes": dict(outcomes),
        }
        args.json.write_text(json.dumps(payload, indent=2))
    if any(r.failures for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
