"""The compiled, batched KL divergence of the numeric route (one continuous variable) against
closed forms and against the mpmath route (numeric.quadrature.engine, kl_divergence).
"""
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.own_models import weibull
from symbolic.errors import DomainError
from tests.catalog_points import build


def normal_kl(x, y):
    """KL(N(mu1, s1^2) || N(mu2, s2^2)) = log(s2/s1) + (s1^2 + (mu1 - mu2)^2)/(2 s2^2) - 1/2:
    E_1[log p1 - log p2] with E_1[(x - mu1)^2] = s1^2, E_1[(x - mu2)^2] = s1^2 + (mu1 - mu2)^2.
    """
    (m1, s1), (m2, s2) = x.T, y.T
    return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def weibull_kl(x, y):
    """KL(W(k1, l1) || W(k2, l2)) = log(k1 / l1^k1) - log(k2 / l2^k2) + (k1 - k2)(log l1 -
    gamma/k1) + (l1/l2)^k2 Gamma(k2/k1 + 1) - 1 (C. Bauckhage, "Computing the Kullback-Leibler
    divergence between two Weibull distributions", arXiv:1310.3713, 2013), at 30 digits.
    """
    with mpmath.workdps(30):
        k1, l1, k2, l2 = map(mpmath.mpf, (*x, *y))
        value = (mpmath.log(k1 / l1**k1) - mpmath.log(k2 / l2**k2)
                 + (k1 - k2) * (mpmath.log(l1) - mpmath.euler / k1)
                 + (l1 / l2) ** k2 * mpmath.gamma(k2 / k1 + 1) - 1)
    return float(value)


@pytest.fixture(scope="module")
def normal():
    return build("Normal").numeric_geometry("numeric")


def test_normal_kl_batched_matches_closed_form(normal):
    rng = np.random.default_rng(3)
    M = normal.manifold
    x = np.array([M.random_point(rng) for _ in range(40)])
    y = np.array([M.random_point(rng) for _ in range(40)])
    est = normal.kl_divergence_estimate(x, y)
    exact = normal_kl(x, y)
    assert est.ok, est.message
    assert est.value.shape == (40,)
    error = np.abs(est.value - exact)
    assert np.all(error <= 1e-10 * np.maximum(exact, 1.0))
    # the error estimate brackets the true error (up to the rounding of the closed form)
    assert np.all(error <= est.error + 4e-16 * np.maximum(exact, 1.0))
    # broadcasting one point against many, and the manifold's float for one pair
    one = normal.kl_divergence(x[0], y)
    assert np.allclose(one, normal_kl(np.broadcast_to(x[0], y.shape), y), rtol=1e-10, atol=0)
    assert isinstance(normal.kl_divergence(x[0], y[0]), float)
    with pytest.raises(DomainError, match="sigma"):
        normal.kl_divergence(x[0], [0.0, -1.0])


@settings(max_examples=25, deadline=None)
@given(st.floats(-3, 3), st.floats(0.3, 3), st.floats(-3, 3), st.floats(0.3, 3))
def test_kl_is_nonnegative_and_zero_on_the_diagonal(normal, m1, s1, m2, s2):
    x, y = np.array([m1, s1]), np.array([m2, s2])
    est = normal.kl_divergence_estimate(np.stack([x, x]), np.stack([y, x]))
    assert est.ok
    assert est.value[0] >= -est.error[0]
    assert abs(est.value[1]) <= est.error[1] + 1e-15   # KL(p || p) = 0
    assert abs(est.value[0] - normal_kl(x[None], y[None])[0]) <= 1e-10 * max(1.0, est.value[0])


def test_weibull_kl_matches_closed_form_and_the_mpmath_route():
    K = weibull().numeric_geometry("numeric")
    rng = np.random.default_rng(5)
    x = np.array([K.manifold.random_point(rng) for _ in range(12)])
    y = np.array([K.manifold.random_point(rng) for _ in range(12)])
    est = K.kl_divergence_estimate(x, y)
    assert est.ok, est.message
    exact = np.array([weibull_kl(a, b) for a, b in zip(x, y, strict=True)])
    error = np.abs(est.value - exact)
    assert np.all(error <= 1e-10 * np.maximum(exact, 1.0)), error
    assert np.all(error <= est.error + 4e-16 * np.maximum(exact, 1.0))
    # the mpmath route (tanh-sinh at 30 digits) on one pair
    slow = K.kl_divergence(x[0], y[0], dps=30)
    assert abs(slow - est.value[0]) <= 1e-10 * max(1.0, exact[0])
