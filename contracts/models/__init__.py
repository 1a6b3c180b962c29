"""ORM models of the contracts domain."""

from contracts.models.billable_items import BillableItem
from contracts.models.billing_profiles import BillingProfile
from contracts.models.billing_runs import BillingRun, UsageBaseline, UsagePeriod
from contracts.models.credit import CreditAccount, CreditOverride
from contracts.models.invoices import Invoice, InvoiceLine
from contracts.models.payments import Payment, PaymentAllocation
from contracts.models.service_contracts import (
    ContractLine,
    ContractLineEquipment,
    ContractNotice,
    ContractSuspension,
    EntitlementUsage,
    ServiceContract,
)
from contracts.models.service_levels import CoverageCalendarRecord, ServiceLevel, ServiceLevelTarget
from contracts.models.warranties import ProductWarrantyTerm, Warranty, WarrantyTerm

__all__ = [
    "BillableItem",
    "BillingProfile",
    "BillingRun",
    "ContractLine",
    "ContractLineEquipment",
    "ContractNotice",
    "ContractSuspension",
    "CoverageCalendarRecord",
    "CreditAccount",
    "CreditOverride",
    "EntitlementUsage",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "PaymentAllocation",
    "ProductWarrantyTerm",
    "ServiceContract",
    "ServiceLevel",
    "ServiceLevelTarget",
    "UsageBaseline",
    "UsagePeriod",
    "Warranty",
    "WarrantyTerm",
]
