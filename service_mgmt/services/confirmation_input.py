"""What a technician sends to confirm a task, and the checks that need no database.

Every error points into the body the phone sent (`time_entries[1].ended_at`,
`parts[0].serial_out`), so the app can show it beside the field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from core.errors import Invalid
from core.fields import LongText, Name, ShortText
from masterdata.services.equipment import SerialNumber
from service_mgmt.choices import TimeEntryKind
from service_mgmt.errors import Code
from service_mgmt.services.job_templates import QUANTITY_LIMIT, QUANTITY_SCALE, ChecklistText
from service_mgmt.services.task_status import device_time
from service_mgmt.services.work_orders import AwareDateTime

SIGNATURE_LIMIT = 512 * 1024  # bytes of PNG; a signature pad's image is a few KiB
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
# Generous on the text, so that a too large image gets its own code rather than a length error.
Base64Png = Annotated[str, Meta(max_length=2 * SIGNATURE_LIMIT, description="base64 of a PNG (a data: URL is fine)")]
ResolutionCode = Annotated[str, Meta(min_length=1, max_length=40)]


class TimeEntryIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: TimeEntryKind
    started_at: AwareDateTime
    ended_at: AwareDateTime
    engineer_id: UUID | None = None  # default: the confirming engineer; a crew lead may book for the crew


class PartIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A part used; a serialized component swap also names the parent unit and both serials."""

    product_id: UUID
    quantity: Decimal = Decimal(1)
    equipment_id: UUID | None = None  # the parent unit the component was swapped in
    serial_out: SerialNumber | None = None  # the removed component
    serial_in: SerialNumber | None = None  # the installed component (of product_id)

    @property
    def is_swap(self) -> bool:
        return self.equipment_id is not None


class ReadingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    counter_id: UUID
    value: Decimal
    read_at: AwareDateTime | None = None  # default: completed_at
    note: ShortText | None = None


class ChecklistAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    item: ChecklistText
    done: bool
    note: ShortText | None = None


class ConfirmationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    completed_at: AwareDateTime  # device time
    time_entries: Annotated[list[TimeEntryIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    parts: Annotated[list[PartIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    readings: Annotated[list[ReadingIn], Meta(max_length=50)] = msgspec.field(default_factory=list)
    checklist: Annotated[list[ChecklistAnswer], Meta(max_length=100)] = msgspec.field(default_factory=list)
    findings: LongText | None = None
    resolution_code: ResolutionCode | None = None
    notes: LongText | None = None
    signature_png: Base64Png | None = None
    signed_by: Name | None = None  # required with a signature


@dataclass(frozen=True, slots=True)
class CheckedEntry:
    index: int
    engineer_id: UUID
    kind: str
    started_at: dt.datetime
    ended_at: dt.datetime


def signature(data: ConfirmationCreate) -> bytes | None:
    """The PNG bytes of the customer's signature, checked; None when the customer did not sign."""
    if data.signature_png is None:
        if data.signed_by is not None:
            raise Invalid(Code.SIGNATURE_REQUIRED, "signed_by goes with a signature_png", field="signature_png")
        return None
    text = data.signature_png.removeprefix(DATA_URL_PREFIX)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(Code.INVALID_SIGNATURE, "signature_png is not base64", field="signature_png") from None
    if len(raw) > SIGNATURE_LIMIT:
        raise Invalid(
            Code.SIGNATURE_TOO_LARGE,
            f"the signature image has {len(raw)} bytes; at most {SIGNATURE_LIMIT} are accepted",
            field="signature_png",
        )
    if not raw.startswith(PNG_MAGIC):
        raise Invalid(Code.INVALID_SIGNATURE, "signature_png is not a PNG image", field="signature_png")
    if data.signed_by is None:
        raise Invalid(Code.SIGNED_BY_REQUIRED, "name who signed (signed_by) with the signature", field="signed_by")
    return raw


def time_entries(entries: list[TimeEntryIn], me: UUID, crew: set[UUID], now: dt.datetime) -> list[CheckedEntry]:
    """Each entry ends after it starts, not in the future, for a crew member; none overlap per engineer."""
    checked: list[CheckedEntry] = []
    for index, entry in enumerate(entries):
        field = f"time_entries[{index}]"
        engineer_id = entry.engineer_id or me
        if engineer_id not in crew:
            raise Invalid(
                Code.ENGINEER_NOT_ON_TASK, "time is booked for engineers on the task", field=f"{field}.engineer_id"
            )
        started_at = device_time(entry.started_at, now, f"{field}.started_at")
        ended_at = device_time(entry.ended_at, now, f"{field}.ended_at")
        if ended_at <= started_at:
            raise Invalid(Code.ENDS_BEFORE_STARTS, "a time entry ends after it starts", field=f"{field}.ended_at")
        checked.append(CheckedEntry(index, engineer_id, entry.kind.value, started_at, ended_at))
    by_engineer: dict[UUID, list[CheckedEntry]] = defaultdict(list)
    for booked in checked:
        by_engineer[booked.engineer_id].append(booked)
    for own in by_engineer.values():
        own.sort(key=lambda e: (e.started_at, e.index))
        for earlier, later in itertools.pairwise(own):
            if later.started_at < earlier.ended_at:
                first, second = sorted((earlier.index, later.index))
                raise overlap(second, f"time entries {first} and {second} overlap", {"overlaps_index": first})
    return checked


def overlap(index: int, detail: str, extra: dict[str, object]) -> Invalid:
    return Invalid(Code.TIME_ENTRIES_OVERLAP, detail, field=f"time_entries[{index}].started_at", extra=extra)


def check_part_shape(index: int, part: PartIn) -> None:
    """A sensible quantity; a swap names the parent, both serials, and is one unit."""
    field = f"parts[{index}]"
    quantity = part.quantity
    if (
        not quantity.is_finite()
        or quantity <= 0
        or quantity >= QUANTITY_LIMIT
        or quantity != quantity.quantize(QUANTITY_SCALE)
    ):
        raise Invalid(
            Code.INVALID_QUANTITY,
            "a quantity is above 0, below 1,000,000,000, with at most 3 decimals",
            field=f"{field}.quantity",
        )
    swap = {"equipment_id": part.equipment_id, "serial_out": part.serial_out, "serial_in": part.serial_in}
    given = [name for name, value in swap.items() if value is not None]
    if given and len(given) < len(swap):
        missing = next(name for name, value in swap.items() if value is None)
        raise Invalid(
            Code.SWAP_INCOMPLETE,
            "a component swap names the parent unit (equipment_id), serial_out and serial_in",
            field=f"{field}.{missing}",
        )
    if given and quantity != 1:
        raise Invalid(Code.INVALID_QUANTITY, "a component swap is one unit", field=f"{field}.quantity")
