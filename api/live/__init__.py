"""Live updates of the dispatch board: `plan` and `run` events on GET /api/v1/live/dispatch (SSE).

The flow. A use case that changes the plan announces it in its own transaction
(`service_mgmt.plan_announcements` publishes a `PlanChanged` or `RunProgressed` domain event);
`delivery` turns the event into a message and hands it on *only when that transaction commits*;
`hub` fans messages out to every open stream of every process through Litestar channels, on
PostgreSQL's LISTEN/NOTIFY (`AsyncPgChannelsBackend`) or, on the single-process SQLite, in memory
(`MemoryChannelsBackend`); `stream` writes them as server-sent events with a heartbeat.

Why after commit, and why not through the outbox. A board that is told of a change refetches the
board at once, so the message must not arrive before the change is visible to other transactions, and
must never arrive for a change that rolled back. On PostgreSQL the message is a `pg_notify()` issued in
the very transaction that changes the plan: PostgreSQL delivers notifications at commit and discards
them on rollback, which is exactly the after-commit hook we need, in every process that writes (web,
worker, CLI), without an extra connection. On SQLite an SQLAlchemy `after_commit` hook publishes the
messages the transaction collected to the in-memory channel. The outbox (`core.outbox`) would give
at-least-once delivery, but it is polled every 30 s by the worker, far from the 2 s promised, and a
live message needs no such guarantee: it is a hint to refetch, a board that reconnects refetches
anyway, so a message lost with a crashing process costs nothing.
"""
