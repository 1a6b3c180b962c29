"""The whole demo company in one call: what `service-mgmt demo-data` loads, layer after layer.

Master data, contracts, billing profiles, stock and the activity go in one transaction; last
month's billing commits chunk by chunk after it (it takes the session factory). `today` anchors
the activity and the billing month, so a test that passes a fixed day gets the same company as
any other run with that day and size. It lives in `api` because it composes every domain.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.demo_billing import DemoBillingActivitySummary, load_demo_billing
from core.db import create_session_factory, session_scope
from core.settings import BillingSettings
from returns.demo_activity import DemoActivitySummary, load_demo_activity
from returns.demo_stock import DemoStockSummary, load_demo_stock
from returns.services.rma_notices import NoticeLinks
from service_mgmt.demo_billing_profiles import DemoBillingSummary, load_demo_billing_profiles
from service_mgmt.demo_contracts import DemoContractsSummary, load_demo_contracts
from service_mgmt.demo_credit import DemoCreditSummary, load_demo_credit
from service_mgmt.demo_data import DemoSize, DemoSummary, Progress, database_is_empty, load_demo_data


@dataclass(frozen=True, slots=True)
class DemoCompany:
    """What each layer created."""

    data: DemoSummary
    contracts: DemoContractsSummary | None
    billing_profiles: DemoBillingSummary
    stock: DemoStockSummary
    activity: DemoActivitySummary
    billing: DemoBillingActivitySummary | None
    credit: DemoCreditSummary


async def load_demo_company(
    engine: AsyncEngine,
    size: DemoSize,
    *,
    today: dt.date,
    billing: BillingSettings,
    links: NoticeLinks,
    contracts: bool = True,
    if_empty: bool = False,
    progress: Progress | None = None,
) -> DemoCompany | None:
    """Load the demo company; None when `if_empty` and the database already holds data."""
    sessions = create_session_factory(engine)
    async with session_scope(sessions) as session:
        if if_empty and not await database_is_empty(session):
            return None
        data = await load_demo_data(session, size, progress=progress)
        # Same seed, same contracts: the layer is as reproducible as the data below it.
        contract_summary = await load_demo_contracts(session, seed=size.seed, progress=progress) if contracts else None
        # Central billing for groups, head offices abroad (reverse charge), domestic profiles.
        profiles = await load_demo_billing_profiles(session, seed=size.seed, settings=billing)
        stock = await load_demo_stock(session, seed=size.seed)  # warehouse, depot, vans
        # Calls, work orders, PM plans and RMAs, so the technician's day and the desks are not empty.
        activity = await load_demo_activity(session, seed=size.seed, today=today, links=links)
    # Last month billed, issued, partly paid, one credit note: commits chunk by chunk, so after the rest.
    billed = await load_demo_billing(sessions, seed=size.seed, today=today, settings=billing) if contracts else None
    # Last: the credit limits leave headroom above what the billing left open.
    async with session_scope(sessions) as session:
        credit = await load_demo_credit(session, today=today)
    return DemoCompany(data, contract_summary, profiles, stock, activity, billed, credit)
