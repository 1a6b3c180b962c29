"""The compiled core of the ruin-and-recreate search (``scheduling.ruin_recreate`` drives it).

Slack Induction by String Removals (Christiaens & Vanden Berghe, Transportation Science 2020): each
iteration removes a few strings of consecutive tasks from neighbouring routes, puts the tasks back one
by one at their cheapest feasible place (skipping each place with a small "blink" probability), and
keeps the result by simulated annealing. Compiled with Numba because one iteration prices about a
thousand insertion places: in plain Python that is a few hundred iterations a second, compiled tens
of thousands.

Entries of a route are task indices ``0 .. N-1``; a vehicle ``k`` whose engineer owes a lunch break
holds the pseudo-task ``N + k`` as well: an entry with its own start window and duration taken in
the gap between two visits, as the plan checker reads a lunch: it starts once the engineer is free and
its window opens, and the next visit starts no earlier than the lunch's end and than the time to drive
there plus the lunch (the drive may fill the wait for the window). It has no place of its own: the
arc runs from the visit before it to the visit after it. Ruin never removes it.

Layout, all ``int64`` unless said otherwise (tasks ``c``, pseudo-tasks included where sized N+K):

* the instance ``inst``: 0 travel time and 1 arc cost between locations; 2 location of each real task;
  3 service duration, 4 demand, 5 penalty for leaving it out; start windows in CSR form (6
  ``win_first[c]`` up to ``win_first[c + 1]`` in 7 ``win_start`` / 8 ``win_end``), 9 the last window's
  end; 10 ``allowed`` (bool task × vehicle); per vehicle 11 start and 12 end location, 13 earliest
  departure, 14 latest return (overtime allowance included), 15 capacity, 16 class (vehicles alike in
  everything share one: only one empty vehicle per class is tried); 17 neighbours of each task nearest
  first; 18 whether any task has several windows; 19 distance from the depot (recreate order); 20
  lateness cost per second and 21 the latest start without lateness; 22 overtime cost per second and
  23 the shift's end per vehicle; 24 territory surcharge task × vehicle; 25 ``[balance weight, fair
  share of work]``; 26 whether any cost depends on time (lateness or overtime); 27 (bool) whether the
  task is work under way, which stays first on its route; 28 the engineer's cost per second of the
  working day (departure to return) per vehicle; dependencies in CSR form: 29-30 the tasks each task
  waits for, 31-32 the tasks waiting for it;
* the state ``st``: 0 routes (vehicle × position -> entry), 1 their lengths, 2 earliest start and 3
  latest start (that keeps the rest feasible) per position, 4 load, 5 cost per route, 6 route (-1:
  left out) and 7 position of each entry, 8-9 the best routes seen, 10 current and best cost, 11 an
  insertion stamp, 12-18 scratch space for undoing a rejected iteration, 19 vehicle classes tried,
  20 real tasks per route, 21 return time, 22 work and 23 departure per route.

Times are the earliest-start schedule: waiting is allowed and every time-dependent cost (lateness,
overtime) only grows with later times, so that schedule is the cheapest of a sequence's feasible ones.
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
    """The earliest start at or after ``arrival`` inside one of entry ``c``'s windows (INF: none)."""
    for w in range(win_first[c], win_first[c + 1]):
        if arrival <= win_end[w]:
            return int(max(arrival, win_start[w]))
    return INF


@njit(cache=True)
def _arrive(ready: int, free: int, lunch: int, leg: int) -> int:
    """Arrival at the next place, ready to leave at ``ready``; ``free`` >= 0: a lunch of ``lunch`` seconds
    was just taken after the engineer became free at ``free``, and the drive may have come first."""
    if free < 0:
        return int(ready + leg)
    return int(max(ready, free + lunch + leg))


