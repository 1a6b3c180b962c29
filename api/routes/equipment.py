"""The installed base: /api/v1/equipment, its component tree, history, moves, replacements and counters.

Technicians get 403 here for now: their access to equipment comes through their assigned jobs.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import DbSession, Paging
from api.paging import PageOut, page_out
from api.schemas.counters import CounterOut, ReadingOut, counter_out, counter_with_latest_out, reading_out
from api.schemas.equipment import (
    EquipmentEventOut,
    EquipmentOut,
    ReplacementOut,
    TreeNodeOut,
    equipment_out,
    event_out,
    replacement_out,
    tree_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from masterdata.choices import EquipmentStatus
from masterdata.custom_fields.queries import custom_params
from masterdata.custom_fields.records import CustomView
from masterdata.models.custom_fields import CustomEntity
from masterdata.services import component_replacement, counters
from masterdata.services import equipment as service

READERS = STAFF | {Role.CUSTOMER}
WRITERS = {Role.ADMIN, Role.AGENT, Role.DEPOT}
READING_WRITERS = WRITERS | {Role.CUSTOMER}


class EquipmentController(Controller):
    path = "/api/v1/equipment"
    tags = ["equipment"]

    @get("/", summary="List equipment you may see", **allow(READERS))
    async def list_equipment(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        customer_id: Annotated[UUID | None, QueryParameter()] = None,
        site_id: Annotated[UUID | None, QueryParameter()] = None,
        product_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[EquipmentStatus | None, QueryParameter()] = None,
        parent_id: Annotated[UUID | None, QueryParameter(description="components of this unit")] = None,
        serial: Annotated[
            str | None,
            QueryParameter(
                min_length=1, max_length=81, description="exact serial; end with * for a prefix, e.g. SN-12*"
            ),
        ] = None,
        top_level: Annotated[bool, QueryParameter(description="only units that are not a component")] = False,
    ) -> PageOut[EquipmentOut]:
        filters = service.EquipmentFilter(
            customer_id=customer_id,
            site_id=site_id,
            product_id=product_id,
            status=status,
            parent_id=parent_id,
            serial=serial,
            top_level=top_level,
            custom=custom_params(dict(request.query_params)),
        )
        return page_out(
            await service.list_equipment(db_session, request.user, filters, page),
            partial(equipment_out, view=await _view(db_session, request.user)),
        )

    @post("/", summary="Register a serialized unit (a component when parent_id is sent)", **allow(WRITERS))
    async def create_equipment(
        self, db_session: DbSession, request: Request[Principal, Any, Any], data: JSONBody[service.EquipmentCreate]
    ) -> EquipmentOut:
        return equipment_out(
            await service.create_equipment(db_session, request.user, data), await _view(db_session, request.user)
        )

    @get("/{equipment_id:uuid}", summary="One unit", **allow(READERS))
    async def get_equipment(
        self, db_session: DbSession, request: Request[Principal, Any, Any], equipment_id: FromPath[UUID]
    ) -> EquipmentOut:
        return equipment_out(
            await service.get_equipment(db_session, request.user, equipment_id), await _view(db_session, request.user)
        )

    @patch("/{equipment_id:uuid}", summary="Change a unit (send the version you read)", **allow(WRITERS))
    async def update_equipment(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        equipment_id: FromPath[UUID],
        data: JSONBody[service.EquipmentUpdate],
    ) -> EquipmentOut:
        return equipment_out(
            await service.update_equipment(db_session, request.user, equipment_id, data),
            await _view(db_session, request.user),
        )

    @post(
        "/{equipment_id:uuid}/move",
        summary="Move a unit with all its components to another site of its customer",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def move_equipment(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        equipment_id: FromPath[UUID],
        data: JSONBody[service.EquipmentMove],
    ) -> EquipmentOut:
        return equipment_out(
            await service.move_equipment(db_session, request.user, equipment_id, data),
            await _view(db_session, request.user),
        )

    @post(
        "/{equipment_id:uuid}/replace-component",
        summary="Take a component out and put another (new or existing spare) in its place",
        status_code=HTTP_200_OK,
        **allow(WRITERS),
    )
    async def replace_component(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        equipment_id: FromPath[UUID],
        data: JSONBody[component_replacement.ComponentReplacement],
    ) -> ReplacementOut:
        replacement = await component_replacement.replace_component(db_session, request.user, equipment_id, data)
        return replacement_out(replacement, await _view(db_session, request.user))

    @get("/{equipment_id:uuid}/tree", summary="The unit with its nested components", **allow(READERS))
    async def equipment_tree(
        self, db_session: DbSession, request: Request[Principal, Any, Any], equipment_id: FromPath[UUID]
    ) -> TreeNodeOut:
        return tree_out(await service.equipment_tree(db_session, request.user, equipment_id))

    @get("/{equipment_id:uuid}/history", summary="The unit's events, newest first", **allow(READERS))
    async def equipment_history(
        self, db_session: DbSession, request: Request[Principal, Any, Any], page: Paging, equipment_id: FromPath[UUID]
    ) -> PageOut[EquipmentEventOut]:
        return page_out(await service.list_history(db_session, request.user, equipment_id, page), event_out)


class CounterController(Controller):
    path = "/api/v1/equipment/{equipment_id:uuid}/counters"
    tags = ["equipment"]

    @get("/", summary="The unit's counters, each with its latest reading", **allow(READERS))
    async def list_counters(
        self, db_session: DbSession, request: Request[Principal, Any, Any], equipment_id: FromPath[UUID]
    ) -> list[CounterOut]:
        found = await counters.list_counters(db_session, request.user, equipment_id)
        return [counter_with_latest_out(entry) for entry in found]

    @post("/", summary="Add a counter to the unit", **allow(WRITERS))
    async def create_counter(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        equipment_id: FromPath[UUID],
        data: JSONBody[counters.CounterCreate],
    ) -> CounterOut:
        return counter_out(await counters.create_counter(db_session, request.user, equipment_id, data))

    @get("/{counter_id:uuid}/readings", summary="A counter's readings, newest first", **allow(READERS))
    async def list_readings(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        page: Paging,
        equipment_id: FromPath[UUID],
        counter_id: FromPath[UUID],
    ) -> PageOut[ReadingOut]:
        found = await counters.list_readings(db_session, request.user, equipment_id, counter_id, page)
        return page_out(found, reading_out)

    @post(
        "/{counter_id:uuid}/readings",
        summary="Record a reading (only up, unless kind is reset or meter_replacement)",
        **allow(READING_WRITERS),
    )
    async def record_reading(
        self,
        db_session: DbSession,
        request: Request[Principal, Any, Any],
        equipment_id: FromPath[UUID],
        counter_id: FromPath[UUID],
        data: JSONBody[counters.ReadingCreate],
    ) -> ReadingOut:
        return reading_out(await counters.record_reading(db_session, request.user, equipment_id, counter_id, data))


async def _view(session: AsyncSession, principal: Principal) -> CustomView:
    return await CustomView.load(session, principal, CustomEntity.EQUIPMENT)
