"""One crawl at a time per database: a `filelock` lock beside the database file.

The lock is keyed on the database's resolved path, so a symlink or a relative path to the same
file finds the same lock. The kernel drops it when its process dies, SIGKILL included, so a killed
run never leaves a stale lock behind; the next run sees the dead run's ledger row still `running`
and marks it interrupted.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout


class CrawlLocked(RuntimeError):
    """Another crawl holds the database."""


class RunLock:
    def __init__(self, db_path: str | Path) -> None:
        resolved = Path(db_path).resolve()
        self.lock = FileLock(f"{resolved}.lock", thread_local=False)

    def acquire(self, wait: bool = False, on_wait=None) -> RunLock:
        """Take the lock; with `wait`, block until the other crawl ends (`on_wait` is told once, first)."""
        try:
            self.lock.acquire(blocking=False)
        except Timeout:
            if not wait:
                raise CrawlLocked("another crawl is running on this database; use --wait to wait for it") from None
            if on_wait is not None:
                on_wait()
            self.lock.acquire()
        return self

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release()
