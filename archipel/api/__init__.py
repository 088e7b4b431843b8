"""HTTP API (FastAPI): thin routers that parse, authorise, call a service and serialise."""
