"""Domain events master data publishes (see core.domain_events); higher packages react.

Master data sits below every domain, so it cannot call them. Where one of its changes must set
off work above it, it announces the fact here and the higher package's handler runs in the same
session and transaction. Each event is `must_be_handled`: publishing one with no handler
registered is a wiring error (the entry point forgot `returns.reactions.register_handlers()`),
not a silent no-op.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar
from uuid import UUID

from core.auth import Principal
from core.clock import Clock
from masterdata.models import Counter, CounterReading


@dataclass(frozen=True, slots=True)
class UnitDatesRecorded:
    """A unit was registered, or its install or ship date changed: its warranty may start now."""

    must_be_handled: ClassVar[bool] = True
    equipment_id: UUID
    customer_id: UUID
    product_id: UUID
    install_date: dt.date | None
    ship_date: dt.date | None
    actor: Principal


@dataclass(frozen=True, slots=True)
class CounterReadingRecorded:
    """A reading was written (its counter row is locked by the writer)."""

    must_be_handled: ClassVar[bool] = True
    counter: Counter
    reading: CounterReading
    clock: Clock  # the use case's "now", so a reaction and its cause agree on the time


@dataclass(frozen=True, slots=True)
class CustomerDeleting:
    """A customer is about to be deleted: each domain adds what it still holds of it to `dependents`."""

    must_be_handled: ClassVar[bool] = True
    customer_id: UUID
    dependents: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SiteDeleting:
    """A site is about to be deleted: each domain adds what it still holds of it to `dependents`."""

    must_be_handled: ClassVar[bool] = True
    site_id: UUID
    dependents: dict[str, int] = field(default_factory=dict)
