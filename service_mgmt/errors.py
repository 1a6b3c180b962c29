"""Machine-readable error codes of the service management domain."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    CUSTOMER_IN_USE = "customer_in_use"
    CUSTOMER_HIERARCHY_CYCLE = "customer_hierarchy_cycle"
    BLOCKED_REASON_REQUIRED = "blocked_reason_required"
    SITE_NOT_OF_CUSTOMER = "site_not_of_customer"
    INVALID_TIME_ZONE = "invalid_time_zone"
    INVALID_OPENING_HOURS = "invalid_opening_hours"
    DUPLICATE_SKU = "duplicate_sku"
    DUPLICATE_SERIAL = "duplicate_serial"
    PRODUCT_NOT_SERIALIZED = "product_not_serialized"
    PARENT_NOT_OF_CUSTOMER = "parent_not_of_customer"
    EQUIPMENT_HIERARCHY_CYCLE = "equipment_hierarchy_cycle"
    NOT_A_COMPONENT = "not_a_component"
    COMPONENT_ALREADY_INSTALLED = "component_already_installed"
    DUPLICATE_COUNTER = "duplicate_counter"
    READING_BELOW_PREVIOUS = "reading_below_previous"
    READING_ABOVE_NEXT = "reading_above_next"
    READING_IN_FUTURE = "reading_in_future"
    DUPLICATE_USERNAME = "duplicate_username"
    CUSTOMER_BINDING = "customer_binding"
    USER_ALREADY_LINKED = "user_already_linked"
    USER_NOT_TECHNICIAN = "user_not_technician"
    DUPLICATE_SKILL = "duplicate_skill"
    OVERLAPPING_HOURS = "overlapping_hours"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    PRODUCT_IN_USE = "product_in_use"
    IN_USE = "in_use"
