"""The numeric route of a manifold (manifolds.quadrature): geodesics, distances and the
optimisers run unchanged on metrics and Christoffel symbols computed by quadrature.
"""
import numpy as np
import pytest

from manifolds import Gamma, Normal, Poisson
from manifolds.numerics import NumericManifold
from manifolds.quadrature import QuadratureManifold


def test_method_selects_the_route():
    M = Normal()
    assert type(M.numeric_geometry("exact")) is NumericManifold
    assert type(M.numeric_geometry("auto")) is NumericManifold   # the exact metric exists
    K = M.numeric_geometry("numeric", tol=1e-10)
    assert isinstance(K, QuadratureManifold) and K.tol == 1e-10
    assert M.numeric_geometry("numeric", tol=1e-10) is K
    # one compiled module for every tolerance: the tolerance is an argument of the quadrature
    assert M.numeric_geometry("numeric").engine._module is K.engine._module


@pytest.mark.slow
def test_normal_distance_and_geodesic_by_quadrature():
    # independent reference: the closed-form Fisher-Rao distance of the Normal family
    # (Atkinson & Mitchell 1981, Sankhya A 43, eq. 3.9; manifolds.catalog declares it)
    M = Normal()
    K = M.numeric_geometry("numeric")
    x = np.array([[0.0, 1.0], [0.5, 2.0]])
    y = np.array([[1.0, 2.0], [-1.0, 0.7]])
    exact = M.numeric.distance(x, y, method="closed_form")
    assert np.allclose(K.distance(x, y), exact, rtol=1e-9, atol=0)
    # the speed g(v, v) is conserved along a geodesic of the Levi-Civita connection
    sol = K.geodesic([0.0, 1.0], [0.7, -0.4], 1.0, t_eval=5)
    speeds = np.einsum("ti,tij,tj->t", sol.v, K.metric(sol.x), sol.v)
    assert np.ptp(speeds) <= 1e-9 * speeds[0]


def test_fisher_scoring_on_the_numeric_route():
    # the maximum-likelihood estimate of a Poisson mean is the sample mean
    K = Poisson().numeric_geometry("numeric")
    result = K.fisher_scoring([[1.0], [2.0], [6.0]], [1.0])
    assert abs(result.x[0] - 3.0) < 1e-9


def test_natural_gradient_on_the_numeric_route():
    # loss (lam - 2)^2: the natural-gradient step is g^-1 grad = lam (2 (lam - 2)), so with
    # lr 1/4 from lam = 1: lam_1 = 1 - (1/4) * 1 * 2 * (1 - 2) = 1.5 (the metric is 1/lam)
    K = Poisson().numeric_geometry("numeric")
    path = K.natural_gradient_descent(lambda x: 2 * (x - 2.0), [1.0], 0.25, 1)
    assert abs(path.x[0] - 1.5) < 1e-11


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_scalar_curvature_of_the_normal_family(alpha):
    # the Normal family with the Fisher metric is a hyperbolic plane of Gaussian curvature
    # -1/2 (Costa, Santos & Strapasson 2015, Discrete Appl. Math. 197, Section 3), so R = 2K = -1;
    # its alpha-curvature is R = -(1 - alpha^2) (docs/conventions.md; Amari & Nagaoka 2000,
    # Methods of Information Geometry, Section 2.3); the numeric route takes it from
    # expectations of the exact third derivatives of log p
    K = Normal().numeric_geometry("numeric")
    points = np.array([[0.0, 1.0], [1.3, 0.4], [-2.0, 3.5]])
    R = K.scalar_curvature(points, alpha=alpha)
    assert np.allclose(R, -(1 - alpha**2), rtol=1e-7, atol=0)   # moments to 1e-9
    est = K.scalar_curvature_estimate(points[:1], alpha=alpha)
    assert est.ok and np.all(est.error < 1e-7) and np.all(np.abs(est.value + 1 - alpha**2) <= est.error + 1e-12)
    # Riemann's symmetries: R^i_jkl = -R^i_jlk; for alpha = 0 also R_ijkl = -R_jikl
    riemann = K.riemann(points, alpha=alpha)
    assert np.allclose(riemann, -np.swapaxes(riemann, -1, -2), rtol=0, atol=1e-9 * np.abs(riemann).max())
    if alpha == 0.0:
        lowered = np.einsum("...im,...mjkl->...ijkl", K.metric(points), riemann)
        assert np.allclose(lowered, -np.swapaxes(lowered, -3, -4), rtol=0, atol=1e-7 * np.abs(lowered).max())


@pytest.mark.slow
def test_scalar_curvature_of_the_gamma_family_matches_the_exact_layer():
    # an independent derivation: sympy's exact scalar curvature (polygammas) at 30 digits
    M = Gamma()
    K = M.numeric_geometry("numeric")
    points = np.array([[0.7, 1.5], [2.5, 0.3]])
    expr = M.scalar_curvature()
    exact = [float(expr.subs(dict(zip(M.coordinates, p, strict=True))).evalf(30)) for p in points]
    assert np.allclose(K.scalar_curvature(points), exact, rtol=1e-6, atol=0)


