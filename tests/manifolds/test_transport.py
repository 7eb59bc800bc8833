"""Parallel transport, Jacobi fields and the α log map (manifolds.numerics, numeric.geodesics.transport).

Independent checks: the closed-form transport of the hyperbolic half-plane, the invariance
of the metric under Levi-Civita transport and of the pairing under dual transports (Amari
and Nagaoka 2000, Theorem 3.1), the flatness of ∇^(±1) on exponential families (straight
lines and constant components in θ and η, Amari and Nagaoka 2000, Section 3.3), finite
differences of the exp map, and the Jacobi fields of constant curvature.
"""
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import Gamma, Normal
from numeric.geodesics.integrate import IntegrationError

vectors = st.tuples(st.floats(-1, 1), st.floats(-1, 1)).filter(lambda w: abs(w[0]) + abs(w[1]) > 0.1)


def jacobian(M, which):
    """The Jacobian d theta / dx or d eta / dx of an exponential family, lambdified from sympy."""
    expr = M.natural_parameters() if which == "natural" else sp.Matrix(M.expectation_parameters())
    f = sp.lambdify(M.coordinates, expr.jacobian(sp.Matrix(M.coordinates)), ["scipy", "numpy"])
    return lambda x: np.array(f(*x), dtype=float)


def inner(K, x, a, b):
    return float(a @ K.metric(x) @ b)


def half_plane_transport(x0, v0, w0, t):
    """Closed-form transport along a Normal geodesic that is not vertical.

    With u = mu / sqrt 2 the metric is 2 (du^2 + dsigma^2) / sigma^2, a multiple of the
    Poincaré half-plane's, with the same Levi-Civita connection. Geodesics are semicircles
    centred on the axis, u = c + R tanh s, sigma = R / cosh s in arclength s. Transport keeps
    the length and the angle with the (parallel) velocity; the metric being conformal, the
    Euclidean angle with the velocity is constant and the Euclidean length grows like sigma.
    """
    u0, s0 = x0[0] / math.sqrt(2), x0[1]
    vu, vs = v0[0] / math.sqrt(2), v0[1]
    c = u0 + s0 * vs / vu
    R = math.hypot(u0 - c, s0)
    start = math.atanh((u0 - c) / R)
    s = start + math.copysign(math.hypot(vu, vs) / s0, vu) * t
    sigma = R / math.cosh(s)

    def angle(s):
        return math.atan2(-math.tanh(s), 1 / math.cosh(s))

    turn = angle(s) - angle(start)
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    w = sigma / s0 * rot @ np.array([w0[0] / math.sqrt(2), w0[1]])
    return np.array([c + R * math.tanh(s), sigma]) * [math.sqrt(2), 1], w * [math.sqrt(2), 1]


@pytest.mark.slow
def test_normal_transport_matches_the_half_plane_closed_form():
    K = Normal().numeric
    x0, v0 = np.array([0.3, 1.2]), np.array([0.8, 0.5])
    for w0 in ([1.0, 0.0], [0.0, 1.0], [-0.4, 0.7]):
        for t in (0.5, 1.0, 2.5):
            sol = K.parallel_transport(x0, v0, w0, t=t, full_output=True)
            where, expected = half_plane_transport(x0, v0, np.array(w0), t)
            assert np.allclose(sol.x[-1], where, rtol=1e-10)
            assert np.allclose(sol.w[-1], expected, rtol=1e-9, atol=1e-11)
    # vertical geodesic: the coordinates of w grow like sigma = e^(t / sqrt 2)
    w = K.parallel_transport([0.0, 1.0], [0.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], t=2.0)
    assert np.allclose(w, np.eye(2) * math.exp(2.0), rtol=1e-10)


