"""A list filtered on a custom field at a million units, on PostgreSQL.

Defines two equipment fields through the API (`cost_centre`, text, 1,000 values, so a filter
matches about 1,000 units; `region`, single choice of four, so it matches a quarter), bulk-loads
1,000,000 units with values into a fresh database (one `INSERT ... SELECT generate_series`, then
ANALYZE), and times `GET /api/v1/equipment?custom.<name>=<value>` (the first page of 50 and the
total) over HTTP with the app in process, as the tests run it. Prints p50/p95/max per filter and
the plan PostgreSQL chose (the GIN index on `equipment.custom`, or not).

    .venv/bin/python bench/custom_field_filter.py
    .venv/bin/python bench/custom_field_filter.py --units 1000000 --calls 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from api.app import create_app  # noqa: E402
from core.auth import SYSTEM, Role  # noqa: E402
from core.db import create_engine, create_session_factory, session_scope  # noqa: E402
from core.settings import AuthSettings, DatabaseSettings, Settings  # noqa: E402
from masterdata.services.users import UserCreate, create_user  # noqa: E402
from migrations.runner import upgrade  # noqa: E402

DATABASE = "bench_custom_fields"
ADMIN, PASSWORD = "bench-admin", "bench-admin-pw-1"
CUSTOMERS = 100

LOAD = """
INSERT INTO equipment (id, product_id, serial_number, customer_id, status, custom, version, created_at, updated_at)
SELECT gen_random_uuid(), CAST(:product AS uuid), 'SN-' || lpad(i::text, 7, '0'),
       (CAST(:customers AS uuid[]))[1 + i % :n_customers], 'in_service',
       jsonb_build_object('cost_centre', 'CC-' || lpad((i % 1000)::text, 4, '0'),
                          'region', (ARRAY['north', 'south', 'east', 'west'])[1 + i % 4]),
       1, now(), now()
FROM generate_series(1, :units) AS i
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def fresh_database(admin_url: str) -> str:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        await connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    await admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"


async def measure(url: str, units: int, calls: int) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    sessions = create_session_factory(engine)
    async with session_scope(sessions) as session:
        await create_user(session, SYSTEM, UserCreate(username=ADMIN, password=PASSWORD, role=Role.ADMIN))
    settings = Settings(
        database=DatabaseSettings(url=url, pool_size=5, max_overflow=5),
        auth=AuthSettings(secret_key="bench-custom-" + "x" * 40),
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        token = (await client.post("/api/v1/auth/login", json={"username": ADMIN, "password": PASSWORD})).json()
        admin = {"Authorization": f"Bearer {token['access_token']}"}
        for body in (
            {"entity": "equipment", "name": "cost_centre", "label": "Cost centre", "type": "text"},
            {
                "entity": "equipment",
                "name": "region",
                "label": "Region",
                "type": "single_choice",
                "choices": ["north", "south", "east", "west"],
            },
        ):
            defined = await client.post("/api/v1/custom-fields", json=body, headers=admin)
            assert defined.status_code == 201, defined.text
        customers = []
        for n in range(CUSTOMERS):
            made = await client.post("/api/v1/customers", json={"name": f"Customer {n}"}, headers=admin)
            customers.append(made.json()["id"])
        product = await client.post(
            "/api/v1/products",
            json={"sku": "P-1", "name": "Printer", "kind": "equipment", "serialized": True,
                  "list_price": "100.00", "currency": "EUR", "unit": "pc"},
            headers=admin,
        )  # fmt: skip
        began = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(
                text(LOAD),
                {"product": product.json()["id"], "customers": customers, "n_customers": CUSTOMERS, "units": units},
            )
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE equipment"))
        print(f"loaded {units:,} units with custom values in {time.perf_counter() - began:.1f} s (ANALYZE included)")

        for label, params in (
            ("custom.cost_centre=CC-0042 (1 in 1,000)", {"custom.cost_centre": "CC-0042"}),
            ("custom.region=north (1 in 4)", {"custom.region": "north"}),
        ):
            first = await client.get("/api/v1/equipment", params=params, headers=admin)
            assert first.status_code == 200, first.text
            times: list[float] = []
            for _ in range(calls):
                t0 = time.perf_counter()
                answer = await client.get("/api/v1/equipment", params=params, headers=admin)
                times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200
            body = first.json()
            print(
                f"GET /equipment?{label}: total {body['total']:,}, page of {len(body['items'])}; x{calls} "
                f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
            )
        async with engine.connect() as connection:
            plan = await connection.execute(
                text("EXPLAIN (FORMAT JSON) SELECT id FROM equipment WHERE custom @> CAST(:v AS jsonb) LIMIT 50"),
                {"v": json.dumps({"cost_centre": "CC-0042"})},
            )
            chosen = json.dumps(plan.scalar_one())
            print("the containment filter uses the GIN index:", "ix_equipment_custom" in chosen)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--admin-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    url = asyncio.run(fresh_database(args.admin_url))
    upgrade(url)  # Alembic runs its own event loop
    asyncio.run(measure(url, args.units, args.calls))


if __name__ == "__main__":
    main()
