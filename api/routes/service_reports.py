"""The service report PDF of a work order: /api/v1/work-orders/{id}/service-report."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from api.deps import DbSession
from api.security import STAFF, allow
from core.auth import Principal, Role
from service_mgmt.services import service_report as service

# Technicians only for work orders they have a task on, customers only for their own (the service scopes).
READERS = STAFF | {Role.CUSTOMER, Role.TECHNICIAN}
# A report not rendered yet is rendered and stored on first download: a writing session, GET or not.
WRITING_GET = allow(READERS)
WRITING_GET["opt"]["read_only"] = False


@get(
    "/api/v1/work-orders/{work_order_id:uuid}/service-report",
    summary="The service report PDF of a completed work order (rendered now if not yet)",
    tags=["work orders"],
    media_type="application/pdf",
    responses={200: ResponseSpec(data_container=bytes, media_type="application/pdf", description="the PDF")},
    **WRITING_GET,
)
async def download_service_report(
    db_session: DbSession, request: Request[Principal, Any, Any], work_order_id: FromPath[UUID]
) -> Response[bytes]:
    document = await service.service_report_for(db_session, request.user, work_order_id)
    return Response(
        content=document.content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",
        },
    )
