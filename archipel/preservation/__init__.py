"""Preservation: formats (PRONOM identification) and, later, conversion scenarios."""
