import pytest

from cehrs_items.errors import InputError
from cehrs_items.io import OutputSet, atomic_write, dumps_json


def test_atomic_write_refuses_overwrite_without_force(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write(target, "one")
    with pytest.raises(InputError, match="already exists; use --force"):
        atomic_write(target, "two")
    assert target.read_text() == "one"
    atomic_write(target, "two", force=True)
    assert target.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_output_set_refuses_a_folder_with_files_and_writes_nothing(tmp_path):
    (tmp_path / "b.json").write_text("old")
    out = OutputSet(tmp_path)
    out.add("a.csv", "x")
    out.add_json("b.json", {"z": 1})
    with pytest.raises(InputError, match="already exists and is not empty; use --force"):
        out.commit()
    assert not (tmp_path / "a.csv").exists()
    assert (tmp_path / "b.json").read_text() == "old"


def test_json_is_stable():
    assert (
        dumps_json({"b": 1, "a": [1.5, "é"]})
        == '{\n  "a": [\n    1.5,\n    "é"\n  ],\n  "b": 1\n}\n'
    )


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        fresh = atomic_write(tmp_path / "new.txt", "x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        os.chmod(fresh, 0o600)
        atomic_write(fresh, "y", force=True)
        assert fresh.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(mask)
