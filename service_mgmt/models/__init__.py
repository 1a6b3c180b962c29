"""ORM models of the service management domain."""

# The tables our foreign keys name (customers, units, engineers …; contract lines, credit overrides):
# loading their models with ours gives those columns their types.
import contracts.models  # noqa: F401
import masterdata.models  # noqa: F401
from service_mgmt.models.calendar_feeds import CalendarFeed, FeedKind
from service_mgmt.models.confirmations import Confirmation, PartConsumption, TaskStatusEvent, TimeEntry
from service_mgmt.models.dispatch import DispatchRun
from service_mgmt.models.knowledge import KnowledgeCode
from service_mgmt.models.pm_plans import PmCall, PmPlan
from service_mgmt.models.service_requests import ServiceRequest, ServiceRequestEvent
from service_mgmt.models.sla_alerts import SlaAlert
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
    "CalendarFeed",
    "Confirmation",
    "DispatchRun",
    "FeedKind",
    "JobTemplate",
    "JobTemplateTask",
    "KnowledgeCode",
    "PartConsumption",
    "PmCall",
    "PmPlan",
    "ServiceRequest",
    "ServiceRequestEvent",
    "SlaAlert",
    "Task",
    "TaskAssignment",
    "TaskDependency",
    "TaskPart",
    "TaskStatusEvent",
    "TimeEntry",
    "WorkOrder",
]
