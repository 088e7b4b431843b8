"""How long work runs: in-process worker threads by default, Celery at scale."""
