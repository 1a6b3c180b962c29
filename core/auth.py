"""Auth primitives: roles, the authenticated principal, password hashing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    PLANNER = "planner"
    TECHNICIAN = "technician"
    CONTRACT_ADMIN = "contract_admin"
    MANAGER = "manager"
    DEPOT = "depot"
    CUSTOMER = "customer"


STAFF_ROLES = frozenset(Role) - {Role.CUSTOMER, Role.TECHNICIAN}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. A customer user is bound to a customer, a technician to an engineer.

    `session_id` is the login session the request came in on (None for the system itself).
    """

    user_id: UUID
    username: str
    role: Role
    customer_id: UUID | None = None
    engineer_id: UUID | None = None
    session_id: UUID | None = None
    # how the user is named and which language they chose (None: the browser's), for the pages
    display_name: str | None = None
    locale: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def is_technician(self) -> bool:
        return self.role is Role.TECHNICIAN


# The system itself (jobs, CLI, demo data) acting without a logged-in user.
SYSTEM = Principal(user_id=UUID(int=0), username="system", role=Role.ADMIN)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the username is unknown, so that the answer takes as long
# as for a known user (no username enumeration by timing).
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def burn_verification(password: str) -> None:
    verify_password(_DUMMY_HASH, password)
