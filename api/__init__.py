"""The Litestar application: routes, wire schemas, guards, error mapping, CLI and wiring."""
