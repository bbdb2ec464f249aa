"""Manifests, the one refusal helper, stale staging and the fallback swap of cehrs_items.io."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from cehrs_items import __version__
from cehrs_items import io as cio
from cehrs_items.errors import DataError, InputError
from cehrs_items.io import (
    MANIFEST,
    OutputSet,
    RunInfo,
    clean_leftovers,
    is_manifest,
    manifest_path_for,
    prepare_output,
    prepare_outputs,
    record_warnings,
    run_context,
    sha256_bytes,
    staged_folder,
    verify_manifest,
    write_files,
    write_tree,
)

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "manifest.schema.json").read_text()
)


def check_manifest(path: Path) -> dict:
    """The manifest at ``path``: schema-valid, and every output's hash and size right."""
    doc = verify_manifest(path)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert path.read_text() == cio.dumps_json(doc)  # sorted keys, stable layout
    for record in doc["outputs"]:
        data = (path.parent / record["path"]).read_bytes()
        assert sha256_bytes(data) == record["sha256"] and len(data) == record["size"]
    return doc


def test_verify_manifest_finds_a_changed_output(tmp_path):
    write_tree(tmp_path / "out", {"a.txt": "a"})
    check_manifest(tmp_path / "out" / MANIFEST)
    (tmp_path / "out" / "a.txt").write_text("b")
    with pytest.raises(DataError, match="a.txt does not match its SHA-256"):
        verify_manifest(tmp_path / "out" / MANIFEST)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_folder_manifest_records_run_inputs_warnings_and_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in.csv").write_text("a,b\n1,2\n")
    Path("bank/items").mkdir(parents=True)
    Path("bank/items/X-1.yaml").write_text("id: X-1\n")
    Path("bank/.hidden").write_text("skipped")
    run = RunInfo(
        command="analyze",
        options={"responses": Path("in.csv"), "--cut": 70.0, "--format": "csv"},
        inputs=("in.csv", str(tmp_path / "bank"), "missing.csv"),
        seed=None,
    )
    with run_context(run):
        record_warnings(["in.csv: 2 examinees omitted every item (rows 3, 9)"])
        out = OutputSet("out")
        out.add("b.csv", "x\n")
        out.add("sub/a.json", "{}\n")
        out.add_warnings(["one more"])
        written = out.commit()
    assert written == [Path("out/b.csv"), Path("out/sub/a.json")]
    doc = check_manifest(Path("out") / MANIFEST)
    item = Path("bank/items/X-1.yaml").read_bytes()
    assert doc == {
        "manifest_version": 1,
        "tool": "cehrs-items",
        "version": __version__,
        "command": "analyze",
        "options": {"responses": "in.csv", "--cut": 70.0, "--format": "csv"},
        "inputs": [
            {
                "path": "bank",  # typed absolute: recorded relative to the working directory
                "sha256": sha256_bytes(f"{sha256_bytes(item)}  items/X-1.yaml\n"),
                "size": len(item),
                "files": 1,
            },
            {"path": "in.csv", "sha256": sha256_bytes(b"a,b\n1,2\n"), "size": 8},
        ],
        "seed": None,
        "warnings": ["in.csv: 2 examinees omitted every item (rows 3, 9)", "one more"],
        "outputs": [
            {"path": "b.csv", "sha256": sha256_bytes("x\n"), "size": 2},
            {"path": "sub/a.json", "sha256": sha256_bytes("{}\n"), "size": 3},
        ],
    }
    assert str(tmp_path) not in (Path("out") / MANIFEST).read_text()


def test_same_run_into_two_folders_gives_the_same_bytes(tmp_path):
    run = RunInfo(command="demo", options={"--seed": 3}, seed=3)
    for name in ("one", "two"):
        write_tree(tmp_path / name, {"a.txt": "a", "b/c.txt": "c"}, run=run)
    assert (tmp_path / "one" / MANIFEST).read_bytes() == (tmp_path / "two" / MANIFEST).read_bytes()
    assert check_manifest(tmp_path / "one" / MANIFEST)["seed"] == 3


def test_glob_inputs_are_one_entry_per_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("r2.parquet", "r1.parquet"):
        Path(name).write_bytes(name.encode())
    with run_context(RunInfo(command="analyze", inputs=("*.parquet",))):
        write_files({Path("x.csv"): "x\n"})
    doc = check_manifest(Path("x.csv.manifest.json"))
    assert [i["path"] for i in doc["inputs"]] == ["r1.parquet", "r2.parquet"]


def test_file_set_manifest_sits_beside_the_first_file(tmp_path):
    primary = tmp_path / "eq" / "equating.csv"
    summary = tmp_path / "summary.json"
    written = write_files({primary: "score,equated\n", summary: "{}\n"}, warnings=["w"])
    assert written == [primary, summary]
    where = manifest_path_for(primary)
    assert where == tmp_path / "eq" / "equating.csv.manifest.json"
    doc = check_manifest(where)
    assert [o["path"] for o in doc["outputs"]] == ["../summary.json", "equating.csv"]
    assert doc["command"] is None and doc["warnings"] == ["w"]


