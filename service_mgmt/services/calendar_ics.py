"""The iCalendar documents of calendar feeds (RFC 5545, written with the `icalendar` package).

One VEVENT per task, in UTC:
- UID is stable per task and feed kind, so a calendar application updates the event in place
  when the plan changes; SEQUENCE is the task's version and LAST-MODIFIED its last change.
- A cancelled task stays in the feed as STATUS:CANCELLED, so subscribed calendars strike it
  out instead of silently keeping it; a task planned but not yet scheduled is TENTATIVE.
- An engineer's feed names the customer, site and address of each job. A customer's feed shows
  its own visits only: the work order number, what is done, where and when; no internal
  notes, no engineer, no other customer.

The window is the last `PAST_DAYS` days and the next `FUTURE_DAYS` days: calendar applications
poll feeds often, and a feed that grows for ever would slow every poll.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from icalendar import Calendar, Event
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from masterdata.models import Customer, Engineer, Site
from service_mgmt.choices import TaskStatus
from service_mgmt.models import CalendarFeed, FeedKind, Task, TaskAssignment, WorkOrder

PAST_DAYS = 30
FUTURE_DAYS = 180
PRODID = "-//service-mgmt//calendar feeds//EN"
REFRESH = dt.timedelta(minutes=15)  # how often calendar applications are asked to poll
MEDIA_TYPE = "text/calendar; charset=utf-8"

ICAL_STATUS = {
    TaskStatus.OPEN.value: "TENTATIVE",  # planned, not yet scheduled
    TaskStatus.CANCELLED.value: "CANCELLED",
}
# A customer sees a visit once it is scheduled: an open task's plan may still change entirely.
CUSTOMER_VISIBLE = tuple(status.value for status in TaskStatus if status is not TaskStatus.OPEN)


@dataclass(frozen=True, slots=True)
class Job:
    task: Task
    work_order: WorkOrder
    customer: Customer
    site: Site


async def feed_document(session: AsyncSession, feed: CalendarFeed, now: dt.datetime) -> bytes:
    if feed.kind == FeedKind.ENGINEER.value:
        assert feed.engineer_id is not None  # calendar_feeds.subject_of_kind
        return await engineer_calendar(session, feed.engineer_id, now)
    assert feed.customer_id is not None
    return await customer_calendar(session, feed.customer_id, now)


def _jobs_in_window(now: dt.datetime) -> Select[tuple[Task, WorkOrder, Customer, Site]]:
    return (
        select(Task, WorkOrder, Customer, Site)
        .join(WorkOrder, WorkOrder.id == Task.work_order_id)
        .join(Customer, Customer.id == WorkOrder.customer_id)
        .join(Site, Site.id == Task.site_id)
        .where(
            Task.planned_start.is_not(None),
            Task.planned_start >= now - dt.timedelta(days=PAST_DAYS),
            Task.planned_start < now + dt.timedelta(days=FUTURE_DAYS),
        )
        .order_by(Task.planned_start, Task.id)
    )


async def engineer_calendar(session: AsyncSession, engineer_id: UUID, now: dt.datetime) -> bytes:
    engineer = await session.get(Engineer, engineer_id)
    if engineer is None:
        raise NotFound("calendar_feed", "of this token")
    rows = await session.execute(
        _jobs_in_window(now)
        .join(TaskAssignment, TaskAssignment.task_id == Task.id)
        .where(TaskAssignment.engineer_id == engineer_id)
    )
    calendar = _calendar(f"Jobs: {engineer.name}", engineer.time_zone)
    for task, work_order, customer, site in rows:
        job = Job(task, work_order, customer, site)
        calendar.add_component(_engineer_event(job, now))
    return bytes(calendar.to_ical())


async def customer_calendar(session: AsyncSession, customer_id: UUID, now: dt.datetime) -> bytes:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("calendar_feed", "of this token")
    rows = (
        await session.execute(
            _jobs_in_window(now).where(
                WorkOrder.customer_id == customer_id,
                Site.customer_id == customer_id,
                Task.status.in_(CUSTOMER_VISIBLE),
            )
        )
    ).all()
    # the zone most of the customer's visits are in; calendars show UTC times in the viewer's own
    zones = [site.time_zone for _task, _order, _customer, site in rows]
    calendar = _calendar(f"Service visits: {customer.name}", max(set(zones), key=zones.count) if zones else None)
    for task, work_order, owner, site in rows:
        calendar.add_component(_customer_event(Job(task, work_order, owner, site), now))
    return bytes(calendar.to_ical())


def _calendar(name: str, time_zone: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if time_zone:
        calendar.add("x-wr-timezone", time_zone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    return calendar


def _times(task: Task) -> tuple[dt.datetime, dt.datetime]:
    assert task.planned_start is not None  # selected so
    start = task.planned_start.astimezone(dt.UTC)
    end = task.planned_end or task.planned_start + dt.timedelta(minutes=task.duration_minutes)
    return start, end.astimezone(dt.UTC)


def _address(site: Site) -> str:
    town = " ".join(part for part in (site.postal_code, site.city) if part)
    return ", ".join(part for part in (site.name, site.street, town, site.country) if part)


def _event(job: Job, uid: str, summary: str, description: str, now: dt.datetime) -> Event:
    task, site = job.task, job.site
    start, end = _times(task)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", _address(site))
    if site.latitude is not None and site.longitude is not None:
        event.add("geo", (site.latitude, site.longitude))
    event.add("status", ICAL_STATUS.get(task.status, "CONFIRMED"))
    event.add("sequence", task.version)
    event.add("last-modified", task.updated_at.astimezone(dt.UTC))
    event.add("created", task.created_at.astimezone(dt.UTC))
    event.add("transp", "TRANSPARENT" if task.status == TaskStatus.CANCELLED.value else "OPAQUE")
    return event


def _engineer_event(job: Job, now: dt.datetime) -> Event:
    task, work_order, customer, site = job.task, job.work_order, job.customer, job.site
    description = "\n".join(
        [
            f"Work order: {work_order.number} ({work_order.service_type}, priority {task.priority})",
            f"Task: {task.name}",
            f"Customer: {customer.name} ({customer.number})",
            f"Site: {_address(site)}",
            f"Status: {task.status}",
        ]
    )
    return _event(
        job, f"task-{task.id}@service-mgmt", f"{work_order.number} {customer.name}: {task.name}", description, now
    )


def _customer_event(job: Job, now: dt.datetime) -> Event:
    task, work_order, site = job.task, job.work_order, job.site
    description = "\n".join(
        [f"Work order: {work_order.number}", f"Visit: {task.name}", f"Site: {_address(site)}", f"Status: {task.status}"]
    )
    summary = f"Service visit {work_order.number}: {task.name}"
    return _event(job, f"visit-{task.id}@service-mgmt", summary, description, now)
