"""Billing profiles: who pays a customer's invoices, where they go, at which tax rate and terms.

One profile per customer. The rules, checked here for every caller (API, demo data, scripts):

- ``tax_rate`` is a percentage from 0 to 100 with at most 2 decimals; a tax exemption reason
  needs rate 0 (an exemption sent without a rate sets it to 0).
- Without a rate on create, the rate is the default of ``contracts.tax_defaults.default_tax``
  for the seller's country and the profile's country (else the customer's) and VAT id: the
  standard rate at home, reverse charge for EU customers with a VAT id, exempt outside the EU.
  A PATCH with ``tax_rate: null`` derives it again (after a move to another country, say);
  otherwise a stored rate is kept as it is, whatever else changes.
- ``bill_to_customer_id`` names another existing customer that pays. One level only: the payer
  must not bill to a third customer itself, and a customer others bill to cannot name a payer
  (``bill_to_of`` resolves exactly one step, and an invoice has one payer).
- country: two upper-case letters; payment terms 0 to 365 days; an e-mail address if given.

The bill-to check reads other customers' profiles, so two concurrent changes could each pass
and together build a chain (A → B while B → C). Both customers' rows are locked first, in id
order (PostgreSQL; SQLite has one writer anyway), so such changes run one after the other and
the second sees the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.errors import Code
from contracts.invoice_math import HUNDRED, ZERO
from contracts.models import BillingProfile
from contracts.services.bill_to import BillTo, bill_to_of
from contracts.tax_defaults import default_tax
from core import audit
from core.auth import Principal
from core.editing import apply, check_version, sent_fields
from core.errors import Conflict, Invalid, NotFound
from core.fields import Version
from core.listing import Page, PageRequest, paginate
from core.settings import BillingSettings
from masterdata.models import Customer
from masterdata.services.visibility import CustomerScope

_COUNTRY = re.compile(r"[A-Z]{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # the same rule as core.fields.Email
MAX_TERMS_DAYS = 365

# Request bodies: msgspec checks shapes and lengths on decode; the service checks the rules.
TextField = Annotated[str, msgspec.Meta(max_length=200)]
PostalCode = Annotated[str, msgspec.Meta(max_length=20)]
City = Annotated[str, msgspec.Meta(max_length=100)]
Country = Annotated[str, msgspec.Meta(description="ISO 3166-1 alpha-2, upper case, e.g. DE")]
TaxId = Annotated[str, msgspec.Meta(max_length=40)]
InvoiceEmail = Annotated[str, msgspec.Meta(max_length=254)]
TaxPercent = Annotated[
    Decimal, msgspec.Meta(description='percent as a string, 0 to 100, at most 2 decimals, e.g. "19.00"')
]
TermsDays = Annotated[int, msgspec.Meta(description="net days from issue to due date, 0 to 365")]


class BillingProfileCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: UUID
    bill_to_customer_id: UUID | None = None
    invoice_email: InvoiceEmail | None = None
    billing_name: TextField | None = None
    street: TextField | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    country: Country | None = None
    tax_id: TaxId | None = None
    tax_rate: TaxPercent | None = None  # None: the default for the country (see the module doc)
    tax_exemption_reason: TextField | None = None
    payment_terms_days: TermsDays | None = None  # None: the seller's default terms


class BillingProfileUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version
    bill_to_customer_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    invoice_email: InvoiceEmail | msgspec.UnsetType | None = msgspec.UNSET
    billing_name: TextField | msgspec.UnsetType | None = msgspec.UNSET
    street: TextField | msgspec.UnsetType | None = msgspec.UNSET
    postal_code: PostalCode | msgspec.UnsetType | None = msgspec.UNSET
    city: City | msgspec.UnsetType | None = msgspec.UNSET
    country: Country | msgspec.UnsetType | None = msgspec.UNSET
    tax_id: TaxId | msgspec.UnsetType | None = msgspec.UNSET
    tax_rate: TaxPercent | msgspec.UnsetType | None = msgspec.UNSET  # null: derive the default again
    tax_exemption_reason: TextField | msgspec.UnsetType | None = msgspec.UNSET
    payment_terms_days: TermsDays | msgspec.UnsetType = msgspec.UNSET


class BillingProfileFilter(msgspec.Struct, kw_only=True):
    customer_id: UUID | None = None
    bill_to_customer_id: UUID | None = None
    country: str | None = None


SORTABLE = {
    "created_at": BillingProfile.created_at,
    "updated_at": BillingProfile.updated_at,
    "country": BillingProfile.country,
    "tax_rate": BillingProfile.tax_rate,
}
_TEXT = ("invoice_email", "billing_name", "street", "postal_code", "city", "country", "tax_id", "tax_exemption_reason")


@dataclass(frozen=True, slots=True)
class ResolvedBillTo:
    """The bill-to of a customer as invoices will use it, and whether another customer pays."""

    customer_id: UUID
    bill_to: BillTo
    has_profile: bool

    @property
    def billed_to_other(self) -> bool:
        return self.bill_to.customer_id != self.customer_id


# --- reading --------------------------------------------------------------------------------


async def get_profile(session: AsyncSession, profile_id: UUID, *, scope: CustomerScope) -> BillingProfile:
    """A profile; a customer user outside the scope gets 404, as for a missing one."""
    profile = await session.get(BillingProfile, profile_id)
    if profile is None or not scope.allows(profile.customer_id):
        raise NotFound("billing_profile", profile_id)
    return profile


async def list_profiles(
    session: AsyncSession,
    filters: BillingProfileFilter,
    page: PageRequest,
    *,
    scope: CustomerScope,
) -> Page[BillingProfile]:
    stmt = select(BillingProfile)
    stmt = scope.restrict(stmt, BillingProfile.customer_id)
    if filters.customer_id is not None:
        stmt = stmt.where(BillingProfile.customer_id == filters.customer_id)
    if filters.bill_to_customer_id is not None:
        stmt = stmt.where(BillingProfile.bill_to_customer_id == filters.bill_to_customer_id)
    if filters.country:
        stmt = stmt.where(BillingProfile.country == filters.country.upper())
    return await paginate(
        session, stmt, page, sortable=SORTABLE, default_sort="created_at", tie_breaker=BillingProfile.id
    )


async def resolved_bill_to(
    session: AsyncSession,
    customer_id: UUID,
    settings: BillingSettings,
    *,
    scope: CustomerScope,
) -> ResolvedBillTo:
    """Who a customer's invoices go to, with tax and terms, exactly as billing will resolve it."""
    if not scope.allows(customer_id):
        raise NotFound("customer", customer_id)
    found = (await bill_to_of(session, [customer_id], settings)).get(customer_id)
    if found is None:
        raise NotFound("customer", customer_id)
    has_profile = await session.scalar(select(BillingProfile.id).where(BillingProfile.customer_id == customer_id))
    return ResolvedBillTo(customer_id=customer_id, bill_to=found, has_profile=has_profile is not None)


