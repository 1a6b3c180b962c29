"""Use cases of the contracts domain. They flush but never commit."""
