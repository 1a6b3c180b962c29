"""ORM models of the contracts domain."""

from contracts.models.billable_items import BillableItem
from contracts.models.credit import CreditAccount, CreditOverride
from contracts.models.service_contracts import (
    ContractLine,
    ContractLineEquipment,
    ContractNotice,
    EntitlementUsage,
    ServiceContract,
)
from contracts.models.service_levels import CoverageCalendarRecord, ServiceLevel, ServiceLevelTarget
from contracts.models.warranties import ProductWarrantyTerm, Warranty, WarrantyTerm

__all__ = [
    "BillableItem",
    "ContractLine",
    "ContractLineEquipment",
    "ContractNotice",
    "CoverageCalendarRecord",
    "CreditAccount",
    "CreditOverride",
    "EntitlementUsage",
    "ProductWarrantyTerm",
    "ServiceContract",
    "ServiceLevel",
    "ServiceLevelTarget",
    "Warranty",
    "WarrantyTerm",
]
