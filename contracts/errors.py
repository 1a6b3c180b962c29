"""Machine-readable error codes of the contracts domain."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    DUPLICATE_CODE = "duplicate_code"
    INVALID_TIME_ZONE = "invalid_time_zone"
    INVALID_CALENDAR = "invalid_calendar"
    INVALID_TARGETS = "invalid_targets"
    IN_USE = "in_use"
    CREDIT_ACCOUNT_EXISTS = "credit_account_exists"
    INVALID_AMOUNT = "invalid_amount"
    OVERDUE_EXCEEDS_OPEN = "overdue_exceeds_open"
    HOLD_REASON_REQUIRED = "hold_reason_required"
    ALREADY_ON_HOLD = "already_on_hold"
    NOT_ON_HOLD = "not_on_hold"
    FOUR_EYES_REQUIRED = "four_eyes_required"
    INVALID_REQUESTER = "invalid_requester"
    INVALID_VALID_UNTIL = "invalid_valid_until"
    INVALID_CURRENCY = "invalid_currency"
    ENDS_BEFORE_STARTS = "ends_before_starts"
    USAGE_INCOMPLETE = "usage_incomplete"
    CONTRACT_NOT_EDITABLE = "contract_not_editable"
    CONTRACT_WITHOUT_LINES = "contract_without_lines"
    REASON_REQUIRED = "reason_required"
    USE_RENEWAL = "use_renewal"
    CONTRACT_ALREADY_RENEWED = "contract_already_renewed"
    RENEWAL_TERM_OVER = "renewal_term_over"
    EQUIPMENT_NOT_OF_CUSTOMER = "equipment_not_of_customer"
    SITE_NOT_OF_CUSTOMER = "site_not_of_customer"
    LINE_COVERS_NOTHING = "line_covers_nothing"
    INVALID_PERCENT = "invalid_percent"
    INVALID_COUNTER_VALUE = "invalid_counter_value"
    TERM_WITHOUT_LIMIT = "term_without_limit"
    COUNTER_NAME_REQUIRED = "counter_name_required"
    WARRANTY_ALREADY_VOID = "warranty_already_void"
