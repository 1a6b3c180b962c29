"""A solve bounded by the work it does rather than by the clock.

A time limit buys a different amount of search on a busy machine than on an idle one, so the same
problem can get a different plan (or, cut before OR-Tools' first solution, no routes at all). With a
``WorkLimit`` every stage stops after a fixed amount of work and the time limit does not apply: the
same problem and parameters give the same plan on any machine, however loaded (tests, reproducible
runs). Production solves keep their time limit (``SolveParams.work_limit`` is None by default).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorkLimit:
    # OR-Tools: solutions per search, the first one and each one guided local search moves to (on
    # the field rules, lunches above all, one costs a sizeable share of a second)
    solutions: int = 20
    # OR-Tools: branches of its search tree per search, whichever of the two limits comes first. Guided
    # local search may find no further solution at all (one task in a one-second window: it searched
    # on forever); a first solution takes a few hundred branches even on 160 tasks, a solution of
    # guided local search a few dozen
    branches: int = 10_000
    # ruin and recreate, where it applies: iterations per search lane (tens of thousands a second)
    ruin_recreate_iterations: int = 5000
    # the decomposition of large problems: rounds of groups of routes re-solved
    part_rounds: int = 4
