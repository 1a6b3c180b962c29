"""The pages' Jinja environment: autoescaped, gettext in the viewer's locale, locale-aware filters.

Every template is rendered with `locale` (and `zone`, the viewer's time zone) in its context;
`_()`, `ngettext()` and the filters read them from there, so one environment serves every
language at once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from web.assets import asset_url
from web.forms import input_id
from web.i18n import formats as fmt
from web.i18n import translations

TEMPLATES = Path(__file__).resolve().parent / "templates"
UTC = "UTC"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context["locale"]).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context["locale"]).ngettext(singular, plural, n)


@pass_context
def _datetime(context: Context, value: dt.datetime | None, zone: str | None = None, style: str = "minutes") -> str:
    if value is None:
        return ""
    return fmt.local_datetime(value, zone or context.get("zone") or UTC, context["locale"], style)


@pass_context
def _time(context: Context, value: dt.datetime | None, zone: str | None = None) -> str:
    if value is None:
        return ""
    return fmt.local_time(value, zone or context.get("zone") or UTC, context["locale"])


@pass_context
def _date(context: Context, value: dt.date | None, zone: str | None = None) -> str:
    return "" if value is None else fmt.local_date(value, context["locale"], zone=zone or context.get("zone"))


@pass_context
def _number(context: Context, value: int | float | Decimal | None) -> str:
    return "" if value is None else fmt.number(value, context["locale"])


@pass_context
def _money(context: Context, value: Decimal | None, currency: str) -> str:
    return "" if value is None else fmt.money(value, currency, context["locale"])


@pass_context
def _zone_name(context: Context, zone: str) -> str:
    return fmt.zone_name(zone, context["locale"])


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(datetime=_datetime, time=_time, date=_date, number=_number, money=_money, zone_name=_zone_name)
    env.globals["asset"] = asset_url
    env.globals["field_id"] = input_id
    return env


def template_config() -> TemplateConfig[Any]:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment()))
