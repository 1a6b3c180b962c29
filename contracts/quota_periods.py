"""Which quota period a day falls in, for a contract line's quotas."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from contracts.choices import QuotaPeriod


# Pure, and relativedelta is slow; many lines share a start date and a day.
@lru_cache(maxsize=4096)
def period_start(period: QuotaPeriod, contract_start: dt.date, day: dt.date) -> dt.date:
    """The first day of the quota period containing `day`.

    Yearly quotas refill on the contract's anniversaries (not on 1 January), monthly ones on
    the first of each calendar month, term quotas never.
    """
    if period is QuotaPeriod.TERM or day < contract_start:
        return contract_start
    if period is QuotaPeriod.MONTH:
        return max(contract_start, day.replace(day=1))
    years = relativedelta(day, contract_start).years
    anniversary: dt.date = contract_start + relativedelta(years=years)
    return anniversary