@njit(cache=True)
def _departure(inst: Any, k: int, first_start: int, first: int, lunch_start: int, lunch: int) -> int:
    """When the engineer leaves on the earliest schedule: as late as the first visit (task ``first`` at
    ``first_start``) allows, or for a lunch before it (``lunch_start`` >= 0) by the lunch's start and
    with time to eat and drive before that visit; within the shift's departure range."""
    tt, loc, vstart, vopen, shift_end = inst[0], inst[2], inst[11], inst[13], inst[23]
    leave = first_start - tt[vstart[k], loc[first]]
    if lunch_start >= 0:
        leave = min(lunch_start, leave - lunch)
    return int(max(vopen[k], min(shift_end[k], leave)))


@njit(cache=True)
def _span(inst: Any, k: int, departure: int, back: int) -> int:
    """The engineer's hourly cost (``Engineer.cost_rate``) on the working day from leaving to return."""
    return int(inst[28][k] * (back - departure))


@njit(cache=True)
def _late(inst: Any, c: int, start: int) -> int:
    rate, on_time = inst[20], inst[21]
    if rate[c] == 0 or start <= on_time[c]:
        return 0
    return int(rate[c] * (start - on_time[c]))


@njit(cache=True)
def _overtime(inst: Any, k: int, back: int) -> int:
    rate, shift_end = inst[22], inst[23]
    return int(rate[k] * max(0, back - shift_end[k]))


@njit(cache=True)
def _balance(inst: Any, work: int) -> int:
    weight, fair = inst[25][0], inst[25][1]
    return int(weight * max(0, work - fair)) if weight > 0 else 0


@njit(cache=True)
def recompute(inst: Any, st: Any, k: int) -> bool:
    """Schedule, latest starts, load, work and cost of route ``k``; False when it breaks a rule."""
    tt, cc, loc, serv, dem = inst[0], inst[1], inst[2], inst[3], inst[4]
    win_first, win_start, win_end, hull_end = inst[6], inst[7], inst[8], inst[9]
    vstart, vend, vopen, vclose, vcap = inst[11], inst[12], inst[13], inst[14], inst[15]
    terr = inst[24]
    routes, rlen, est, lst, load, rcost, where, pos = st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
    rreal, rret, rwork, rdep = st[20], st[21], st[22], st[23]
    n_real = loc.shape[0]
    n = rlen[k]
    ok = True
    here = vstart[k]
    t = vopen[k]
    serv_lunch = 0
    travel = 0
    extra = 0
    ld = 0
    work = 0
    real = 0
    free = -1  # when the engineer was free before the lunch just taken (-1: no lunch pending)
    first = -1  # the first visit's position
    early_lunch = -1  # a lunch's start before the first visit
    for p in range(n):
        c = routes[k, p]
        if c < n_real:
            lc = loc[c]
            arrival = _arrive(t, free, serv_lunch, tt[here, lc])
            free = -1
            travel += cc[here, lc]
            extra += terr[c, k]
            ld += dem[c]
            work += serv[c]
            real += 1
            here = lc
        else:
            arrival = t
            free = t
            serv_lunch = serv[c]
        s = _first_start(c, arrival, win_first, win_start, win_end)
        if s == INF:
            ok = False
            s = arrival
        est[k, p] = s
        if first < 0:
            if c < n_real:
                first = p
            else:
                early_lunch = s
        extra += _late(inst, c, s)
        t = s + serv[c]
        where[c] = k
        pos[c] = p
    travel += cc[here, vend[k]]
    back = _arrive(t, free, serv_lunch, tt[here, vend[k]])
    if back > vclose[k] or ld > vcap[k]:
        ok = False
    latest = vclose[k]
    there = vend[k]
    for p in range(n - 1, -1, -1):
        c = routes[k, p]
        if c < n_real:
            latest = min(hull_end[c], latest - tt[loc[c], there] - serv[c])
            there = loc[c]
            lst[k, p] = latest
        else:
            # the lunch ends by the next start; the visit before it ends by the lunch's latest start
            # and early enough to drive on and still fit the lunch in
            before = vstart[k] if p == 0 else loc[routes[k, p - 1]]
            lst[k, p] = min(hull_end[c], latest - serv[c])
            latest = min(lst[k, p], latest - tt[before, there] - serv[c])
            there = before
    load[k] = ld
    rreal[k] = real
    rret[k] = back
    rwork[k] = work
    if real == 0:  # an unused vehicle costs nothing, as in the routing model
        rcost[k] = 0
        return ok
    lunch = serv[routes[k, 0]] if early_lunch >= 0 else 0
    rdep[k] = _departure(inst, k, est[k, first], routes[k, first], early_lunch, lunch)
    rcost[k] = travel + extra + _overtime(inst, k, back) + _balance(inst, work) + _span(inst, k, rdep[k], back)
    return ok


