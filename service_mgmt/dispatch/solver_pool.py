"""Solving in a process pool: the OR-Tools routing search holds the GIL, so it runs in other processes
and the web process keeps answering.

The pool and a ``multiprocessing`` manager are created on first use (an app that never optimizes
starts no processes) and shut down with their owner (the app's lifespan, the worker, the CLI).
A submitted solve gets a manager queue for progress messages and a manager event for cancellation;
the solver's ``stop`` callback looks at the event at most every ``STOP_CHECK_SECONDS``.

This module imports only the standard library and ``scheduling``: worker processes unpickle
``solve_job`` by its module path and should not pay for the database layer.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.managers import SyncManager
from typing import Any

from scheduling import Explanation, Plan, Problem, SolveParams, Violation, check_plan, explain, ruin_recreate, solve

STOP_CHECK_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    plan: Plan
    explanations: tuple[Explanation, ...]
    violations: tuple[Violation, ...]  # the independent checker's findings (empty for a sound plan)
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Started:
    at: float  # time.time() in the worker


@dataclass(frozen=True, slots=True)
class Improved:
    seconds: float
    objective: int


def solve_job(problem: Problem, params: SolveParams, cancel: Any, messages: Any) -> SolveOutcome:
    """Runs in a pool process: solve, explain and check; report start and improvements on ``messages``."""
    messages.put(Started(time.time()))
    last_check = [0.0]
    cancelled = [False]

    def stop() -> bool:
        now = time.monotonic()
        if not cancelled[0] and now - last_check[0] >= STOP_CHECK_SECONDS:
            last_check[0] = now
            cancelled[0] = bool(cancel.is_set())
        return cancelled[0]

    def on_progress(seconds: float, objective: int) -> None:
        messages.put(Improved(seconds, objective))

    plan = solve(problem, params, stop, on_progress)
    return SolveOutcome(
        plan=plan,
        explanations=tuple(explain(problem, plan)),
        violations=tuple(check_plan(problem, plan)),
        cancelled=cancelled[0] or bool(cancel.is_set()),
    )


class SolveHandle:
    """One submitted solve: its future, its cancel switch and its message queue."""

    def __init__(self, future: concurrent.futures.Future[SolveOutcome], cancel: Any, messages: Any) -> None:
        self.future = future
        self._cancel = cancel
        self._messages = messages

    def cancel(self) -> None:
        self._cancel.set()
        self.future.cancel()  # still waiting for a worker: it never starts

    def drain(self) -> list[Started | Improved]:
        out: list[Started | Improved] = []
        while True:
            try:
                out.append(self._messages.get_nowait())
            except queue.Empty:
                return out
            except (EOFError, OSError, BrokenPipeError):  # the manager is gone (shutting down)
                return out


class SolverPool:
    """``workers`` solves at a time; each searches in ``search_processes`` processes (0: one per CPU;
    ``scheduling.parallel`` forks them from the pool's worker, which runs a single thread)."""

    def __init__(self, workers: int = 1, search_processes: int = 1) -> None:
        self.workers = max(1, workers)
        self.search_processes = search_processes if search_processes > 0 else (os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._manager: SyncManager | None = None

    def _started(self) -> tuple[concurrent.futures.ProcessPoolExecutor, SyncManager]:
        with self._lock:
            if self._executor is None or self._manager is None:
                # spawn, not fork: the parent runs an event loop and threads that a fork would copy mid-flight
                context = multiprocessing.get_context("spawn")
                manager = context.Manager()
                self._manager = manager
                # each worker loads the compiled ruin-and-recreate kernel as it starts, not in its first solve
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=ruin_recreate.warm_up
                )
            return self._executor, self._manager

    def submit(self, problem: Problem, params: SolveParams) -> SolveHandle:
        executor, manager = self._started()
        cancel = manager.Event()
        messages = manager.Queue()
        params = replace(params, workers=self.search_processes)
        future = executor.submit(solve_job, problem, params, cancel, messages)
        return SolveHandle(future, cancel, messages)

    def warm_up(self) -> None:
        """Start the processes now (a benchmark or a test that measures latency wants them ready)."""
        executor, _ = self._started()
        executor.submit(time.sleep, 0).result()

    def shutdown(self) -> None:
        with self._lock:
            executor, manager = self._executor, self._manager
            self._executor = self._manager = None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if manager is not None:
            manager.shutdown()
