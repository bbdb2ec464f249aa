"""The report's standard-setting section (``report --standard``)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from cehrs_items.reporting import build_report, load_report_inputs, render_xlsx
from cehrs_items.standard_setting import run_angoff, run_hofstee, write_run

ITEMS = ["CO-0001", "NC-0001", "CO-0002"]


def _angoff_folder(tmp_path):
    rows = []
    for rnd, shift in ((1, 0.0), (2, 0.05)):
        for j, judge in enumerate(["<b>J1</b>", "J2", "J3"]):
            for i, item in enumerate(ITEMS):
                rows.append((judge, item, rnd, round(0.5 + 0.1 * i + 0.05 * j - shift, 2)))
    ratings = tmp_path / "ratings.csv"
    pl.DataFrame(rows, schema=["judge_id", "item_id", "round", "rating"], orient="row").write_csv(
        ratings
    )
    rng = np.random.default_rng(1)
    responses = tmp_path / "responses.csv"
    pl.DataFrame(
        {
            "examinee_id": [f"E{i}" for i in range(40)],
            **{item: rng.integers(0, 2, 40) for item in ITEMS},
        }
    ).write_csv(responses)
    out = tmp_path / "standard"
    write_run(run_angoff(ratings, responses=responses), out)
    return out, responses


def test_section_shows_cut_agreement_judges_and_impact(report_inputs, tmp_path):
    folder, _ = _angoff_folder(tmp_path)
    html = build_report(report_inputs["analysis"], standard=folder)
    section = html[html.index('<section id="standard-setting">') :]
    section = section[: section.index("</section>")]
    assert "Standard setting: Modified Angoff" in section
    assert "ICC(2,1) (one judge, absolute agreement)" in section
    assert "Pass rate at the cut" in section and "Impact at the cut" in section
    assert "&lt;b&gt;J1&lt;/b&gt;" in section and "<b>J1</b>" not in section
    assert '<a href="#standard-setting">Standard setting</a>' in html
    assert str(tmp_path) not in html
    assert html == build_report(report_inputs["analysis"], standard=folder / "cut.json")


def test_compromise_section_has_the_failure_curve(report_inputs, tmp_path):
    _, responses = _angoff_folder(tmp_path)
    judgements = tmp_path / "hofstee.csv"
    judgements.write_text(
        "judge_id,min_cut,max_cut,min_fail,max_fail\nA,1,2,0.1,0.6\nB,1,3,0.2,0.7\n"
    )
    out = tmp_path / "hof"
    write_run(run_hofstee(judgements, responses=responses, max_score=3), out)
    html = build_report(report_inputs["analysis"], standard=out)
    assert "Standard setting: Hofstee compromise" in html
    assert 'aria-label="Observed failure rate by cut"' in html


def test_no_section_without_standard(report_inputs):
    html = build_report(report_inputs["analysis"])
    assert 'id="standard-setting"' not in html


def test_workbook_has_the_standard_setting_sheets_with_numbers(report_inputs, tmp_path):
    from io import BytesIO

    import openpyxl

    folder, _ = _angoff_folder(tmp_path)
    inputs = load_report_inputs(report_inputs["analysis"], standard=folder)
    book = openpyxl.load_workbook(BytesIO(render_xlsx(inputs)))
    for name in ("ss_cut", "ss_rounds", "ss_judges", "ss_items", "ss_impact"):
        assert name in book.sheetnames
    rounds = book["ss_rounds"]
    header = [c.value for c in rounds[1]]
    cut_mean = rounds.cell(row=3, column=header.index("cut_mean") + 1)
    assert cut_mean.data_type == "n"
    cut = {row[0].value: row[1].value for row in book["ss_cut"].iter_rows(min_row=2)}
    assert cut["method"] == "angoff" and isinstance(cut["raw_cut"], float)
    final_mean = pl.read_csv(folder / "rounds.csv")["cut_mean"][-1]
    assert cut["raw_cut"] == pytest.approx(final_mean, abs=1e-9)
