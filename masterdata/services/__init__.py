"""Use cases of master data. They flush but never commit."""