@njit(cache=True)
def _fits(inst: Any, st: Any, k: int, p: int, c: int, not_before: int, end_by: int) -> int:
    """The time-dependent cost task ``c`` adds before position ``p`` of route ``k`` (its lateness and
    the lateness and overtime it pushes onto the rest), or INF when a window or the return breaks."""
    tt, loc, serv = inst[0], inst[2], inst[3]
    win_first, win_start, win_end = inst[6], inst[7], inst[8]
    vstart, vend, vopen, vclose = inst[11], inst[12], inst[13], inst[14]
    gapped, timed = inst[18], inst[26]
    routes, rlen, est, lst, rret = st[0], st[1], st[2], st[3], st[21]
    n_real = loc.shape[0]
    n = rlen[k]
    lc = loc[c]
    if p == 0:
        here = vstart[k]
        arrival = vopen[k] + tt[here, lc]
    else:
        before = routes[k, p - 1]
        if before < n_real:
            here = loc[before]
            arrival = est[k, p - 1] + serv[before] + tt[here, lc]
        else:  # right after a lunch: the drive may fill the wait for its window
            here = vstart[k] if p == 1 else loc[routes[k, p - 2]]
            free = vopen[k] if p == 1 else est[k, p - 2] + serv[routes[k, p - 2]]
            arrival = max(est[k, p - 1] + serv[before], free + serv[before] + tt[here, lc])
    s = _first_start(c, max(arrival, not_before), win_first, win_start, win_end)
    if s == INF or s + serv[c] > end_by:
        return INF
    # the new task is the first visit when only a lunch (or nothing) comes before it
    leads = p == 0 or (p == 1 and routes[k, 0] >= n_real)
    t = s + serv[c]
    here = lc
    if not gapped and not timed:
        # one window per task and no time-dependent cost: the latest starts decide at once
        if p == n:
            return 0 if t + tt[lc, vend[k]] <= vclose[k] else INF
        nxt = routes[k, p]
        if nxt < n_real:
            return 0 if t + tt[lc, loc[nxt]] <= lst[k, p] else INF
    extra = _late(inst, c, s)
    # push the delay forward until a visit's start no longer changes (a lunch's may stay while the
    # time free before it moved, which still moves the visit after it)
    free = -1
    lunch = 0
    settled = False
    for q in range(p, n):
        cq = routes[k, q]
        if cq < n_real:
            arrival = _arrive(t, free, lunch, tt[here, loc[cq]])
            free = -1
            if arrival > lst[k, q]:
                return INF
        else:
            arrival = t
            free = t
            lunch = serv[cq]
        sq = _first_start(cq, arrival, win_first, win_start, win_end)
        if sq == INF:
            return INF
        if cq < n_real and sq <= est[k, q]:
            settled = True  # unchanged from here on
            break
        extra += _late(inst, cq, sq) - _late(inst, cq, est[k, q])
        t = sq + serv[cq]
        if cq < n_real:
            here = loc[cq]
    back = rret[k]
    if not settled:
        back = _arrive(t, free, lunch, tt[here, vend[k]])
        if back > vclose[k]:
            return INF
    used = st[20][k] > 0
    departure = st[23][k]
    if leads:
        early = est[k, 0] if p == 1 else -1
        departure = _departure(inst, k, s, c, early, serv[routes[k, 0]] if p == 1 else 0)
    extra += _overtime(inst, k, back) - (_overtime(inst, k, rret[k]) if used else 0)
    return extra + _span(inst, k, departure, back) - (_span(inst, k, st[23][k], rret[k]) if used else 0)


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
    st: Any, n_real: int, k: int, first: int, count: int, keep_from: int, keep_count: int, out: Any, n_out: int
) -> int:
    """Remove the tasks at positions ``first``..``first + count - 1`` of route ``k`` except the
    ``keep_count`` from ``keep_from`` (a lunch always stays); append them to ``out``, return its length."""
    routes, rlen, where = st[0], st[1], st[6]
    n = rlen[k]
    w = first
    for p in range(first, n):
        c = routes[k, p]
        inside = first <= p < first + count
        kept = keep_from <= p < keep_from + keep_count
        if inside and not kept and c < n_real:
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
    n_real = inst[2].shape[0]
    rlen, where, pos, rreal = st[1], st[6], st[7], st[20]
    ruined, token = st[18], st[17]
    routes_used = 0
    served = 0
    for k in range(rlen.shape[0]):
        if rreal[k] > 0:
            routes_used += 1
            served += rreal[k]
    if served == 0:
        return 0
    seed = np.random.randint(0, n_real)
    while where[seed] < 0:
        seed = np.random.randint(0, n_real)
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
        length = int(np.random.random() * min(ls_max, float(rreal[k]))) + 1
        length = min(length, n)
        at = pos[c]
        if length == n or np.random.random() < 0.5:
            lo = max(0, at - length + 1)
            hi = min(at, n - length)
            first = lo + int(np.random.random() * (hi - lo + 1))
            n_removed = _remove_positions(st, n_real, k, first, length, 0, 0, removed, n_removed)
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
            n_removed = _remove_positions(st, n_real, k, first, span, keep_from, kept, removed, n_removed)
    return n_removed


