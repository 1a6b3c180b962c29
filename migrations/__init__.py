"""Alembic migrations. `migrations.runner` runs them; never `create_all` in the product path."""
