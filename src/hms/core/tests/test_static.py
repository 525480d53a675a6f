"""Static files are collected when their sources change, not on every start."""

from __future__ import annotations

import os

import pytest

from hms.core.static import STAMP, collect_if_changed


@pytest.fixture
def sources(settings, tmp_path):
    source = tmp_path / "sources"
    source.mkdir()
    (source / "app.css").write_text("body { color: black; }")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "collected"
    return source


def test_a_start_collects_once_and_again_only_when_a_source_changed(sources, settings):
    collected = settings.STATIC_ROOT / "app.css"

    # when: the first start, then a second with nothing changed
    first, second = collect_if_changed(), collect_if_changed()

    # then
    assert (first, second) == (True, False)
    assert collected.read_text() == "body { color: black; }"
    assert (settings.STATIC_ROOT / STAMP).is_file()

    # when: an upgrade changes a file and adds one
    css = sources / "app.css"
    css.write_text("body { color: navy; }")
    later = os.stat(css).st_mtime_ns + 1_000_000_000
    os.utime(css, ns=(later, later))
    (sources / "app.js").write_text("// new")

    # then
    assert collect_if_changed() is True
    assert collected.read_text() == "body { color: navy; }"
    assert (settings.STATIC_ROOT / "app.js").is_file()
    assert collect_if_changed() is False


def test_collected_files_removed_by_hand_are_collected_again(sources, settings):
    assert collect_if_changed() is True
    for path in settings.STATIC_ROOT.iterdir():
        path.unlink()

    assert collect_if_changed() is True
    assert (settings.STATIC_ROOT / "app.css").is_file()
