"""Raw-to-scale conversion: the blueprint's anchor points, rounding, truncation, the cut."""

from __future__ import annotations

import numpy as np
import pytest

from cehrs_items.blueprint import blueprint_from_data, load_blueprint
from cehrs_items.equating import IrtForm
from cehrs_items.errors import BlueprintError, DataError
from cehrs_items.scaling import build_conversion, csem_scaled, identity_equating


@pytest.fixture
def blueprint(bank_dir):
    return load_blueprint(bank_dir / "blueprint.yaml")


def test_base_form_conversion_by_hand(blueprint):
    sc = blueprint.scale
    conv = build_conversion(identity_equating(blueprint), blueprint)
    table = conv.table
    assert table.columns == ["raw_score", "equated", "scaled", "pass"]
    assert table.height == blueprint.scored_items + 1
    slope = (sc.upper_anchor_scaled - sc.passing) / (sc.upper_anchor_raw - sc.raw_cut)
    expected = np.floor(sc.passing + slope * (np.arange(table.height) - sc.raw_cut) + 0.5)
    expected = np.clip(expected, sc.min, sc.max)
    np.testing.assert_array_equal(table["scaled"].to_numpy(), expected)
    cut_row = table.filter(table["raw_score"] == int(sc.raw_cut))
    assert cut_row["scaled"][0] == sc.passing and cut_row["pass"][0]
    assert table.filter(table["raw_score"] == int(sc.raw_cut) - 1)["pass"][0] is False
    assert table["scaled"].min() == sc.min  # truncated at the scale minimum
    assert table["scaled"][-1] == sc.upper_anchor_scaled
    assert conv.raw_cut == int(sc.raw_cut)


def test_rounding_never_crosses_the_cut(blueprint):
    sc = blueprint.scale
    slope = (sc.upper_anchor_scaled - sc.passing) / (sc.upper_anchor_raw - sc.raw_cut)
    # Equated scores just below the cut would round up to the passing score.
    below = sc.raw_cut - 0.4 / slope
    equated = np.array([0.0, below, sc.raw_cut - 1e-12, sc.raw_cut + 1e-6, 100.0])
    conv = build_conversion(equated, blueprint)
    scaled = conv.table["scaled"].to_list()
    passed = conv.table["pass"].to_list()
    assert passed == [False, False, True, True, True]
    assert scaled[1] == sc.passing - 1  # 389.6 would round to 390: kept at 389
    assert scaled[2] == sc.passing  # within floating-point noise of the cut: passes
    assert any("cut rule applied" in n for n in conv.notes)


def test_raw_cut_override_and_piecewise(blueprint):
    conv = build_conversion(identity_equating(blueprint), blueprint, raw_cut=65)
    assert conv.raw_cut == 65
    assert conv.table["scaled"][65] == blueprint.scale.passing
    piece = build_conversion(identity_equating(blueprint), blueprint, transform="piecewise")
    assert piece.table["scaled"][0] == blueprint.scale.min
    assert piece.table["scaled"][35] == round(200 + (390 - 200) * 35 / 70)
    assert piece.table["scaled"][70] == 390


def test_non_monotone_equating_is_refused(blueprint):
    with pytest.raises(DataError, match="decrease"):
        build_conversion(np.array([0.0, 2.0, 1.0]), blueprint)


def test_blueprint_without_upper_anchor_uses_scale_maximum(blueprint):
    raw = dict(blueprint.raw)
    raw["scale"] = {k: v for k, v in raw["scale"].items() if k != "upper_anchor"}
    bp = blueprint_from_data(raw, path="bp.yaml")
    conv = build_conversion(identity_equating(bp), bp)
    assert conv.table["scaled"][-1] == bp.scale.max
    assert any("upper_anchor" in n for n in conv.notes)


def test_upper_anchor_below_cut_is_a_blueprint_error(blueprint):
    with pytest.raises(BlueprintError, match="above the raw cut"):
        build_conversion(identity_equating(blueprint), blueprint, raw_cut=100)


def test_csem_of_a_linear_conversion_is_slope_times_raw_csem():
    rng = np.random.default_rng(3)
    n = 20
    form = IrtForm(
        item_ids=tuple(f"I{i}" for i in range(n)),
        a=rng.uniform(0.7, 1.8, n),
        b=rng.normal(0, 1, n),
        c=np.zeros(n),
        d=np.ones(n),
    )
    scaled = 200 + 3 * np.arange(n + 1)
    csem = csem_scaled(form, scaled)
    from cehrs_items.equating.irt_based import _prob, solve_theta

    tau = np.clip(np.arange(n + 1.0), 0.01, n - 0.01)[None]
    theta = solve_theta(tau, *(v[None] for v in (form.a, form.b, form.c, form.d)))
    p = _prob(theta, *(v[None] for v in (form.a, form.b, form.c, form.d)))[0]
    np.testing.assert_allclose(csem, 3 * np.sqrt(np.sum(p * (1 - p), axis=1)), rtol=1e-10)
    with pytest.raises(DataError, match="do not match"):
        csem_scaled(form, scaled[:-1])


def test_conversion_with_params_adds_csem(blueprint):
    rng = np.random.default_rng(4)
    n = blueprint.scored_items
    form = IrtForm(
        item_ids=tuple(f"I{i}" for i in range(n)),
        a=rng.uniform(0.7, 1.8, n),
        b=rng.normal(-0.5, 1, n),
        c=np.full(n, 0.2),
        d=np.ones(n),
    )
    conv = build_conversion(identity_equating(blueprint), blueprint, params=form)
    csem = conv.table["csem_scaled"].to_numpy()
    assert conv.table.columns[-1] == "csem_scaled"
    assert np.all(np.isfinite(csem)) and np.all(csem >= 0)
    assert csem[70] > 0
