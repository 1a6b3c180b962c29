"""Use cases of the service management domain. They flush but never commit."""
