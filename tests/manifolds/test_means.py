"""Fréchet means, geodesic interpolation and sided Bregman centroids (manifolds.means).

Every mean is checked against something computed without the toolkit's geodesics: the
closed-form Fisher-Rao distances of the literature minimised at high precision (mpmath), the
closed-form log map of the sphere, the first-order condition by finite differences of the
closed-form distance, isometries of the family, and the textbook KL divergences minimised by
scipy.
"""
import math

import mpmath
import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import Categorical, Gamma, Normal, Poisson
from numeric.geodesics.means import MeanStatus, karcher_mean, mean_weights
from symbolic.errors import DomainError, OptimizationError


def normal_distance(x, y, lib=math):
    """Fisher-Rao distance of N(mu, sigma): sqrt(2) times the Poincaré half-plane distance
    of (mu / sqrt 2, sigma) (Costa, Santos and Strapasson 2015, Discrete Appl. Math. 197,
    eq. (8)-(9)); written here independently of numeric.geodesics.distances.
    """
    (m1, s1), (m2, s2) = x, y
    arg = 1 + ((m1 - m2) ** 2 / 2 + (s1 - s2) ** 2) / (2 * s1 * s2)
    return lib.sqrt(2) * lib.acosh(arg)


def categorical_distance(p, q):
    """2 arccos sum sqrt(p_i q_i) (Amari and Nagaoka 2000, Section 2.5: the sphere of radius 2)."""
    p = np.append(p, 1 - np.sum(p))
    q = np.append(q, 1 - np.sum(q))
    return 2 * np.arccos(np.clip(np.sum(np.sqrt(p * q)), -1, 1))


NORMAL_POINTS = np.array([[0.0, 1.0], [1.5, 0.7], [-0.4, 2.5], [0.8, 1.2]])
NORMAL_WEIGHTS = np.array([0.1, 0.4, 0.3, 0.2])


def test_normal_mean_equals_the_high_precision_minimiser():
    r = Normal().numeric.frechet_mean(NORMAL_POINTS, NORMAL_WEIGHTS)
    assert r.status == MeanStatus.SUCCESS and r.ok and r.gradient_norm <= 1e-10
    # the minimiser of sum w d^2 at 30 digits: Newton (mpmath.findroot) on the analytic
    # gradient of the closed-form objective, d(d^2) = 2 d sqrt(2) dA / sqrt(A^2 - 1)
    with mpmath.workdps(30):
        pts = [[mpmath.mpf(float(c)) for c in p] for p in NORMAL_POINTS]
        ws = [mpmath.mpf(float(w)) for w in NORMAL_WEIGHTS]

        def gradient(m, s):
            total = [mpmath.mpf(0), mpmath.mpf(0)]
            for w, (m2, s2) in zip(ws, pts, strict=True):
                A = 1 + ((m - m2) ** 2 / 2 + (s - s2) ** 2) / (2 * s * s2)
                d = mpmath.sqrt(2) * mpmath.acosh(A)
                factor = w * 2 * d * mpmath.sqrt(2) / mpmath.sqrt(A**2 - 1)
                total[0] += factor * (m - m2) / (2 * s * s2)
                total[1] += factor * ((s - s2) / (s * s2) - (A - 1) / s)
            return total

        root = mpmath.findroot(gradient, (mpmath.mpf(0.5), mpmath.mpf(1.2)))
        expected = np.array([float(root[0]), float(root[1])])
        objective = float(sum(w * normal_distance((root[0], root[1]), p, mpmath) ** 2
                              for w, p in zip(ws, pts, strict=True))) / 2
        assert max(abs(g) for g in gradient(root[0], root[1])) < mpmath.mpf(10) ** -25
    assert np.allclose(r.x, expected, rtol=1e-9, atol=1e-10)
    assert math.isclose(r.objective, objective, rel_tol=1e-9)


def test_two_points_give_the_geodesic_midpoint():
    K = Normal().numeric
    x, y = np.array([-1.0, 0.5]), np.array([2.0, 3.0])
    r = K.frechet_mean([x, y])
    d = normal_distance(x, y)
    assert math.isclose(normal_distance(r.x, x), d / 2, rel_tol=1e-9)
    assert math.isclose(normal_distance(r.x, y), d / 2, rel_tol=1e-9)
    assert np.allclose(K.interpolate(x, y, 0.5), r.x, rtol=1e-9)
    # the mean of the pair does not depend on their order
    assert np.allclose(K.frechet_mean([y, x]).x, r.x, rtol=1e-10)


@pytest.mark.slow
@settings(max_examples=4)
@given(st.lists(st.tuples(st.floats(-2, 2), st.floats(0.3, 3.0)), min_size=2, max_size=5),
       st.integers(0, 2**31))
