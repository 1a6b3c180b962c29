"""Route handlers: parse, call one service function, shape the answer."""

from __future__ import annotations

from typing import Any

from api.live.stream import LiveController
from api.routes.auth import list_auth_events, login, logout, me
from api.routes.billable_items import BillableItemController
from api.routes.billing_profiles import BillingProfileController, get_bill_to
from api.routes.billing_runs import BillingRunController
from api.routes.calendar_feeds import CalendarFeedController, calendar_document
from api.routes.contacts import ContactController
from api.routes.credit import CreditController
from api.routes.custom_fields import CustomFieldController
from api.routes.customers import CustomerController
from api.routes.dispatch import DispatchController
from api.routes.engineers import EngineerController
from api.routes.entitlements import check_entitlement
from api.routes.equipment import CounterController, EquipmentController
from api.routes.invoices import InvoiceController
from api.routes.job_templates import JobTemplateController
from api.routes.knowledge_codes import KnowledgeCodeController
from api.routes.kpis import first_time_fix
from api.routes.payments import ExportController, PaymentController, ReceivablesController
from api.routes.pm_plans import PmPlanController
from api.routes.products import ProductController
from api.routes.repair_orders import RepairOrderController, RmaRepairController
from api.routes.request_sla import get_request_sla
from api.routes.rmas import RmaController
from api.routes.service_contracts import ServiceContractController
from api.routes.service_levels import CoverageCalendarController, ServiceLevelController
from api.routes.service_reports import download_service_report
from api.routes.service_requests import ServiceRequestController
from api.routes.sites import SiteController
from api.routes.stock import StockController, StockLocationController
from api.routes.system import health, landing, ready
from api.routes.technician import TechnicianController, list_confirmations
from api.routes.user_sessions import UserSessionController
from api.routes.users import UserController
from api.routes.warranties import (
    EquipmentWarrantyController,
    ProductWarrantyTermController,
    WarrantyController,
    WarrantyTermController,
)
from api.routes.webhooks import WebhookController
from api.routes.work_orders import WorkOrderController

ROUTE_HANDLERS: list[Any] = [
    LiveController,
    health,
    ready,
    landing,
    login,
    logout,
    me,
    list_auth_events,
    CustomerController,
    CustomFieldController,
    EngineerController,
    UserController,
    WebhookController,
    UserSessionController,
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
    # technician API and confirmations
    TechnicianController,
    list_confirmations,
    BillableItemController,
    download_service_report,
    # knowledge codes, SLA clocks, first-time fix
    KnowledgeCodeController,
    get_request_sla,
    first_time_fix,
    # preventive maintenance plans
    PmPlanController,
    # dispatch runs, publish, moves, insertions, offers
    DispatchController,
    # RMAs (staff and customer portal)
    RmaController,
    # inventory (locations, levels, serials, moves, reservations, availability)
    StockLocationController,
    StockController,
    # depot repair orders, quotes, return documents
    RepairOrderController,
    RmaRepairController,
    # invoices and credit notes
    InvoiceController,
    # billing runs (contract fees, usage, billable items into draft invoices)
    BillingRunController,
    # billing profiles and a customer's resolved bill-to
    BillingProfileController,
    get_bill_to,
    # payments, receivables (aging, open items), accounting export (CSV)
    PaymentController,
    ReceivablesController,
    ExportController,
    # calendar feeds (iCalendar) of an engineer's jobs or a customer's visits
    CalendarFeedController,
    calendar_document,
]
