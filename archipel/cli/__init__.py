"""The `archipel` command line: as thin as the HTTP API, calling the same services."""
