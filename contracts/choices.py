"""Status and kind choice sets of the contracts domain, with their transition tables."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class ServiceType(StrEnum):
    REPAIR = "repair"
    MAINTENANCE = "maintenance"
    INSTALLATION = "installation"
    INSPECTION = "inspection"


class StartBasis(StrEnum):
    INSTALL_DATE = "install_date"
    SHIP_DATE = "ship_date"


class ExchangeType(StrEnum):
    NONE = "none"
    ADVANCE_EXCHANGE = "advance_exchange"
    LOANER = "loaner"


class WarrantyKind(StrEnum):
    MANUFACTURER = "manufacturer"
    EXTENDED = "extended"


class ContractStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    RENEWED = "renewed"


CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.ACTIVE, ContractStatus.TERMINATED}),
    ContractStatus.ACTIVE: frozenset(
        {ContractStatus.SUSPENDED, ContractStatus.EXPIRED, ContractStatus.TERMINATED, ContractStatus.RENEWED}
    ),
    ContractStatus.SUSPENDED: frozenset({ContractStatus.ACTIVE, ContractStatus.TERMINATED, ContractStatus.EXPIRED}),
    ContractStatus.EXPIRED: frozenset({ContractStatus.RENEWED}),
    ContractStatus.TERMINATED: frozenset(),
    ContractStatus.RENEWED: frozenset(),
}


class BillingPeriod(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class BillingTiming(StrEnum):
    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


class QuotaPeriod(StrEnum):
    """The period a line's quotas refill in."""

    TERM = "term"
    YEAR = "year"
    MONTH = "month"


class CoveredBy(StrEnum):
    WARRANTY = "warranty"
    CONTRACT_LINE = "contract_line"
    NONE = "none"


class Reason(StrEnum):
    """Why a warranty or a contract line did or did not apply to a request."""

    APPLIES = "applies"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    SUSPENDED = "suspended"
    CONTRACT_NOT_ACTIVE = "contract_not_active"
    CUSTOMER_MISMATCH = "customer_mismatch"
    OBJECT_NOT_COVERED = "object_not_covered"
    TYPE_EXCLUDED = "type_excluded"
    QUOTA_EXHAUSTED = "quota_exhausted"
    COUNTER_LIMIT_REACHED = "counter_limit_reached"


class BillableSource(StrEnum):
    """Where a billable item comes from; billing traces each invoice line back to it."""

    WORK_ORDER = "work_order"
    REPAIR_ORDER = "repair_order"
    INSPECTION_FEE = "inspection_fee"
    ADVANCE_EXCHANGE = "advance_exchange"


class BillableKind(StrEnum):
    LABOUR = "labour"
    TRAVEL = "travel"
    PARTS = "parts"
    EXPENSE = "expense"
    FEE = "fee"


class BillableStatus(StrEnum):
    OPEN = "open"  # waiting for the next billing run
    BILLED = "billed"
    VOID = "void"


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"  # negative lines correcting an issued invoice it references


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # built by a billing run (or by hand); no number yet, may still change
    ISSUED = "issued"  # numbered, dated, sent; nothing settled yet
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"  # settled in full (payments and credit notes)
    VOID = "void"  # cancelled before anything was settled; its sources go back to billing


INVOICE_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED}),
    InvoiceStatus.ISSUED: frozenset({InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.VOID}),
    InvoiceStatus.PARTIALLY_PAID: frozenset({InvoiceStatus.PAID, InvoiceStatus.ISSUED}),
    InvoiceStatus.PAID: frozenset({InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.ISSUED}),
    InvoiceStatus.VOID: frozenset(),
}
OPEN_INVOICE_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID})


class InvoiceLineSource(StrEnum):
    """What an invoice line bills; `source_key` names the exact fee, usage period or item."""

    CONTRACT_FEE = "contract_fee"
    USAGE = "usage"
    BILLABLE_ITEM = "billable_item"
    MANUAL = "manual"
    CREDIT = "credit"  # a credit note's line, pointing at the invoice line it corrects


class BillingRunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ABANDONED = "abandoned"  # its process died; a later run took over


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    CASH = "cash"
    CHEQUE = "cheque"
