"""Errors shown on a form: a summary at the top linking to each field, the message beside it.

The API's problem+json names the offending input in `field` (dotted paths such as
`parts[1].serial_out`, and for `validation_failed` one entry per input in `errors`); a page's
form names its inputs the same way, so the message lands beside the right one. `input_id` turns a
path into the id `partials/form.html` gives that input, and the summary links to it. A field the
form does not show (a header, an id the page filled in) becomes an error about the whole form.

A page handler that calls a service catches its `DomainError` and uses `FormErrors.from_error`;
one that has a problem+json body (from `api.problems`, or a JSON call) uses `from_problem`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import DomainError

Translate = Callable[[str], str]


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

    @property
    def first_field(self) -> str | None:
        """The input that takes the focus: the first one with an error."""
        return next((e.field for e in self.errors if e.field), None)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self.errors)

    @classmethod
    def from_error(
        cls,
        error: DomainError,
        translate: Translate,
        *,
        fields: Collection[str] | None = None,
        field: str | None = None,
    ) -> FormErrors:
        """A service's refusal on the form: beside `field` if given, else beside the error's own field."""
        return cls.from_problem(
            {"code": error.code, "detail": error.detail, "field": field or error.field}, translate, fields=fields
        )

    @classmethod
    def from_problem(
        cls, problem: Mapping[str, Any], translate: Translate, *, fields: Collection[str] | None = None
    ) -> FormErrors:
        """The errors of a problem+json body; `fields`: the inputs the form shows (None: trust the paths)."""

        def shown(path: Any) -> str | None:
            if not isinstance(path, str) or not path:
                return None
            return path if fields is None or path in fields else None

        wording = ERROR_WORDING.get(str(problem.get("code")))
        entries = problem.get("errors")
        errors = cls()
        if problem.get("code") == "validation_failed" and isinstance(entries, list) and entries:
            for entry in entries:
                if isinstance(entry, Mapping):
                    errors.add(shown(entry.get("field")), str(entry.get("message") or problem.get("detail") or ""))
            return errors
        errors.add(shown(problem.get("field")), translate(wording) if wording else str(problem.get("detail") or ""))
        return errors


def _(message: str) -> str:
    return message


# Codes a page shows often, worded for people (and translated); others show the domain's message.
ERROR_WORDING: dict[str, str] = {
    "invalid_credentials": _("The username or password is not right. Check both and try again."),
    "too_many_attempts": _("Too many failed sign-ins. Wait a few minutes and try again."),
    "csrf_token_invalid": _("This form has expired. Reload the page and try again."),
    "csrf_token_missing": _("This form has expired. Reload the page and try again."),
    "stale_version": _("Someone else changed this in the meantime. Reload to see their change."),
}
