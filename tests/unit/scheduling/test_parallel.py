"""Searching side by side in forked processes: the portfolio's lanes and the decomposition's parts."""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
import time

import pytest

from scheduling import decompose, parallel
from scheduling.checker import check_plan
from scheduling.solver import SolveParams, solve

from .builders import WORK, engineer, problem, task

CAN_FORK = "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) >= 2
needs_fork = pytest.mark.skipif(not CAN_FORK, reason="needs fork and two CPUs")


def _square(value: int):
    def job(_stop, progress):
        progress(0.0, value)
        return os.getpid(), value * value

    return job


def _scattered(n: int, vans: int, seed: int = 5):
    rng = random.Random(seed)
    tasks = [task(f"t{i}", rng.randint(-3000, 3000), rng.randint(-3000, 3000), duration=900) for i in range(n)]
    return problem([engineer(f"e{k}") for k in range(vans)], tasks)


@needs_fork
def test_jobs_run_in_other_processes_and_answer_in_order_with_their_progress():
    seen: list[tuple[float, int]] = []
    results = parallel.run([_square(3), _square(4)], None, lambda s, o: seen.append((s, o)))
    assert [value for _, value in results] == [9, 16]
    pids = {pid for pid, _ in results}
    assert os.getpid() not in pids and len(pids) == 2
    assert sorted(o for _, o in seen) == [3, 4]


@needs_fork
def test_a_failing_job_is_raised_in_the_caller():
    def broken(_stop, _progress):
        raise ValueError("no such node")

    with pytest.raises(RuntimeError, match="no such node"):
        parallel.run([broken, _square(2)], None, None)


@needs_fork
def test_the_callers_stop_reaches_the_children():
    def wait_for_stop(stop, progress):
        progress(0.0, 1)  # running
        # only a stop ends the wait; the deadline keeps a broken stop from hanging the suite
        deadline = time.monotonic() + 120
        while not stop():
            if time.monotonic() > deadline:
                return "never stopped"
            time.sleep(0.01)
        return "stopped"

    running: list[int] = []
    # the caller asks to stop once both children run, not after some seconds
    results = parallel.run([wait_for_stop, wait_for_stop], lambda: len(running) == 2, lambda _s, o: running.append(o))
    assert results == ["stopped", "stopped"]


def test_one_process_where_forking_is_unsafe():
    assert parallel.usable(1) == 1
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert parallel.usable(4) == 1  # a second thread: a fork would copy it mid-flight
    finally:
        release.set()
        other.join()


@pytest.fixture
def forked_runs(monkeypatch):
    """Counts the jobs handed to ``parallel.run`` (which still runs them).

    The single-thread guard of ``parallel.usable`` is tested on its own above; here it is lifted,
    because earlier tests in the same worker leave threads behind (the SMTP inbox) that would turn
    every solve sequential, and nothing in the children touches what those threads hold."""
    if not CAN_FORK:
        pytest.skip("needs fork and two CPUs")
    monkeypatch.setattr(parallel, "usable", lambda workers: min(workers, 2))
    jobs: list[int] = []
    real = parallel.run

    def counting(batch, stop, on_progress):
        jobs.append(len(batch))
        return real(batch, stop, on_progress)

    monkeypatch.setattr(parallel, "run", counting)
    return jobs


def test_the_portfolio_searches_side_by_side(forked_runs):
    p = _scattered(30, 4)
    seen: list[tuple[float, int]] = []
    plan = solve(p, SolveParams(workers=2, work_limit=WORK), on_progress=lambda s, o: seen.append((s, o)))
    assert forked_runs == [2]  # one process per search of the portfolio
    assert check_plan(p, plan) == []
    assert plan.unassigned == ()
    objectives = [o for _, o in seen]
    assert objectives == sorted(objectives, reverse=True) and len(set(objectives)) == len(objectives)
    assert plan.stats.objective == objectives[-1]


def test_the_decomposition_improves_parts_side_by_side_and_keeps_every_task(forked_runs, monkeypatch):
    monkeypatch.setattr(decompose, "PART_ROUTES", 1)  # parts of ~15 tasks: several groups to share out
    p = _scattered(80, 10)
    # without ruin and recreate, which takes the decomposition's place where it applies
    params = SolveParams(large_from=10, part_size=15, workers=2, ruin_recreate_share=0, work_limit=WORK)
    seen: list[int] = []
    plan = solve(p, params, on_progress=lambda _t, objective: seen.append(objective))
    assert check_plan(p, plan) == []
    assert plan.unassigned == ()
    assert forked_runs and set(forked_runs) == {2}  # two disjoint groups of routes at a time
    assert seen == sorted(seen, reverse=True)
    # the reported objective is the plan's real travel cost (min_travel: 3/s + 1/m)
    assert plan.stats.objective == 3 * plan.kpis.travel_seconds + plan.kpis.travel_metres
