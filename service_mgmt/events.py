"""Domain events `service_mgmt` publishes (see core.domain_events); other packages subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from core.auth import Principal


@dataclass(frozen=True, slots=True)
class ConsumedLine:
    product_id: UUID
    quantity: Decimal
    serial_in: str | None = None  # the serial installed, for a serialized part


@dataclass(frozen=True, slots=True)
class PartsConsumed:
    """A technician confirmed parts used on a work order (the PartConsumption rows are written)."""

    work_order_id: UUID
    work_order_number: str
    engineer_id: UUID
    lines: tuple[ConsumedLine, ...]
    at: dt.datetime
    actor: Principal
