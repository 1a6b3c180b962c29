"""ORM models of the returns domain."""

# The tables our foreign keys name outside returns are master data's (units, products, engineers,
# customers): loading its models with ours gives those columns their types.
import masterdata.models  # noqa: F401
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
