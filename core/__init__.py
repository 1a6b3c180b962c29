"""Shared kernel: settings, database, errors, audit, numbering, auth primitives.

Knows no domain. Every other package may import from here; this package imports none of them.
"""
