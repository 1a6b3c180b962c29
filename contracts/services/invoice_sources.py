"""Giving an invoice's sources back to billing, when a draft is deleted or an invoice voided.

- Billable items its lines billed go back to `open`, so the next run bills them again.
- `UsagePeriod` rows pointing at its lines are deleted, so the period's usage can be billed
  again. The usage baselines (`UsageBaseline`, the last reading billed per counter) are NOT
  rewound: a re-billed usage period counts only the readings after the baseline, so usage that
  was on a deleted or voided line is not charged again by the next run. Whoever must recharge
  it does so by hand (a manual line).
- Contract fees need nothing here: a fee is billed once because its `source_key` is unique;
  a deleted line frees the key with it, and voiding moves it to `released_source_key`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.choices import BillableStatus
from contracts.models import BillableItem, InvoiceLine, UsagePeriod


async def release_sources(session: AsyncSession, lines: Sequence[InvoiceLine]) -> None:
    """Reopen the billable items and forget the usage periods these lines billed."""
    line_ids = [line.id for line in lines]
    item_ids = [line.billable_item_id for line in lines if line.billable_item_id is not None]
    if item_ids:
        await session.execute(
            update(BillableItem)
            .where(BillableItem.id.in_(item_ids), BillableItem.status == BillableStatus.BILLED.value)
            .values(status=BillableStatus.OPEN.value)
            .execution_options(synchronize_session="fetch")
        )
    if line_ids:
        await session.execute(delete(UsagePeriod).where(UsagePeriod.invoice_line_id.in_(line_ids)))


def release_keys(lines: Sequence[InvoiceLine]) -> None:
    """Move each line's `source_key` to `released_source_key`: the source may be billed again."""
    for line in lines:
        if line.source_key is not None:
            line.released_source_key, line.source_key = line.source_key, None
