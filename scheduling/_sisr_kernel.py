"""The compiled core of the ruin-and-recreate search (``scheduling.ruin_recreate`` drives it).

Slack Induction by String Removals (Christiaens & Vanden Berghe, Transportation Science 2020): each
iteration removes a few strings of consecutive tasks from neighbouring routes, puts the tasks back one
by one at their cheapest feasible place (skipping each place with a small "blink" probability), and
keeps the result by simulated annealing. Compiled with Numba because one iteration evaluates about a
thousand insertion places: in plain Python that is a few hundred iterations a second, compiled tens
of thousands.

Layout, all ``int64`` unless said otherwise:

* the instance ``inst``: travel time and arc cost between locations, per task its location, service
  duration, demand, penalty for leaving it out and start windows (CSR: ``win_first[c]`` up to
  ``win_first[c + 1]`` in ``win_start``/``win_end``), per vehicle its start and end location,
  departure from (``vopen``), latest return (``vclose``), capacity and class (vehicles alike in
  everything share one, so that only one empty vehicle per class is tried), ``allowed`` (bool task ×
  vehicle), neighbours of each task nearest first, whether any task has more than one window;
* the state ``st``: routes (vehicle × position -> task), their lengths, per position the earliest
  start and the latest start that keeps the rest of the route feasible, per route its load and cost,
  per task its route (-1: left out) and position, the left-out tasks, the best routes seen, and
  scratch space for undoing a rejected iteration.

Times are the earliest-start schedule: waiting is allowed and nothing in the objective depends on
when a visit starts, so the earliest schedule is feasible whenever any schedule is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

INF = 1 << 62


@njit(cache=True)
def seed_random(seed: int) -> None:
    np.random.seed(seed)


@njit(cache=True)
def _first_start(c: int, arrival: int, win_first: Any, win_start: Any, win_end: Any) -> int:
    """The earliest start at or after ``arrival`` inside one of task ``c``'s windows (INF: none)."""
    for w in range(win_first[c], win_first[c + 1]):
        if arrival <= win_end[w]:
            return int(max(arrival, win_start[w]))
    return INF


@njit(cache=True)
def recompute(inst: Any, st: Any, k: int) -> bool:
    """Schedule, latest starts, load and cost of route ``k``; False when it breaks a rule."""
    tt, cc, loc, serv, dem = inst[0], inst[1], inst[2], inst[3], inst[4]
    win_first, win_start, win_end, hull_end = inst[6], inst[7], inst[8], inst[9]
    vstart, vend, vopen, vclose, vcap = inst[11], inst[12], inst[13], inst[14], inst[15]
    routes, rlen, est, lst, load, rcost, where, pos = st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
    n = rlen[k]
    ok = True
    if n == 0:
        load[k] = 0
        rcost[k] = 0
        return True
    here = vstart[k]
    t = vopen[k]
    cost = 0
    ld = 0
    for p in range(n):
        c = routes[k, p]
        lc = loc[c]
        arrival = t + tt[here, lc]
        s = _first_start(c, arrival, win_first, win_start, win_end)
        if s == INF:
            ok = False
            s = arrival
        est[k, p] = s
        t = s + serv[c]
        cost += cc[here, lc]
        ld += dem[c]
        here = lc
        where[c] = k
        pos[c] = p
    cost += cc[here, vend[k]]
    if t + tt[here, vend[k]] > vclose[k] or ld > vcap[k]:
        ok = False
    latest = vclose[k]
    there = vend[k]
    for p in range(n - 1, -1, -1):
        c = routes[k, p]
        lc = loc[c]
        latest = min(hull_end[c], latest - tt[lc, there] - serv[c])
        lst[k, p] = latest
        there = lc
    load[k] = ld
    rcost[k] = cost
    return ok


@njit(cache=True)
def _fits(inst: Any, st: Any, k: int, p: int, c: int) -> bool:
    """Whether task ``c`` can go before position ``p`` of route ``k`` (time windows and return)."""
    tt, loc, serv = inst[0], inst[2], inst[3]
    win_first, win_start, win_end = inst[6], inst[7], inst[8]
    vstart, vend, vopen, vclose = inst[11], inst[12], inst[13], inst[14]
    gapped = inst[18]
    routes, rlen, est, lst = st[0], st[1], st[2], st[3]
    n = rlen[k]
    lc = loc[c]
    if p == 0:
        here = vstart[k]
        ready = vopen[k]
    else:
        before = routes[k, p - 1]
        here = loc[before]
        ready = est[k, p - 1] + serv[before]
    s = _first_start(c, ready + tt[here, lc], win_first, win_start, win_end)
    if s == INF:
        return False
    t = s + serv[c]
    if p == n:
        return bool(t + tt[lc, vend[k]] <= vclose[k])
    arrival = t + tt[lc, loc[routes[k, p]]]
    if arrival > lst[k, p]:
        return False
    if not gapped:
        return True
    # several windows somewhere: the latest starts only bound the hull, so push the delay forward
    # until a visit's start no longer changes
    for q in range(p, n):
        cq = routes[k, q]
        sq = _first_start(cq, arrival, win_first, win_start, win_end)
        if sq == INF:
            return False
        if sq <= est[k, q]:
            return True
        there = vend[k] if q == n - 1 else loc[routes[k, q + 1]]
        arrival = sq + serv[cq] + tt[loc[cq], there]
    return bool(arrival <= vclose[k])


