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


@dataclass(frozen=True, slots=True)
class PlanChanged:
    """Something every open dispatch board must show: a task was moved, pinned, published, added,
    or its technician reported a step (see `service_mgmt.dispatch.announce`). Published inside the
    transaction that made the change; the edge delivers it to the boards only once that commits."""

    kind: str  # move | pin | publish | status | task | run (the live contract's kinds)
    task_ids: tuple[UUID, ...]
    by: str  # who did it, as people call them (display name, else username)
    text: str  # what happened, naming people and jobs (no ids)
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class RunProgressed:
    """An optimization run started, found a better plan, or finished (written by its driver)."""

    run_id: UUID
    status: str
    best_objective: float | None
    at: dt.datetime
