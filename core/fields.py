"""Constrained value types shared by input schemas (msgspec validates them on decode)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from msgspec import Meta

Name = Annotated[str, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, Meta(max_length=500)]
LongText = Annotated[str, Meta(max_length=10_000)]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Meta(max_length=40, pattern=r"^[0-9+()./ -]{3,40}$")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
SubdivisionCode = Annotated[str, Meta(pattern=r"^[A-Z0-9]{1,3}$", description="ISO 3166-2 subdivision, e.g. BY")]
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
# msgspec cannot bound a Decimal (Meta(ge=...) raises); services check signs and scales.
Money = Annotated[Decimal, Meta(description='decimal amount as a string, e.g. "125.50"')]
Code = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Version = Annotated[int, Meta(ge=1, description="the version you read; a stale version answers 409")]
