"""Route handlers: parse, call one service function, shape the answer."""

from __future__ import annotations

from typing import Any

from api.routes.auth import login, me
from api.routes.contacts import ContactController
from api.routes.credit import CreditController
from api.routes.customers import CustomerController
from api.routes.engineers import EngineerController
from api.routes.entitlements import check_entitlement
from api.routes.equipment import CounterController, EquipmentController
from api.routes.job_templates import JobTemplateController
from api.routes.products import ProductController
from api.routes.service_contracts import ServiceContractController
from api.routes.service_levels import CoverageCalendarController, ServiceLevelController
from api.routes.service_requests import ServiceRequestController
from api.routes.sites import SiteController
from api.routes.system import health, landing, ready
from api.routes.users import UserController
from api.routes.warranties import (
    EquipmentWarrantyController,
    ProductWarrantyTermController,
    WarrantyController,
    WarrantyTermController,
)
from api.routes.work_orders import WorkOrderController

ROUTE_HANDLERS: list[Any] = [
    health,
    ready,
    landing,
    login,
    me,
    CustomerController,
    EngineerController,
    UserController,
    ContactController,
    SiteController,
    ProductController,
    EquipmentController,
    CounterController,
    CoverageCalendarController,
    ServiceLevelController,
    WarrantyTermController,
    ProductWarrantyTermController,
    WarrantyController,
    EquipmentWarrantyController,
    CreditController,
    check_entitlement,
    ServiceContractController,
    ServiceRequestController,
    JobTemplateController,
    WorkOrderController,
]
