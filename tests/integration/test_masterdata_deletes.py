"""Deleting master data that other domains still refer to: one 409 that lists every domain's dependents.

Master data cannot import the domains above it, so each of them counts its own references when
`masterdata` announces a delete (contracts, service requests, returns).
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import SYSTEM
from core.domain_events import UnhandledEvent, handlers_of, subscribe, unsubscribe
from core.errors import Conflict
from masterdata.events import CustomerDeleting, SiteDeleting
from masterdata.models import Equipment
from masterdata.services.customers import delete_customer
from masterdata.services.sites import delete_site
from tests.integration.contract_fixtures import contract_for
from tests.integration.rma_fixtures import requested_rma, rma_customer


async def test_a_customer_with_a_contract_a_warranty_and_an_rma_is_refused_with_every_dependent(
    session: AsyncSession,
) -> None:
    party = await rma_customer(session, "Globex")
    await contract_for(session, party.it)
    await requested_rma(session, party)

    with pytest.raises(Conflict) as refused:
        await delete_customer(session, SYSTEM, party.it.customer_id)

    dependents = refused.value.extra["dependents"]
    assert refused.value.code == "customer_in_use"
    assert dependents == {"contacts": 1, "sites": 1, "equipment": 1, "contracts": 1, "warranties": 1, "rmas": 1}


async def test_a_site_named_on_a_contract_line_is_refused_with_the_line(session: AsyncSession) -> None:
    party = await rma_customer(session, "Initech", in_warranty=False)
    _, line = await contract_for(session, party.it)
    line.site_id = party.it.site_id
    unit = await session.get(Equipment, party.it.equipment_id)
    assert unit is not None
    unit.site_id = None  # only the contract line still names the site
    await session.flush()

    with pytest.raises(Conflict) as refused:
        await delete_site(session, SYSTEM, party.it.site_id)

    assert refused.value.extra["dependents"] == {"contract_lines": 1}


async def test_a_delete_with_no_domain_wired_fails_loudly_instead_of_skipping_the_checks(session: AsyncSession) -> None:
    party = await rma_customer(session, "Umbrella", in_warranty=False)
    wired = handlers_of(CustomerDeleting)
    for handler in wired:
        unsubscribe(CustomerDeleting, handler)
    try:
        with pytest.raises(UnhandledEvent, match="CustomerDeleting"):
            await delete_customer(session, SYSTEM, party.it.customer_id)
    finally:
        for handler in wired:
            subscribe(CustomerDeleting, handler)
    assert handlers_of(SiteDeleting), "the wiring is back for the next test"
