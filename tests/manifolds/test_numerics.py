"""manifolds.numerics: compiled kernels, geodesics, exp/log, distances of M.numeric.

Compilation dominates the cost, so few families are integrated numerically (Normal, Beta,
Poisson; their modules are shared with tests/test_shooting.py through the disk cache), each
solver fetched once per module. Closed forms of the other families are checked against the
mpmath reference integrator, which compiles nothing: for a short initial velocity v,
d(x, exp_x(v)) = sqrt(g_x(v, v)) (these metrics have non-positive curvature, or are
checked well inside the injectivity radius).
"""
import os

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from manifolds import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    DomainError,
    Exponential,
    Gamma,
    Geometric,
    InverseGaussian,
    Laplace,
    LogNormal,
    Normal,
    NormalMean,
    Poisson,
    StudentT,
)
from manifolds.catalog import TYPICAL_CONSTANTS
from numeric.geodesics.integrate import IntegrationError, IntegrationStatus
from numeric.geodesics.shooting import ShootingError
from tests import support
from tests.support import examples

REPO = str(support.REPO)


@pytest.fixture(scope="module")
def normal():
    return Normal().numeric


@pytest.fixture(scope="module")
def beta():
    return Beta().numeric


@pytest.fixture(scope="module")
def poisson():
    return Poisson().numeric


def random_points(M, count, seed):
    rng = np.random.default_rng(seed)
    return np.array([M.random_point(rng) for _ in range(count)])


def symbolic_at(expr, coords, point, constants=None):
    subs = dict(zip(coords, point, strict=True))
    subs.update(constants or {})
    arr = sympy.Array(expr).subs(subs)
    return np.array([float(sympy.N(e, 20)) for e in arr.reshape(len(arr))],
                    dtype=float).reshape(arr.shape)


def bound(make):
    """``make()`` with its symbolic constants (n of Binomial()) bound to the catalog's typical values."""
    M = make()
    return M.with_constants(**TYPICAL_CONSTANTS.get(type(M).__name__, {}))


# -- kernels = symbolic expressions ------------------------------------------------------
@pytest.mark.parametrize("make", [Normal, Beta, Gamma, Binomial])
def test_metric_kernels_match_symbolic(make):
    M = bound(make)
    K = M.numeric
    for point in random_points(M, 3, 0):
        expected = symbolic_at(M.fisher_metric(), M.coordinates, point, M.model.constants)
        np.testing.assert_allclose(K.metric(point), expected, rtol=1e-12)
        np.testing.assert_allclose(K.inverse_metric(point) @ expected, np.eye(M.dim), atol=1e-12)


@pytest.mark.slow
@examples(15)
@given(a=st.floats(0.05, 30), b=st.floats(0.05, 30))
def test_beta_christoffel_matches_symbolic(beta, a, b):
    M = beta.manifold
    expected = symbolic_at(M.christoffel(kind=2), M.coordinates, [a, b])
    np.testing.assert_allclose(beta.christoffel([a, b]), expected, rtol=1e-10, atol=1e-12)


def test_alpha_christoffel_is_a_parameter(normal):
    M = normal.manifold
    x = [0.3, 1.7]
    for alpha in (0.5, -1.0, 1.0):
        expected = symbolic_at(M.alpha_connection(alpha, kind=2), M.coordinates, x)
        np.testing.assert_allclose(normal.christoffel(x, alpha=alpha), expected, rtol=1e-12,
                                   atol=1e-14)
    np.testing.assert_allclose(normal.christoffel(x, alpha=0.0),
                               symbolic_at(M.christoffel(kind=2), M.coordinates, x), rtol=1e-12)


def test_solvers_are_cached_on_the_instance_and_freed_with_it():
    # A class-level lru_cache on the method would hold every NumericManifold alive.
    import gc
    import weakref

    K = Normal().numeric
    solver = K._solver(False)
    assert K._solver(False) is solver and K._solver(0) is solver
    assert K._solver(True) is not solver
    ref = weakref.ref(K)
    del K, solver
    gc.collect()
    assert ref() is None


def test_log_density_and_score(normal):
    x = np.array([[0.5, 2.0], [1.0, 0.5]])
    data = np.array([1.5, -0.2])
    mu, s = x.T
    expected = -0.5 * np.log(2 * np.pi) - np.log(s) - (data - mu) ** 2 / (2 * s**2)
    np.testing.assert_allclose(normal.log_density(x, data), expected, rtol=1e-13)
    score = np.column_stack([(data - mu) / s**2, -1 / s + (data - mu) ** 2 / s**3])
    np.testing.assert_allclose(normal.score(x, data), score, rtol=1e-13)


