"""Archipel: a shared, multi-tenant electronic archiving system (SAE) following OAIS and SEDA 2.x."""

__version__ = "0.1.0"
