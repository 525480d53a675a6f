"""Static files collected when their sources change, not on every start.

Collecting (hashing and compressing some 800 files for whitenoise) costs a second or more
of a server's start; the sources change only with an install or an upgrade. A
fingerprint of every source file (its path, size and modification time, as the finders
list them) is kept beside the collected files, and a start whose sources match it skips
the collection.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".hms-sources"
# What collectstatic leaves out by default.
_IGNORED = ["CVS", ".*", "*~"]


def sources_fingerprint() -> str:
    """One hash over every static source file and the storage they are collected with."""
    entries = [settings.STORAGES["staticfiles"]["BACKEND"], settings.STATIC_URL]
    for finder in get_finders():
        for path, storage in finder.list(_IGNORED):
            stat = os.stat(storage.path(path))
            entries.append(f"{storage.location}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def collect_if_changed() -> bool:
    """Collect the static files unless their sources are those last collected; True when
    it collected."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STAMP
    fingerprint = sources_fingerprint()
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    # A collection cut short leaves no stamp, so the next start collects again.
    stamp.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True
