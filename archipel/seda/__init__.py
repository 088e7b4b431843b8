"""SEDA 2.x (NF Z44-022): read manifests, validate them, write replies."""
