"""Is a process still there? Recovery and offer cleaning ask before touching its work."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
