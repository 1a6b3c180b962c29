"""The tax rate a customer is invoiced at when its billing profile does not set one. Pure rules.

Services are supplied business-to-business, so the place of supply is the customer's country
(EU VAT Directive 2006/112/EC, Art. 44):

- a customer in the seller's country pays the seller country's standard rate;
- a customer in another EU country with a VAT id: reverse charge (exempt here, the reason is
  printed on the invoice); without a VAT id it is treated as a consumer (seller's rate);
- a customer outside the EU: not taxable in the seller's country (exempt, with the reason);
- a customer whose country is unknown is treated as domestic.

A billing profile's own rate or exemption always wins (contracts.services.bill_to).
The rates are the standard rates in force in 2026; reduced rates do not apply to services here.
"""

from __future__ import annotations

from decimal import Decimal

from contracts.invoice_math import TaxRate

STANDARD_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "AT": "20.00", "BE": "21.00", "BG": "20.00", "CY": "19.00", "CZ": "21.00", "DE": "19.00",
        "DK": "25.00", "EE": "24.00", "ES": "21.00", "FI": "25.50", "FR": "20.00", "GR": "24.00",
        "HR": "25.00", "HU": "27.00", "IE": "23.00", "IT": "22.00", "LT": "21.00", "LU": "17.00",
        "LV": "21.00", "MT": "18.00", "NL": "21.00", "PL": "23.00", "PT": "23.00", "RO": "21.00",
        "SE": "25.00", "SI": "22.00", "SK": "23.00",
    }.items()
}  # fmt: skip
EU = frozenset(STANDARD_RATES)
NON_EU_RATES: dict[str, Decimal] = {"GB": Decimal("20.00"), "CH": Decimal("8.10"), "NO": Decimal("25.00")}

REVERSE_CHARGE = "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)"
OUTSIDE_EU = "Not subject to VAT in {seller}: service supplied to a customer outside the EU"


def standard_rate(country: str) -> Decimal:
    rate = STANDARD_RATES.get(country) or NON_EU_RATES.get(country)
    if rate is None:
        raise ValueError(f"no standard tax rate is known for the seller country {country!r}")
    return rate


def default_tax(seller_country: str, customer_country: str | None, customer_tax_id: str | None) -> TaxRate:
    seller = seller_country.upper()
    customer = (customer_country or seller).upper()
    if customer == seller:
        return TaxRate(standard_rate(seller))
    if seller in EU and customer in EU:
        return TaxRate.exempt(REVERSE_CHARGE) if customer_tax_id else TaxRate(standard_rate(seller))
    if seller in EU:
        return TaxRate.exempt(OUTSIDE_EU.format(seller=seller))
    return TaxRate(standard_rate(seller))