def test_write_files_refuses_before_writing_anything(tmp_path):
    (tmp_path / "b.json").write_text("old")
    with pytest.raises(InputError, match=r"b.json: already exists; use --force to overwrite it"):
        write_files({tmp_path / "a.csv": "new", tmp_path / "b.json": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]
    with pytest.raises(InputError, match="same file"):
        prepare_outputs([tmp_path / "a.csv", tmp_path / "." / "a.csv"])


def test_is_manifest():
    assert is_manifest("out/manifest.json") and is_manifest("scores.csv.manifest.json")
    assert not is_manifest("summary.json") and not is_manifest("manifest.csv")


def test_prepare_output_refusals(tmp_path):
    folder = tmp_path / "out"
    prepare_output(folder, kind="dir")  # missing: fine
    folder.mkdir()
    prepare_output(folder, kind="dir")  # empty: fine
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="already exists and is not empty; use --force"):
        prepare_output(folder, kind="dir")
    # --force never replaces a folder this toolkit did not write (e.g. `--out .`).
    with pytest.raises(InputError, match="not an output folder of cehrs-items"):
        prepare_output(folder, force=True, kind="dir")
    (folder / MANIFEST).write_text("{}")
    prepare_output(folder, force=True, kind="dir")
    with pytest.raises(InputError, match="is a directory"):
        prepare_output(folder, kind="file")
    with pytest.raises(InputError, match="not a directory"):
        prepare_output(folder / "notes.txt", kind="dir", force=True)
    assert (folder / "notes.txt").read_text() == "mine"


def test_failed_render_leaves_the_old_folder_and_no_staging(tmp_path):
    target = tmp_path / "out"
    write_tree(target, {"keep.txt": "keep"})
    with pytest.raises(RuntimeError), staged_folder(target, force=True) as stage:
        (stage.path / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt", MANIFEST]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_staging_of_dead_processes_is_cleaned_live_ones_kept(tmp_path):
    target = tmp_path / "out"
    write_tree(target, {"a.txt": "a"})
    dead = _dead_pid()
    stale = [
        tmp_path / f".out.{dead}.abc123_x.tmp",  # partial new run
        tmp_path / ".out.q7w8e9r0.tmp",  # an older version's staging (no process id)
        tmp_path / f".out.{dead}.zz.old",  # old folder of a fallback swap, target present
    ]
    for p in stale:
        p.mkdir()
        (p / "x").write_text("x")
    (tmp_path / f".scores.csv.{dead}.k2j3.tmp").write_text("partial")
    live = tmp_path / f".out.{os.getpid()}.mine.tmp"
    live.mkdir()
    other = tmp_path / ".other.abc.tmp"
    other.mkdir()
    removed = clean_leftovers(target)
    assert sorted(removed) == sorted(stale)
    assert clean_leftovers(tmp_path / "scores.csv") == [tmp_path / f".scores.csv.{dead}.k2j3.tmp"]
    assert live.is_dir() and other.is_dir()
    assert (target / "a.txt").read_text() == "a"


def test_fallback_swap_and_recovery_after_a_kill_between_renames(tmp_path, monkeypatch):
    monkeypatch.setattr(cio, "_exchange", lambda a, b: False)  # no renameat2 here
    target = tmp_path / "out"
    write_tree(target, {"v.txt": "old"})
    write_tree(target, {"v.txt": "new"}, force=True)
    assert (target / "v.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    # A kill after the old folder was renamed aside and before the new one moved in:
    dead = _dead_pid()
    aside = tmp_path / f".out.{dead}.a1b2.old"
    os.rename(target, aside)
    partial = tmp_path / f".out.{dead}.c3d4.tmp"
    partial.mkdir()
    prepare_output(target, force=True, kind="dir")  # the next run recovers the old run
    assert (target / "v.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_exchange_is_used_on_this_system(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    if not cio._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported here (fallback tested above)")
    assert (b / "x").read_text() == "a" and not (a / "x").exists()


def test_warnings_about_staged_files_name_them_inside_the_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("one", "two"):
        with run_context(RunInfo(command="demo")), staged_folder(name) as stage:
            (stage.path / "r.csv").write_text("x\n")
            record_warnings([f"{stage.path / 'r.csv'}: 2 examinees omitted every item"])
            stage.add_warnings([f"{(stage.path / 'r.csv').resolve()}: absolute"])
        doc = check_manifest(Path(name) / MANIFEST)
        assert doc["warnings"] == ["r.csv: 2 examinees omitted every item", "r.csv: absolute"]
    assert (Path("one") / MANIFEST).read_bytes() == (Path("two") / MANIFEST).read_bytes()
