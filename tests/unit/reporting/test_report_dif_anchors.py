"""The report shows logistic-regression DIF beside Mantel-Haenszel, and the anchors that
drift screening dropped before linking (with why)."""

import polars as pl

from cehrs_items.reporting import build_report


def test_logistic_dif_beside_mh_and_dropped_anchors(report_inputs):
    analysis = report_inputs["analysis"]
    pl.DataFrame(
        {
            "item_id": ["CO-0001", "NC-0001"],
            "n": [200, 200],
            "chi2_uniform": [0.5, 14.2],
            "p_uniform": [0.48, 0.0002],
            "chi2_nonuniform": [0.1, 1.0],
            "p_nonuniform": [0.75, 0.32],
            "chi2_total": [0.6, 15.2],
            "p_total": [0.74, 0.0005],
            "r2_delta": [0.001, 0.081],
            "category": ["A", "C"],
        }
    ).write_csv(analysis / "dif_logistic.csv")
    params = pl.read_csv(report_inputs["params"]).with_columns(pl.lit("linked").alias("anchor"))
    first = params["item_id"][0]
    params = params.with_columns(
        pl.when(pl.col("item_id") == first).then(pl.lit("dropped")).otherwise("anchor")
        .alias("anchor"),
        pl.when(pl.col("item_id") == first)
        .then(pl.lit("drift: robust z of b difference 4.87, of a ratio -1.96 (|z| > 2.7, pass 1)"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("anchor_note"),
    )  # fmt: skip
    linked = report_inputs["params"].with_name("linked.csv")
    params.write_csv(linked)
    html = build_report(analysis, bank=report_inputs["bank"], calibration=linked)
    assert "Differential item functioning (Mantel-Haenszel and logistic regression)" in html
    for col in ("delta_mh", "lr_chi2_total", "lr_r2_delta", "lr_category"):
        assert f">{col}<" in html
    assert "Anchors dropped before linking" in html
    assert "robust z of b difference 4.87" in html and first in html


def test_mh_only_report_keeps_its_heading(report_inputs):
    html = build_report(
        report_inputs["analysis"], bank=report_inputs["bank"], calibration=report_inputs["params"]
    )
    assert "Differential item functioning (Mantel-Haenszel)</h2>" in html
    assert "lr_category" not in html and "Anchors dropped" not in html
