"""The whole product: the JSON API with the pages mounted on it. Nothing is built at import time."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from api.app import create_app as create_api_app
from core.settings import Settings, load_settings
from web.mount import mount_pages


def create_app(settings: Settings | None = None, *, with_worker: bool = False) -> Litestar:
    return create_api_app(settings, with_worker=with_worker, extensions=[mount_pages])


def app_factory() -> Any:
    """For `uvicorn --factory web.app:app_factory` (`service-mgmt serve`): the jobs run in this process
    when `WorkerSettings.runs_in_server` says so."""
    settings = load_settings()
    return create_app(settings, with_worker=settings.worker.runs_in_server(settings.database, settings.server.workers))