@pytest.mark.slow
def test_numeric_falls_back_to_quadrature_when_the_budget_runs_out():
    # Weibull(k, lam): sympy's integrator does not find its metric within the budget; the
    # numeric layer then takes the quadrature route (with a warning) instead of failing.
    # Reference: the closed form of Johnson, Kotz & Balakrishnan (1994), ch. 21, eq. 21.49.
    from benchmarks.own_models import weibull
    from symbolic import budget

    M = weibull()
    old = budget.set_default_budget(1)
    try:
        with pytest.warns(RuntimeWarning, match="continues by quadrature"):
            g = M.numeric.metric([1.7, 2.3])
        assert M.numeric.route == "numeric"
        euler = 0.5772156649015329
        assert abs(g[0, 0] - ((1 - euler) ** 2 + np.pi**2 / 6) / 1.7**2) < 1e-12
        assert abs(g[1, 1] - 1.7**2 / 2.3**2) < 1e-12
        # the geodesics too: the solver comes from the quadrature route, without a second wait
        sol = M.numeric.geodesic([1.7, 2.3], [0.3, -0.2], 1.0, t_eval=3)
        speeds = np.einsum("ti,tij,tj->t", sol.v, M.numeric.metric(sol.x), sol.v)
        assert np.ptp(speeds) <= 1e-9 * speeds[0]
    finally:
        budget.set_default_budget(old)


@pytest.mark.slow
def test_mixture_geodesic_and_distance_match_the_mpmath_reference():
    # the reference: the geodesic of (1 - w) N(0, 1) + w N(m, 1) from X0 with velocity V0,
    # its Christoffel symbols from scipy's quad_vec of hand-written derivatives of the density
    # (no sympy, no map, no rule of ours), integrated by scipy's DOP853 at rtol 1e-13
    # (benchmarks/any_density.py, reference_geodesic, pinned there); its field is certified
    # here against 30-digit mpmath quadrature at X0. The distance from X0 to the end point is
    # the geodesic's length sqrt(g(X0)(V0, V0)) (a short geodesic is minimising).
    from benchmarks.any_density import REFERENCE_END, REFERENCE_SPEED, V0, X0, mixture_moments
    from benchmarks.own_models import two_component_mixture

    K = two_component_mixture().numeric_geometry("numeric")
    ref = K.reference(dps=30)
    g, first = mixture_moments(X0)
    g30 = np.array(ref.metric(X0), dtype=float)
    first30 = np.array(ref.christoffel_first(X0), dtype=float)
    assert np.abs(g - g30).max() <= 1e-12 * np.abs(g30).max()
    assert np.abs(first - first30).max() <= 1e-12 * np.abs(first30).max()
    # every point converges: no integrand overflows where the density is not zero (the
    # score of the mixture put over one denominator was inf/inf beyond |u| = 27)
    points = np.random.default_rng(0).uniform([0.05, -2.0], [0.95, 2.0], size=(50, 2))
    assert K.metric_estimate(points).ok and K.christoffel_estimate(points).ok
    end = np.array(REFERENCE_END)
    x1 = K.exp(X0, V0)
    assert np.abs(x1 - end[:2]).max() <= 1e-8 * np.abs(end[:2]).max()
    sol = K.geodesic(X0, V0, 1.0, rtol=1e-12)
    assert np.abs(sol.v[-1] - end[2:]).max() <= 1e-8 * np.abs(end[2:]).max()
    d = float(K.distance(X0, end[:2]))
    assert abs(d - REFERENCE_SPEED) <= 1e-8 * REFERENCE_SPEED
    # what the quadrature adds to the end point (integrated again with a 10 times smaller
    # tolerance, the same compiled module) is far below the agreement required
    added = K.geodesic_error(X0, V0)
    assert np.all(added <= 1e-10)


@pytest.mark.slow
def test_mixture_exp_and_distance_match_the_mpmath_geodesic_reference():
    # the reference mode of the numeric route (K.reference(): Christoffel symbols from
    # mpmath quadratures of the exact score derivatives, Gragg-Bulirsch-Stoer extrapolation,
    # Newton shooting; numeric/quadrature/reference.py) at 10 digits, which suffice for a
    # 1e-8 comparison: each integrator step to 1e-12, each moment to 1e-15, the log map's
    # residual below 1e-11 (about 25 s: each field is one quadrature pass). Nothing is
    # shared with the compiled route but the model.
    from benchmarks.any_density import REFERENCE_END, REFERENCE_SPEED, V0, X0
    from benchmarks.own_models import two_component_mixture

    K = two_component_mixture().numeric_geometry("numeric")
    ref = K.reference(dps=10)
    end = np.array(ref.exp(X0, V0), dtype=float)
    assert np.abs(K.exp(X0, V0) - end).max() <= 1e-8 * np.abs(end).max()
    # and the scipy reference pinned in benchmarks/any_density.py (quad_vec + DOP853,
    # independent of both) agrees with this one far below that
    assert np.abs(end - np.array(REFERENCE_END[:2])).max() <= 1e-10
    # the distance to the end point: shot by the reference's Newton iteration from the
    # compiled log map (which already lands within its residual, so no step is needed);
    # a short geodesic is minimising, so it is the geodesic's length sqrt(g(X0)(V0, V0))
    guess = K.log(X0, end)
    d = float(ref.distance(X0, end, guess=guess))
    assert abs(float(K.distance(X0, end)) - d) <= 1e-8 * d
    assert abs(d - REFERENCE_SPEED) <= 1e-10 * d
