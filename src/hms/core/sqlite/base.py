"""SQLite, with writers queued on a lock file instead of SQLite's busy handler.

SQLite lets one writer in at a time. A writer that finds the database busy sleeps and
tries again, 1, 2, 5, 10 ms and longer, so with two server processes registering at
once most of the second one's wait is sleep after the first has finished. Here every
write transaction first takes an exclusive lock on a file beside the database: the
next writer is woken as soon as the lock is released, and SQLite's own lock is then
free. In-memory databases (the test runner's) have no file and no second process.
"""

from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class WriterLock:
    """An exclusive lock on `path` across processes and threads (one open file each)."""

    def __init__(self, path: str, timeout: float):
        self.path = path
        self.timeout = timeout
        self.fd: int | None = None
        self.held = False

    def acquire(self) -> None:
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked") from None
                time.sleep(0.0002)

    def release(self) -> None:
        if self.held:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.held = False

    def close(self) -> None:
        self.release()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer_lock: WriterLock | None = None

    def _lock(self) -> WriterLock | None:
        if self.writer_lock is None and not self.is_in_memory_db():
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            self.writer_lock = WriterLock(f"{self.settings_dict['NAME']}-writer.lock", timeout)
        return self.writer_lock

    def _start_transaction_under_autocommit(self):
        lock = self._lock()
        if lock is None:
            super()._start_transaction_under_autocommit()
            return
        lock.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            lock.release()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self.writer_lock is not None:
                self.writer_lock.close()

    def _release(self) -> None:
        if self.writer_lock is not None:
            self.writer_lock.release()
