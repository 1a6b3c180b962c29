"""Settings the whole product depends on: where e-mail links point, and who runs the background jobs."""

from __future__ import annotations

import pytest

from core.settings import DatabaseSettings, WorkerMode, WorkerSettings, load_settings

KEY = {"SECRET_KEY": "k" * 40}
SQLITE = DatabaseSettings()
POSTGRES = DatabaseSettings(url="postgresql+asyncpg://app@db:5432/service")


def test_links_point_where_serve_listens_unless_a_public_base_url_is_given() -> None:
    assert load_settings(KEY).public_base_url == "http://127.0.0.1:8000"
    assert load_settings(KEY | {"HOST": "10.0.0.5", "PORT": "9000"}).public_base_url == "http://10.0.0.5:9000"
    # listening on every interface names no address a recipient could open
    assert load_settings(KEY | {"HOST": "0.0.0.0"}).public_base_url == "http://127.0.0.1:8000"
    assert load_settings(KEY | {"HOST": "::1"}).public_base_url == "http://[::1]:8000"
    given = {"PUBLIC_BASE_URL": "https://service.example.com/desk/", "HOST": "0.0.0.0"}
    assert load_settings(KEY | given).public_base_url == "https://service.example.com/desk"


@pytest.mark.parametrize("url", ["service.example.com", "ftp://service.example.com", "https://", "https://x/?a=1"])
def test_a_public_base_url_that_is_no_absolute_http_url_stops_the_start(url: str) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        load_settings(KEY | {"PUBLIC_BASE_URL": url})


def test_serve_runs_the_jobs_itself_only_as_the_single_process_of_the_embedded_sqlite() -> None:
    auto = WorkerSettings()
    assert auto.runs_in_server(SQLITE, web_workers=1)
    assert not auto.runs_in_server(SQLITE, web_workers=4)  # `service-mgmt worker` beside them
    assert not auto.runs_in_server(POSTGRES, web_workers=1)
    on, off = WorkerSettings(in_server=WorkerMode.ON), WorkerSettings(in_server=WorkerMode.OFF)
    assert on.runs_in_server(POSTGRES, web_workers=4) and not off.runs_in_server(SQLITE, web_workers=1)


def test_the_worker_settings_come_from_load_settings() -> None:
    worker = load_settings(
        KEY
        | {"RUN_WORKER": "OFF", "JOBS_TIME_ZONE": "Europe/Berlin", "WORKER_HEARTBEAT_SECONDS": "1"}
        | {"WORKER_LEADER_RETRY_SECONDS": "0.5", "WORKER_LEADER_CHECK_SECONDS": "2", "WORKER_STOP_GRACE_SECONDS": "9"}
    ).worker
    assert worker == WorkerSettings(
        time_zone="Europe/Berlin",
        leader_retry_seconds=0.5,
        leader_check_seconds=2,
        heartbeat_seconds=1,
        stop_grace_seconds=9,
        in_server=WorkerMode.OFF,
    )
    assert load_settings(KEY).worker.in_server is WorkerMode.AUTO


@pytest.mark.parametrize(("name", "value"), [("RUN_WORKER", "sometimes"), ("JOBS_TIME_ZONE", "Mars/Olympus")])
def test_a_wrong_worker_setting_stops_the_start(name: str, value: str) -> None:
    with pytest.raises(Exception, match=value):
        load_settings(KEY | {name: value})


def test_a_live_stream_lives_five_minutes_unless_told_otherwise() -> None:
    assert load_settings(KEY).live_stream_max_seconds == 300
    assert load_settings(KEY | {"LIVE_STREAM_MAX_SECONDS": "30"}).live_stream_max_seconds == 30
    for wrong in ("0", "-5", "100000"):
        with pytest.raises(RuntimeError, match="LIVE_STREAM_MAX_SECONDS"):
            load_settings(KEY | {"LIVE_STREAM_MAX_SECONDS": wrong})
