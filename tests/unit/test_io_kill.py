"""kill -9 of a process writing a whole output folder: the target is the old run or the
new one, whole, at every moment, and the next run leaves no staging behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cehrs_items.io import MANIFEST, sha256_file

N_FILES = 48
SIZE = 64_000

WRITER = """
import sys
from cehrs_items.io import OutputSet

out, tag, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.stdout.write("ready\\n")
sys.stdout.flush()
output = OutputSet(out, force=True)
for i in range(n):
    body = (tag + "\\n").encode() * (size // (len(tag) + 1))
    output.add(f"part{i % 8}/file{i:04d}.txt", body)
output.commit()
"""


def _spawn(target: Path, tag: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target), tag, str(N_FILES), str(SIZE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _ready(proc: subprocess.Popen) -> float:
    """Wait until the writer has imported the package; the time it starts writing."""
    assert proc.stdout.readline() == b"ready\n"
    return time.perf_counter()


def _state(target: Path) -> str:
    """The tag of the run the folder holds; fails unless it is one run, whole."""
    assert target.is_dir(), f"{target} missing"
    manifest = json.loads((target / MANIFEST).read_text())
    files = sorted(
        p.relative_to(target).as_posix()
        for p in target.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    assert files == [o["path"] for o in manifest["outputs"]]
    assert len(files) == N_FILES
    for record in manifest["outputs"]:
        assert sha256_file(target / record["path"]) == record["sha256"]
    tags = {(target / f).read_text().split("\n", 1)[0] for f in files}
    assert len(tags) == 1, f"mixed runs in {target}: {sorted(tags)}"
    return tags.pop()


def _kill_rounds(tmp_path: Path, rounds: int, seed: int) -> dict[str, int]:
    target = tmp_path / "out"
    first = _spawn(target, "run-initial")
    started = _ready(first)
    assert first.wait(timeout=60) == 0, first.stderr.read().decode()
    full = time.perf_counter() - started  # rendering, staging, fsync, swap, cleanup
    first.stdout.close()
    first.stderr.close()
    assert _state(target) == "run-initial"
    rng = np.random.default_rng(seed)
    outcome = {"old": 0, "new": 0}
    for k in range(rounds):
        old = _state(target)
        tag = f"run-{k:03d}"
        proc = _spawn(target, tag)
        _ready(proc)
        time.sleep(float(rng.uniform(0.0, 1.2 * full)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
        now = _state(target)  # before anything cleans up
        assert now in (old, tag)
        outcome["old" if now == old else "new"] += 1
    last = _spawn(target, "run-final")  # the next run cleans what the kills left
    assert last.wait(timeout=60) == 0, last.stderr.read().decode()
    last.stdout.close()
    last.stderr.close()
    assert _state(target) == "run-final"
    assert sorted(os.listdir(tmp_path)) == ["out"]
    return outcome


def test_kill_9_at_random_moments_leaves_old_or_new_whole(tmp_path):
    outcome = _kill_rounds(tmp_path, rounds=30, seed=12)
    # Both outcomes occur: kills landed before and after the swap.
    assert outcome["old"] > 0 and outcome["new"] > 0, outcome


@pytest.mark.nightly
def test_kill_9_many_rounds(tmp_path):
    outcome = _kill_rounds(tmp_path, rounds=300, seed=2026)
    assert outcome["old"] > 0 and outcome["new"] > 0, outcome
