"""Invoices and credit notes, and their lines.

Exactly-once billing is held by the database: a line that bills a source (a contract fee for
a period, a usage period, a billable item) carries its `source_key`, which is unique. Voiding
an invoice moves the keys to `released_source_key`, so the sources can be billed again.
A run adds to the customer's open draft for the period: `open_draft_key` (customer, currency,
period) is unique while the invoice is a draft and cleared when it is issued.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contracts.choices import InvoiceKind, InvoiceLineSource, InvoiceStatus
from contracts.models.warranties import PERCENT
from core.db import Entity, VersionedEntity, sql_in

MONEY = Numeric(14, 2)


class Invoice(VersionedEntity):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoices_number"),
        UniqueConstraint("open_draft_key", name="uq_invoices_open_draft"),
        CheckConstraint(f"kind IN {sql_in(InvoiceKind)}", name="kind_valid"),
        CheckConstraint(f"status IN {sql_in(InvoiceStatus)}", name="status_valid"),
        CheckConstraint("(kind = 'credit_note') = (corrects_invoice_id IS NOT NULL)", name="credit_note_corrects"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="numbered_once_issued"),
        CheckConstraint("status = 'draft' OR (issued_on IS NOT NULL AND due_on IS NOT NULL)", name="issued_is_dated"),
        CheckConstraint("status = 'draft' OR open_draft_key IS NULL", name="draft_key_only_on_drafts"),
        # Within half a cent, not "=": SQLite keeps NUMERIC as floating point (0.10 + 0.02 <> 0.12 there).
        CheckConstraint("abs(gross_amount - (net_amount + tax_amount)) < 0.005", name="gross_is_net_plus_tax"),
        CheckConstraint(
            "(kind = 'invoice' AND gross_amount >= 0) OR (kind = 'credit_note' AND gross_amount <= 0)",
            name="sign_by_kind",
        ),
        CheckConstraint(
            "settled_amount >= 0 AND (settled_amount <= gross_amount OR settled_amount <= -gross_amount)",
            name="settled_within_gross",
        ),
        Index("ix_invoices_customer_status", "customer_id", "status"),
        Index("ix_invoices_status_due_on", "status", "due_on"),
        Index("ix_invoices_billing_period", "billing_period"),
    )

    number: Mapped[str | None] = mapped_column(String(20))  # INV-000001 / CN-000001, taken at issue
    kind: Mapped[str] = mapped_column(String(12), default=InvoiceKind.INVOICE.value)
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.DRAFT.value)
    customer_id: Mapped[UUID] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))  # the bill-to
    currency: Mapped[str] = mapped_column(String(3))
    billing_period: Mapped[str | None] = mapped_column(String(7))  # "2026-11" for a run's invoice
    billing_run_id: Mapped[UUID | None] = mapped_column(ForeignKey("billing_runs.id", ondelete="RESTRICT"))
    open_draft_key: Mapped[str | None] = mapped_column(String(80))
    corrects_invoice_id: Mapped[UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    net_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    gross_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    # Payments and credit notes allocated to an invoice; for a credit note, what it has settled.
    settled_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    issued_on: Mapped[dt.date | None]
    due_on: Mapped[dt.date | None]
    issued_at: Mapped[dt.datetime | None]
    issued_by: Mapped[str | None] = mapped_column(String(150))
    paid_on: Mapped[dt.date | None]  # the day it became settled in full
    voided_at: Mapped[dt.datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(500))
    payment_reference: Mapped[str | None] = mapped_column(String(40))
    # The bill-to as printed (name, address, e-mail, tax id), frozen at issue.
    bill_to: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    document_key: Mapped[str | None] = mapped_column(String(120))


class InvoiceLine(Entity):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint("source_key", name="uq_invoice_lines_source_key"),
        UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_position"),
        CheckConstraint(f"source IN {sql_in(InvoiceLineSource)}", name="source_valid"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_range"),
        CheckConstraint("source_key IS NULL OR released_source_key IS NULL", name="key_held_or_released"),
        CheckConstraint("(source = 'credit') = (corrects_line_id IS NOT NULL)", name="credit_line_corrects"),
    )

    invoice_id: Mapped[UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    # "fee:<contract id>:<period start>", "usage:<contract id>:<period start>", "item:<billable item id>"
    source_key: Mapped[str | None] = mapped_column(String(120))
    released_source_key: Mapped[str | None] = mapped_column(String(120))
    billable_item_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("billable_items.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("service_contracts.id", ondelete="RESTRICT"), index=True
    )
    corrects_line_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("invoice_lines.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str | None] = mapped_column(String(40))  # SC-000012, WO-000123: for people
    description: Mapped[str] = mapped_column(String(300))
    service_from: Mapped[dt.date | None]
    service_to: Mapped[dt.date | None]
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(8))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 6))
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT)
    tax_exemption_reason: Mapped[str | None] = mapped_column(String(200))
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    # How the amount came about: proration days, usage volumes, coverage of a billable item.
    details: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
