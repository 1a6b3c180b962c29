"""Typed, grouped settings read from the environment by a function (never at import time)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
        ),
        server=ServerSettings(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            workers=int(env.get("WEB_WORKERS", "1")),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", "1048576")),
            default_page_size=int(env.get("DEFAULT_PAGE_SIZE", "50")),
            max_page_size=int(env.get("MAX_PAGE_SIZE", "200")),
            debug=_flag(env.get("DEBUG")),
            hsts_seconds=hsts_seconds(env),
        ),
        mail=load_mail_settings(env),
        billing=load_billing_settings(env),
        sla_warning_share=sla_warning_share(env),
        dispatch_workers=int(env.get("DISPATCH_WORKERS", "1")),
        dispatch_search_processes=int(env.get("DISPATCH_SEARCH_PROCESSES", "0")),
        advance_exchange_return_days=int(env.get("ADVANCE_EXCHANGE_RETURN_DAYS", "14")),
    )


def hsts_seconds(env: Mapping[str, str] | None = None) -> int:
    """HSTS_SECONDS (default 0: no Strict-Transport-Security header); set it only behind HTTPS."""
    env = os.environ if env is None else env
    seconds = int(env.get("HSTS_SECONDS", "0"))
    if seconds < 0:
        raise RuntimeError(f"HSTS_SECONDS must be 0 (off) or a positive number of seconds, got {seconds}")
    return seconds


def sla_warning_share(env: Mapping[str, str] | None = None) -> float:
    """SLA_WARNING_SHARE (default 0.75): warn the planner once this share of a target's time is used."""
    env = os.environ if env is None else env
    share = float(env.get("SLA_WARNING_SHARE", "0.75"))
    if not 0 < share < 1:
        raise RuntimeError(f"SLA_WARNING_SHARE must lie between 0 and 1 (exclusive), got {share}")
    return share


def load_mail_settings(env: Mapping[str, str] | None = None) -> MailSettings:
    """SMTP_HOST (unset: mail disabled), SMTP_PORT (25), MAIL_FROM, SMTP_USERNAME, SMTP_PASSWORD,
    SMTP_STARTTLS (false), SMTP_TIMEOUT_SECONDS (30)."""
    env = os.environ if env is None else env
    return MailSettings(
        host=env.get("SMTP_HOST") or None,
        port=int(env.get("SMTP_PORT", "25")),
        sender=env.get("MAIL_FROM", "service@localhost"),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        starttls=_flag(env.get("SMTP_STARTTLS")),
        timeout_seconds=float(env.get("SMTP_TIMEOUT_SECONDS", "30")),
    )


def load_billing_settings(env: Mapping[str, str] | None = None) -> BillingSettings:
    """SELLER_NAME, SELLER_ADDRESS, SELLER_TAX_ID, SELLER_EMAIL, SELLER_IBAN, SELLER_COUNTRY (DE),
    DEFAULT_PAYMENT_TERMS_DAYS (30): printed on invoices and used where a customer has no profile."""
    env = os.environ if env is None else env
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
