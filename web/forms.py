"""Errors shown on a form: a summary at the top linking to each field, the message beside it.

The server's problem `field` (dotted paths such as `parts[1].serial_out`) names the input;
`input_id` turns it into the id the template gives that input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.errors import DomainError


def input_id(path: str) -> str:
    """`parts[1].serial_out` -> `field-parts-1-serial_out`."""
    return "field-" + re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None  # None: about the form as a whole
    message: str

    @property
    def anchor(self) -> str:
        return "#" + input_id(self.field) if self.field else "#main"


@dataclass(slots=True)
class FormErrors:
    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_path: str | None, message: str) -> None:
        self.errors.append(FieldError(field_path, message))

    def message(self, field_path: str) -> str | None:
        return next((e.message for e in self.errors if e.field == field_path), None)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterable[FieldError]:  # type: ignore[override]
        return iter(self.errors)

    @classmethod
    def from_error(cls, error: DomainError, translate: Callable[[str], str]) -> FormErrors:
        """The domain's message, or the page's own wording for its code where the pages have one."""
        wording = ERROR_WORDING.get(error.code)
        return cls([FieldError(error.field, translate(wording) if wording else error.detail)])


def _(message: str) -> str:
    return message


# Codes a page shows often, worded for people (and translated); others show the domain's message.
ERROR_WORDING: dict[str, str] = {
    "invalid_credentials": _("The username or password is not right. Check both and try again."),
    "too_many_attempts": _("Too many failed sign-ins. Wait a few minutes and try again."),
    "csrf_token_invalid": _("This form has expired. Reload the page and try again."),
    "stale_version": _("Someone else changed this in the meantime. Reload to see their change."),
}
