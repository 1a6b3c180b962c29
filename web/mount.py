"""Mounts the pages on the app's configuration (an `on_app_init` hook of `api.app.create_app`)."""

from __future__ import annotations

from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from api.routes.system import landing as api_landing
from web.assets import DIST, URL_PREFIX
from web.pages import page_router
from web.pages.errors import html_or_problem_not_found
from web.templating import template_config

YEAR = 365 * 24 * 3600


def mount_pages(config: AppConfig) -> AppConfig:
    # the API's own "/" (a page of links for API users) gives way to the pages' "/", which sends
    # people to their work
    config.route_handlers = [handler for handler in config.route_handlers if handler is not api_landing]
    config.route_handlers.extend(
        [
            page_router(),
            # hashed names: a new build is a new URL, so browsers may keep each file for good
            create_static_files_router(
                path=URL_PREFIX,
                directories=[DIST],
                include_in_schema=False,
                opt={"exclude_from_auth": True},
                cache_control=CacheControlHeader(max_age=YEAR, public=True),
            ),
        ]
    )
    config.template_config = template_config()
    config.plugins.append(HTMXPlugin())
    # a person who types a wrong address gets a page; an API client still gets problem+json
    # (a new dict: the API's own mapping, `api.problems.EXCEPTION_HANDLERS`, stays as it is)
    api_not_found = config.exception_handlers.get(NotFoundException)
    config.exception_handlers = {
        **config.exception_handlers,
        NotFoundException: html_or_problem_not_found(api_not_found),
    }
    return config