def test_normal_mean_meets_the_first_order_condition(points, seed):
    """The gradient of sum w d(m, p)^2 vanishes at the mean: central differences of the closed form."""
    P = np.array(points)
    w = np.random.default_rng(seed).uniform(0.1, 1.0, len(P))
    w /= w.sum()
    r = Normal().numeric.frechet_mean(P, w)
    assert r.ok, r.message

    def f(m):
        return sum(wi * normal_distance(m, p) ** 2 for wi, p in zip(w, P, strict=True))

    h = 1e-5
    for k in range(2):
        e = np.zeros(2)
        e[k] = h * (r.x[1] if k == 1 else 1.0)
        # scale: the derivative of one squared distance term is of the order of the distances
        scale = 1.0 + max(normal_distance(r.x, p) for p in P)
        assert abs(f(r.x + e) - f(r.x - e)) / (2 * np.linalg.norm(e)) < 1e-6 * scale


@pytest.mark.slow
def test_normal_mean_is_equivariant_under_the_affine_isometries():
    """(mu, sigma) -> (a + b mu, b sigma), b > 0, is an isometry of the Fisher metric (it maps
    N(mu, sigma) to the law of a + b X), so the mean of the images is the image of the mean.
    """
    K = Normal().numeric
    a, b = 3.0, 2.5
    m = K.frechet_mean(NORMAL_POINTS, NORMAL_WEIGHTS).x
    moved = K.frechet_mean(NORMAL_POINTS * [b, b] + [a, 0.0], NORMAL_WEIGHTS).x
    assert np.allclose(moved, [a + b * m[0], b * m[1]], rtol=1e-9)
    # reflection mu -> -mu too
    mirrored = K.frechet_mean(NORMAL_POINTS * [-1.0, 1.0], NORMAL_WEIGHTS).x
    assert np.allclose(mirrored, [-m[0], m[1]], rtol=1e-9, atol=1e-12)


CATEGORICAL_POINTS = np.array([[0.2, 0.3], [0.5, 0.1], [0.1, 0.6], [0.3, 0.3]])


@pytest.mark.slow
def test_categorical_mean_meets_the_sphere_first_order_condition():
    """On the sphere u = sqrt(p) (radius 2 for the Fisher metric), log_m(p) is
    theta / sin(theta) (u - cos(theta) m) with cos(theta) = <u, m> (Pennec 2006, Section 2.3):
    its weighted sum vanishes at the Karcher mean.
    """
    K = Categorical(3).numeric
    w = np.array([0.4, 0.3, 0.2, 0.1])
    r = K.frechet_mean(CATEGORICAL_POINTS, w)
    assert r.ok, r.message
    mean = np.sqrt(np.append(r.x, 1 - r.x.sum()))
    total = np.zeros(3)
    for wi, p in zip(w, CATEGORICAL_POINTS, strict=True):
        u = np.sqrt(np.append(p, 1 - p.sum()))
        c = np.clip(u @ mean, -1, 1)
        theta = np.arccos(c)
        total += wi * theta / np.sin(theta) * (u - c * mean)
    assert np.linalg.norm(total) < 1e-9
    # and the minimum of sum w d^2 over the simplex, found by scipy, is not lower
    def f(z):
        q = np.exp(z) / np.exp(z).sum()
        return sum(wi * categorical_distance(q[:2], p) ** 2 for wi, p in zip(w, CATEGORICAL_POINTS, strict=True)) / 2
    best = scipy.optimize.minimize(f, np.log(np.append(r.x, 1 - r.x.sum())), method="Nelder-Mead",
                                   options={"xatol": 1e-12, "fatol": 1e-15})
    assert r.objective <= best.fun + 1e-12
    assert math.isclose(r.objective, f(np.log(np.append(r.x, 1 - r.x.sum()))), rel_tol=1e-9)


@pytest.mark.slow
def test_categorical_mean_is_equivariant_under_permutations():
    """Relabelling the categories is an isometry, the last category included."""
    K = Categorical(3).numeric
    full = np.column_stack([CATEGORICAL_POINTS, 1 - CATEGORICAL_POINTS.sum(axis=1)])
    m = K.frechet_mean(CATEGORICAL_POINTS).x
    m_full = np.append(m, 1 - m.sum())
    perm = [2, 0, 1]
    moved = K.frechet_mean(full[:, perm][:, :2]).x
    assert np.allclose(moved, m_full[perm][:2], rtol=1e-9)


