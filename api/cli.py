"""The `service-mgmt` command: serve, db upgrade, demo-data, create-user, worker, jobs."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import getpass
import os
import sys
from typing import Any

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.auth import SYSTEM, Role
from core.settings import WorkerMode, load_settings

console = Console(stderr=True)

DEMO_LOGINS = [role.value for role in Role]


@click.group()
def main() -> None:
    """Field-service and service-contract management."""
    from returns.reactions import register_handlers  # domain events for CLI commands; idempotent

    register_handlers()
    from api import webhook_events  # audited facts become webhook deliveries in CLI commands too

    webhook_events.register()


@main.command()
@click.option("--host", default=None, help="default: $HOST or 127.0.0.1")
@click.option("--port", default=None, type=int, help="default: $PORT or 8000")
@click.option("--workers", default=None, type=int, help="uvicorn worker processes (default: $WEB_WORKERS or 1)")
@click.option("--reload", is_flag=True, help="restart on code changes (development)")
@click.option("--print-logins", is_flag=True, help="print the demo logins before serving")
@click.option(
    "--with-worker/--no-worker",
    default=None,
    help="also run the background jobs in this process (default: $RUN_WORKER; auto: only one process on SQLite)",
)
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    reload: bool,
    print_logins: bool,
    with_worker: bool | None,
) -> None:
    """Serve the API and pages (stateless: run as many as you like behind a load balancer).

    On the embedded SQLite a single process also runs the background jobs (`service-mgmt
    worker`'s leader election and scheduler); Ctrl-C stops both.
    """
    import uvicorn

    settings = load_settings()
    server = settings.server
    host, port = host or server.host, port or server.port
    web_workers = None if reload else (workers or server.workers)
    if with_worker is None:
        with_worker = settings.worker.runs_in_server(settings.database, web_workers or 1)
    # The app factory runs in uvicorn's process(es) and loads the settings there: the decision
    # reaches it through the environment they inherit.
    os.environ["RUN_WORKER"] = WorkerMode.ON.value if with_worker else WorkerMode.OFF.value
    if print_logins:
        _print_logins(host, port)
    console.print(
        "background jobs: run in this process (--no-worker: leave them to `service-mgmt worker`)"
        if with_worker
        else "background jobs: [yellow]not run here[/]; start `service-mgmt worker` beside this server"
    )
    uvicorn.run(
        "web.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=web_workers,
        reload=reload,
        proxy_headers=True,
        access_log=False,
        log_config=_log_config(),
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus who leads the jobs and what is scheduled; each job's success is left
    out (the outbox alone runs every 30 s): `job_runs` records every run, failures are logged."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("service_mgmt.worker", "service_mgmt.leader"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    for name in ("service_mgmt.jobs", "apscheduler"):
        config["loggers"][name] = {"level": "WARNING"}
    return config


def _print_logins(host: str, port: int) -> None:
    console.print(
        f"\n[bold]Service Management[/] on http://{host}:{port}  (API reference: http://{host}:{port}/schema)"
    )
    console.print("Demo logins (password [bold]demo[/]): " + ", ".join(DEMO_LOGINS))
    console.print(
        f"  curl -s -X POST http://{host}:{port}/api/v1/auth/login -H 'content-type: application/json' "
        '-d \'{"username": "admin", "password": "demo"}\'\n'
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Upgrade the database to the latest migration (Alembic)."""
    from migrations.runner import upgrade

    settings = load_settings()
    upgrade(settings.database.url, revision)
    console.print(f"database upgraded to {revision}")


@main.command("demo-data")
@click.option("--customers", default=240, show_default=True, type=click.IntRange(min=1))
@click.option("--equipment", default=2400, show_default=True, type=click.IntRange(min=1))
@click.option("--engineers", default=24, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=20261123, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="only when the database holds no customers and no users")
@click.option(
    "--contracts/--no-contracts",
    default=True,
    show_default=True,
    help="also load calendars, service levels, warranties and about one service contract per customer",
)
def demo_data(customers: int, equipment: int, engineers: int, seed: int, if_empty: bool, contracts: bool) -> None:
    """Load a realistic, deterministic demo company (never run this on a real installation)."""
    from service_mgmt.demo_data import DemoSize

    size = DemoSize(customers=customers, equipment=equipment, engineers=engineers, seed=seed)
    try:
        asyncio.run(_load_demo_data(size, if_empty, contracts))
    except ValueError as exc:  # e.g. the database already holds data
        console.print(f"[red]demo data not loaded:[/] {exc}")
        sys.exit(1)


async def _load_demo_data(size: Any, if_empty: bool, contracts: bool = True) -> None:
    from api.demo_company import load_demo_company
    from core.db import create_engine
    from returns.services.rma_notices import NoticeLinks

    settings = load_settings()
    engine = create_engine(settings.database)
    try:
        with _progress() as progress:
            tasks: dict[str, Any] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            company = await load_demo_company(
                engine,
                size,
                today=dt.date.today(),
                billing=settings.billing,
                links=NoticeLinks.of(settings),
                contracts=contracts,
                if_empty=if_empty,
                progress=report,
            )
        if company is None:
            console.print("demo data: the database is not empty; nothing loaded")
            return
        console.print(f"demo data loaded: {company.data}")
        if company.contracts is not None:
            console.print(f"demo contracts loaded: {company.contracts}")
        console.print(f"demo billing profiles loaded: {company.billing_profiles}")
        console.print(f"demo stock loaded: {company.stock}")
        console.print(f"demo activity loaded: {company.activity}")
        if company.billing is not None:
            console.print(f"demo billing activity loaded: {company.billing}")
        console.print(f"demo credit accounts loaded: {company.credit}")
        console.print("demo logins (password 'demo'): " + ", ".join(DEMO_LOGINS))
    finally:
        await engine.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", default=None, help="prompted for when omitted")
@click.option("--customer-number", default=None, help="for role customer: the customer's number, e.g. C-000001")
@click.option("--engineer-number", default=None, help="for role technician: the engineer's number, e.g. E-000001")
def create_user_command(
    username: str, role: str, password: str | None, customer_number: str | None, engineer_number: str | None
) -> None:
    """Create a user who can log in."""
    if password is None:
        password = getpass.getpass("password: ")
    try:
        asyncio.run(_create_user(username, Role(role), password, customer_number, engineer_number))
    except Exception as exc:  # noqa: BLE001 - a CLI answers with a message, not a traceback
        detail = getattr(exc, "detail", str(exc))
        console.print(f"[red]error:[/] {detail}")
        sys.exit(1)


async def _create_user(
    username: str, role: Role, password: str, customer_number: str | None, engineer_number: str | None
) -> None:
    from sqlalchemy import select

    from core.db import create_engine, create_session_factory, session_scope
    from core.errors import NotFound
    from masterdata.models import Customer, Engineer
    from masterdata.services.users import UserCreate, create_user

    engine = create_engine(load_settings().database)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            customer_id = engineer_id = None
            if customer_number:
                customer_id = await session.scalar(select(Customer.id).where(Customer.number == customer_number))
                if customer_id is None:
                    raise NotFound("customer", customer_number)
            if engineer_number:
                engineer_id = await session.scalar(select(Engineer.id).where(Engineer.number == engineer_number))
                if engineer_id is None:
                    raise NotFound("engineer", engineer_number)
            # convert (not the constructor) so that the same constraints as the API apply
            data = msgspec.convert(
                {
                    "username": username,
                    "password": password,
                    "role": role.value,
                    "customer_id": customer_id,
                    "engineer_id": engineer_id,
                },
                UserCreate,
            )
            user = await create_user(session, SYSTEM, data)
        console.print(f"user {user.username} ({user.role}) created")
    finally:
        await engine.dispose()


@main.command()
def worker() -> None:
    """Run the background jobs: wait to lead (one scheduler across all processes), then schedule.

    Start one on every host you like; exactly one leads, the others take over when it stops.
    """
    import logging

    from api.worker import serve_worker

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s", stream=sys.stderr
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    asyncio.run(serve_worker(load_settings()))


@main.group()
def dispatch() -> None:
    """Dispatch optimization."""


@dispatch.command("run")
@click.option("--first-day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="default: today (UTC)")
@click.option("--days", type=click.IntRange(1, 14), default=1, show_default=True, help="local days in the horizon")
@click.option("--policy", default="balanced", show_default=True, help="sla_first, min_travel or balanced")
@click.option(
    "--time-limit", type=click.FloatRange(0.1, 600), default=10.0, show_default=True, help="seconds the search may take"
)
@click.option("--publish", is_flag=True, help="publish the plan to the tasks when the run succeeds")
def dispatch_run(first_day: Any, days: int, policy: str, time_limit: float, publish: bool) -> None:
    """Optimize the horizon as a stored run (as the API does), print its KPIs, optionally publish."""
    from api.dispatch_command import run_dispatch
    from core.errors import DomainError

    try:
        result = asyncio.run(
            run_dispatch(
                load_settings(),
                first_day=first_day.date() if first_day else None,
                days=days,
                policy=policy,
                time_limit=time_limit,
                publish=publish,
                say=console.print,
            )
        )
    except DomainError as error:
        console.print(f"[red]{error}[/]")
        sys.exit(2)
    console.print_json(data={"run_id": str(result.run_id), "status": result.status, "kpis": result.kpis})
    if result.status != "succeeded":
        console.print(f"[red]run {result.status}[/] {result.error or ''}")
        sys.exit(1)
    if result.published is not None:
        console.print(f"published {result.published} task(s)")


@main.group()
def billing() -> None:
    """Billing runs (contract fees, usage, billable work) into draft invoices."""


@billing.command("run")
@click.option("--period", required=True, help="the month to bill, e.g. 2026-11")
@click.option("--chunk-size", type=click.IntRange(1, 5000), default=200, show_default=True, help="customers per commit")
@click.option(
    "--take-over-after",
    type=click.IntRange(0, 86_400),
    default=120,
    show_default=True,
    help="seconds without heartbeat after which a running run counts as dead and is taken over",
)
@click.option("--pause", type=click.FloatRange(0, 60), default=0.0, help="seconds to wait between chunks (load)")
def billing_run(period: str, chunk_size: int, take_over_after: int, pause: float) -> None:
    """Bill a month: fees, usage and billable items into draft invoices, exactly once (safe to re-run)."""
    from contracts.services.billing_run import RunOptions
    from core.errors import DomainError

    options = RunOptions(
        chunk_size=chunk_size, take_over_after=dt.timedelta(seconds=take_over_after), pause_seconds=pause
    )
    try:
        run = asyncio.run(_billing_run(period, options))
    except DomainError as error:
        console.print(f"[red]{error}[/]")
        sys.exit(2)
    console.print_json(
        data={
            "run_id": str(run.id),
            "period": run.period,
            "status": run.status,
            "contracts_considered": run.contracts_considered,
            "invoices_created": run.invoices_created,
            "invoices_updated": run.invoices_updated,
            "fee_lines": run.fee_lines,
            "usage_lines": run.usage_lines,
            "item_lines": run.item_lines,
            "totals": run.totals,
        }
    )


async def _billing_run(period: str, options: Any) -> Any:
    from contracts.services.billing_run import execute_run, start_run
    from core.db import create_engine, create_session_factory

    settings = load_settings()
    engine = create_engine(settings.database)
    try:
        sessions = create_session_factory(engine)
        run = await start_run(sessions, SYSTEM, period, options=options)
        console.print(f"billing run {run.id} for {run.period}")
        with Progress(
            TextColumn("[bold]billing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(run.period, total=None)
            return await execute_run(
                sessions,
                run.id,
                settings.billing,
                options=options,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        await engine.dispose()


@billing.command("issue")
@click.option("--period", required=True, help="the month whose drafts to issue, e.g. 2026-11")
@click.option("--chunk-size", type=click.IntRange(1, 5000), default=200, show_default=True, help="invoices per commit")
def billing_issue(period: str, chunk_size: int) -> None:
    """Issue every draft invoice of a month after review: numbered in customer order, e-mailed (safe to re-run)."""
    from core.errors import DomainError

    try:
        result = asyncio.run(_billing_issue(period, chunk_size))
    except DomainError as error:
        console.print(f"[red]{error}[/]")
        sys.exit(2)
    console.print_json(
        data={
            "period": result.period,
            "drafts": result.drafts,
            "issued": result.issued,
            "skipped": result.skipped,
            "empty": result.empty,
            "first_number": result.first_number,
            "last_number": result.last_number,
            "totals": {
                currency: {"invoices": t.invoices, "net": str(t.net), "tax": str(t.tax), "gross": str(t.gross)}
                for currency, t in result.totals.items()
            },
        }
    )


async def _billing_issue(period: str, chunk_size: int) -> Any:
    from contracts.services.invoice_bulk_issue import issue_drafts
    from core.db import create_engine, create_session_factory

    settings = load_settings()
    engine = create_engine(settings.database)
    try:
        with Progress(
            TextColumn("[bold]issuing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(period, total=None)
            return await issue_drafts(
                create_session_factory(engine),
                SYSTEM,
                period,
                settings.billing,
                chunk_size=chunk_size,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        await engine.dispose()


@main.group()
def jobs() -> None:
    """Background jobs (run on a schedule by `service-mgmt worker`)."""


@jobs.command("list")
def jobs_list() -> None:
    """The jobs and their schedules."""
    from api.worker import job_registry

    settings = load_settings()
    for spec in job_registry(settings):
        console.print(f"{spec.id:<20} {spec.trigger}  ({settings.worker.time_zone})  {spec.description}")


@jobs.command("run")
@click.argument("job_id")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="the date the job works for")
def jobs_run(job_id: str, today: Any) -> None:
    """Run one job now, outside the schedule (recorded in job_runs as a manual run)."""
    from api.worker import job_registry, run_once
    from core.jobs import Outcome

    settings = load_settings()
    if job_id not in job_registry(settings):
        console.print(f"[red]no job {job_id!r}[/]; known: {', '.join(job_registry(settings).ids())}")
        sys.exit(2)
    report = asyncio.run(run_once(settings, job_id, today.date() if today else None))
    if report.outcome != Outcome.SUCCEEDED:
        console.print(f"[red]job {job_id} {report.outcome}:[/] {report.error or ''}")
        sys.exit(1)
    console.print(f"job {job_id} succeeded in {report.seconds:.3f} s: {report.result}")


@main.group()
def outbox() -> None:
    """Messages waiting for delivery (e-mails, service reports); the worker sends them every 30 s."""


@outbox.command("send")
def outbox_send() -> None:
    """Deliver the due messages now (SMTP_HOST must be set; without it nothing is sent)."""
    from api.outbox_handlers import send_due_now

    reports = asyncio.run(send_due_now(load_settings()))
    if reports and reports[0].mail_disabled:
        console.print(f"[yellow]mail is disabled (SMTP_HOST is not set): nothing sent, {reports[0].pending} pending[/]")
        sys.exit(1)
    sent, retried, failed = (sum(getattr(r, name) for r in reports) for name in ("sent", "retried", "failed"))
    console.print(f"sent {sent}, retry later {retried}, failed {failed}")
    for report in reports:
        for error in report.errors:
            console.print(f"  [red]{error}[/]")
    if retried or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
