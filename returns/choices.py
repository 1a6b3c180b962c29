"""Status and kind choice sets of the returns domain, with their transition tables."""

from __future__ import annotations

from enum import StrEnum


class RmaType(StrEnum):
    REPAIR_RETURN = "repair_return"
    ADVANCE_EXCHANGE = "advance_exchange"
    RETURN_CREDIT = "return_credit"
    DEPOT_REPAIR = "depot_repair"


class RmaStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    REJECTED = "rejected"
    AWAITING_RECEIPT = "awaiting_receipt"
    RECEIVED = "received"
    IN_DIAGNOSIS = "in_diagnosis"
    AWAITING_APPROVAL = "awaiting_approval"  # a quote for non-covered work waits for the customer
    IN_REPAIR = "in_repair"
    IN_QA = "in_qa"
    SHIPPED = "shipped"
    CLOSED = "closed"
    CANCELLED = "cancelled"


RMA_TRANSITIONS: dict[RmaStatus, frozenset[RmaStatus]] = {
    RmaStatus.REQUESTED: frozenset({RmaStatus.AUTHORIZED, RmaStatus.REJECTED, RmaStatus.CANCELLED}),
    RmaStatus.AUTHORIZED: frozenset({RmaStatus.AWAITING_RECEIPT, RmaStatus.CANCELLED}),
    RmaStatus.REJECTED: frozenset({RmaStatus.CLOSED}),
    RmaStatus.AWAITING_RECEIPT: frozenset({RmaStatus.RECEIVED, RmaStatus.CANCELLED}),
    # a return for credit is checked and closed; a repair goes to diagnosis
    RmaStatus.RECEIVED: frozenset({RmaStatus.IN_DIAGNOSIS, RmaStatus.CLOSED}),
    RmaStatus.IN_DIAGNOSIS: frozenset({RmaStatus.AWAITING_APPROVAL, RmaStatus.IN_REPAIR, RmaStatus.SHIPPED}),
    # declined: shipped back unrepaired
    RmaStatus.AWAITING_APPROVAL: frozenset({RmaStatus.IN_REPAIR, RmaStatus.SHIPPED}),
    RmaStatus.IN_REPAIR: frozenset({RmaStatus.IN_QA}),
    RmaStatus.IN_QA: frozenset({RmaStatus.SHIPPED, RmaStatus.IN_REPAIR}),  # failed QA goes back
    RmaStatus.SHIPPED: frozenset({RmaStatus.CLOSED}),
    RmaStatus.CLOSED: frozenset(),
    RmaStatus.CANCELLED: frozenset(),
}


class QuoteStatus(StrEnum):
    SENT = "sent"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class RepairOrderStatus(StrEnum):
    DIAGNOSIS = "diagnosis"
    AWAITING_APPROVAL = "awaiting_approval"
    IN_REPAIR = "in_repair"
    IN_QA = "in_qa"
    DONE = "done"
    DECLINED = "declined"  # the customer declined the quote: returned unrepaired


class StockLocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    DEPOT = "depot"
    VAN = "van"


class StockMoveKind(StrEnum):
    RECEIPT = "receipt"  # goods in from a supplier
    ISSUE = "issue"  # consumed on a work order or repair order
    TRANSFER = "transfer"
    RETURN = "return"  # back into stock (unused part, returned unit)
    SCRAP = "scrap"
    ADJUSTMENT = "adjustment"  # counting differences; needs a reason


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    CONSUMED = "consumed"
    RELEASED = "released"


class SerialStatus(StrEnum):
    IN_STOCK = "in_stock"
    RESERVED = "reserved"
    ISSUED = "issued"
    IN_TRANSIT = "in_transit"
    SCRAPPED = "scrapped"