# --- writing --------------------------------------------------------------------------------


async def create_profile(
    session: AsyncSession, actor: Principal, data: BillingProfileCreate, settings: BillingSettings
) -> BillingProfile:
    customer_country = await _lock_customers(session, data.customer_id, data.bill_to_customer_id)
    existing = await session.scalar(select(BillingProfile.id).where(BillingProfile.customer_id == data.customer_id))
    if existing is not None:
        raise Conflict(
            Code.BILLING_PROFILE_EXISTS,
            f"customer {data.customer_id} already has a billing profile; change that one instead",
            field="customer_id",
            extra={"billing_profile_id": str(existing)},
        )
    values: dict[str, Any] = {name: getattr(data, name) for name in _TEXT}
    _clean(values)
    values["bill_to_customer_id"] = data.bill_to_customer_id
    values["payment_terms_days"] = _terms(
        settings.default_payment_terms_days if data.payment_terms_days is None else data.payment_terms_days
    )
    values |= _tax(
        data.tax_rate,
        values["tax_exemption_reason"],
        derive=data.tax_rate is None and values["tax_exemption_reason"] is None,
        country=values["country"] or customer_country,
        tax_id=values["tax_id"],
        settings=settings,
    )
    await _check_bill_to(session, data.customer_id, data.bill_to_customer_id)
    profile = BillingProfile(customer_id=data.customer_id, **values)
    session.add(profile)
    await session.flush()
    await audit.record(session, actor, "billing_profile", profile.id, "create", after=audit.snapshot(profile))
    return profile


async def update_profile(
    session: AsyncSession,
    actor: Principal,
    profile_id: UUID,
    data: BillingProfileUpdate,
    settings: BillingSettings,
) -> BillingProfile:
    profile = await get_profile(session, profile_id, scope=CustomerScope.everyone())  # staff only (route guard)
    check_version("billing_profile", profile, data.version)
    changes = sent_fields(data)
    _clean(changes)
    if "payment_terms_days" in changes:
        changes["payment_terms_days"] = _terms(changes["payment_terms_days"])
    bill_to = changes.get("bill_to_customer_id", profile.bill_to_customer_id)
    customer_country = await _lock_customers(session, profile.customer_id, bill_to)
    if "bill_to_customer_id" in changes:
        await _check_bill_to(session, profile.customer_id, bill_to)
    if "tax_rate" in changes or "tax_exemption_reason" in changes:
        exemption = changes.get("tax_exemption_reason", profile.tax_exemption_reason)
        if "tax_rate" in changes:
            rate = changes["tax_rate"]
            # null derives the default, unless an exemption is sent with it (then the rate is 0)
            derive = rate is None and changes.get("tax_exemption_reason") is None
        else:  # an exemption sent alone sets the rate to 0; an exemption removed keeps the rate
            rate = None if exemption is not None else profile.tax_rate
            derive = False
        country = changes.get("country", profile.country) or customer_country
        tax_id = changes.get("tax_id", profile.tax_id)
        changes |= _tax(rate, exemption, derive=derive, country=country, tax_id=tax_id, settings=settings)
    before = audit.snapshot(profile)
    apply(profile, changes)
    await session.flush()
    old, new = audit.changed(before, audit.snapshot(profile))
    await audit.record(session, actor, "billing_profile", profile.id, "update", before=old, after=new)
    return profile


