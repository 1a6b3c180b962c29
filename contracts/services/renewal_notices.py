"""The renewal notice e-mailed to a customer when a contract's notice period begins.

`contracts.jobs.raise_renewal_reminders` records one `ContractNotice` per contract and term
end and calls `queue_renewal_notices` for the notices it inserted, in the same transaction:
the e-mail goes through the outbox (sent after commit, never for a rolled-back run), with the
dedupe key ``renewal_notice:<contract>:<term end>``, so a term's notice is one mail however
often or concurrently the job runs.

The mail goes to the invoice address of the contract's bill-to (`bill_to_of`), the people who
pay for the renewal. It names the contract, the end of its term, and whether it renews by
itself; if so, the next term and the fee after the uplift, computed by the same rule renewal
uses (`service_contracts.uplifted`). A customer without any e-mail address gets no mail; the
notice is still recorded on the contract.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillingPeriod
from contracts.models import ServiceContract
from contracts.services.bill_to import BillTo, bill_to_of
from contracts.services.service_contracts import successor_term, uplifted
from core import outbox
from core.outbox_dispatch import EMAIL
from core.settings import BillingSettings

log = logging.getLogger(__name__)

KIND = "renewal_notice"  # names the dedupe key; the outbox kind is the plain "email"
CHUNK = 1000
PER_PERIOD = {BillingPeriod.MONTHLY: "month", BillingPeriod.QUARTERLY: "quarter", BillingPeriod.YEARLY: "year"}


def dedupe_key(contract_id: UUID, term_ends_on: dt.date) -> str:
    return f"{KIND}:{contract_id}:{term_ends_on.isoformat()}"


async def queue_renewal_notices(
    session: AsyncSession, contract_ids: Sequence[UUID], settings: BillingSettings, now: dt.datetime
) -> int:
    """Enqueue the notice e-mail of each contract (its current term); answers how many were queued."""
    if not contract_ids:
        return 0
    ids = list(contract_ids)
    contracts: list[ServiceContract] = []
    for start in range(0, len(ids), CHUNK):  # bounded IN lists, whatever a catch-up run finds
        chunk = ids[start : start + CHUNK]
        contracts += (await session.scalars(select(ServiceContract).where(ServiceContract.id.in_(chunk)))).all()
    payers = await bill_to_of(session, {c.customer_id for c in contracts}, settings)
    queued = 0
    for contract in sorted(contracts, key=lambda c: (c.ends_on, c.number)):
        bill_to = payers.get(contract.customer_id)
        if bill_to is None or not bill_to.email:
            log.info("renewal notice of %s not e-mailed: the customer has no e-mail address", contract.number)
            continue
        subject, body = renewal_notice_text(contract, bill_to, settings)
        await outbox.enqueue(
            session,
            kind=EMAIL,  # the plain e-mail handler sends the row's recipient, subject and body
            dedupe_key=dedupe_key(contract.id, contract.ends_on),
            now=now,
            recipient=bill_to.email,
            subject=subject,
            body=body,
            payload={"contract_id": str(contract.id), "term_ends_on": contract.ends_on.isoformat()},
        )
        queued += 1
    return queued


def renewal_notice_text(contract: ServiceContract, bill_to: BillTo, settings: BillingSettings) -> tuple[str, str]:
    ends_on = contract.ends_on.isoformat()
    subject = f"Service contract {contract.number} ends on {ends_on}"
    lines = [
        f"Dear {bill_to.name},",
        "",
        f"your service contract {contract.number} ({contract.name}) ends on {ends_on}.",
        "",
    ]
    if contract.auto_renew:
        starts, ends = successor_term(contract.starts_on, contract.ends_on)
        fee = uplifted(contract.fee_amount, contract.renewal_uplift_pct)
        period = PER_PERIOD.get(BillingPeriod(contract.billing_period), contract.billing_period)
        lines += [
            f"It renews automatically for a further term from {starts.isoformat()} to {ends.isoformat()}.",
            f"The fee for the new term is {contract.currency} {_money(fee)} per {period}"
            + _uplift_note(contract.fee_amount, contract.renewal_uplift_pct, contract.currency)
            + ".",
            f"If you do not wish to renew, please tell us before {ends_on}.",
        ]
    else:
        lines += [
            "It does not renew automatically: the service ends with the term.",
            "If you wish to continue, please contact us to renew it.",
        ]
    lines += ["", "Kind regards,", settings.seller_name, settings.seller_email]
    return subject, "\n".join(lines) + "\n"


def _uplift_note(fee: Decimal, pct: Decimal, currency: str) -> str:
    if pct == 0:
        return " (unchanged)"
    return f" (currently {currency} {_money(fee)}, plus {pct.normalize():f} % uplift)"


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"
