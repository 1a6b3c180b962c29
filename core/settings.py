"""Typed, grouped settings read from the environment by a function (never at import time).

`load_settings()` is the only reader of the environment: everything else is handed the
`Settings` (or the group it needs) by the entry point that loaded them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/service.db"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL
    echo: bool = False
    pool_size: int = 10
    max_overflow: int = 20

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True, slots=True)
class AuthSettings:
    secret_key: str = ""
    token_ttl_minutes: int = 480
    # Failed logins allowed per username (and per client address) inside the window.
    login_max_failures: int = 5
    login_window_seconds: int = 300
    # public RMA tracking lookups that found nothing, per RMA number / per client address
    tracking_max_failures: int = 5
    tracking_max_failures_per_address: int = 20
    tracking_window_seconds: int = 900
    # How long a process trusts what it read about a session (user, role, binding, revoked)
    # before reading it again: the bound on how late a revocation or role change takes effect.
    session_cache_seconds: float = 20.0
    session_cache_size: int = 10_000
    # Browser sessions: the cookie is sent over HTTPS only (and named with the __Host- prefix).
    cookie_secure: bool = True


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1_048_576
    default_page_size: int = 50
    max_page_size: int = 200
    debug: bool = False
    # Strict-Transport-Security max-age (HSTS_SECONDS); 0 sends no HSTS header (plain-HTTP deployments)
    hsts_seconds: int = 0


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Outgoing mail (outbox dispatch). No SMTP_HOST means mail is disabled: the outbox
    dispatcher then delivers nothing and messages wait, rather than failing against a
    localhost:25 that a development machine rarely has."""

    host: str | None = None
    port: int = 25
    sender: str = "service@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False  # STARTTLS after connecting (port 587); implicit TLS is not offered
    timeout_seconds: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True, slots=True)
class BillingSettings:
    """Who sends the invoices, and the defaults for customers without a billing profile."""

    seller_name: str = "Service Company Ltd"
    seller_address: str = "1 Service Street, 10115 Berlin, Germany"
    seller_tax_id: str | None = None
    seller_email: str = "billing@localhost"
    seller_iban: str | None = None
    seller_country: str = "DE"  # tax rate of customers with neither a profile nor a country
    default_payment_terms_days: int = 30


