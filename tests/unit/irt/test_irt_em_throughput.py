"""The fast EM machinery: SQUAREM, the chunked E-step and its threads.

SQUAREM must reach the maximum plain EM reaches (it only changes the path), the chunked
E-step must equal a direct full-matrix computation, and neither the chunk size nor the
number of threads may change a result beyond rounding (threads: not at all).
"""

import numpy as np
import polars as pl
import pytest
from irt_sim import item_ids, simulate
from scipy.special import logsumexp

import cehrs_items.irt.mml_em as mml_module
from cehrs_items.errors import InputError
from cehrs_items.irt.mml_em import _EStep, _prob, mml_em
from cehrs_items.irt.patterns import collapse, encode
from cehrs_items.irt.quadrature import make_quadrature


@pytest.mark.parametrize("model", ["rasch", "2pl", "3pl"])
def test_squarem_reaches_the_plain_em_maximum_in_fewer_cycles(model):
    x, om, *_ = simulate(3000, 12, model=model, seed=11, omit_rate=0.05)
    kw = dict(omitted=om, item_ids=item_ids(12), model=model, tol=1e-9, se_method="none")
    plain = mml_em(x, accelerate="none", max_iter=5000, **kw)
    fast = mml_em(x, accelerate="squarem", **kw)
    assert plain.converged and fast.converged
    assert fast.n_iter < plain.n_iter
    for col in ("a", "b", "c"):
        np.testing.assert_allclose(fast.params[col], plain.params[col], atol=2e-6)
    assert fast.log_posterior == pytest.approx(plain.log_posterior, abs=1e-6)
    assert fast.settings["accelerate"] == "squarem"


def test_squarem_with_anchors_estimates_the_same_latent_distribution():
    x, _, a, b, c, _ = simulate(4000, 15, seed=5, mean=0.4, sd=1.2)
    ids = item_ids(15)
    fixed = {ids[j]: mml_module.FixedItem(a=a[j], b=b[j]) for j in range(10)}
    plain = mml_em(x, item_ids=ids, fixed=fixed, tol=1e-9, accelerate="none", max_iter=5000)
    fast = mml_em(x, item_ids=ids, fixed=fixed, tol=1e-9)
    assert fast.n_iter < plain.n_iter
    assert fast.mean == pytest.approx(plain.mean, abs=1e-6)
    assert fast.sd == pytest.approx(plain.sd, abs=1e-6)
    np.testing.assert_allclose(fast.params["se_b"], plain.params["se_b"], rtol=1e-4)


def test_unknown_acceleration_is_refused():
    x, *_ = simulate(200, 5)
    with pytest.raises(InputError, match="accelerate"):
        mml_em(x, accelerate="ramsay")


def _direct_estep(codes, freq, theta, weights, alpha, gamma, c):
    """The E-step written out over the whole pattern matrix (no chunks, no shortcuts)."""
    p = np.clip(_prob(theta, alpha, gamma, c), 1e-12, 1 - 1e-12)
    x1 = (codes == 1).astype(float)
    obs = (codes != 2).astype(float)
    log_lik = x1 @ np.log(p).T + (obs - x1) @ np.log1p(-p).T + np.log(weights)
    norm = logsumexp(log_lik, axis=1)
    post = np.exp(log_lik - norm[:, None]) * freq[:, None]
    return float(freq @ norm), x1.T @ post, obs.T @ post, post.sum(0)


@pytest.mark.parametrize("omit_rate", [0.0, 0.1, 0.5])
def test_chunked_estep_equals_the_direct_computation(omit_rate):
    x, om, *_ = simulate(5000, 20, model="3pl", seed=3, omit_rate=omit_rate)
    patterns, _ = collapse(encode(x, om))
    rng = np.random.default_rng(0)
    alpha, gamma = rng.uniform(0.5, 2.0, 20), rng.normal(0, 1, 20)
    c = rng.uniform(0.0, 0.3, 20)
    quad = make_quadrature()
    theta, w = quad.nodes(0.1, 1.1), quad.weights
    want = _direct_estep(patterns.codes, patterns.freq, theta, w, alpha, gamma, c)
    for chunk_rows, threads in ((97, 1), (97, 3), (1000, 2), (10**6, 1)):
        got = _EStep(patterns, chunk_rows=chunk_rows, threads=threads).run(
            theta, w, alpha, gamma, c
        )
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        for g, e in zip(got[1:4], want[1:], strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-9)


def test_threads_do_not_change_any_byte_of_the_result(monkeypatch):
    x, om, *_ = simulate(20000, 16, model="3pl", seed=8, omit_rate=0.02)
    # Small chunks, so that there are many for the threads to share.
    monkeypatch.setattr(mml_module, "_CHUNK", 1000)
    assert collapse(encode(x, om))[0].n_patterns > 10 * 1000
    runs = []
    for threads in (1, 2, 5):
        monkeypatch.setattr(mml_module, "default_threads", lambda t=threads: t)
        res = mml_em(x, omitted=om, item_ids=item_ids(16), model="3pl")
        runs.append(res.params.write_csv())
    assert runs[0] == runs[1] == runs[2]
    assert pl.read_csv(runs[0].encode())["se_a"].is_not_null().all()
