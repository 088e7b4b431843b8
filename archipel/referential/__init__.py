"""Referentials of a tenant: rules, agencies, contracts, profiles, ontology, formats, filing trees.

Archivists maintain them in the files they already exchange with the reference system
(CSV for rules and agencies, JSON arrays for contracts and profiles); each kind has a
module that reads and writes that file, and `service` stores, versions and logs them.
"""
