"""Machine-readable error codes of the returns domain (append only)."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    ILLEGAL_TRANSITION = "illegal_transition"
    RMA_ON_HOLD = "rma_on_hold"
    # RMA core, receipt, advance exchange
    RMA_NOT_ON_HOLD = "rma_not_on_hold"
    EQUIPMENT_REQUIRED = "equipment_required"
    EQUIPMENT_MISMATCH = "equipment_mismatch"
    AMBIGUOUS_SERIAL = "ambiguous_serial"
    REJECTION_REASON_REQUIRED = "rejection_reason_required"
    NOT_ADVANCE_EXCHANGE = "not_advance_exchange"
    REPLACEMENT_ALREADY_SHIPPED = "replacement_already_shipped"
    REPLACEMENT_REQUIRED = "replacement_required"
    REPLACEMENT_UNAVAILABLE = "replacement_unavailable"
    # inventory
    INSUFFICIENT_STOCK = "insufficient_stock"
    INVALID_QUANTITY = "invalid_quantity"
    SERIAL_REQUIRED = "serial_required"
    SERIAL_NOT_ALLOWED = "serial_not_allowed"
    SERIAL_NOT_AVAILABLE = "serial_not_available"
    SERIAL_ALREADY_IN_STOCK = "serial_already_in_stock"
    REASON_REQUIRED = "reason_required"
    LOCATION_INACTIVE = "location_inactive"
    LOCATION_IN_USE = "location_in_use"
    DUPLICATE_LOCATION_CODE = "duplicate_location_code"
    SAME_LOCATION = "same_location"
    NO_STOCK_LOCATION = "no_stock_location"
    RESERVATION_NOT_ACTIVE = "reservation_not_active"
    # depot repair
    REPAIR_ORDER_EXISTS = "repair_order_exists"
    REPAIR_ORDER_NOT_EDITABLE = "repair_order_not_editable"
    QUOTE_NOT_OPEN = "quote_not_open"
    CREDIT_CHECK_FAILED = "credit_check_failed"
    PRICE_MISSING = "price_missing"
    CURRENCY_MISMATCH = "currency_mismatch"
    DEPOT_LOCATION_REQUIRED = "depot_location_required"
    DOCUMENT_NOT_AVAILABLE = "document_not_available"
    # public tracking
    TRACKING_RATE_LIMITED = "tracking_rate_limited"
    # shipping waits for the repair order
    NOT_READY_TO_SHIP = "not_ready_to_ship"
