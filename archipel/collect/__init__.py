"""Collect: ways to deposit (SIP builder today; streamed transactions and folder analysis later)."""