def test_interpolation_runs_along_the_geodesic():
    K = Normal().numeric
    x, y = np.array([0.0, 1.0]), np.array([2.0, 1.5])
    ts = np.array([-0.5, 0.0, 0.25, 1.0, 1.5])
    path = K.interpolate(x, y, ts)
    assert path.shape == (5, 2)
    assert np.allclose(path[1], x) and np.allclose(path[3], y, rtol=1e-10)
    d = normal_distance(x, y)
    for t, p in zip(ts, path, strict=True):   # constant speed: d(x, gamma(t)) = |t| d(x, y)
        assert math.isclose(normal_distance(x, p), abs(t) * d, rel_tol=1e-9)
    assert K.interpolate([x, x], [y, y], ts).shape == (2, 5, 2)


@pytest.mark.slow
def test_e_interpolation_is_straight_in_theta():
    """The e-geodesic (alpha = 1) of an exponential family is the segment in theta (Amari and
    Nagaoka 2000, Section 3.3): theta(gamma(t)) = (1 - t) theta(x) + t theta(y).
    """
    K = Normal().numeric
    x, y = np.array([0.0, 1.0]), np.array([2.0, 1.5])
    ts = np.array([0.25, 0.5, 0.75])
    path = K.interpolate(x, y, ts, alpha=1.0)
    expected = (1 - ts[:, None]) * K.natural(x) + ts[:, None] * K.natural(y)
    assert np.allclose(K.natural(path), expected, rtol=1e-9)


def normal_kl(p, q):
    """KL(N(m1, s1^2) || N(m2, s2^2)), the textbook closed form."""
    (m1, s1), (m2, s2) = p, q
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def gamma_kl(p, q):
    """KL(Gamma(a1, rate b1) || Gamma(a2, rate b2)) (Penny 2001, "KL-divergences of Normal,
    Gamma, Dirichlet and Wishart densities", eq. (6)).
    """
    from scipy.special import digamma, gammaln

    (a1, b1), (a2, b2) = p, q
    return ((a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2) + a2 * (math.log(b1) - math.log(b2))
            + a1 * (b2 - b1) / b1)


@pytest.mark.parametrize("family,kl,points", [
    (Normal, normal_kl, NORMAL_POINTS),
    (Gamma, gamma_kl, np.array([[0.7, 1.0], [2.0, 0.5], [4.0, 3.0]])),
])
def test_sided_bregman_centroids_minimise_the_sided_kl(family, kl, points):
    """right: argmin_c sum w KL(p_i || c); left: argmin_c sum w KL(c || p_i) (Nielsen and
    Nock 2009, Section 4), checked by minimising the textbook KL with scipy.
    """
    K = family().numeric
    w = np.linspace(1.0, 2.0, len(points))
    w /= w.sum()
    for side, objective in (("right", lambda c: sum(wi * kl(p, c) for wi, p in zip(w, points, strict=True))),
                            ("left", lambda c: sum(wi * kl(c, p) for wi, p in zip(w, points, strict=True)))):
        c = K.bregman_centroid(points, w, side=side)
        best = scipy.optimize.minimize(lambda z, f=objective: f([z[0], math.exp(z[1])] if family is Normal
                                                                else np.exp(z)),
                                       [c[0] if family is Normal else math.log(c[0]), math.log(c[1])],
                                       method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-16})
        assert objective(c) <= best.fun + 1e-12, side
        found = [best.x[0], math.exp(best.x[1])] if family is Normal else np.exp(best.x)
        assert np.allclose(c, found, rtol=1e-5), side


def test_right_centroid_of_the_normal_matches_the_moments():
    """The right-sided KL centroid of a mixture's components is its moment-matching Normal."""
    c = Normal().numeric.bregman_centroid(NORMAL_POINTS, NORMAL_WEIGHTS, side="right")
    mean = NORMAL_WEIGHTS @ NORMAL_POINTS[:, 0]
    second = NORMAL_WEIGHTS @ (NORMAL_POINTS[:, 1] ** 2 + NORMAL_POINTS[:, 0] ** 2)
    assert np.allclose(c, [mean, math.sqrt(second - mean**2)], rtol=1e-13)


def test_centroids_of_a_one_parameter_family():
    """Poisson: eta = lam (arithmetic mean), theta = log lam (geometric mean)."""
    K = Poisson().numeric
    lam = np.array([[1.0], [4.0], [2.0]])
    assert np.allclose(K.bregman_centroid(lam, side="right"), [7 / 3], rtol=1e-14)
    assert np.allclose(K.bregman_centroid(lam, side="left"), [2.0], rtol=1e-14)


