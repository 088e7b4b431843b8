"""Logbooks: what happened, to what, when, with which outcome."""
