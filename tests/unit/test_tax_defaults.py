"""The tax rate a customer is invoiced at when its billing profile does not set one (seller in Germany)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.invoice_math import TaxRate
from contracts.tax_defaults import OUTSIDE_EU, REVERSE_CHARGE, default_tax, standard_rate


def test_a_domestic_customer_pays_the_sellers_standard_rate_with_or_without_a_vat_id() -> None:
    assert default_tax("DE", "DE", None) == TaxRate(Decimal("19.00"))
    assert default_tax("DE", "DE", "DE123456789") == TaxRate(Decimal("19.00"))
    # country codes are compared whatever their case
    assert default_tax("de", "de", None) == TaxRate(Decimal("19.00"))


def test_an_eu_business_with_a_vat_id_is_reverse_charged_at_rate_zero_with_the_reason() -> None:
    tax = default_tax("DE", "FR", "FR40303265045")

    assert tax == TaxRate(Decimal("0.00"), REVERSE_CHARGE)
    assert tax.tax_on(Decimal("1000.00")) == Decimal("0.00")
    assert "Art. 196" in (tax.exemption_reason or "")


def test_an_eu_customer_without_a_vat_id_is_a_consumer_and_pays_the_sellers_rate() -> None:
    assert default_tax("DE", "FR", None) == TaxRate(Decimal("19.00"))
    assert default_tax("DE", "AT", "") == TaxRate(Decimal("19.00"))  # an empty id is no id


def test_a_customer_outside_the_eu_is_not_taxed_in_the_sellers_country() -> None:
    for country, tax_id in (("US", None), ("CH", "CHE-123.456.789"), ("GB", "GB123456789")):
        tax = default_tax("DE", country, tax_id)
        assert tax.percent == Decimal("0.00")
        assert tax.exemption_reason == OUTSIDE_EU.format(seller="DE")


def test_an_unknown_customer_country_is_treated_as_domestic() -> None:
    assert default_tax("DE", None, None) == TaxRate(Decimal("19.00"))
    assert default_tax("AT", None, "ATU12345678") == TaxRate(Decimal("20.00"))


def test_a_seller_outside_the_eu_charges_its_own_rate_everywhere() -> None:
    assert default_tax("CH", "CH", None) == TaxRate(Decimal("8.10"))
    assert default_tax("CH", "DE", "DE123456789") == TaxRate(Decimal("8.10"))


def test_the_rate_per_line_is_rounded_half_up_to_cents() -> None:
    # 19 % of 10.05 = 1.9095 -> 1.91; Finland's 25.5 % of 0.10 = 0.0255 -> 0.03
    assert default_tax("DE", "DE", None).tax_on(Decimal("10.05")) == Decimal("1.91")
    assert default_tax("FI", "FI", None).tax_on(Decimal("0.10")) == Decimal("0.03")


def test_a_seller_country_without_a_known_rate_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="no standard tax rate"):
        standard_rate("US")
    with pytest.raises(ValueError, match="no standard tax rate"):
        default_tax("US", "US", None)
