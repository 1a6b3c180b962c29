"""ORM models of master data."""

from masterdata.models.counters import Counter, CounterReading
from masterdata.models.custom_fields import CustomFieldDefinition
from masterdata.models.customers import Contact, Customer, Site
from masterdata.models.engineers import Absence, Certification, Engineer, EngineerSkill, WorkingHours
from masterdata.models.equipment import Equipment, EquipmentEvent
from masterdata.models.products import Product
from masterdata.models.users import User

__all__ = [
    "Absence",
    "Certification",
    "Contact",
    "Counter",
    "CounterReading",
    "CustomFieldDefinition",
    "Customer",
    "Engineer",
    "EngineerSkill",
    "Equipment",
    "EquipmentEvent",
    "Product",
    "Site",
    "User",
    "WorkingHours",
]
