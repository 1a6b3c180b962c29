"""Write each route's allowed roles into its OpenAPI description, so the schema documents access."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def document_roles(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            roles = handler.opt.get("roles")
            if handler.opt.get("exclude_from_auth"):
                note = "Access: public (no token)."
            elif roles:
                note = "Access: bearer token with role " + ", ".join(f"`{r}`" for r in roles) + "."
            else:
                continue
            base = handler.description or ""
            if note not in base:
                handler.description = f"{base}\n\n{note}".strip()
