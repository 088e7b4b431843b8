"""The metadata database: engine, unit of work, tenant-scoped repositories, migrations.

The database is an index of what the offers hold; it can be rebuilt from them.
"""
