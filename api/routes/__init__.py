"""Route handlers: parse, call one service function, shape the answer."""

from __future__ import annotations

from typing import Any

from api.routes.auth import login, me
from api.routes.customers import CustomerController
from api.routes.system import health, landing, ready

ROUTE_HANDLERS: list[Any] = [
    health,
    ready,
    landing,
    login,
    me,
    CustomerController,
]
