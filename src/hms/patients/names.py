"""The registry's folded name: what its search keys and matching are built from."""

from __future__ import annotations

from hms.core.names import tokens


def search_name(*parts: str) -> str:
    return " ".join(t for part in parts for t in tokens(part))[:410]
