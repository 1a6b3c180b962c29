"""Service contracts: /api/v1/contracts (contracts, their lines, status changes, renewal, notices)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.service_contracts import (
    ContractDetailOut,
    ContractLineOut,
    ContractNoticeOut,
    ContractOut,
    contract_detail_out,
    contract_line_out,
    contract_notice_out,
    contract_out,
)
from api.security import STAFF, allow
from contracts.choices import ContractStatus
from contracts.services import contract_lines as lines
from contracts.services import service_contracts as service
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK, Clock
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from masterdata.services.visibility import customer_scope

WRITERS = {Role.ADMIN, Role.CONTRACT_ADMIN}
READERS = STAFF | {Role.CUSTOMER}
CLOCK: Clock = SYSTEM_CLOCK


def _today() -> dt.date:
    return CLOCK.now().date()


class ServiceContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["contracts"]

    @get("/", summary="List contracts you may see", **allow(READERS))
    async def list_contracts(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[ContractStatus | None, QueryParameter()] = None,
        ends_before: Annotated[dt.date | None, QueryParameter(description="term ends before this day")] = None,
    ) -> PageOut[ContractOut]:
        filters = service.ContractFilter(
            customer_id=customer_id,
            status=status,
            ends_before=ends_before,
            custom=custom_params(dict(request.query_params)),
        )
        scope = await customer_scope(db_session, request.user)
        custom = await _custom(db_session, request.user)
        found = await service.list_contracts(db_session, filters, page, scope, custom=custom)
        return page_out(found, partial(contract_out, custom=custom))

    @get("/notices", summary="Notices raised about contracts (renewal reminders)", **allow(READERS))
    async def list_notices(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        contract_id: Annotated[UUID | None, QueryParameter()] = None,
        kind: Annotated[str | None, QueryParameter(max_length=32, description="e.g. renewal_reminder")] = None,
    ) -> PageOut[ContractNoticeOut]:
        filters = service.NoticeFilter(contract_id=contract_id, kind=kind)
        scope = await customer_scope(db_session, request.user)
        return page_out(await service.list_notices(db_session, filters, page, scope), contract_notice_out)

    @post("/", summary="Create a contract (in draft)", **allow(WRITERS))
    async def create_contract(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.ContractCreate]
    ) -> ContractDetailOut:
        return contract_detail_out(
            await service.create_contract(db_session, request.user, data), await _custom(db_session, request.user)
        )

    @get("/{contract_id:uuid}", summary="One contract with its lines and listed equipment", **allow(READERS))
    async def get_contract(
        self, db_session: DbSession, request: Request[Principal, Any, Any], contract_id: FromPath[UUID]
    ) -> ContractDetailOut:
        scope = await customer_scope(db_session, request.user)
        return contract_detail_out(
            await service.get_contract(db_session, contract_id, scope), await _custom(db_session, request.user)
        )

    @patch("/{contract_id:uuid}", summary="Change a contract (send the version you read)", **allow(WRITERS))
    async def update_contract(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contract_id: FromPath[UUID],
        data: JSONBody[service.ContractUpdate],
    ) -> ContractDetailOut:
        return contract_detail_out(
            await service.update_contract(db_session, request.user, contract_id, data),
            await _custom(db_session, request.user),
        )

    @post(
        "/{contract_id:uuid}/transitions",
        summary="Change a contract's status (activate, suspend, terminate, expire)",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def transition_contract(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contract_id: FromPath[UUID],
        data: JSONBody[service.ContractTransition],
    ) -> ContractDetailOut:
        return contract_detail_out(
            await service.transition_contract(db_session, request.user, contract_id, data),
            await _custom(db_session, request.user),
        )

    @post("/{contract_id:uuid}/renew", summary="Renew: create the successor contract", **allow(WRITERS))
    async def renew_contract(
        self, db_session: DbSession, request: Request[Principal, Any, Any], contract_id: FromPath[UUID]
    ) -> ContractDetailOut:
        return contract_detail_out(
            await service.renew(db_session, request.user, contract_id, _today()),
            await _custom(db_session, request.user),
        )

    @post("/{contract_id:uuid}/lines", summary="Add a line to a draft or active contract", **allow(WRITERS))
    async def add_line(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contract_id: FromPath[UUID],
        data: JSONBody[lines.LineCreate],
    ) -> ContractLineOut:
        return contract_line_out(await lines.add_line(db_session, request.user, contract_id, data))

    @patch(
        "/{contract_id:uuid}/lines/{line_id:uuid}",
        summary="Change a line (send the version you read)",
        **allow(WRITERS),
    )
    async def update_line(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contract_id: FromPath[UUID],
        line_id: FromPath[UUID],
        data: JSONBody[lines.LineUpdate],
    ) -> ContractLineOut:
        return contract_line_out(await lines.update_line(db_session, request.user, contract_id, line_id, data))

    @delete("/{contract_id:uuid}/lines/{line_id:uuid}", summary="Remove a line without usage", **allow(WRITERS))
    async def remove_line(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        contract_id: FromPath[UUID],
        line_id: FromPath[UUID],
    ) -> None:
        await lines.remove_line(db_session, request.user, contract_id, line_id)


async def _custom(session: AsyncSession, principal: Principal) -> CustomView:
    return await CustomView.load(session, principal, CustomEntity.CONTRACT)