@njit(cache=True)
def _dependency_bounds(inst: Any, st: Any, c: int) -> tuple[int, int]:
    """Task ``c`` starts no earlier than every task it waits for ends (INF: one is not served) and ends
    no later than every served task waiting for it starts."""
    serv, before_first, before, after_first, after = inst[3], inst[29], inst[30], inst[31], inst[32]
    est, where, pos = st[2], st[6], st[7]
    not_before = 0
    for i in range(before_first[c], before_first[c + 1]):
        a = before[i]
        if where[a] < 0:
            return INF, 0
        not_before = max(not_before, est[where[a], pos[a]] + serv[a])
    end_by = INF
    for i in range(after_first[c], after_first[c + 1]):
        b = after[i]
        if where[b] >= 0:
            end_by = min(end_by, est[where[b], pos[b]])
    return int(not_before), int(end_by)


@njit(cache=True)
def _dependencies_hold(inst: Any, st: Any) -> bool:
    """Every served task's predecessors are served and end before it starts (insertions elsewhere on
    a predecessor's route can have pushed it later)."""
    serv, before_first, before = inst[3], inst[29], inst[30]
    est, where, pos = st[2], st[6], st[7]
    n_real = inst[2].shape[0]
    for b in range(n_real):
        if where[b] < 0 or before_first[b] == before_first[b + 1]:
            continue
        start = est[where[b], pos[b]]
        for i in range(before_first[b], before_first[b + 1]):
            a = before[i]
            if where[a] < 0 or est[where[a], pos[a]] + serv[a] > start:
                return False
    return True


