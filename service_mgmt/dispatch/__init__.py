"""The dispatch adapter: database rows <-> the pure ``scheduling`` problem and plan, and the use cases
built on it (optimization runs, publishing, manual moves, urgent insertion, appointment offers, what-if).

Modules, by what they do:

* ``problem_builder`` reads engineers and tasks of a horizon into a ``scheduling.Problem``; problem ids
  are the database UUIDs as strings, times integer seconds from the horizon's origin (``TimeFrame``).
* ``published`` turns today's assignments (``TaskAssignment`` + planned times) into a ``scheduling.Plan``
  over the same problem, and caches it with its ``InsertionIndex`` per published state.
* ``solver_pool`` runs ``scheduling.solve`` in a process pool (the routing solver holds the GIL); it
  imports only the standard library and ``scheduling`` so worker processes start light.
* ``runs`` stores runs and drives them (progress, cancellation, results); ``publish`` writes a run's plan
  and validates manual moves; ``insertion`` and ``offers`` answer from the published plan; ``what_if``
  applies hypothetical changes to a problem.

Import the submodules directly; this package exports nothing so a worker process that unpickles
``solver_pool.solve_job`` does not import the database layer.
"""
