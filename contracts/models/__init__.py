"""ORM models of the contracts domain."""

# The tables our foreign keys name are master data's: loading its models with ours gives those
# columns their types (a ForeignKey("customers.id") column is typeless until `customers` is known).
import masterdata.models  # noqa: F401
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
