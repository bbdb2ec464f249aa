"""Properties of calibration, scoring and linking (hypothesis)."""

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cehrs_items.irt.linking import link
from cehrs_items.irt.mml_em import mml_em
from cehrs_items.irt.models import probability
from cehrs_items.irt.scoring import score_theta

IDS = [f"IT-{j:04d}" for j in range(6)]


def _data(seed, n=300):
    rng = np.random.default_rng(seed)
    a = np.exp(rng.normal(0, 0.3, 6))
    b = rng.normal(0, 1, 6)
    x = (rng.random((n, 6)) < probability(rng.normal(size=n), a, b)).astype(np.int8)
    return x, a, b


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_permuting_examinees_changes_no_estimate(seed, perm_seed):
    x, *_ = _data(seed)
    perm = np.random.default_rng(perm_seed).permutation(x.shape[0])
    one = mml_em(x, item_ids=IDS, tol=1e-6, se_method="none")
    two = mml_em(x[perm], item_ids=IDS, tol=1e-6, se_method="none")
    assert np.allclose(one.params["a"], two.params["a"], atol=1e-10)
    assert np.allclose(one.params["b"], two.params["b"], atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(
    A=st.floats(0.5, 2.0),
    B=st.floats(-1.5, 1.5),
    seed=st.integers(0, 1000),
)
def test_linking_inverts_a_known_transformation(A, B, seed):
    rng = np.random.default_rng(seed)
    base = pl.DataFrame(
        {"item_id": IDS, "a": np.exp(rng.normal(0, 0.3, 6)), "b": rng.normal(0, 1, 6), "c": 0.0}
    )
    new = base.with_columns(pl.col("a") * A, (pl.col("b") - B) / A)
    res = link(new, base, method="haebara")
    assert abs(res.A - A) < 1e-4 and abs(res.B - B) < 1e-4


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000))
def test_rasch_eap_is_monotone_in_raw_score(seed):
    rng = np.random.default_rng(seed)
    params = pl.DataFrame({"item_id": IDS, "a": 1.0, "b": rng.normal(0, 1, 6), "c": 0.0})
    # one examinee per raw score 0..6 (right answers on the first k items)
    x = np.tril(np.ones((7, 6), dtype=np.int8), -1)
    res = score_theta(x, params, item_ids=IDS, methods=["eap", "ml"])
    assert np.all(np.diff(res["theta_eap"].to_numpy()) > 0)
    assert np.all(np.diff(res["theta_ml"].to_numpy()) > 0)