@njit(cache=True)
def _backup(st: Any, k: int) -> None:
    routes, rlen = st[0], st[1]
    saved, saved_len, touched, n_touched, touched_mark, token = st[12], st[13], st[14], st[15], st[16], st[17]
    if touched_mark[k] == token[0]:
        return
    touched_mark[k] = token[0]
    touched[n_touched[0]] = k
    n_touched[0] += 1
    n = rlen[k]
    saved_len[k] = n
    for p in range(n):
        saved[k, p] = routes[k, p]


@njit(cache=True)
def _remove_positions(
    st: Any, k: int, first: int, count: int, keep_from: int, keep_count: int, out: Any, n_out: int
) -> int:
    """Remove positions ``first``..``first + count - 1`` of route ``k`` except the ``keep_count`` from
    ``keep_from``; the removed tasks are appended to ``out``. Returns the new length of ``out``."""
    routes, rlen, where = st[0], st[1], st[6]
    n = rlen[k]
    w = first
    for p in range(first, n):
        c = routes[k, p]
        inside = first <= p < first + count
        kept = keep_from <= p < keep_from + keep_count
        if inside and not kept:
            out[n_out] = c
            n_out += 1
            where[c] = -1
        else:
            routes[k, w] = c
            w += 1
    rlen[k] = w
    return n_out


@njit(cache=True)
def _ruin(inst: Any, st: Any, removed: Any, avg_remove: float, max_string: int) -> int:
    """SISR's ruin: strings around a random task and its nearest neighbours; returns how many tasks left."""
    neigh = inst[17]
    rlen, where, pos = st[1], st[6], st[7]
    ruined, token = st[18], st[17]
    n_tasks = where.shape[0]
    routes_used = 0
    served = 0
    for k in range(rlen.shape[0]):
        if rlen[k] > 0:
            routes_used += 1
            served += rlen[k]
    if served == 0:
        return 0
    seed = np.random.randint(0, n_tasks)
    while where[seed] < 0:
        seed = np.random.randint(0, n_tasks)
    ls_max = min(float(max_string), served / routes_used)
    ks_max = 4.0 * avg_remove / (1.0 + ls_max) - 1.0
    strings = int(np.random.random() * ks_max) + 1
    n_removed = 0
    done = 0
    for j in range(-1, neigh.shape[1]):
        if done >= strings:
            break
        c = seed if j < 0 else neigh[seed, j]
        k = where[c]
        if k < 0 or ruined[k] == token[0]:
            continue
        ruined[k] = token[0]
        done += 1
        _backup(st, k)
        n = rlen[k]
        length = int(np.random.random() * min(ls_max, float(n))) + 1
        at = pos[c]
        if length == n or np.random.random() < 0.5:
            lo = max(0, at - length + 1)
            hi = min(at, n - length)
            first = lo + int(np.random.random() * (hi - lo + 1))
            n_removed = _remove_positions(st, k, first, length, 0, 0, removed, n_removed)
        else:
            # split string: a longer string with a stretch of ``kept`` tasks left in its middle
            kept = 1
            while length + kept < n and np.random.random() < 0.5:
                kept += 1
            span = length + kept
            lo = max(0, at - span + 1)
            hi = min(at, n - span)
            first = lo + int(np.random.random() * (hi - lo + 1))
            keep_from = first + int(np.random.random() * (length + 1))
            n_removed = _remove_positions(st, k, first, span, keep_from, kept, removed, n_removed)
    return n_removed


@njit(cache=True)
def _insert(inst: Any, st: Any, c: int, blink: float, class_seen: Any, stamp: int) -> bool:
    """Put task ``c`` at its cheapest feasible place (each place skipped with probability ``blink``)."""
    cc, loc, dem = inst[1], inst[2], inst[4]
    allowed = inst[10]
    vstart, vend, vcap, vclass = inst[11], inst[12], inst[15], inst[16]
    routes, rlen, load = st[0], st[1], st[4]
    lc = loc[c]
    best = INF
    best_k = -1
    best_p = -1
    for k in range(rlen.shape[0]):
        if not allowed[c, k] or load[k] + dem[c] > vcap[k]:
            continue
        n = rlen[k]
        if n == 0:
            if class_seen[vclass[k]] == stamp:
                continue
            class_seen[vclass[k]] = stamp
        for p in range(n + 1):
            here = vstart[k] if p == 0 else loc[routes[k, p - 1]]
            there = vend[k] if p == n else loc[routes[k, p]]
            delta = cc[here, lc] + cc[lc, there] - (cc[here, there] if n > 0 else 0)
            if delta >= best:
                continue
            if blink > 0.0 and np.random.random() < blink:
                continue
            if _fits(inst, st, k, p, c):
                best = delta
                best_k = k
                best_p = p
    if best_k < 0:
        return False
    _backup(st, best_k)
    n = rlen[best_k]
    for p in range(n, best_p, -1):
        routes[best_k, p] = routes[best_k, p - 1]
    routes[best_k, best_p] = c
    rlen[best_k] = n + 1
    recompute(inst, st, best_k)
    return True