# --- rules ----------------------------------------------------------------------------------


async def _lock_customers(session: AsyncSession, customer_id: UUID, bill_to_customer_id: UUID | None) -> str | None:
    """Lock the customer and its payer (id order, so two changes cannot deadlock); the customer's country."""
    wanted = sorted({customer_id} | ({bill_to_customer_id} if bill_to_customer_id else set()))
    rows = await session.execute(
        select(Customer.id, Customer.country)
        .where(Customer.id.in_(wanted))
        .order_by(Customer.id)
        .with_for_update()  # orders concurrent bill-to changes (see the module doc); no-op on SQLite
    )
    countries: dict[UUID, str | None] = {row.id: row.country for row in rows}
    if customer_id not in countries:
        raise NotFound("customer", customer_id, field="customer_id")
    if bill_to_customer_id is not None and bill_to_customer_id not in countries:
        raise NotFound("customer", bill_to_customer_id, field="bill_to_customer_id")
    return countries[customer_id]


async def _check_bill_to(session: AsyncSession, customer_id: UUID, bill_to_customer_id: UUID | None) -> None:
    if bill_to_customer_id is None:
        return
    if bill_to_customer_id == customer_id:
        raise Invalid(
            Code.INVALID_BILL_TO,
            "bill_to_customer_id names the customer itself; leave it empty to bill the customer",
            field="bill_to_customer_id",
        )
    payer_pays_to = await session.scalar(
        select(BillingProfile.bill_to_customer_id).where(BillingProfile.customer_id == bill_to_customer_id)
    )
    if payer_pays_to is not None:
        raise Invalid(
            Code.INVALID_BILL_TO,
            f"customer {bill_to_customer_id} is itself billed to customer {payer_pays_to}; "
            "name that customer as bill-to instead (one level only)",
            field="bill_to_customer_id",
            extra={"billed_to": str(payer_pays_to)},
        )
    payer_for = await session.scalar(
        select(BillingProfile.customer_id).where(BillingProfile.bill_to_customer_id == customer_id).limit(1)
    )
    if payer_for is not None:
        raise Invalid(
            Code.INVALID_BILL_TO,
            f"customer {customer_id} pays the invoices of customer {payer_for} and so cannot bill to "
            "another customer itself (one level only)",
            field="bill_to_customer_id",
            extra={"pays_for": str(payer_for)},
        )


def _tax(
    rate: Decimal | None,
    exemption: str | None,
    *,
    derive: bool,
    country: str | None,
    tax_id: str | None,
    settings: BillingSettings,
) -> dict[str, Any]:
    """tax_rate and tax_exemption_reason: as given, or derived from the country when asked to."""
    if derive:
        default = default_tax(settings.seller_country, country, tax_id)
        return {"tax_rate": default.percent, "tax_exemption_reason": default.exemption_reason}
    if rate is None:  # an exemption without a rate
        rate = ZERO
    if not rate.is_finite() or not ZERO <= rate <= HUNDRED or rate != rate.quantize(Decimal("0.01")):
        raise Invalid(
            Code.INVALID_TAX_RATE,
            f"tax_rate must be a percentage from 0 to 100 with at most 2 decimals, not {rate}",
            field="tax_rate",
        )
    if exemption is not None and rate != ZERO:
        raise Invalid(
            Code.INVALID_TAX_RATE,
            f"a tax exemption ({exemption!r}) needs tax_rate 0, not {rate}; "
            "send tax_exemption_reason: null to tax the customer",
            field="tax_rate",
        )
    # + ZERO turns a "-0" into 0.00
    return {"tax_rate": (rate + ZERO).quantize(Decimal("0.01")), "tax_exemption_reason": exemption}


def _clean(values: dict[str, Any]) -> None:
    """Blank text means "not set"; country is checked, e-mail must look like one."""
    for name in _TEXT:
        if name in values and isinstance(values[name], str):
            values[name] = values[name].strip() or None
    country = values.get("country")
    if country is not None and not _COUNTRY.fullmatch(country):
        raise Invalid(
            Code.INVALID_COUNTRY,
            f"country must be an ISO 3166-1 alpha-2 code in upper case (e.g. DE), not {country!r}",
            field="country",
        )
    email = values.get("invoice_email")
    if email is not None and not _EMAIL.fullmatch(email):
        raise Invalid(Code.INVALID_EMAIL, f"{email!r} is not an e-mail address", field="invoice_email")


def _terms(days: int) -> int:
    if not 0 <= days <= MAX_TERMS_DAYS:
        raise Invalid(
            Code.INVALID_PAYMENT_TERMS,
            f"payment_terms_days must lie between 0 and {MAX_TERMS_DAYS}, not {days}",
            field="payment_terms_days",
        )
    return days
