"""EAP, MAP and ML against brute-force evaluation on fine grids."""

import numpy as np
import polars as pl
import pytest
from irt_sim import item_ids, simulate

from cehrs_items.errors import DataError, InputError
from cehrs_items.irt.models import probability
from cehrs_items.irt.quadrature import make_quadrature
from cehrs_items.irt.scoring import score_theta


def _params(a, b, c):
    return pl.DataFrame({"item_id": item_ids(len(a)), "a": a, "b": b, "c": c, "d": 1.0})


def _loglik(grid, x, obs, a, b, c):
    p = probability(grid, a, b, c)
    return (obs * (x * np.log(p) + (1 - x) * np.log1p(-p))).sum(1)


def test_estimates_match_brute_force():
    x, om, a, b, c, _ = simulate(40, 12, model="3pl", seed=3, omit_rate=0.1)
    quad = make_quadrature("grid", 401, 6.0)
    res = score_theta(x, _params(a, b, c), item_ids=item_ids(12), omitted=om, quadrature=quad)
    grid = np.linspace(-6, 6, 24001)
    prior = -0.5 * grid**2
    for i in range(40):
        ll = _loglik(grid, x[i], ~om[i], a, b, c)
        post = np.exp(ll - ll.max()) * np.exp(-0.5 * grid**2)
        post /= post.sum()
        assert res["theta_eap"][i] == pytest.approx(post @ grid, abs=1e-5)
        assert res["theta_map"][i] == pytest.approx(grid[np.argmax(ll + prior)], abs=1e-3)
        if res["ml_status"][i] == "ok":
            assert res["theta_ml"][i] == pytest.approx(grid[np.argmax(ll)], abs=1e-3)
    assert (res["n_answered"].to_numpy() == (~om).sum(1)).all()


def test_extreme_patterns_get_documented_finite_values():
    a, b, c = np.ones(5), np.linspace(-1, 1, 5), np.zeros(5)
    x = np.array([[1] * 5, [0] * 5, [1, 0, 1, 0, 1], [0] * 5], dtype=np.int8)
    om = np.zeros_like(x, dtype=bool)
    om[3] = True
    res = score_theta(x, _params(a, b, c), item_ids=item_ids(5), omitted=om, bounds=(-4, 4))
    assert res["ml_status"].to_list() == ["all_correct", "all_wrong", "ok", "no_responses"]
    assert res["theta_ml"][0] == 4.0 and res["theta_ml"][1] == -4.0
    assert np.isfinite(res["se_ml"][0]) and np.isnan(res["theta_ml"][3])
    # No responses: EAP is the prior mean, with the prior SD.
    assert res["theta_eap"][3] == pytest.approx(0.0, abs=1e-9)
    assert res["se_eap"][3] == pytest.approx(1.0, abs=1e-6)
    assert np.isfinite(res["theta_map"].to_numpy()).all()


def test_map_shrinks_and_se_relations():
    x, _, a, b, c, theta = simulate(500, 20, seed=4)
    res = score_theta(x, _params(a, b, c), item_ids=item_ids(20))
    ok = res["ml_status"] == "ok"
    ml = res.filter(ok)
    assert (ml["theta_map"].abs() <= ml["theta_ml"].abs() + 1e-9).all()
    assert (res["se_map"] < res["se_ml"] + 1e-12).all()
    assert np.corrcoef(res["theta_eap"], theta)[0, 1] > 0.85


def test_method_selection_and_errors():
    x, _, a, b, c, _ = simulate(10, 4, seed=5)
    res = score_theta(x, _params(a, b, c), item_ids=item_ids(4), methods=["eap"])
    assert res.columns == ["n_answered", "raw", "theta_eap", "se_eap"]
    with pytest.raises(InputError):
        score_theta(x, _params(a, b, c), item_ids=item_ids(4), methods=["wle"])
    with pytest.raises(DataError, match="no row"):
        score_theta(x, _params(a, b, c)[:3], item_ids=item_ids(4))
