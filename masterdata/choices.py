"""Status and kind choice sets of master data."""

from __future__ import annotations

from enum import StrEnum


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class ProductKind(StrEnum):
    EQUIPMENT = "equipment"
    SPARE_PART = "spare_part"
    CONSUMABLE = "consumable"
    SERVICE = "service"


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    UNDER_REPAIR = "under_repair"
    DECOMMISSIONED = "decommissioned"
    RETURNED = "returned"
    REMOVED = "removed"  # taken out of its parent by a component replacement


class EquipmentEventKind(StrEnum):
    CREATED = "created"
    MOVED = "moved"
    STATUS_CHANGED = "status_changed"
    COMPONENT_INSTALLED = "component_installed"
    COMPONENT_REMOVED = "component_removed"
    REPLACED_BY = "replaced_by"
    REPLACES = "replaces"
    UPDATED = "updated"


class ReadingKind(StrEnum):
    REGULAR = "regular"
    RESET = "reset"
    METER_REPLACEMENT = "meter_replacement"


class ReadingSource(StrEnum):
    MANUAL = "manual"
    TECHNICIAN = "technician"
    CUSTOMER = "customer"
    DEVICE = "device"
