"""One crawl at a time per database: an advisory lock on `<db>.lock`.

The kernel drops the lock when its process dies, SIGKILL included, so a killed run never leaves a
stale lock behind; the next run sees the dead run's ledger row still `running` and marks it interrupted.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class CrawlLocked(RuntimeError):
    """Another crawl holds the database."""


class RunLock:
    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self.handle = None

    def acquire(self, wait: bool = False) -> "RunLock":
        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "another process"
            self.handle.close()
            self.handle = None
            raise CrawlLocked(f"another crawl is running on this database ({holder}); use --wait to wait for it") from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}")
        self.handle.flush()
        return self

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
