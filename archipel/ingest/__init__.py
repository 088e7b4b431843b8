"""Ingest: from a submitted SIP to archived units and objects, and a reply."""
