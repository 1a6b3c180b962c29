"""ORM models of the returns domain."""

from returns.models.inventory import StockLevel, StockLocation, StockMove, StockReservation, StockSerial
from returns.models.repair_orders import RepairLabour, RepairOrder, RepairPart
from returns.models.rmas import Rma, RmaEvent

__all__ = [
    "RepairLabour",
    "RepairOrder",
    "RepairPart",
    "Rma",
    "RmaEvent",
    "StockLevel",
    "StockLocation",
    "StockMove",
    "StockReservation",
    "StockSerial",
]
