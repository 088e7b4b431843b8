"""Archival storage: offers, the strategy that writes to all of them, fixity."""
