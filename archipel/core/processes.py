"""Is a process still there? Recovery and offer cleaning ask before touching its work."""

from __future__ import annotations

import os
import socket


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_gone(worker: str | None) -> bool:
    """Whether the process named `host:pid` (what `logbook.service.this_worker` records) is dead.

    Only knowable on its own host: a process of another host is taken as alive, so one host's
    recovery never undoes another's work in progress. This process is alive."""
    if not worker:
        return True
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return int(pid) != os.getpid() and not process_alive(int(pid))