@njit(cache=True)
def _order(inst: Any, removed: Any, n_removed: int) -> None:
    """SISR's recreate orders: random 4, largest demand 4, farthest from the depot 2, closest 1."""
    dem, far = inst[4], inst[19]
    pick = np.random.random() * 11.0
    keys = np.empty(n_removed, dtype=np.float64)
    for i in range(n_removed):
        c = removed[i]
        noise = np.random.random()
        if pick < 4.0:
            keys[i] = noise
        elif pick < 8.0:
            keys[i] = -dem[c] - noise * 1e-3
        elif pick < 10.0:
            keys[i] = -far[c] - noise * 1e-3
        else:
            keys[i] = far[c] + noise * 1e-3
    order = np.argsort(keys)
    copy = removed[:n_removed].copy()
    for i in range(n_removed):
        removed[i] = copy[order[i]]


@njit(cache=True)
def total(inst: Any, st: Any) -> int:
    pen = inst[5]
    rcost, where = st[5], st[6]
    total = 0
    for k in range(rcost.shape[0]):
        total += rcost[k]
    for c in range(where.shape[0]):
        if where[c] < 0:
            total += pen[c]
    return total


@njit(cache=True)
def _undo(inst: Any, st: Any) -> None:
    routes, rlen, where = st[0], st[1], st[6]
    saved, saved_len, touched, n_touched = st[12], st[13], st[14], st[15]
    for i in range(n_touched[0]):
        k = touched[i]
        for p in range(rlen[k]):
            where[routes[k, p]] = -1
    for i in range(n_touched[0]):
        k = touched[i]
        n = saved_len[k]
        for p in range(n):
            routes[k, p] = saved[k, p]
        rlen[k] = n
        recompute(inst, st, k)


@njit(cache=True)
def _keep_best(st: Any, cost: int) -> None:
    routes, rlen, best_routes, best_len, costs = st[0], st[1], st[8], st[9], st[10]
    costs[1] = cost
    for k in range(rlen.shape[0]):
        n = rlen[k]
        best_len[k] = n
        for p in range(n):
            best_routes[k, p] = routes[k, p]


@njit(cache=True)
def iterate(inst: Any, st: Any, iterations: int, t_from: float, t_to: float, params: Any) -> int:
    """``iterations`` ruin-and-recreate steps at temperatures falling from ``t_from`` to ``t_to``.

    ``params``: average tasks removed, longest string, blink probability. ``st[10]`` holds the current
    and the best cost. Returns the number of iterations that improved the best."""
    avg_remove, max_string, blink = params[0], int(params[1]), params[2]
    where = st[6]
    costs, stamp, token, n_touched, class_seen = st[10], st[11], st[17], st[15], st[19]
    n_tasks = where.shape[0]
    removed = np.empty(n_tasks, dtype=np.int64)
    improved = 0
    for it in range(iterations):
        temperature = t_from * (t_to / t_from) ** (it / iterations) if t_from > 0 else 0.0
        token[0] += 1
        n_touched[0] = 0
        n_removed = _ruin(inst, st, removed, avg_remove, max_string)
        feasible = True
        for i in range(n_touched[0]):
            if not recompute(inst, st, st[14][i]):
                feasible = False  # removal lengthened a route (travel times without the triangle inequality)
        if feasible:
            for c in range(n_tasks):  # the tasks left out before get their chance again
                if where[c] < 0 and not _listed(removed, n_removed, c):
                    removed[n_removed] = c
                    n_removed += 1
            _order(inst, removed, n_removed)
            for i in range(n_removed):
                stamp[0] += 1
                _insert(inst, st, removed[i], blink, class_seen, stamp[0])
        cost = total(inst, st) if feasible else INF
        if cost < costs[0] - temperature * math.log(np.random.random() + 1e-300):
            costs[0] = cost
            if cost < costs[1]:
                _keep_best(st, cost)
                improved += 1
        else:
            _undo(inst, st)
    return improved


@njit(cache=True)
def _listed(values: Any, n: int, c: int) -> bool:
    for i in range(n):  # noqa: SIM110 (a plain loop compiles; a generator inside any() does not)
        if values[i] == c:
            return True
    return False
