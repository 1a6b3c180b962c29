"""The solver's costs as money. The objective's integer units are weighed by the policies as cents
(``problem_builder.cost_per_second``: travel at 1 per second is 36.00 an hour), in the engineer's
currency (currencies are not converted)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    amount: str  # decimal with two places: "12.50"
    currency: str


def money(cents: int, currency: str) -> Money:
    return Money(str((Decimal(cents) / 100).quantize(Decimal("0.01"))), currency)
