"""Tolerances mean relative accuracy of the result, at every scale (docs/conventions.md).

The Normal family's Fisher metric is diag(1, 2) / sigma^2: with u = mu / sqrt(2) it is twice
the Poincaré half-plane metric, so its geodesics are the half-plane's (a constant factor does
not change the geodesic equation). The exp map of the half-plane has a closed form [1]: the
Möbius map z -> x + y z takes i to x + i y, and the rotation about i,
k(z) = (cos(th) z + sin(th)) / (-sin(th) z + cos(th)), whose derivative at i is exp(2i th),
turns the vertical unit-speed geodesic i exp(s t) into the one with any initial direction.
It is evaluated here with mpmath at 50 digits.

.. [1] A. F. Beardon, *The Geometry of Discrete Groups*, Springer (1983), Sections 7.1-7.2;
   for the Normal family, S. I. R. Costa, S. A. Santos and J. E. Strapasson, Fisher
   information distance: a geometrical reading, Discrete Appl. Math. 197 (2015), 59-69.
"""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manifolds import Normal
from numeric.geodesics.distances import location_scale_distance
from numeric.geodesics.integrate import IntegrationStatus
from symbolic.errors import DomainError
from tests.support import examples

RTOL = 1e-12  # the default of exp


@pytest.fixture(scope="module")
def K():
    return Normal().numeric


def normal_exp_closed_form(x, v, dps=50):
    """exp_x(v) of the Normal family (mu, sigma), in mpmath, as two mpf."""
    with mpmath.workdps(dps):
        root2 = mpmath.sqrt(2)
        mu, sigma = mpmath.mpf(x[0]), mpmath.mpf(x[1])
        w = mpmath.mpc(mpmath.mpf(v[0]) / root2, v[1]) / sigma  # tangent vector at i
        s = abs(w)
        if s == 0:
            return mu, sigma
        theta = mpmath.arg(-1j * w) / 2
        z = 1j * mpmath.exp(s)
        k = (mpmath.cos(theta) * z + mpmath.sin(theta)) / (-mpmath.sin(theta) * z + mpmath.cos(theta))
        end = mu / root2 + sigma * k
        return root2 * end.real, end.imag


def relative_errors(x, v, got):
    """Relative error of sigma, and of mu in units of the size of the coordinates along
    the way (mu is a location: its natural unit is the scale, so mu = 0 is no special case).
    """
    mu, sigma = normal_exp_closed_form(x, v)
    e_sigma = abs((mpmath.mpf(got[1]) - sigma) / sigma)
    unit = max(abs(mu), sigma, abs(mpmath.mpf(x[0])), mpmath.mpf(x[1]))
    e_mu = abs(mpmath.mpf(got[0]) - mu) / unit
    return float(e_sigma), float(e_mu)


def test_closed_form_agrees_with_the_distance():
    # the closed form is checked against the closed-form distance: d(x, exp_x(v)) = |v|_g
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = np.array([rng.normal(), rng.uniform(0.2, 3)])
        v = rng.normal(size=2) * x[1]
        end = np.array([float(c) for c in normal_exp_closed_form(x, v)])
        speed = math.sqrt(v[0] ** 2 + 2 * v[1] ** 2) / x[1]
        assert abs(location_scale_distance(x, end) - speed) < 1e-12 * max(1.0, speed)


def test_issue_example_tiny_sigma(K):
    # exp([0, 1], [0, -50]) = [0, exp(-50)]: was off by 1e-2 when atol 1e-14 dominated
    got = K.exp([0.0, 1.0], [0.0, -50.0])
    assert got[0] == 0.0
    assert abs(got[1] / math.exp(-50.0) - 1.0) < 1e2 * RTOL


@pytest.mark.parametrize("log_sigma", [-8, -4, 0, 4, 8])
@pytest.mark.parametrize("direction", [(0.0, -50.0), (0.0, 50.0), (50.0, 0.0), (35.0, -35.0),
                                       (-50.0, 50.0), (3.0, -1.0)])
def test_exp_is_relatively_accurate_at_every_scale(K, log_sigma, direction):
    sigma = 10.0 ** log_sigma
    x = np.array([0.7 * sigma, sigma])
    v = np.array(direction) * sigma  # speeds up to 50 sqrt(3) in the metric
    got = K.exp(x, v)
    e_sigma, e_mu = relative_errors(x, v, got)
    assert e_sigma < 1e3 * RTOL and e_mu < 1e3 * RTOL, (e_sigma, e_mu)