# -- geodesics ---------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["normal", "beta"])
def test_speed_is_conserved(request, which):
    K = request.getfixturevalue(which)
    x0 = random_points(K.manifold, 20, 3)
    rng = np.random.default_rng(4)
    v0 = rng.normal(size=x0.shape) * x0 * 0.4
    sol = K.geodesic(x0, v0, 1.0, t_eval=11, rtol=1e-12, atol=1e-14)
    assert sol.ok, sol.message
    g = K.metric(sol.x)
    s2 = np.einsum("...i,...ij,...j->...", sol.v, g, sol.v)
    np.testing.assert_allclose(s2, s2[:, :1] * np.ones(11), rtol=1e-10)


@pytest.mark.parametrize("which", ["normal", "beta"])
def test_exp_log_round_trip(request, which):
    K = request.getfixturevalue(which)
    x = random_points(K.manifold, 30, 5)
    y = random_points(K.manifold, 30, 6)
    v = K.log(x, y)
    np.testing.assert_allclose(K.exp(x, v), y, rtol=1e-9, atol=1e-12)
    # and log(exp(x, v)) = v for the velocities found
    np.testing.assert_allclose(K.log(x, K.exp(x, v)), v, rtol=1e-7, atol=1e-9)


def test_normal_numerical_distance_is_closed_form(normal):
    x = random_points(normal.manifold, 40, 7)
    y = random_points(normal.manifold, 40, 8)
    closed = normal.distance(x, y)
    np.testing.assert_allclose(normal.distance(x, y, method="numerical"), closed, rtol=1e-9)


def test_poisson_numerical_distance_is_closed_form(poisson):
    x = np.array([[0.2], [1.0], [7.0]])
    y = np.array([[5.0], [1.5], [0.1]])
    expected = 2 * np.abs(np.sqrt(x[:, 0]) - np.sqrt(y[:, 0]))
    np.testing.assert_allclose(poisson.distance(x, y), expected, rtol=1e-15)
    np.testing.assert_allclose(poisson.distance(x, y, method="numerical"), expected, rtol=1e-9)


# Reference value, 21 digits agreeing at 20 and 30 working digits:
#   K = Beta().numeric; v = K.log([1, 10], [10, 1])
#   K.reference(30).distance([1, 10], [10, 1], guess=v)   # 4.25864777325634699918...
BETA_FAR = 4.258647773256346999180


def test_beta_far_distance_matches_reference(beta):
    d = float(beta.distance([1.0, 10.0], [10.0, 1.0]))
    assert abs(d - BETA_FAR) / BETA_FAR < 1e-9
    assert beta.closed_form_distance is None


def test_reference_certifies_fast_path(normal):
    # The Normal's Christoffel symbols are rational: the mpmath reference is quick here.
    ref = normal.reference(dps=25)
    x, y = [0.2, 0.7], [1.5, 1.9]
    v = normal.log(x, y)
    d_ref = ref.distance(x, y, guess=v)
    assert abs(float(normal.distance(x, y, method="numerical")) - float(d_ref)) < 1e-12 * float(d_ref)
    assert abs(d_ref - mpmath.mpf(float(normal.distance(x, y)))) < 1e-14


# -- closed forms against the reference integrator ------------------------------------------
CLOSED = [
    (Poisson, [2.0], [0.7]), (Exponential, [1.5], [-0.9]), (Bernoulli, [0.3], [0.2]),
    (Binomial, [0.6], [-0.05]), (Geometric, [0.4], [0.3]), (NormalMean, [0.4], [1.1]),
    (Laplace, [0.4], [-2.0]), (LogNormal, [0.3, 0.8], [0.6, -0.4]),
    (Cauchy, [0.3, 0.8], [0.4, 0.3]), (StudentT, [0.3, 0.8], [-0.5, 0.3]),
    (InverseGaussian, [1.3, 2.0], [0.5, -1.0]), (Categorical, [0.2, 0.3], [0.3, -0.2]),
]


