"""Machine-readable error codes of the returns domain (append only)."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    ILLEGAL_TRANSITION = "illegal_transition"
    RMA_ON_HOLD = "rma_on_hold"
