"""Inventory: /api/v1/stock (locations, levels, serials, moves and the ledger, reservations,
availability). Staff read everything, a technician only their own van; customers get 403."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.deps import DbSession, Paging
from api.idempotency import IdempotencyKey, idempotent
from api.paging import PageOut, page_out
from api.schemas.stock import (
    AdjustmentIn,
    AvailabilityCheckOut,
    AvailabilityIn,
    LevelOut,
    LocationOut,
    MoveOut,
    ProductAvailabilityOut,
    ReceiptIn,
    ReservationIn,
    ReservationOut,
    ReturnIn,
    ScrapIn,
    SerialOut,
    TaskReservationIn,
    TransferIn,
    level_out,
    line_out,
    location_out,
    location_stock_out,
    move_out,
    qty,
    reservation_out,
    serial_out,
)
from api.security import STAFF, allow
from core.auth import Principal, Role
from core.clock import SYSTEM_CLOCK
from returns.choices import ReservationStatus, SerialStatus, StockLocationKind, StockMoveKind
from returns.services import reservations, stock, stock_locations

READERS = STAFF | {Role.TECHNICIAN}
LOCATION_WRITERS = {Role.ADMIN, Role.DEPOT, Role.PLANNER}
MOVERS = {Role.ADMIN, Role.DEPOT}
RESERVERS = {Role.ADMIN, Role.DEPOT, Role.PLANNER}

Actor = Request[Principal, Any, Any]


class StockLocationController(Controller):
    path = "/api/v1/stock/locations"
    tags = ["stock"]

    @get("/", summary="List stock locations (a technician: their van)", **allow(READERS))
    async def list_locations(
        self,
        db_session: DbSession,
        request: Actor,
        page: Paging,
        q: Annotated[str | None, QueryParameter(max_length=100, description="code or name contains")] = None,
        kind: Annotated[StockLocationKind | None, QueryParameter()] = None,
        engineer_id: Annotated[UUID | None, QueryParameter()] = None,
        active: Annotated[bool | None, QueryParameter()] = None,
    ) -> PageOut[LocationOut]:
        filters = stock_locations.LocationFilter(q=q, kind=kind, engineer_id=engineer_id, active=active)
        return page_out(await stock_locations.list_locations(db_session, request.user, filters, page), location_out)

    @post("/", summary="Create a stock location", **allow(LOCATION_WRITERS))
    async def create_location(
        self, db_session: DbSession, request: Actor, data: JSONBody[stock_locations.LocationCreate]
    ) -> LocationOut:
        return location_out(await stock_locations.create_location(db_session, request.user, data))

    @post(
        "/vans/{engineer_id:uuid}",
        summary="The engineer's van, created if there is none",
        status_code=200,
        **allow(LOCATION_WRITERS),
    )
    async def ensure_van(self, db_session: DbSession, request: Actor, engineer_id: FromPath[UUID]) -> LocationOut:
        return location_out(await stock_locations.ensure_van(db_session, request.user, engineer_id))

    @get("/{location_id:uuid}", summary="One stock location", **allow(READERS))
    async def get_location(self, db_session: DbSession, request: Actor, location_id: FromPath[UUID]) -> LocationOut:
        return location_out(await stock_locations.visible_location(db_session, request.user, location_id))

    @patch("/{location_id:uuid}", summary="Change a location (send the version you read)", **allow(LOCATION_WRITERS))
    async def update_location(
        self,
        db_session: DbSession,
        request: Actor,
        location_id: FromPath[UUID],
        data: JSONBody[stock_locations.LocationUpdate],
    ) -> LocationOut:
        return location_out(await stock_locations.update_location(db_session, request.user, location_id, data))

    @delete("/{location_id:uuid}", summary="Delete a location nothing happened at", **allow(LOCATION_WRITERS))
    async def delete_location(self, db_session: DbSession, request: Actor, location_id: FromPath[UUID]) -> None:
        await stock_locations.delete_location(db_session, request.user, location_id)


class StockController(Controller):
    path = "/api/v1/stock"
    tags = ["stock"]

    @get("/levels", summary="Stock per product and location: on hand, reserved, available", **allow(READERS))
    async def list_levels(
        self,
        db_session: DbSession,
        request: Actor,
        page: Paging,
        product_id: Annotated[UUID | None, QueryParameter()] = None,
        location_id: Annotated[UUID | None, QueryParameter()] = None,
        location_kind: Annotated[StockLocationKind | None, QueryParameter()] = None,
        in_stock: Annotated[bool | None, QueryParameter(description="true: only where something is on hand")] = None,
    ) -> PageOut[LevelOut]:
        filters = stock.LevelFilter(
            product_id=product_id, location_id=location_id, location_kind=location_kind, in_stock=in_stock
        )
        return page_out(await stock.list_levels(db_session, request.user, filters, page), level_out)

    @get("/serials", summary="Serialized units in stock and where they went", **allow(READERS))
    async def list_serials(
        self,
        db_session: DbSession,
        request: Actor,
        page: Paging,
        product_id: Annotated[UUID | None, QueryParameter()] = None,
        location_id: Annotated[UUID | None, QueryParameter()] = None,
        serial_number: Annotated[str | None, QueryParameter(max_length=100)] = None,
        status: Annotated[SerialStatus | None, QueryParameter()] = None,
    ) -> PageOut[SerialOut]:
        filters = stock.SerialFilter(
            product_id=product_id, location_id=location_id, serial_number=serial_number, status=status
        )
        return page_out(await stock.list_serials(db_session, request.user, filters, page), serial_out)

    @get("/moves", summary="The stock ledger, newest first", **allow(READERS))
    async def list_moves(
        self,
        db_session: DbSession,
        request: Actor,
        page: Paging,
        product_id: Annotated[UUID | None, QueryParameter()] = None,
        location_id: Annotated[UUID | None, QueryParameter(description="from or to this location")] = None,
        kind: Annotated[StockMoveKind | None, QueryParameter()] = None,
        reference_kind: Annotated[str | None, QueryParameter(max_length=20)] = None,
        reference_id: Annotated[UUID | None, QueryParameter()] = None,
        reference_ref: Annotated[str | None, QueryParameter(max_length=40)] = None,
        moved_from: Annotated[dt.datetime | None, QueryParameter(description="moved at or after")] = None,
        moved_to: Annotated[dt.datetime | None, QueryParameter(description="moved before")] = None,
    ) -> PageOut[MoveOut]:
        filters = stock.MoveFilter(
            product_id=product_id,
            location_id=location_id,
            kind=kind,
            reference_kind=reference_kind,
            reference_id=reference_id,
            reference_ref=reference_ref,
            moved_from=moved_from,
            moved_to=moved_to,
        )
        return page_out(await stock.list_moves(db_session, request.user, filters, page), move_out)

    @post("/moves/receipt", summary="Goods in at a location", status_code=HTTP_201_CREATED, **allow(MOVERS))
    async def receipt(
        self, db_session: DbSession, request: Actor, data: JSONBody[ReceiptIn], idempotency_key: IdempotencyKey = None
    ) -> Response[bytes]:
        async def run() -> MoveOut:
            move = await stock.receive(
                db_session,
                request.user,
                location_id=data.location_id,
                product_id=data.product_id,
                quantity=data.quantity,
                serial_number=data.serial_number,
                reason=data.reason,
                now=SYSTEM_CLOCK.now(),
            )
            return move_out(move)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @post("/moves/transfer", summary="From one location to another", status_code=HTTP_201_CREATED, **allow(MOVERS))
    async def transfer(
        self, db_session: DbSession, request: Actor, data: JSONBody[TransferIn], idempotency_key: IdempotencyKey = None
    ) -> Response[bytes]:
        async def run() -> MoveOut:
            move = await stock.transfer(
                db_session,
                request.user,
                from_location_id=data.from_location_id,
                to_location_id=data.to_location_id,
                product_id=data.product_id,
                quantity=data.quantity,
                serial_number=data.serial_number,
                reason=data.reason,
                now=SYSTEM_CLOCK.now(),
            )
            return move_out(move)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @post("/moves/return", summary="Back into stock from a reference", status_code=HTTP_201_CREATED, **allow(MOVERS))
    async def return_to_stock(
        self, db_session: DbSession, request: Actor, data: JSONBody[ReturnIn], idempotency_key: IdempotencyKey = None
    ) -> Response[bytes]:
        async def run() -> MoveOut:
            move = await stock.return_to_stock(
                db_session,
                request.user,
                location_id=data.location_id,
                product_id=data.product_id,
                quantity=data.quantity,
                reference_kind=data.reference_kind,
                reference_id=data.reference_id,
                reference_ref=data.reference_ref,
                serial_number=data.serial_number,
                reason=data.reason,
                now=SYSTEM_CLOCK.now(),
            )
            return move_out(move)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @post("/moves/scrap", summary="Write stock off (reason required)", status_code=HTTP_201_CREATED, **allow(MOVERS))
    async def scrap(
        self, db_session: DbSession, request: Actor, data: JSONBody[ScrapIn], idempotency_key: IdempotencyKey = None
    ) -> Response[bytes]:
        async def run() -> MoveOut:
            move = await stock.scrap(
                db_session,
                request.user,
                location_id=data.location_id,
                product_id=data.product_id,
                quantity=data.quantity,
                reason=data.reason,
                serial_number=data.serial_number,
                now=SYSTEM_CLOCK.now(),
            )
            return move_out(move)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @post(
        "/moves/adjustment",
        summary="A counting difference, + or − (reason required)",
        status_code=HTTP_201_CREATED,
        **allow(MOVERS),
    )
    async def adjustment(
        self,
        db_session: DbSession,
        request: Actor,
        data: JSONBody[AdjustmentIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def run() -> MoveOut:
            move = await stock.adjust(
                db_session,
                request.user,
                location_id=data.location_id,
                product_id=data.product_id,
                delta=data.delta,
                reason=data.reason,
                serial_number=data.serial_number,
                now=SYSTEM_CLOCK.now(),
            )
            return move_out(move)

        return await idempotent(request, db_session, idempotency_key, run, status_code=HTTP_201_CREATED)

    @get("/reservations", summary="Stock held for tasks and repair orders", **allow(READERS))
    async def list_reservations(
        self,
        db_session: DbSession,
        request: Actor,
        page: Paging,
        product_id: Annotated[UUID | None, QueryParameter()] = None,
        location_id: Annotated[UUID | None, QueryParameter()] = None,
        reference_kind: Annotated[str | None, QueryParameter(max_length=20)] = None,
        reference_id: Annotated[UUID | None, QueryParameter()] = None,
        status: Annotated[ReservationStatus | None, QueryParameter()] = None,
    ) -> PageOut[ReservationOut]:
        filters = reservations.ReservationFilter(
            product_id=product_id,
            location_id=location_id,
            reference_kind=reference_kind,
            reference_id=reference_id,
            status=status,
        )
        return page_out(await reservations.list_reservations(db_session, request.user, filters, page), reservation_out)

    @post("/reservations", summary="Hold stock for a task or repair order", status_code=201, **allow(RESERVERS))
    async def reserve(self, db_session: DbSession, request: Actor, data: JSONBody[ReservationIn]) -> ReservationOut:
        row = await reservations.reserve(
            db_session,
            request.user,
            location_id=data.location_id,
            product_id=data.product_id,
            quantity=data.quantity,
            reference_kind=data.reference_kind,
            reference_id=data.reference_id,
            now=SYSTEM_CLOCK.now(),
        )
        return reservation_out(row)

    @post(
        "/reservations/tasks/{task_id:uuid}",
        summary="Reserve a task's planned parts (default: its engineer's van)",
        status_code=201,
        **allow(RESERVERS),
    )
    async def reserve_task_parts(
        self, db_session: DbSession, request: Actor, task_id: FromPath[UUID], data: JSONBody[TaskReservationIn]
    ) -> list[ReservationOut]:
        rows = await reservations.reserve_task_parts(
            db_session, request.user, task_id, location_id=data.location_id, now=SYSTEM_CLOCK.now()
        )
        return [reservation_out(row) for row in rows]

    @post(
        "/reservations/{reservation_id:uuid}/release",
        summary="Release a reservation",
        status_code=200,
        **allow(RESERVERS),
    )
    async def release(self, db_session: DbSession, request: Actor, reservation_id: FromPath[UUID]) -> ReservationOut:
        return reservation_out(
            await reservations.release(db_session, request.user, reservation_id, now=SYSTEM_CLOCK.now())
        )

    @get("/availability", summary="Where a product is available", **allow(READERS))
    async def availability(
        self,
        db_session: DbSession,
        request: Actor,
        product_id: Annotated[UUID, QueryParameter()],
        location_id: Annotated[UUID | None, QueryParameter()] = None,
    ) -> ProductAvailabilityOut:
        rows = await reservations.stock_of(db_session, request.user, product_id, location_id)
        return ProductAvailabilityOut(
            product_id=product_id,
            locations=[location_stock_out(r) for r in rows],
            available=qty(sum((r.available for r in rows), Decimal(0))),
        )

    @post("/availability", summary="Check lines: enough here? where else?", status_code=200, **allow(READERS))
    async def check_availability(
        self, db_session: DbSession, request: Actor, data: JSONBody[AvailabilityIn]
    ) -> AvailabilityCheckOut:
        lines = [(line.product_id, line.quantity) for line in data.lines]
        rows = await reservations.check_lines(db_session, request.user, lines, data.location_id)
        return AvailabilityCheckOut(location_id=data.location_id, lines=[line_out(r) for r in rows])