@pytest.mark.parametrize("make, x, v", CLOSED, ids=[c[0].__name__ for c in CLOSED])
def test_closed_form_distance_against_reference_geodesic(make, x, v):
    M = bound(make)
    K = M.numeric
    f = K.closed_form_distance
    assert f is not None
    ref = K.reference(dps=20)
    y = np.array([float(c) for c in ref.exp(x, v)])
    g = K.metric(x)
    expected = np.sqrt(np.asarray(v) @ g @ np.asarray(v))
    np.testing.assert_allclose(f(np.array(x), y), expected, rtol=1e-12)
    np.testing.assert_allclose(K.distance(x, y), expected, rtol=1e-12)


# -- e- and m-geodesics ----------------------------------------------------------------------
@pytest.mark.parametrize("alpha, straight", [(1.0, "e_geodesic"), (-1.0, "m_geodesic")])
def test_e_and_m_geodesics_are_straight(normal, alpha, straight):
    x0 = np.array([[0.3, 1.2], [-1.0, 0.6]])
    v0 = np.array([[0.4, 0.2], [0.1, -0.1]])
    sol = normal.geodesic(x0, v0, 1.0, alpha=alpha, t_eval=6, rtol=1e-12, atol=1e-14)
    assert sol.ok, sol.message
    line = getattr(normal, straight)(x0, v0, sol.t)
    chart = normal.natural if alpha == 1.0 else normal.expectation
    np.testing.assert_allclose(chart(sol.x), line, rtol=1e-10, atol=1e-12)


