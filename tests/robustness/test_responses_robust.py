"""Mangled inputs through every command that reads them (see mangle_kit for the classes).

Response files go through analyze, calibrate, equate and score; item files through
validate; analysis folders through report; equating tables through scale. The fast subset
(CI) runs one case of every class; the nightly run (``pytest -m nightly tests/robustness``)
runs ``CEHRS_ROBUST_PER_CLASS`` (default 100) cases of every class, over 10,000 runs, and
prints (or writes to ``CEHRS_ROBUST_REPORT``) the counts per class and command and the
slowest hostile case.
"""

from __future__ import annotations

import collections
import os

import pytest
from mangle_kit import (
    RESPONSE_COMMANDS,
    build_base,
    check_item_case,
    check_report_case,
    check_response_case,
    check_scale_case,
    item_cases,
    report_cases,
    response_cases,
    scale_cases,
)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_base(tmp_path_factory.mktemp("robust_base"))


def _run(base, work, per_class, seed):
    outcomes = []
    for case in response_cases(base, per_class, seed):
        for command in RESPONSE_COMMANDS:
            outcomes.append(check_response_case(base, case, command, work))
    for case in item_cases(per_class, seed):
        outcomes.append(check_item_case(case, work))
    for case in report_cases(base, per_class, seed):
        outcomes.append(check_report_case(base, case, work))
    for case in scale_cases(base, per_class, seed):
        outcomes.append(check_scale_case(base, case, work))
    return outcomes


def _failures(outcomes):
    return [f"{o.cls}/{o.command}: {o.problem}" for o in outcomes if o.problem is not None]


def test_every_class_meets_its_expectation_fast_subset(base, tmp_path):
    outcomes = _run(base, tmp_path, per_class=1, seed=0)
    assert not _failures(outcomes), "\n".join(_failures(outcomes)[:20])
    commands = {o.command for o in outcomes}
    assert commands == {"analyze", "calibrate", "equate", "score", "validate", "report", "scale"}
    assert {o.expect for o in outcomes} >= {"error", "warning", "equivalent"}


@pytest.mark.nightly
def test_every_class_meets_its_expectation_nightly(base, tmp_path):
    per_class = int(os.environ.get("CEHRS_ROBUST_PER_CLASS", "100"))
    outcomes = _run(base, tmp_path, per_class=per_class, seed=1)
    table = collections.defaultdict(collections.Counter)
    for o in outcomes:
        row = table[(o.cls, o.command)]
        row["cases"] += 1
        row["failed"] += o.problem is not None
        if o.problem is None:
            # What happened: an error (exit 2), findings (validate exit 1), or accepted.
            row["errors" if o.exit_code == 2 else "findings" if o.command == "validate" and o.exit_code == 1 else "warnings" if o.expect == "warning" else "accepted"] += 1  # fmt: skip
        row["seconds"] += o.seconds
    lines = ["class,command,cases,errors,findings,warnings,accepted,failed,seconds"]
    for (cls, command), c in sorted(table.items()):
        lines.append(
            f"{cls},{command},{c['cases']},{c['errors']},{c['findings']},{c['warnings']},"
            f"{c['accepted']},{c['failed']},{c['seconds']:.1f}"
        )
    hostile = [o for o in outcomes if o.expect != "equivalent"]
    slowest = max(hostile, key=lambda o: o.seconds)
    lines.append(f"slowest hostile case: {slowest.cls}/{slowest.command} {slowest.seconds:.2f} s")
    lines.append(f"total runs: {len(outcomes)}")
    report = os.environ.get("CEHRS_ROBUST_REPORT")
    if report:
        with open(report, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    assert not _failures(outcomes), "\n".join(_failures(outcomes)[:30])
