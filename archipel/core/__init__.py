"""Cross-cutting pieces every OAIS function needs: settings, ids, errors, digests, clock."""
