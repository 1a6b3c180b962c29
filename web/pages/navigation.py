"""What the left navigation offers each role, and where each role lands after signing in.

Only what the role may use is shown; the server's guards decide access, this only hides what
would answer 403. Later areas (technician app, portal, back office) add their entries here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.auth import Role

STAFF = frozenset(Role) - {Role.CUSTOMER}
BOARD_ROLES = frozenset({Role.PLANNER, Role.MANAGER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str  # an English msgid, translated by the template
    href: str
    roles: frozenset[Role]


def _(message: str) -> str:
    """Marks a string for extraction; the template translates it when it renders."""
    return message


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: _("Administrator"),
    Role.PLANNER: _("Planner"),
    Role.TECHNICIAN: _("Technician"),
    Role.AGENT: _("Agent"),
    Role.CONTRACT_ADMIN: _("Contract administrator"),
    Role.DEPOT: _("Depot"),
    Role.MANAGER: _("Manager"),
    Role.CUSTOMER: _("Customer"),
}

ITEMS: tuple[NavItem, ...] = (
    NavItem(_("Home"), "/home", frozenset(Role)),
    NavItem(_("Dispatch board"), "/planner/board", BOARD_ROLES),
    NavItem(_("API reference"), "/schema", STAFF),
)


def nav_for(role: Role) -> list[NavItem]:
    return [item for item in ITEMS if role in item.roles]


def landing_for(role: Role) -> str:
    """The role's work queue (../shared/UI.md): the planner's board; roles whose screens come with
    later work land on their home page."""
    return "/planner/board" if role in BOARD_ROLES - {Role.ADMIN} else "/home"
