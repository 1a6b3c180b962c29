"""HTTP smoke benchmark: list and create equipment against a running service.

Prints requests/s and p50/p99 latency per operation. With --spawn it starts its own server
(`service-mgmt serve`) on the given DATABASE_URL, migrates it and loads demo data first, so
one command measures SQLite or PostgreSQL end to end:

    .venv/bin/python bench/api_smoke.py --spawn --database-url sqlite+aiosqlite:///./var/bench.db
    .venv/bin/python bench/api_smoke.py --spawn --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/api_smoke.py --base-url http://127.0.0.1:8000      # an already running service
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(
    name: str, requests: int, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]], expect: int
) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    queue = iter(range(requests))

    async def worker() -> None:
        nonlocal failures
        for i in queue:
            started = time.perf_counter()
            response = await call(i)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != expect:
                failures += 1
                if failures <= 3:
                    print(f"  {name}: unexpected {response.status_code}: {response.text[:200]}", file=sys.stderr)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "operation": name,
        "requests": requests,
        "concurrency": concurrency,
        "failures": failures,
        "requests_per_s": round(requests / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
    }


async def run(base_url: str, requests: int, concurrency: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        token = (await client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"})).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        customers = (await client.get("/api/v1/customers", params={"limit": 200})).json()["items"]
        products = (await client.get("/api/v1/products", params={"serialized": "true", "kind": "equipment"})).json()
        product_ids = [p["id"] for p in products["items"]]
        run_tag = f"{int(time.time())}-{os.getpid()}"
        rng = random.Random(7)

        async def list_equipment(i: int) -> httpx.Response:
            customer = customers[i % len(customers)]["id"]
            return await client.get("/api/v1/equipment", params={"customer_id": customer, "limit": 50})

        async def list_equipment_pages(i: int) -> httpx.Response:
            return await client.get("/api/v1/equipment", params={"limit": 50, "offset": (i * 50) % 2000})

        async def create_equipment(i: int) -> httpx.Response:
            body = {
                "product_id": rng.choice(product_ids),
                "serial_number": f"BENCH-{run_tag}-{i:07d}",
                "customer_id": customers[i % len(customers)]["id"],
            }
            return await client.post("/api/v1/equipment", json=body)

        results = [
            await measure("list equipment of a customer", requests, concurrency, list_equipment, 200),
            await measure("list equipment, paged", requests, concurrency, list_equipment_pages, 200),
            await measure("create equipment", requests, concurrency, create_equipment, 201),
        ]
    return results


@contextmanager
def spawned_server(database_url: str, port: int, customers: int, equipment: int) -> Iterator[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "SECRET_KEY": "bench-" + "k" * 40}
    subprocess.run([BIN / "service-mgmt", "db", "upgrade"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [BIN / "service-mgmt", "demo-data", "--if-empty", "--customers", str(customers), "--equipment", str(equipment)],
        env=env,
        check=True,
        cwd=ROOT,
    )
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
            time.sleep(0.3)
        else:
            raise RuntimeError("the server did not become ready within 60 s")
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--spawn", action="store_true", help="start a server on --database-url for the run")
    parser.add_argument("--database-url", default="sqlite+aiosqlite:///./var/bench.db")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--customers", type=int, default=240, help="demo-data size when spawning")
    parser.add_argument("--equipment", type=int, default=2400, help="demo-data size when spawning")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    if args.spawn:
        with spawned_server(args.database_url, args.port, args.customers, args.equipment) as base_url:
            results = asyncio.run(run(base_url, args.requests, args.concurrency))
    else:
        results = asyncio.run(run(args.base_url, args.requests, args.concurrency))

    backend = args.database_url.split(":", 1)[0] if args.spawn else args.base_url
    print(f"\nAPI smoke benchmark against {backend}: {args.requests} requests per operation,", end=" ")
    print(f"concurrency {args.concurrency}")
    print(f"{'operation':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failures':>9}")
    for r in results:
        print(f"{r['operation']:<32} {r['requests_per_s']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['failures']:>9}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if any(r["failures"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
