"""Print how the packages installed in this Python differ from a requirements lock file.

Usage: <venv>/bin/python bin/_newer_than_lock.py requirements/test.txt
One line per package: `name  locked -> installed`, `+ name installed` (not in the lock) or
`- name locked` (locked, not installed); "none" when nothing differs.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
# The installers' own packages, and hms itself: not in the lock.
NOT_LOCKED = {"hms", "pip", "setuptools", "uv", "wheel"}


def locked(path: Path) -> dict[str, str]:
    """Name -> version for the pins whose markers hold for this Python."""
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match and (not match[3] or Marker(match[3]).evaluate()):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def installed() -> dict[str, str]:
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return {name: version for name, version in found.items() if name not in NOT_LOCKED}


def main() -> None:
    pins, present = locked(Path(sys.argv[1])), installed()
    lines = []
    for name in sorted(pins.keys() | present.keys()):
        before, after = pins.get(name), present.get(name)
        if before is None:
            lines.append(f"+ {name} {after}")
        elif after is None:
            lines.append(f"- {name} {before}")
        elif before != after:
            lines.append(f"  {name} {before} -> {after}")
    sys.stdout.write("\n".join(lines or ["  none"]) + "\n")


if __name__ == "__main__":
    main()
