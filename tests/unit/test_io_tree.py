"""io.write_tree: a whole generated tree appears at once or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from cehrs_items.errors import InputError
from cehrs_items.io import write_tree


def test_writes_a_new_tree(tmp_path):
    target = tmp_path / "out"
    paths = write_tree(target, {"b/x.txt": "x", "a.txt": b"a", "b/c/y.txt": "y"})
    assert paths == [target / "a.txt", target / "b/c/y.txt", target / "b/x.txt"]
    assert (target / "b/c/y.txt").read_text() == "y"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~umask  # an ordinary folder
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind


def test_existing_tree_needs_force_and_is_replaced_whole(tmp_path):
    target = tmp_path / "out"
    write_tree(target, {"old.txt": "old"})
    with pytest.raises(InputError, match="use --force"):
        write_tree(target, {"new.txt": "new"})
    write_tree(target, {"new.txt": "new"}, force=True)
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_empty_directory_is_used_without_force(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    write_tree(target, {"a.txt": "a"})
    assert (target / "a.txt").read_text() == "a"


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", ""])
def test_paths_must_stay_inside(tmp_path, name):
    with pytest.raises(InputError, match="relative"):
        write_tree(tmp_path / "out", {name: "x"})
    assert not (tmp_path / "out").exists()


def test_failure_leaves_old_tree_and_no_staging(tmp_path):
    target = tmp_path / "out"
    write_tree(target, {"keep.txt": "keep"})
    with pytest.raises(TypeError):
        write_tree(target, {"a.txt": "a", "b.txt": 42}, force=True)  # type: ignore[dict-item]
    assert (target / "keep.txt").read_text() == "keep"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_file_in_the_way(tmp_path):
    (tmp_path / "out").write_text("file")
    with pytest.raises(InputError, match="not a directory"):
        write_tree(tmp_path / "out", {"a.txt": "a"})
