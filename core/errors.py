"""Domain errors with a machine-readable code; mapped to RFC 9457 problem+json in `api`.

Domain packages raise these; none of them knows HTTP. The `kind` decides the status code
in one place (`api.problems`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"


class DomainError(Exception):
    kind: ErrorKind = ErrorKind.INVALID

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra or {}


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND

    def __init__(self, entity: str, key: object, *, field: str | None = None) -> None:
        super().__init__(f"{entity}_not_found", f"{entity.replace('_', ' ')} {key} not found", field=field)


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT


class Invalid(DomainError):
    kind = ErrorKind.INVALID


class Forbidden(DomainError):
    kind = ErrorKind.FORBIDDEN


class FieldNotAllowed(Forbidden):
    """The caller's role may use the operation but not set this field (403 `field_not_allowed`)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__("field_not_allowed", detail, field=field)


class Unauthenticated(DomainError):
    kind = ErrorKind.UNAUTHENTICATED


class RateLimited(DomainError):
    kind = ErrorKind.RATE_LIMITED


class StaleVersion(Conflict):
    def __init__(self, entity: str, expected: int, actual: int) -> None:
        super().__init__(
            "stale_version",
            f"{entity} was changed by someone else (your version {expected}, current {actual}); reload and retry",
            field="version",
            extra={"current_version": actual},
        )


class IllegalTransition(Conflict):
    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(
            "illegal_transition",
            f"{entity} cannot go from {current} to {target}",
            field="status",
            extra={"current_status": current, "target_status": target},
        )
