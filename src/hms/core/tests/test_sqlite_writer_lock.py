"""Writers to a SQLite file queue on a lock file beside it (hms.core.sqlite)."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection

from hms.core.sqlite.base import DatabaseWrapper, WriterLock


@pytest.fixture
def wrapper(tmp_path, django_db_blocker):
    """A connection of its own to a database file (the tests' database is in memory)."""
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite engine's lock; this run uses another database")
    settings = {**connection.settings_dict, "NAME": str(tmp_path / "hms.sqlite3")}
    db = DatabaseWrapper(settings, alias="writer_lock_check")
    with django_db_blocker.unblock():
        yield db
        db.close()


def test_a_second_holder_waits_and_gives_up_with_database_is_locked(tmp_path):
    path = str(tmp_path / "x-writer.lock")
    first, second = WriterLock(path, timeout=5), WriterLock(path, timeout=0.05)
    first.acquire()
    with pytest.raises(OperationalError, match="database is locked"):
        second.acquire()
    first.release()
    second.acquire()
    assert second.held
    second.close()
    first.close()


def test_a_waiting_writer_goes_on_once_the_holder_releases(tmp_path):
    path = str(tmp_path / "x-writer.lock")
    holder, waiter = WriterLock(path, timeout=5), WriterLock(path, timeout=5)
    holder.acquire()
    events = []

    def wait():
        waiter.acquire()
        events.append("waiter in")
        waiter.release()

    thread = threading.Thread(target=wait)
    thread.start()
    thread.join(0.1)
    events.append("holder out")
    holder.release()
    thread.join(5)
    assert events == ["holder out", "waiter in"]
    holder.close()
    waiter.close()


def test_a_write_transaction_holds_the_lock_until_commit(wrapper, tmp_path):
    other = WriterLock(str(tmp_path / "hms.sqlite3-writer.lock"), timeout=0.05)
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()
    assert wrapper.writer_lock.held
    with pytest.raises(OperationalError):
        other.acquire()
    wrapper.commit()
    assert not wrapper.writer_lock.held
    other.acquire()
    other.close()


def test_a_rolled_back_transaction_releases_the_lock(wrapper):
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()
    wrapper.rollback()
    assert not wrapper.writer_lock.held


def test_in_memory_databases_take_no_lock(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite engine's lock; this run uses another database")
    assert connection.is_in_memory_db()
    assert connection._lock() is None
