"""Data management: archive units (a DAG), object groups and data objects."""