# -- bad input ----------------------------------------------------------------------------------
def test_domain_errors_name_the_parameter(normal):
    with pytest.raises(DomainError, match=r"x\[1\]: sigma must be > 0, got -1.0"):
        normal.metric([[0.0, 1.0], [0.0, -1.0]])
    with pytest.raises(DomainError, match="sigma must be > 0"):
        normal.distance([0.0, 1.0], [0.0, 0.0])
    with pytest.raises(DomainError, match=r"y: sigma must be > 0"):
        normal.log([0.0, 1.0], [0.0, -2.0])
    with pytest.raises(ValueError, match="must be finite"):
        normal.geodesic([0.0, np.nan], [1.0, 0.0])
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        normal.exp([0.0, 1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="alpha must be a real number"):
        normal.christoffel([0.0, 1.0], alpha="e")
    with pytest.raises(ValueError, match="method must be"):
        normal.distance([0.0, 1.0], [0.0, 2.0], method="fast")
    with pytest.raises(DomainError, match="violates the constraint p3 = 1 - p1"):
        Categorical(3).numeric.validate([0.5, 0.6])


def test_leaving_the_domain_is_reported(normal):
    # the m-geodesic (alpha = -1) is straight in eta = (mu, mu^2 + sigma^2): from (0, 1) with
    # velocity (1, 0), eta(t) = (t, 1), so sigma^2 = 1 - t^2 reaches 0 at t = 1, where
    # sigma' is infinite: the integrator stops there (at the boundary or with a step size
    # below the resolution of t) and says so
    sol = normal.geodesic([0.0, 1.0], [1.0, 0.0], 2.0, alpha=-1.0)
    assert sol.status in (IntegrationStatus.LEFT_DOMAIN, IntegrationStatus.STEP_SIZE_TOO_SMALL)
    assert abs(sol.t_stop - 1.0) < 1e-6 and np.isnan(sol.x[-1]).all()
    with pytest.raises(IntegrationError, match="t_stop = 0.5"):
        normal.exp([0.0, 1.0], [2.0, 0.0], alpha=-1.0)


def test_unconverged_log_raises_or_is_flagged(beta):
    with pytest.raises(ShootingError, match="NOT_CONVERGED"):
        beta.log([1.0, 10.0], [10.0, 1.0], max_rounds=2)
    v = beta.log([[1.0, 10.0], [2.0, 2.0]], [[10.0, 1.0], [2.5, 2.0]], max_rounds=2, throw=False)
    assert np.isnan(v[0]).all()
    full = beta.log([1.0, 10.0], [10.0, 1.0], max_rounds=2, throw=False, full_output=True)
    assert not full.ok and "NOT_CONVERGED" in full.message


def test_no_closed_form_for_beta_method(beta):
    with pytest.raises(ValueError, match="no closed-form distance"):
        beta.distance([1.0, 2.0], [2.0, 1.0], method="closed_form")


@pytest.mark.slow
def test_tour_geodesics(tmp_path, normal, beta, poisson):
    path = support.load_example("geodesics").tour_geodesics(str(tmp_path), n_rays=4, verbose=False)
    assert os.path.getsize(path) > 1000


# -- angles (issue 10, long fuzz run: a von Mises log map asked for mu 8.2 rad apart ran for
# 20 s and failed; the copy of the second point 2 pi closer converged in 8 iterations) ---------
def test_von_mises_log_goes_to_the_nearest_copy_of_the_angle():
    from manifolds import VonMises

    N = VonMises().numeric
    x = np.array([-2.4753803536603702, 3.7782327399705107])
    y = np.array([5.693463522459959, 2.336554250849784])
    copies = np.array([y + [2 * np.pi * k, 0.0] for k in (-2, -1, 0, 1)])
    V = N.log(np.broadcast_to(x, copies.shape), copies)
    assert np.isfinite(V).all()
    np.testing.assert_allclose(V, np.broadcast_to(V[0], V.shape), rtol=1e-9, atol=1e-12)
    end = N.exp(x, V[0])
    turns = (end[0] - y[0]) / (2 * np.pi)
    assert abs(turns - round(turns)) < 1e-9 and abs(end[1] - y[1]) < 1e-9 * y[1]
    # the speed is conserved along the geodesic, and the distance is symmetric
    d_xy, d_yx = N.distance(x, y), N.distance(y, x)
    assert d_xy == pytest.approx(d_yx, rel=1e-9)
    sol = N.geodesic(x, V[0], 1.0, t_eval=np.linspace(0, 1, 5))
    speeds = [float(v @ N.metric(p) @ v) for p, v in zip(sol.x, sol.v, strict=True)]
    np.testing.assert_allclose(speeds, speeds[0], rtol=1e-9)
    assert np.sqrt(speeds[0]) == pytest.approx(d_xy, rel=1e-12)


def test_von_mises_log_converges_over_the_far_box_from_its_guess():
    # issue 15: the family's first guess (numeric.geodesics.guesses.von_mises_log_guess, a
    # plane of constant curvature in geodesic polar coordinates about the uniform law) on
    # the far box of benchmarks/scale.py, its corners, half a turn apart and near the uniform
    # law: every log map converges, exp_x(log_x(y)) = y (integrated in the natural chart
    # theta = kappa (cos mu, sin mu), where geodesics through kappa = 0 stay), the guess is
    # near the converged log map, and Newton's method takes fewer integrations than from the
    # large-kappa (wrapped normal) guess
    from manifolds import VonMises
    from numeric.geodesics.guesses import von_mises_log_guess, von_mises_wrapped_normal_guess

    M = VonMises()
    N = M.numeric
    rng = np.random.default_rng(15)
    x = np.column_stack([rng.uniform(-3.6, 3.6, 16), rng.uniform(0.5, 10.0, 16)])
    y = np.column_stack([rng.uniform(-3.6, 3.6, 16), rng.uniform(0.5, 10.0, 16)])
    x = np.concatenate([x, [[0.0, 0.5], [0.0, 10.0], [-3.6, 0.5], [1.0, 0.05], [1.0, 3.0]]])
    y = np.concatenate([y, [[3.6, 10.0], [np.pi, 10.0], [3.6, 0.5], [1.0 + np.pi, 0.08], [1.0, 9.0]]])
    r = N.log(x, y, full_output=True)
    assert r.ok, r.message
    jacobian = N._dual_kernels["natural_jacobian"]
    end = M.in_chart("natural").numeric.exp(N.natural(x), np.einsum("mij,mj->mi", jacobian(x), r.v))
    np.testing.assert_allclose(end, N.natural(y), rtol=0, atol=1e-8 * np.abs(N.natural(y)).max())
    g = N.metric(x)

    def norm(w):
        return np.sqrt(np.einsum("mi,mij,mj->m", w, g, w))

    error = norm(von_mises_log_guess(x, N.nearest_copy(x, y)) - r.v) / norm(r.v)
    assert np.median(error) < 0.05 and error.max() < 0.2, error
    try:
        M.shooting_guess = von_mises_wrapped_normal_guess
        old = N.log(x, y, full_output=True)
    finally:
        del M.shooting_guess
    assert old.ok
    np.testing.assert_allclose(r.v, old.v, rtol=1e-8, atol=1e-8 * np.abs(old.v).max())
    assert r.iterations.sum() < old.iterations.sum(), (r.iterations.sum(), old.iterations.sum())
