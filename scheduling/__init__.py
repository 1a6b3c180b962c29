"""The dispatch optimizer: a pure package (standard library and OR-Tools only; no database, no web).

Design note
-----------
* In: a frozen ``Problem`` (``problem.py``) of engineers, tasks, a ``Policy`` (``policy.py``: weights
  and which rules are hard; presets ``sla_first``, ``min_travel``, ``balanced``) and a
  ``TravelProvider`` (``travel.py``; default haversine × detour ÷ speed). Times are integer seconds
  from the horizon origin (day d = [d·86400, (d+1)·86400)), distances integer metres; locations are
  float degrees, turned into integer matrices once per solve. Windows bound the *start* of service;
  an SLA deadline bounds its *end*. Certifications are valid through a day index.
* ``feasibility.check`` runs first: every task nobody can serve (skill/level, pin, no shift meets
  its windows, certification on those days, crew size, capacity, dependencies) is left out with a
  reason and never reaches the solver. The rules live one per function in ``eligibility.py``.
* ``solver.solve(problem, params, stop, on_progress) -> Plan``: ``_routing.py`` is the only module
  with OR-Tools index juggling. One vehicle per engineer shift; time dimension (cumul = service
  start) with service + travel matrices (``RegisterTransitMatrix``, no Python callbacks); several
  windows via ``RemoveInterval`` on the gaps; overtime as a soft upper bound on the route end;
  skills/certifications/pins via ``VehicleVar.SetValues([-1, ...])``; disjunctions priced by
  priority (P1 above all lower priorities together, pinned above every P1); soft SLA as a soft upper
  bound (hard: cut from the start domain); capacity dimension only when demands exist; dependencies
  and crews as CP constraints on cumul/active/vehicle vars (crew = one node per member, same start,
  different vehicles, all or none); workload balance as a soft bound on a "work" dimension.
  Lunch is an OR-Tools break interval (``SetBreakIntervalsOfVehicle`` with the service times as
  visit transits): it lies inside its window and shift, never during a service, and never cuts a
  drive short (the gap holding it is at least travel + break). The independent checker verifies
  exactly that on every plan in the tests, since breaks have a bug trail upstream.
  Stability (re-optimization): a task may carry ``Previous`` (engineer, start) from the published
  plan. Moving its start costs ``stability_per_second`` each way (soft lower and upper bounds on its
  time cumul at the previous start; when it also has a soft SLA, one hinge at the earlier of the two
  with the summed slope, since OR-Tools keeps one soft upper bound per cumul: never undercharged);
  another engineer costs ``stability_engineer_change`` once, through a "moved" dimension whose
  per-engineer unary transit is 1 for tasks someone else had, with that as its span cost (the arc
  costs stay homogeneous). The previous routes are also the warm start (not for decomposed solves).
  Vehicles based at the same place share one start/end node (per-vehicle zero-distance depot nodes
  stalled the first-solution heuristics at 250 vehicles), and matrices are built over distinct
  locations. PARALLEL_CHEAPEST_INSERTION + GUIDED_LOCAL_SEARCH; when tasks differ in penalty
  (priorities, pins) LOCAL_CHEAPEST_INSERTION sorted by penalty instead, so P1s are placed before
  any P3 can take their room (the parallel insertion left P1s out of an overloaded day and the local
  search could not repair it). Small problems where every task has the same penalty and there is
  no previous plan (the distance-only benchmarks) run a portfolio instead: two GLS searches, one
  from a savings start with a heavier penalty weight (0.3), one from local cheapest insertion, each
  on a model of its own, side by side in forked processes
  (``parallel.py``, ``SolveParams.workers``; one after another sharing the budget in one process),
  the cheaper kept (``SolveParams.portfolio``: GLS settles into one local optimum however long it
  runs, so a different search beats more time). ``stop`` is polled at each solution
  (``FinishCurrentSearch``), ``on_progress`` gets (seconds, best objective) on each improvement.
  The solver never answers "no plan": what the search leaves out gets "capacity/cost"; a search
  that found no routes at all (cut by its time limit before the first solution) reports what leaving
  every task out costs, never an objective of 0.
  ``SolveParams.work_limit`` (``work_limit.py``) bounds every stage by work instead of the clock:
  OR-Tools by a solution count, ruin and recreate by iterations, the decomposition by rounds. The
  same problem then gets the same plan however busy the machine (tests); production keeps its
  time limit.
* Large problems (``SolveParams.large_from`` tasks, default 300): the (global cheapest insertion)
  first solution looks only at near neighbours; the local search looks at all of them (restricted,
  it found no improvement at all on the 50 × 400 field scenario); when no rule couples routes (no dependencies, crews or
  workload balance) the rest of the budget goes to ``decompose.improve``: groups of neighbouring
  routes (~``part_size`` tasks) are re-solved as problems of their own, warm-started from the
  current routes (``ReadAssignmentFromRoutes``), and kept when cheaper, so the total only drops;
  with ``workers`` processes that many groups sharing no route are solved at once.
* ``checker.check_plan`` is written apart from the solver and re-derives every hard rule.
* ``insertion.InsertionIndex`` is the exact insertion evaluator (forward earliest / backward latest
  starts per route, O(1) feasibility per position). It prices a place with the solver's objective:
  travel, lateness, overtime, territory, the engineer's ``cost_rate`` on the added working span (the
  solver's span cost) and stability (the task off its ``Previous``; later visits pushed past their
  previous starts). ``explain.explain`` uses it for each assignment's best alternative engineer and
  for what the task adds where it is (``where_it_is``), so the extra cost compares like with like.
"""

from scheduling.checker import Violation, check_plan
from scheduling.explain import Alternative, Explanation, explain, explain_task
from scheduling.feasibility import Feasibility, check
from scheduling.insertion import Insertion, InsertionIndex
from scheduling.plan import CostBreakdown, Kpis, Plan, Reason, Route, SolverStats, Unassigned, Visit
from scheduling.policy import PRESETS, Policy, Priority, balanced, min_travel, policy_named, sla_first
from scheduling.problem import (
    DAY,
    Engineer,
    LunchBreak,
    Pin,
    Previous,
    Problem,
    Shift,
    SkillRequirement,
    Task,
    TimeWindow,
)
from scheduling.solver import PortfolioSearch, SolveParams, solve
from scheduling.travel import EuclideanTravel, HaversineTravel, Location, TravelMatrices, TravelProvider
from scheduling.work_limit import WorkLimit

__all__ = [
    "DAY",
    "PRESETS",
    "Alternative",
    "CostBreakdown",
    "Engineer",
    "EuclideanTravel",
    "Explanation",
    "Feasibility",
    "HaversineTravel",
    "Insertion",
    "InsertionIndex",
    "Kpis",
    "Location",
    "LunchBreak",
    "Pin",
    "Plan",
    "Policy",
    "PortfolioSearch",
    "Previous",
    "Priority",
    "Problem",
    "Reason",
    "Route",
    "Shift",
    "SkillRequirement",
    "SolveParams",
    "SolverStats",
    "Task",
    "TimeWindow",
    "TravelMatrices",
    "TravelProvider",
    "Unassigned",
    "Violation",
    "Visit",
    "WorkLimit",
    "balanced",
    "check",
    "check_plan",
    "explain",
    "explain_task",
    "min_travel",
    "policy_named",
    "sla_first",
    "solve",
]