@examples(20)
@given(log_sigma=st.floats(-8, 8), m=st.floats(-3, 3),
       a=st.floats(-50, 50), b=st.floats(-50, 50))
def test_exp_matches_closed_form(K, log_sigma, m, a, b):
    sigma = 10.0 ** log_sigma
    x = np.array([m * sigma, sigma])
    v = np.array([a, b]) * sigma
    e_sigma, e_mu = relative_errors(x, v, K.exp(x, v))
    assert e_sigma < 1e3 * RTOL and e_mu < 1e3 * RTOL, (e_sigma, e_mu)


@examples(20)
@given(k=st.integers(-60, 60), m=st.floats(-3, 3), a=st.floats(-20, 20), b=st.floats(-20, 20))
def test_exp_commutes_with_scaling_exactly(K, k, m, a, b):
    # (mu, sigma) -> (c mu, c sigma) is an isometry; with c a power of 2 every floating-point
    # operation of the integrator commutes with it, so with purely relative error control
    # the steps and the result are the same bit for bit (an absolute floor would break this)
    c = 2.0 ** k
    x = np.array([m, 1.0])
    v = np.array([a, b])
    base = K.geodesic(x, v, 1.0, rtol=RTOL)
    scaled = K.geodesic(c * x, c * v, 1.0, rtol=RTOL)
    assert base.ok and scaled.ok
    assert scaled.n_steps == base.n_steps and scaled.n_rejected == base.n_rejected
    np.testing.assert_array_equal(scaled.x[-1], c * base.x[-1])


@examples(20)
@given(shift=st.floats(-1e3, 1e3), log_c=st.floats(-6, 6), m=st.floats(-3, 3),
       a=st.floats(-20, 20), b=st.floats(-20, 20))
def test_exp_commutes_with_affine_maps(K, shift, log_c, m, a, b):
    # the location-scale group acts by isometries: exp_{(s + c mu, c sigma)}(c v) is the
    # image of exp_{(mu, sigma)}(v); each side to its own tolerance
    c = 10.0 ** log_c
    x = np.array([m, 1.0])
    v = np.array([a, b])
    base = K.exp(x, v)
    moved = K.exp(np.array([shift + c * m, c]), c * v)
    image = np.array([shift + c * base[0], c * base[1]])
    assert abs(moved[1] - image[1]) <= 2e3 * RTOL * image[1]
    unit = max(abs(shift), c * abs(m), c * abs(base[0]), c)
    assert abs(moved[0] - image[0]) <= 2e3 * RTOL * unit


def test_log_with_zero_rtol(K):
    # regression: rtol = 0 raised a bare ZeroDivisionError in the shooting's tolerance
    # schedule; now rtol = 0 is pure absolute control, and rtol = atol = 0 a DomainError
    x, y = np.array([0.2, 1.0]), np.array([-0.5, 1.7])
    with pytest.raises(DomainError, match="rtol and atol must not both be 0"):
        K.log(x, y, rtol=0)
    with pytest.raises(DomainError, match="rtol and atol must not both be 0"):
        K.exp(x, [0.1, 0.1], rtol=0)
    with pytest.raises(DomainError, match="atol must be >= 0"):
        K.log(x, y, atol=-1.0)
    v = K.log(x, y, rtol=0, atol=1e-14)
    speed = math.sqrt(v[0] ** 2 + 2 * v[1] ** 2) / x[1]
    assert abs(speed - location_scale_distance(x, y)) < 1e-10
    np.testing.assert_allclose(K.exp(x, v, rtol=0, atol=1e-14), y, rtol=1e-10)


@pytest.mark.parametrize("log_sigma", [-8, 0, 8])
def test_log_is_relatively_accurate_at_every_scale(K, log_sigma):
    # distances do not depend on the scale; the log map must find them at sigma = 1e-8 too
    sigma = 10.0 ** log_sigma
    x = np.array([[0.0, 1.0], [0.3, 2.0], [0.0, 1.0]]) * sigma
    y = np.array([[0.0, 2.0], [-1.0, 0.5], [1.5, 1.0]]) * sigma
    v = K.log(x, y)
    speed = np.sqrt(v[:, 0] ** 2 + 2 * v[:, 1] ** 2) / x[:, 1]
    np.testing.assert_allclose(speed, location_scale_distance(x, y), rtol=1e-9)


def test_max_steps_bounds_the_exp_map(K):
    sol = K.geodesic([0.0, 1.0], [1.0, 0.0], 1e300, max_steps=50)
    assert sol.status == IntegrationStatus.MAX_STEPS
    assert sol.n_steps + sol.n_rejected == 50
