"""The pages people use: the shell, sign-in, and per area (planner, ...) page handlers with their
templates and JavaScript sources. Pages call the same services as the JSON API (`api/`), which
they sit above; no domain package imports this one."""