@njit(cache=True)
def _insert(inst: Any, st: Any, c: int, blink: float, class_seen: Any, stamp: int) -> bool:
    """Put task ``c`` at its cheapest feasible place (each place skipped with probability ``blink``)."""
    cc, loc, serv, dem = inst[1], inst[2], inst[3], inst[4]
    allowed = inst[10]
    vstart, vend, vcap, vclass = inst[11], inst[12], inst[15], inst[16]
    terr, first_only = inst[24], inst[27]
    routes, rlen, load, rreal, rwork = st[0], st[1], st[4], st[20], st[22]
    n_real = loc.shape[0]
    lc = loc[c]
    not_before, end_by = _dependency_bounds(inst, st, c)
    if not_before == INF:
        return False  # a task it waits for is not served
    best = INF
    best_k = -1
    best_p = -1
    for k in range(rlen.shape[0]):
        if not allowed[c, k] or load[k] + dem[c] > vcap[k]:
            continue
        n = rlen[k]
        used = rreal[k] > 0
        if not used:
            if class_seen[vclass[k]] == stamp:
                continue
            class_seen[vclass[k]] = stamp
        # work under way comes first on its route (a lunch may still come before it)
        lead = 0
        while lead < n and routes[k, lead] >= n_real:
            lead += 1
        started = lead < n and first_only[routes[k, lead]]
        if first_only[c] and started:
            continue
        lowest, highest = (0, lead) if first_only[c] else (lead + 1 if started else 0, n)
        fixed = terr[c, k] + _balance(inst, rwork[k] + serv[c]) - _balance(inst, rwork[k])
        here = vstart[k]
        for p in range(n + 1):
            if p > 0 and routes[k, p - 1] < n_real:
                here = loc[routes[k, p - 1]]
            if p < lowest or p > highest:
                continue
            # a lunch is no place: the arc saved runs to the first task after it
            q = p
            while q < n and routes[k, q] >= n_real:
                q += 1
            there = vend[k] if q == n else loc[routes[k, q]]
            delta = fixed + cc[here, lc] + cc[lc, there] - (cc[here, there] if used else 0)
            if delta >= best:
                continue
            if blink > 0.0 and np.random.random() < blink:
                continue
            extra = _fits(inst, st, k, p, c, not_before, end_by)
            if extra < INF and delta + extra < best:
                best = delta + extra
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
    dem, pen, far = inst[4], inst[5], inst[19]
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
    # the most expensive to leave out first (P1s before P2s …), SISR's order among equals
    for i in range(n_removed):
        keys[i] -= 4.0 * pen[removed[i]]
    order = np.argsort(keys)
    copy = removed[:n_removed].copy()
    for i in range(n_removed):
        removed[i] = copy[order[i]]


@njit(cache=True)
def total(inst: Any, st: Any) -> int:
    pen = inst[5]
    n_real = inst[2].shape[0]
    rcost, where = st[5], st[6]
    out = 0
    for k in range(rcost.shape[0]):
        out += rcost[k]
    for c in range(n_real):
        if where[c] < 0:
            out += pen[c]
    return out


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
def _listed(values: Any, n: int, c: int) -> bool:
    for i in range(n):  # noqa: SIM110 (a plain loop compiles; a generator inside any() does not)
        if values[i] == c:
            return True
    return False


@njit(cache=True)
def iterate(inst: Any, st: Any, iterations: int, t_from: float, t_to: float, params: Any) -> int:
    """``iterations`` ruin-and-recreate steps at temperatures falling from ``t_from`` to ``t_to``.

    ``params``: average tasks removed, longest string, blink probability. ``st[10]`` holds the current
    and the best cost. Returns the number of iterations that improved the best."""
    avg_remove, max_string, blink = params[0], int(params[1]), params[2]
    where = st[6]
    costs, stamp, token, n_touched, class_seen = st[10], st[11], st[17], st[15], st[19]
    n_real = inst[2].shape[0]
    linked = inst[30].shape[0] > 0
    removed = np.empty(n_real, dtype=np.int64)
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
            for c in range(n_real):  # the tasks left out before get their chance again
                if where[c] < 0 and not _listed(removed, n_removed, c):
                    removed[n_removed] = c
                    n_removed += 1
            _order(inst, removed, n_removed)
            for i in range(n_removed):
                stamp[0] += 1
                _insert(inst, st, removed[i], blink, class_seen, stamp[0])
            if linked:
                # a task that waits for another may have come up before it: once more for those left out
                for i in range(n_removed):
                    if where[removed[i]] < 0:
                        stamp[0] += 1
                        _insert(inst, st, removed[i], blink, class_seen, stamp[0])
                feasible = _dependencies_hold(inst, st)
        cost = total(inst, st) if feasible else INF
        if cost < costs[0] - temperature * math.log(np.random.random() + 1e-300):
            costs[0] = cost
            if cost < costs[1]:
                _keep_best(st, cost)
                improved += 1
        else:
            _undo(inst, st)
    return improved