@pytest.mark.slow
@settings(max_examples=3)
@given(vectors, vectors, vectors)
def test_levi_civita_transport_keeps_inner_products(v, w1, w2):
    for family, x in ((Normal, [0.5, 1.5]), (Gamma, [2.0, 1.5])):
        K = family().numeric
        v = np.array(v)
        P = K.parallel_transport(x, v, [w1, w2], full_output=True)
        y = P.x[0, -1]
        assert np.allclose(K.exp(x, v), y, rtol=1e-10)
        for a, b, pa, pb in ((w1, w1, P.w[0, -1], P.w[0, -1]), (w1, w2, P.w[0, -1], P.w[1, -1])):
            before = inner(K, np.array(x), np.array(a), np.array(b))
            assert math.isclose(inner(K, y, pa, pb), before, rel_tol=1e-9, abs_tol=1e-11)
        # the velocity is itself parallel
        assert np.allclose(K.parallel_transport(x, v, v), P.v[0, -1], rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("family,x,v", [(Normal, [0.5, 1.5], [0.7, -0.4]), (Gamma, [2.0, 1.5], [-0.6, 0.9])])
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_dual_transports_keep_the_pairing(family, x, v, alpha):
    """<P^α w1, P^-α w2> = <w1, w2> along one curve (Amari and Nagaoka 2000, Theorem 3.1),
    while P^α alone does not keep the metric.
    """
    K = family().numeric
    w1, w2 = np.array([0.3, 1.0]), np.array([-0.8, 0.2])
    y = K.exp(x, v)
    p1 = K.parallel_transport(x, v, w1, alpha=alpha)
    p2 = K.parallel_transport(x, v, w2, alpha=-alpha)
    before = inner(K, np.array(x, dtype=float), w1, w2)
    assert math.isclose(inner(K, y, p1, p2), before, rel_tol=1e-9, abs_tol=1e-11)
    assert not math.isclose(inner(K, y, p1, p1), inner(K, np.array(x, dtype=float), w1, w1), rel_tol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("family,x,v", [(Normal, [0.5, 1.5], [0.7, -0.4]), (Gamma, [2.0, 1.5], [0.6, -0.4])])
def test_exponential_and_mixture_transports_are_constant_in_theta_and_eta(family, x, v):
    """∇^(1) is flat with affine coordinates θ, ∇^(-1) with η (Amari and Nagaoka 2000, Section
    3.3): their transports keep the θ- and η-components of a vector, along any curve.
    """
    # (Gamma: the m-geodesic of (-0.6, 0.9) from (2, 1.5) leaves the eta domain, a -> oo)
    M = family()
    K = M.numeric
    x = np.array(x)
    y = K.exp(x, v)
    w = np.array([0.4, -1.1])
    for alpha, which in ((1.0, "natural"), (-1.0, "expectation")):
        J = jacobian(M, which)
        # (along the alpha-geodesics too on the Normal; the Gamma alpha-solver would be one more
        # compilation for the CI budget)
        for geodesic_alpha in ((0.0, alpha) if family is Normal else (0.0,)):
            moved = K.parallel_transport(x, v, w, alpha=alpha, geodesic_alpha=geodesic_alpha)
            end = y if geodesic_alpha == 0.0 else K.exp(x, v, alpha=alpha)
            assert np.allclose(J(end) @ moved, J(x) @ w, rtol=1e-9, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("family,x,v,alpha", [(Gamma, [2.0, 1.5], [-0.6, 0.9], 0.0),
                                              (Normal, [0.5, 1.5], [0.7, -0.4], 0.5)])
def test_jacobi_field_is_the_derivative_of_exp(family, x, v, alpha):
    K = family().numeric
    x, v, w = np.array(x), np.array(v), np.array([0.3, 0.5])
    J = K.jacobi_field(x, v, w, alpha=alpha)
    h = 1e-5
    fd = (K.exp(x, v + h * w, alpha=alpha) - K.exp(x, v - h * w, alpha=alpha)) / (2 * h)
    assert np.allclose(J, fd, rtol=1e-7, atol=1e-9)
    # J(t) = d/ds exp_x(t (v + s w)) = t d exp_x(t v)[w]
    Jt = K.jacobi_field(x, v, w, t=1.0, t_eval=[0.0, 0.5, 1.0], alpha=alpha)
    assert Jt.shape == (3, 2) and np.allclose(Jt[0], 0.0) and np.allclose(Jt[-1], J)
    half = (K.exp(x, 0.5 * (v + h * w), alpha=alpha) - K.exp(x, 0.5 * (v - h * w), alpha=alpha)) / (2 * h)
    assert np.allclose(Jt[1], half, rtol=1e-7, atol=1e-9)


@settings(max_examples=5)
@given(st.floats(0.2, 3.0), st.floats(-3, 3), st.floats(0.3, 4.0))
def test_normal_jacobi_fields_grow_like_sinh(t, mu, sigma):
    """Curvature K = -1/2: a normal Jacobi field with J(0) = 0 along a unit-speed geodesic
    has |J(t)| = |J'(0)| sinh(sqrt(-K) t) / sqrt(-K) (do Carmo, Riemannian Geometry (1992),
    Chapter 5, Example 2.3).
    """
    K = Normal().numeric
    x = np.array([mu, sigma])
    v = np.array([0.0, sigma / math.sqrt(2)])      # unit speed: 2 v_sigma^2 / sigma^2 = 1
    w = np.array([sigma, 0.0])                     # unit and orthogonal to v
    J = K.jacobi_field(x, v, w, t=t)
    y = K.exp(x, t * v)
    assert math.isclose(math.sqrt(inner(K, y, J, J)), math.sqrt(2) * math.sinh(t / math.sqrt(2)), rel_tol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("family,x,y", [(Normal, [0.5, 1.5], [-1.0, 0.6]), (Normal, [-2.0, 0.3], [1.0, 2.5])])
def test_alpha_log_maps(family, x, y):
    """exp_α(x, log_α(x, y)) = y; for α = ±1 the geodesics are straight lines in θ and η
    (Amari and Nagaoka 2000, Section 3.3), so log_1(x, y) = (dθ/dx)^-1 (θ(y) - θ(x)) and
    log_-1(x, y) = (dη/dx)^-1 (η(y) - η(x)).
    """
    M = family()
    K = M.numeric
    x, y = np.array(x), np.array(y)
    for alpha in (0.5, -0.5):
        v = K.log(x, y, alpha=alpha)
        assert np.allclose(K.exp(x, v, alpha=alpha), y, rtol=1e-10)
    for alpha, which, coords in ((1.0, "natural", K.natural), (-1.0, "expectation", K.expectation)):
        v = K.log(x, y, alpha=alpha)
        expected = np.linalg.solve(jacobian(M, which)(x), coords(y) - coords(x))
        assert np.allclose(v, expected, rtol=1e-9, atol=1e-12)
    # alpha = 0 is the Fisher-Rao log map
    assert np.allclose(K.log(x, y, alpha=0.0), K.log(x, y), rtol=0, atol=0)


def test_bad_input_is_refused():
    K = Normal().numeric
    with pytest.raises(ValueError, match="alpha must be a real number"):
        K.parallel_transport([0.0, 1.0], [0.0, 1.0], [1.0, 0.0], alpha="e")
    with pytest.raises(ValueError, match="geodesic_alpha must be finite"):
        K.parallel_transport([0.0, 1.0], [0.0, 1.0], [1.0, 0.0], geodesic_alpha=float("nan"))
    with pytest.raises(ValueError, match="w0 must have shape"):
        K.parallel_transport([0.0, 1.0], [0.0, 1.0], [1.0, 0.0, 2.0])
    with pytest.raises(IntegrationError, match="LEFT_DOMAIN"):
        # the e-geodesic theta2 = -1/2 + 50 t (theta2 = -1 / (2 sigma^2)) reaches theta2 = 0,
        # sigma = infinity, at t = 0.01
        K.parallel_transport([0.0, 1.0], [0.0, 50.0], [1.0, 0.0], geodesic_alpha=1.0)
    sol = K.parallel_transport([0.0, 1.0], [0.0, 50.0], [1.0, 0.0], geodesic_alpha=1.0, full_output=True)
    assert not sol.ok and sol.status == 1


def _sphere_differential(p, dp):
    """D sqrt(p) of the full probability vector: the embedding of the simplex in the unit
    sphere (Categorical(k) with the Fisher metric is the positive part of the sphere of
    radius 2, Amari and Nagaoka 2000, Section 2.5; the factor 2 scales no angle).
    """
    full = np.append(p, 1 - p.sum())
    return np.append(dp, -dp.sum()) / (2 * np.sqrt(full))


@pytest.mark.slow
def test_categorical_transport_matches_the_sphere_closed_form():
    """Three dimensions: along the great circle u(t) = cos(wt) u + sin(wt) e a parallel vector
    keeps its component normal to the circle's plane and turns its component along e with the
    circle, e(t) = -sin(wt) u + cos(wt) e; duality of the alpha-transports too.
    """
    from manifolds import Categorical

    K = Categorical(4).numeric
    p = np.array([0.2, 0.3, 0.1])
    v = np.array([0.15, -0.1, 0.05])
    w = np.array([-0.2, 0.1, 0.3])
    u = np.sqrt(np.append(p, 1 - p.sum()))
    V = _sphere_differential(p, v)
    omega = np.linalg.norm(V)
    e = V / omega
    W = _sphere_differential(p, w)
    along = W @ e
    expected = along * (-np.sin(omega) * u + np.cos(omega) * e) + (W - along * e)
    end = (np.cos(omega) * u + np.sin(omega) * e) ** 2
    sol = K.parallel_transport(p, v, w, full_output=True)
    assert np.allclose(sol.x[-1], end[:3], rtol=1e-10)
    assert np.allclose(_sphere_differential(sol.x[-1], sol.w[-1]), expected, rtol=1e-9, atol=1e-12)
    w2 = np.array([0.1, 0.1, -0.05])
    p1 = K.parallel_transport(p, v, w, alpha=0.7)
    p2 = K.parallel_transport(p, v, w2, alpha=-0.7)
    assert math.isclose(inner(K, sol.x[-1], p1, p2), inner(K, p, w, w2), rel_tol=1e-9)
