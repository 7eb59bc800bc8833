"""Gauss-Kronrod pairs: exactness on polynomials, symmetry, QUADPACK's published nodes."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.quadrature.rules import gauss_kronrod


@pytest.mark.parametrize("n", [3, 7, 10])
def test_exact_degrees(n):
    # Kronrod: 2n+1 nodes exact to degree 3n+1; Gauss: n nodes exact to degree 2n-1
    x, wk, wg = gauss_kronrod(n)
    for degree in range(3 * n + 2):
        exact = 2.0 / (degree + 1) if degree % 2 == 0 else 0.0
        assert abs(wk @ x**degree - exact) < 1e-14
        if degree <= 2 * n - 1:
            assert abs(wg @ x**degree - exact) < 1e-14
    assert np.all(np.diff(x) > 0) and np.allclose(x, -x[::-1], atol=1e-15)
    assert np.all(wk > 0) and np.count_nonzero(wg) == n


def test_quadpack_qk21_nodes():
    # QUADPACK (Piessens et al. 1983), qk21: xgk(1..3) and wgk(11), the centre weight
    x, wk, _ = gauss_kronrod(10)
    assert abs(x[-1] - 0.995657163025808080735527280689003) < 1e-15
    assert abs(x[-2] - 0.973906528517171720077964012084452) < 1e-15
    assert abs(x[-3] - 0.930157491355708226001207180059508) < 1e-15
    assert abs(wk[10] - 0.149445554002916905664936468389821) < 1e-15


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=8))
def test_smooth_integrand_estimate_brackets(coefficients):
    # a polynomial of degree <= 7 times exp: the Gauss-Kronrod difference bounds the Gauss error
    x, wk, wg = gauss_kronrod(10)
    f = np.polynomial.polynomial.polyval(x, coefficients) * np.exp(x)
    kronrod, gauss = wk @ f, wg @ f
    import mpmath

    exact = float(mpmath.quad(lambda t: mpmath.polyval(coefficients[::-1], t) * mpmath.exp(t), [-1, 1]))
    assert abs(gauss - exact) <= abs(kronrod - gauss) + 1e-14 * (1 + abs(exact))
    assert abs(kronrod - exact) <= 1e-13 * (1 + np.abs(coefficients).sum() * 3)
