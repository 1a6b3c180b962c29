"""Searches side by side in forked processes.

OR-Tools' routing search holds the GIL for the whole solve, so a second core only helps from a
second process. Fork, not spawn: the child inherits the problem and the imported OR-Tools at no
cost, where a spawned child re-imports them (about a second of a ten-second budget) and needs
everything pickled. Fork is used only where it is safe: a POSIX system and a caller running a
single thread (the solver pool's worker processes, the CLI and the benchmarks; the web process
never solves in-process). Anywhere else ``usable`` answers 1 and callers search one after another.

A job is a function ``(stop, progress) -> result``; the child sends its progress and then its
result (pickled) through a pipe, and the parent relays progress and passes its own ``stop`` on
through an event the children poll.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Stop = Callable[[], bool]
Progress = Callable[[float, int], None]
Job = Callable[[Stop, Progress], T]

POLL_SECONDS = 0.05


def usable(workers: int) -> int:
    """How many processes to search in: 1 unless fork is available and safe here."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        return 1
    return min(workers, os.cpu_count() or 1)


def run(jobs: Sequence[Job[T]], stop: Stop | None, on_progress: Progress | None) -> list[T | None]:
    """Run each job in a forked child; results in job order (None where a child failed).
    A lone job runs here, in this process: there is nothing to run beside it."""
    if len(jobs) == 1:
        return [jobs[0](stop or _never, on_progress or _ignore)]
    context = multiprocessing.get_context("fork")
    cancel = context.Event()
    children: list[tuple[Any, multiprocessing.connection.Connection]] = []
    for job in jobs:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(job, cancel, send), daemon=True)
        child.start()
        send.close()  # the parent keeps only the reading end: EOF once the child is gone
        children.append((child, receive))
    results: list[T | None] = [None] * len(jobs)
    open_ends = {conn: n for n, (_, conn) in enumerate(children)}
    try:
        while open_ends:
            if stop is not None and not cancel.is_set() and stop():
                cancel.set()
            for conn in multiprocessing.connection.wait(list(open_ends), timeout=POLL_SECONDS):
                assert isinstance(conn, multiprocessing.connection.Connection)
                try:
                    kind, *payload = conn.recv()
                except EOFError:  # the child died without a result
                    del open_ends[conn]
                    continue
                if kind == "progress" and on_progress is not None:
                    on_progress(*payload)
                elif kind == "done":
                    results[open_ends.pop(conn)] = payload[0]
                elif kind == "error":
                    del open_ends[conn]
                    raise RuntimeError(f"search process failed:\n{payload[0]}")
    finally:
        cancel.set()
        for child, conn in children:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
                child.join()
            conn.close()
    return results


def _never() -> bool:
    return False


def _ignore(_seconds: float, _objective: int) -> None:
    return None


def _child(job: Job[Any], cancel: Any, send: multiprocessing.connection.Connection) -> None:
    try:
        result = job(cancel.is_set, lambda seconds, objective: send.send(("progress", seconds, objective)))
        send.send(("done", result))
    except Exception:  # noqa: BLE001 - any failure is reported to the parent, which raises it there
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()
