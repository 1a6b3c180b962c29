"""Alembic migrations. `api.migrate` runs them; never `create_all` in the product path."""
