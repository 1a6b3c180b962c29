"""ORM models of the service management domain."""

from service_mgmt.models.confirmations import Confirmation, PartConsumption, TaskStatusEvent, TimeEntry
from service_mgmt.models.counters import Counter, CounterReading
from service_mgmt.models.customers import Contact, Customer, Site
from service_mgmt.models.dispatch import DispatchRun
from service_mgmt.models.engineers import Absence, Certification, Engineer, EngineerSkill, WorkingHours
from service_mgmt.models.equipment import Equipment, EquipmentEvent
from service_mgmt.models.knowledge import KnowledgeCode
from service_mgmt.models.pm_plans import PmCall, PmPlan
from service_mgmt.models.products import Product
from service_mgmt.models.service_requests import ServiceRequest, ServiceRequestEvent
from service_mgmt.models.sla_alerts import SlaAlert
from service_mgmt.models.users import User
from service_mgmt.models.work_orders import (
    JobTemplate,
    JobTemplateTask,
    Task,
    TaskAssignment,
    TaskDependency,
    TaskPart,
    WorkOrder,
)

__all__ = [
    "Absence",
    "Certification",
    "Confirmation",
    "Contact",
    "Counter",
    "CounterReading",
    "Customer",
    "DispatchRun",
    "Engineer",
    "EngineerSkill",
    "Equipment",
    "EquipmentEvent",
    "JobTemplate",
    "JobTemplateTask",
    "KnowledgeCode",
    "PartConsumption",
    "PmCall",
    "PmPlan",
    "Product",
    "ServiceRequest",
    "ServiceRequestEvent",
    "Site",
    "SlaAlert",
    "Task",
    "TaskAssignment",
    "TaskDependency",
    "TaskPart",
    "TaskStatusEvent",
    "TimeEntry",
    "User",
    "WorkOrder",
    "WorkingHours",
]