class WorkerMode(StrEnum):
    """RUN_WORKER: whether `service-mgmt serve` also runs the background jobs in its process."""

    AUTO = "auto"  # on for one process on the embedded SQLite, off otherwise
    ON = "on"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """The background jobs: `service-mgmt worker`, or inside `service-mgmt serve`."""

    time_zone: str = "UTC"  # the zone of the daily schedule and of a job's "today"
    leader_retry_seconds: float = 5.0
    leader_check_seconds: float = 5.0
    heartbeat_seconds: int = 0  # 0: no heartbeat job
    stop_grace_seconds: float = 30.0  # how long a stopping worker lets running jobs finish
    in_server: WorkerMode = WorkerMode.AUTO

    def runs_in_server(self, database: DatabaseSettings, web_workers: int) -> bool:
        """Whether a web process runs the jobs too. On `auto`, only the single process of the
        embedded SQLite does: a PostgreSQL deployment or several web processes run
        `service-mgmt worker` beside them (running it in every web process would be safe, one
        leads, but each would hold a scheduler thread and a lock connection for nothing)."""
        if self.in_server is WorkerMode.AUTO:
            return database.is_sqlite and web_workers <= 1
        return self.in_server is WorkerMode.ON


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Outgoing webhooks: how often a delivery is tried, and which targets may be called."""

    # Targets on private, loopback or link-local networks are refused (server-side request
    # forgery) unless this is on: a test bench, or a receiver on the company's own network.
    allow_private_targets: bool = False
    max_attempts: int = 8  # after the last failed try a delivery is dead-lettered
    first_retry_seconds: float = 30.0  # doubled per attempt ...
    max_retry_seconds: float = 3600.0  # ... up to this
    timeout_seconds: float = 10.0  # one HTTP request, connect to last byte


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    billing: BillingSettings = field(default_factory=BillingSettings)
    # The share of an SLA target's time after which the planner is warned (SLA monitoring).
    sla_warning_share: float = 0.75
    # processes that solve dispatch runs beside each web/worker process (DISPATCH_WORKERS)
    dispatch_workers: int = 1
    # processes one dispatch solve searches in, side by side (DISPATCH_SEARCH_PROCESSES; 0: one per CPU)
    dispatch_search_processes: int = 0
    # days a customer has to send back the defective unit of an advance exchange
    # (ADVANCE_EXCHANGE_RETURN_DAYS)
    advance_exchange_return_days: int = 14
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    # Where people reach the product (PUBLIC_BASE_URL): every link in an e-mail starts with it.
    public_base_url: str = "http://127.0.0.1:8000"
    # The longest a live event stream stays open (LIVE_STREAM_MAX_SECONDS); the browser reconnects
    # at once, to whichever process the balancer picks, with its session checked afresh.
    live_stream_max_seconds: float = 300.0
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(env: Mapping[str, str], database_url: str) -> str:
    """SECRET_KEY from the environment; for the embedded SQLite default a key file beside the DB.

    The key must be the same in every process that serves the API (tokens are JWTs signed
    with it), so a per-process random key would break a load-balanced deployment.
    """
    if key := env.get("SECRET_KEY"):
        return key
    if not database_url.startswith("sqlite"):
        raise RuntimeError("SECRET_KEY must be set when the database is not the embedded SQLite")
    key_file = Path(env.get("SECRET_KEY_FILE", "var/secret.key"))
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    return Settings(
        database=DatabaseSettings(
            url=url,
            echo=_flag(env.get("DATABASE_ECHO")),
            pool_size=int(env.get("DATABASE_POOL_SIZE", "10")),
            max_overflow=int(env.get("DATABASE_MAX_OVERFLOW", "20")),
        ),
        auth=AuthSettings(
            secret_key=_secret_key(env, url),
            token_ttl_minutes=int(env.get("TOKEN_TTL_MINUTES", "480")),
            login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
            login_window_seconds=int(env.get("LOGIN_WINDOW_SECONDS", "300")),
            tracking_max_failures=int(env.get("TRACKING_MAX_FAILURES", "5")),
            tracking_max_failures_per_address=int(env.get("TRACKING_MAX_FAILURES_PER_ADDRESS", "20")),
            tracking_window_seconds=int(env.get("TRACKING_WINDOW_SECONDS", "900")),
            session_cache_seconds=session_cache_seconds(env),
            session_cache_size=int(env.get("SESSION_CACHE_SIZE", "10000")),
            cookie_secure=_flag(env.get("SESSION_COOKIE_SECURE"), default=True),
        ),
        server=ServerSettings(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            workers=int(env.get("WEB_WORKERS", "1")),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", "1048576")),
            default_page_size=int(env.get("DEFAULT_PAGE_SIZE", "50")),
            max_page_size=int(env.get("MAX_PAGE_SIZE", "200")),
            debug=_flag(env.get("DEBUG")),
            hsts_seconds=_hsts_seconds(env),
        ),
        mail=_mail_settings(env),
        billing=_billing_settings(env),
        sla_warning_share=_sla_warning_share(env),
        dispatch_workers=int(env.get("DISPATCH_WORKERS", "1")),
        dispatch_search_processes=int(env.get("DISPATCH_SEARCH_PROCESSES", "0")),
        advance_exchange_return_days=int(env.get("ADVANCE_EXCHANGE_RETURN_DAYS", "14")),
        worker=_worker_settings(env),
        public_base_url=_public_base_url(env),
        live_stream_max_seconds=_live_stream_max_seconds(env),
        webhooks=_webhook_settings(env),
    )


def _webhook_settings(env: Mapping[str, str]) -> WebhookSettings:
    """WEBHOOK_ALLOW_PRIVATE_TARGETS (false), WEBHOOK_MAX_ATTEMPTS (8), WEBHOOK_FIRST_RETRY_SECONDS (30),
    WEBHOOK_MAX_RETRY_SECONDS (3600), WEBHOOK_TIMEOUT_SECONDS (10)."""
    settings = WebhookSettings(
        allow_private_targets=_flag(env.get("WEBHOOK_ALLOW_PRIVATE_TARGETS")),
        max_attempts=int(env.get("WEBHOOK_MAX_ATTEMPTS", "8")),
        first_retry_seconds=float(env.get("WEBHOOK_FIRST_RETRY_SECONDS", "30")),
        max_retry_seconds=float(env.get("WEBHOOK_MAX_RETRY_SECONDS", "3600")),
        timeout_seconds=float(env.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
    )
    if not 1 <= settings.max_attempts <= 100:
        raise RuntimeError(f"WEBHOOK_MAX_ATTEMPTS must lie between 1 and 100, got {settings.max_attempts}")
    if not 0 < settings.first_retry_seconds <= settings.max_retry_seconds:
        raise RuntimeError("WEBHOOK_FIRST_RETRY_SECONDS must be above 0 and at most WEBHOOK_MAX_RETRY_SECONDS")
    if not 0 < settings.timeout_seconds <= 120:
        raise RuntimeError(
            f"WEBHOOK_TIMEOUT_SECONDS must lie between 0 (exclusive) and 120, got {settings.timeout_seconds}"
        )
    return settings


def _live_stream_max_seconds(env: Mapping[str, str]) -> float:
    """LIVE_STREAM_MAX_SECONDS (default 300): how long one live event stream may stay open."""
    seconds = float(env.get("LIVE_STREAM_MAX_SECONDS", "300"))
    if not 0 < seconds <= 86_400:
        raise RuntimeError(f"LIVE_STREAM_MAX_SECONDS must lie between 0 (exclusive) and 86400, got {seconds}")
    return seconds


def _hsts_seconds(env: Mapping[str, str]) -> int:
    """HSTS_SECONDS (default 0: no Strict-Transport-Security header); set it only behind HTTPS."""
    seconds = int(env.get("HSTS_SECONDS", "0"))
    if seconds < 0:
        raise RuntimeError(f"HSTS_SECONDS must be 0 (off) or a positive number of seconds, got {seconds}")
    return seconds


def _sla_warning_share(env: Mapping[str, str]) -> float:
    """SLA_WARNING_SHARE (default 0.75): warn the planner once this share of a target's time is used."""
    share = float(env.get("SLA_WARNING_SHARE", "0.75"))
    if not 0 < share < 1:
        raise RuntimeError(f"SLA_WARNING_SHARE must lie between 0 and 1 (exclusive), got {share}")
    return share