def test_bad_input_is_refused():
    K = Normal().numeric
    with pytest.raises(DomainError, match="sigma"):
        K.frechet_mean([[0.0, 1.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="weights must have shape"):
        K.frechet_mean(NORMAL_POINTS, [1.0, 2.0])
    with pytest.raises(DomainError, match="weights must be >= 0"):
        K.frechet_mean(NORMAL_POINTS, [1.0, -1.0, 1.0, 1.0])
    with pytest.raises(DomainError, match="positive sum"):
        mean_weights([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="side must be"):
        K.bregman_centroid(NORMAL_POINTS, side="middle")
    with pytest.raises(ValueError, match="not an exponential family"):
        from manifolds import Cauchy

        Cauchy().numeric.bregman_centroid([[0.0, 1.0]])
    with pytest.raises(ValueError, match="points must have shape"):
        K.frechet_mean([0.0, 1.0])
    with pytest.raises(DomainError, match="tol must be > 0"):
        K.frechet_mean(NORMAL_POINTS, tol=-1.0)
    with pytest.raises(DomainError, match="step must be in"):
        K.frechet_mean(NORMAL_POINTS, step=2.0)
    with pytest.raises(DomainError, match="max_iterations"):
        K.frechet_mean(NORMAL_POINTS, max_iterations=0)
    with pytest.raises(DomainError, match="weights"):
        K.frechet_mean(NORMAL_POINTS, [1.0, float("nan"), 1.0, 1.0])
    with pytest.raises(DomainError, match="x0: sigma"):
        K.frechet_mean(NORMAL_POINTS, x0=[0.0, -1.0])
    with pytest.raises(TypeError, match="points"):
        K.frechet_mean("0.5")
    with pytest.raises(ValueError, match="t must be a number or a 1-d array"):
        K.interpolate([0.0, 1.0], [1.0, 1.0], [[0.5]])
    with pytest.raises(DomainError, match="sigma"):
        K.bregman_centroid([[0.0, 1.0], [0.0, 0.0]])


def test_failures_are_reported_with_a_status():
    """A log map that fails gives LOG_FAILED; too few iterations MAX_ITERATIONS; throw raises."""
    P = np.array([[0.0, 0.0], [4.0, 2.0]])
    exp = lambda x, v: x + v  # noqa: E731
    metric = lambda x: np.eye(2)  # noqa: E731

    def failing_log(X, Y):
        return np.full(X.shape, np.nan)

    w = np.array([0.5, 0.5])
    r = karcher_mean(exp, failing_log, metric, P, w, np.zeros(2))
    assert r.status == MeanStatus.LOG_FAILED and not r.ok and "log map" in r.message
    with pytest.raises(OptimizationError, match="LOG_FAILED"):
        karcher_mean(exp, failing_log, metric, P, w, np.zeros(2), throw=True)
    # a first half step halves the gradient; then the Barzilai-Borwein step measures the
    # Hessian (the identity) and takes the full step to the mean
    r = karcher_mean(exp, lambda X, Y: Y - X, metric, P, w, np.zeros(2), step=0.5, max_iterations=1)
    assert r.status == MeanStatus.MAX_ITERATIONS and r.iterations == 1
    assert math.isclose(r.gradient_norm, math.hypot(2, 1) / 2, rel_tol=1e-12)
    r = karcher_mean(exp, lambda X, Y: Y - X, metric, P, w, np.zeros(2), step=0.5, max_iterations=2)
    assert r.status == MeanStatus.SUCCESS and r.iterations == 2 and r.x.tolist() == [2.0, 1.0]

    def leaving_exp(x, v):
        raise ValueError("outside")

    r = karcher_mean(leaving_exp, lambda X, Y: Y - X, metric, P, w, np.zeros(2))
    assert r.status == MeanStatus.EXP_FAILED
    r = karcher_mean(exp, lambda X, Y: Y - X, lambda x: np.full((2, 2), np.inf), P, w, np.zeros(2))
    assert r.status == MeanStatus.NON_FINITE and r.gradient_norm == np.inf


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Beta", "VonMises", "MultivariateNormal"])
def test_centroids_average_the_dual_coordinates(name):
    """The defining identities eta(right) = mean eta and theta(left) = mean theta, for
    families whose eta has no declared inverse (Newton's method on grad F = eta: Beta, von
    Mises) and for a 5-dimensional one.
    """
    import manifolds

    M = getattr(manifolds, name)()
    K = M.numeric
    rng = np.random.default_rng(1)
    P = np.array([M.random_point(rng) for _ in range(4)], dtype=float).reshape(4, -1)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    right = K.bregman_centroid(P, w, side="right")
    left = K.bregman_centroid(P, w, side="left")
    assert np.allclose(K.expectation(right), w @ K.expectation(P), rtol=1e-9)
    assert np.allclose(K.natural(left), w @ K.natural(P), rtol=1e-9)
