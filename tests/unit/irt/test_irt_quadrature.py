import numpy as np
import pytest

from cehrs_items.errors import InputError
from cehrs_items.irt.quadrature import even_grid, gauss_hermite, make_quadrature


@pytest.mark.parametrize("n", [5, 21, 41])
def test_gauss_hermite_reproduces_normal_moments(n):
    q = gauss_hermite(n)
    assert q.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert q.weights @ q.z == pytest.approx(0.0, abs=1e-12)
    assert q.weights @ q.z**2 == pytest.approx(1.0, abs=1e-12)
    assert q.weights @ q.z**4 == pytest.approx(3.0, abs=1e-10)


def test_even_grid_moments_and_spacing():
    q = even_grid(61, 6.0)
    assert np.allclose(np.diff(q.z), 0.2)
    assert q.weights @ q.z**2 == pytest.approx(1.0, abs=1e-7)
    assert q.weights @ q.z**4 == pytest.approx(3.0, abs=1e-5)


def test_nodes_shift_and_scale():
    q = gauss_hermite(11)
    nodes = q.nodes(0.3, 1.1)
    assert q.weights @ nodes == pytest.approx(0.3, abs=1e-12)
    assert q.weights @ (nodes - 0.3) ** 2 == pytest.approx(1.21, abs=1e-12)


@pytest.mark.parametrize(
    "kind,n,bound", [("gh", 1, 6.0), ("grid", 1, 6.0), ("grid", 21, 0.0), ("simpson", 21, 6.0)]
)
def test_bad_rules_are_input_errors(kind, n, bound):
    with pytest.raises(InputError):
        make_quadrature(kind, n, bound)
