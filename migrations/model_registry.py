"""Imports every package's models so that one MetaData knows all tables (Alembic, tests)."""

from __future__ import annotations

from sqlalchemy import MetaData


def load_metadata() -> MetaData:
    import contracts.models  # noqa: F401
    import core.audit
    import core.auth_events
    import core.auth_sessions
    import core.documents
    import core.idempotency
    import core.job_runs
    import core.login_throttle
    import core.numbering
    import core.outbox
    import core.webhooks.models  # noqa: F401
    import masterdata.models  # noqa: F401
    import returns.models  # noqa: F401
    import service_mgmt.models  # noqa: F401
    from core.db import metadata

    return metadata