MAX_SESSION_CACHE_SECONDS = 60.0


def session_cache_seconds(env: Mapping[str, str]) -> float:
    """SESSION_CACHE_SECONDS (default 20): a revoked session or a changed user is honoured by
    every process within this time, so it may not exceed the promised 60 s (0: no cache)."""
    seconds = float(env.get("SESSION_CACHE_SECONDS", "20"))
    if not 0 <= seconds <= MAX_SESSION_CACHE_SECONDS:
        raise RuntimeError(f"SESSION_CACHE_SECONDS must lie between 0 and 60, got {seconds}")
    return seconds


def _mail_settings(env: Mapping[str, str]) -> MailSettings:
    """SMTP_HOST (unset: mail disabled), SMTP_PORT (25), MAIL_FROM, SMTP_USERNAME, SMTP_PASSWORD,
    SMTP_STARTTLS (false), SMTP_TIMEOUT_SECONDS (30)."""
    return MailSettings(
        host=env.get("SMTP_HOST") or None,
        port=int(env.get("SMTP_PORT", "25")),
        sender=env.get("MAIL_FROM", "service@localhost"),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        starttls=_flag(env.get("SMTP_STARTTLS")),
        timeout_seconds=float(env.get("SMTP_TIMEOUT_SECONDS", "30")),
    )


def _billing_settings(env: Mapping[str, str]) -> BillingSettings:
    """SELLER_NAME, SELLER_ADDRESS, SELLER_TAX_ID, SELLER_EMAIL, SELLER_IBAN, SELLER_COUNTRY (DE),
    DEFAULT_PAYMENT_TERMS_DAYS (30): printed on invoices and used where a customer has no profile."""
    defaults = BillingSettings()
    terms = int(env.get("DEFAULT_PAYMENT_TERMS_DAYS", str(defaults.default_payment_terms_days)))
    if not 0 <= terms <= 365:
        raise RuntimeError(f"DEFAULT_PAYMENT_TERMS_DAYS must lie between 0 and 365, got {terms}")
    return BillingSettings(
        seller_name=env.get("SELLER_NAME", defaults.seller_name),
        seller_address=env.get("SELLER_ADDRESS", defaults.seller_address),
        seller_tax_id=env.get("SELLER_TAX_ID") or None,
        seller_email=env.get("SELLER_EMAIL", defaults.seller_email),
        seller_iban=env.get("SELLER_IBAN") or None,
        seller_country=env.get("SELLER_COUNTRY", defaults.seller_country).upper(),
        default_payment_terms_days=terms,
    )


def _worker_settings(env: Mapping[str, str]) -> WorkerSettings:
    """JOBS_TIME_ZONE (UTC), WORKER_LEADER_RETRY_SECONDS (5), WORKER_LEADER_CHECK_SECONDS (5),
    WORKER_HEARTBEAT_SECONDS (0), WORKER_STOP_GRACE_SECONDS (30), RUN_WORKER (auto, on, off)."""
    mode = env.get("RUN_WORKER", WorkerMode.AUTO.value).strip().lower()
    if mode not in set(WorkerMode):
        raise RuntimeError(f"RUN_WORKER must be auto, on or off, got {mode!r}")
    settings = WorkerSettings(
        time_zone=env.get("JOBS_TIME_ZONE", "UTC"),
        leader_retry_seconds=float(env.get("WORKER_LEADER_RETRY_SECONDS", "5")),
        leader_check_seconds=float(env.get("WORKER_LEADER_CHECK_SECONDS", "5")),
        heartbeat_seconds=int(env.get("WORKER_HEARTBEAT_SECONDS", "0")),
        stop_grace_seconds=float(env.get("WORKER_STOP_GRACE_SECONDS", "30")),
        in_server=WorkerMode(mode),
    )
    ZoneInfo(settings.time_zone)  # an unknown zone fails at start, not at the first run
    return settings


def _public_base_url(env: Mapping[str, str]) -> str:
    """PUBLIC_BASE_URL, else where `serve` listens (HOST, PORT); a wildcard HOST reads as 127.0.0.1."""
    given = env.get("PUBLIC_BASE_URL", "").strip()
    if not given:
        host = env.get("HOST", "127.0.0.1")
        host = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{int(env.get('PORT', '8000'))}"
    parts = urlsplit(given)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be an absolute http(s) URL (https://service.example.com), got {given!r}"
        )
    return given.rstrip("/")
