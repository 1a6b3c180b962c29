"""The credit gate: billable work goes to `scheduled` only when the customer's credit allows it.

Covered work (fully paid by a warranty or contract line) passes without a check. Billable work
runs the credit check of `contracts` for the estimated amount (0 when nobody estimated it),
with the work order number as reference. A check that answers `fail` or `hold` closes the gate
with the reasons, unless an override approved by a contract administrator covers it: the
credit service then answers `pass` with an `override` reason and uses the override up, and
the work order records which override let it through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.credit_rule import CreditDecision, CreditOutcome, CreditReason
from contracts.models import CreditAccount
from contracts.services.credit import run_credit_check
from core.auth import Principal
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Conflict
from service_mgmt.errors import Code
from service_mgmt.models import WorkOrder

# The currency of a check for a customer without a credit account. Such a check fails for any
# amount above 0 (no account, no credit) whatever the currency; an override for it has to be
# approved in this currency.
FALLBACK_CURRENCY = "EUR"


@dataclass(frozen=True, slots=True)
class GateResult:
    checked: bool
    outcome: str | None = None
    override_id: UUID | None = None
    reasons: tuple[dict[str, Any], ...] = ()


NOT_CHECKED = GateResult(checked=False)


async def pass_credit_gate(
    session: AsyncSession, actor: Principal, work_order: WorkOrder, *, clock: Clock = SYSTEM_CLOCK
) -> GateResult:
    """Answer how the gate was passed, or raise 409 `credit_check_failed` with the reasons."""
    if not work_order.billable:
        return NOT_CHECKED
    amount = work_order.estimated_amount if work_order.estimated_amount is not None else Decimal("0.00")
    currency = await _currency(session, work_order.customer_id)
    decision = await run_credit_check(
        session, actor, work_order.customer_id, amount, currency, work_order.number, clock=clock
    )
    reasons = tuple(reason_json(reason) for reason in decision.reasons)
    if decision.outcome is not CreditOutcome.PASS:
        raise Conflict(
            Code.CREDIT_CHECK_FAILED,
            f"work order {work_order.number} is billable and the credit check answered {decision.outcome.value}: "
            + "; ".join(reason.detail for reason in decision.reasons)
            + ". A contract administrator can approve an override for it.",
            field="status",
            extra=_problem_extra(decision, reasons),
        )
    return GateResult(checked=True, outcome=decision.outcome.value, override_id=decision.override_id, reasons=reasons)


async def _currency(session: AsyncSession, customer_id: UUID) -> str:
    # populate_existing: like the credit check itself, never answer from a stale identity map.
    currency = await session.scalar(
        select(CreditAccount.currency)
        .where(CreditAccount.customer_id == customer_id)
        .execution_options(populate_existing=True)
    )
    return currency or FALLBACK_CURRENCY


def _problem_extra(decision: CreditDecision, reasons: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.value,
        "reasons": list(reasons),
        "amount": str(decision.amount.value),
        "currency": decision.amount.currency,
    }


def reason_json(reason: CreditReason) -> dict[str, Any]:
    """A reason as plain JSON, with only the figures that belong to it."""
    found: dict[str, Any] = {"code": reason.code.value, "detail": reason.detail}
    for item in dataclasses.fields(reason):
        value = getattr(reason, item.name)
        if item.name in found or value is None:
            continue
        found[item.name] = _plain(value)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
