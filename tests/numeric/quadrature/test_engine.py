"""The numeric route against the exact geometry of every catalog family, and against 30-digit
mpmath quadrature for models with no closed form (Weibull, a two-component mixture, a
truncated normal, a bivariate normal in its correlation).

Checks (docs/conventions.md for the index orders): metric, Christoffel symbols of the first
kind and Amari-Chentsov tensor to 1e-10 relative to the largest entry of each, at seeded
random points of the typical range; the error estimates bracket the true error in at least
95% of the entries; E[1] = 1. One compiled module per family (cached on disk, so a second
run loads it); the sweep is marked slow.
"""
import os

import mpmath
import numpy as np
import pytest
import sympy as sp

from benchmarks.own_models import bivariate_normal_rho, truncated_normal, two_component_mixture, weibull
from manifolds import CATALOG, StatisticalManifold
from symbolic.model import SampleSpace, StatisticalModel, parameter
from tests.catalog_points import build

#: One family per kind of sample space in CI (finite, integers, the line, the half line, an
#: interval): a cold compile of one family's engine takes from 20 s to several minutes on two
#: cores. ``INFOGEOM_FULL_SWEEP=1`` runs every catalog family (the long run of the README).
CI_SWEEP = ["Bernoulli", "Poisson", "Normal", "Gamma", "Beta"]
NAMES = [name for name, _, _ in CATALOG] if os.environ.get("INFOGEOM_FULL_SWEEP") == "1" else CI_SWEEP


def _exact(M, point):
    subs = dict(zip(M.coordinates, point, strict=True)) | dict(M.model.constants)

    def value(expr):
        return np.array(sp.Array(expr).subs(subs).applyfunc(lambda e: e.evalf(30)).tolist(), dtype=float)

    return value(M.fisher_metric()), value(M.christoffel(kind=1)), value(M.amari_chentsov())


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_catalog_family_matches_exact(name):
    """Every catalog family: one level-1 pass of the engine gives the metric, the Christoffel
    symbols of the first kind and the Amari-Chentsov tensor; each within 1e-10 of the exact
    expression (the exact layer, evaluated at 30 digits) relative to its largest entry.
    """
    M = build(name)
    K = M.numeric_geometry("numeric")
    rng = np.random.default_rng(14)
    points = np.array([M.random_point(rng) for _ in range(3)])
    g = K.metric_estimate(points)
    T = K.amari_chentsov_estimate(points)
    if K.engine.singular:
        # Laplace: |x - mu| has a kink, its second derivative a DiracDelta; the connection is
        # refused with a message, the metric and T are compared below
        assert name == "Laplace"
        with pytest.raises(ValueError, match="kink"):
            K.christoffel_estimate(points, kind=1)
        gamma = None
    else:
        gamma = K.christoffel_estimate(points, kind=1)
    mass = K.engine.mass(points)
    assert g.ok and T.ok and (gamma is None or gamma.ok), g.message
    assert np.all(np.abs(mass.value - 1) <= 1e-12)
    inside = total = 0
    for b, point in enumerate(points):
        for estimate, exact in zip((g, gamma, T), _exact(M, point), strict=True):
            if estimate is None:
                continue
            # a tensor that vanishes identically (T of a location family in some entries,
            # all of T for none) is measured against the metric's scale, as the engine does
            scale = max(np.abs(exact).max(), np.abs(g.value[b]).max() ** (exact.ndim / 2))
            error = np.abs(estimate.value[b] - exact)
            assert error.max() <= 1e-10 * scale, (name, point, error.max() / scale)
            # an estimate brackets the error if it is at least the error (up to the rounding
            # of the exact value's float64 conversion, 2 ulp of the scale)
            inside += int(np.sum(error <= estimate.error[b] + 4e-16 * scale))
            total += error.size
    if K.engine.singular:
        # the kink at x = mu sits a rounding away from a panel boundary (the mode-finder
        # converges to it without a Hessian): the sliver of the wrong sign between them is seen
        # by no node, so neither rule sees it and the estimate misses T's 1e-11 (relative)
        # error; the accuracy above holds
        return
    assert inside >= 0.95 * total, (inside, total)


@pytest.mark.slow
@pytest.mark.parametrize("make,point", [(weibull, [1.7, 2.3]), (two_component_mixture, [0.3, 1.5]),
                                        (truncated_normal, [0.4, 0.8])])
def test_metric_matches_30_digit_mpmath(make, point):
    M = make()
    g = M.numeric_geometry("numeric").metric_estimate(point)
    reference, errors = M.numeric_geometry("numeric").reference(dps=30).metric(point, error=True)
    exact = np.array(reference, dtype=float)
    assert max(float(e) for row in errors for e in row) < 1e-20   # mpmath's own estimate
    assert np.abs(g.value - exact).max() <= 1e-9 * np.abs(exact).max()
    assert np.all(np.abs(g.value - exact) <= g.error + 1e-16 * np.abs(exact).max())


#: g(rho) of the bivariate normal by a 30-digit 2-D Gauss-Legendre quadrature over the box
#: (-14, 14)^2 in four panels per axis (the normal weight beyond is below 1e-40), straight
#: from the density and its score, independent of the engine's maps and rules (mpmath 1.3;
#: its error estimate was below 1e-38 at each point; 60 to 140 s each, hence pinned):
#:
#:     def g(rho):
#:         with mpmath.workdps(30):
#:             r = mpmath.mpf(rho)
#:             def f(x, y):
#:                 q = x * x - 2 * r * x * y + y * y
#:                 p = mpmath.exp(-q / (2 * (1 - r * r))) / (2 * mpmath.pi * mpmath.sqrt(1 - r * r))
#:                 s = r / (1 - r * r) + x * y / (1 - r * r) - r * q / (1 - r * r) ** 2
#:                 return p * s * s
#:             edges = mpmath.linspace(-14, 14, 5)
#:             return mpmath.quad(f, edges, edges, method="gauss-legendre", error=True)
PINNED = {-0.8: "12.6543209876543209876543209877", 0.25: "1.20888888888888888888888888889",
          0.95: "200.131492439184746877054569363"}


@pytest.mark.slow
def test_bivariate_normal_correlation_metric():
    r"""The standard bivariate normal with correlation rho, a 2-D sample space.

    With Q = x^2 - 2 rho x y + y^2 and D = 1 - rho^2, log p = -Q/(2D) - log(2 pi) - log(D)/2,
    so the score is s = rho/D + x y/D - rho Q/D^2. Under p: E[x^2] = E[y^2] = 1,
    E[x y] = rho, E[Q] = 2 D, and by Isserlis' theorem E[x^2 y^2] = 1 + 2 rho^2,
    E[x y Q] = E[x^3 y] - 2 rho E[x^2 y^2] + E[x y^3] = 6 rho - 2 rho (1 + 2 rho^2)
    = 4 rho D, E[Q^2] = 8 D^2 (Q/D is chi-square with 2 degrees of freedom). Since
    E[s] = 0, g = E[s^2] = Var(x y/D - rho Q/D^2)
    = (1 + 2 rho^2 - rho^2)/D^2 - 2 rho (4 rho D - 2 rho D)/D^3 + rho^2 (8 D^2 - 4 D^2)/D^4
    = (1 + rho^2)/D^2 - 4 rho^2/D^2 + 4 rho^2/D^2 = (1 + rho^2)/(1 - rho^2)^2.
    The engine (whitened tensor rules) must match it and the pinned 30-digit mpmath 2-D
    quadrature to 1e-9 (it does to about 1e-15), with error estimates that bracket the
    difference.
    """
    K = bivariate_normal_rho().numeric_geometry("numeric")
    rho = np.array(sorted(PINNED))
    g = K.metric_estimate(rho[:, None])
    assert g.ok
    closed = (1 + rho**2) / (1 - rho**2) ** 2
    pinned = np.array([float(mpmath.mpf(PINNED[r])) for r in rho])
    assert np.allclose(pinned, closed, rtol=1e-15, atol=0)   # two independent references
    error = np.abs(g.value[:, 0, 0] - pinned)
    assert np.all(error <= 1e-9 * pinned)
    assert np.all(error <= g.error[:, 0, 0] + 2e-16 * pinned)
    # the speed of a geodesic is conserved (a 1-D manifold: the speed g(x) v^2)
    sol = K.geodesic([0.1], [2.0], 1.0, t_eval=4)
    speeds = K.metric(sol.x)[:, 0, 0] * sol.v[:, 0] ** 2
    assert np.ptp(speeds) <= 1e-9 * speeds[0]


def _iid_normal_mean(d):
    xs = sp.symbols(f"x0:{d}", real=True)
    mu = parameter("mu", typical=(-1, 1))
    return StatisticalManifold(StatisticalModel(
        f"IIDNormal({d})", [mu], SampleSpace.product(xs),
        -sum((x - mu.symbol) ** 2 for x in xs) / 2 - d * sp.log(2 * sp.pi) / 2))


@pytest.mark.slow
def test_randomised_qmc_above_the_tensor_dimension():
    """Four iid N(mu, 1) observations: g = 4 exactly (the Fisher information adds over
    independent observations). Four variables are above the tensor rule's dimension, so the
    moments come from scrambled Sobol sets; the 99% interval of the independent scramblings
    must contain the exact value at (nearly) every seed, and the geodesic integrator, which
    needs a deterministic rule, is refused with a message naming the dimension. The points go
    through the inverse normal CDF: the mean error over the seeds is 0.004 (it was 0.041, and
    the mean half-width 0.17, with the map t / (1 - t^2) of the cube).
    """
    K = _iid_normal_mean(4).numeric_geometry("numeric", tol=1e-6)
    assert K.engine.variables == 4
    covered = 0
    errors = []
    for seed in range(20):
        total, error, status = K.engine.qmc_moments([0.3], level=0, points=1024, seed=seed)
        assert status == 0
        g, dg = total[1], error[1]
        assert abs(total[0] - 1) <= error[0] + 1e-15   # E[1] = 1
        covered += abs(g - 4.0) <= dg
        errors.append(abs(g - 4.0))
        assert dg < 0.02 * 4.0    # 8 x 1024 points in 4-D: well under a percent
    assert covered >= 18
    assert np.mean(errors) < 0.01
    g = K.metric_estimate([[0.3], [-0.5]])
    assert np.all(np.abs(g.value[:, 0, 0] - 4.0) <= np.maximum(g.error[:, 0, 0], 1e-6 * 4.0))
    with pytest.raises(ValueError, match="4 continuous variables"):
        K.geodesic([0.0], [1.0])


def test_weibull_metric_closed_form():
    # Weibull(k, lam): with Y = (x/lam)^k ~ Exp(1), s_k = 1/k + log(Y)/k (1 - Y) and
    # s_lam = k/lam (Y - 1), and E[log Y] = -gamma, E[Y log Y] = 1 - gamma,
    # E[Y^2 log^2 Y] - ... give the classical result (e.g. Johnson, Kotz & Balakrishnan,
    # Continuous Univariate Distributions 1, 2nd ed. 1994, ch. 21, eq. 21.49):
    # g_kk = ((1 - gamma)^2 + pi^2/6) / k^2, g_klam = -(1 - gamma)/lam, g_lamlam = k^2/lam^2
    k, lam = 1.7, 2.3
    g = weibull().numeric_geometry("numeric").metric([k, lam])
    euler = float(mpmath.euler)
    assert abs(g[0, 0] - ((1 - euler) ** 2 + np.pi**2 / 6) / k**2) < 1e-12
    assert abs(g[0, 1] + (1 - euler) / lam) < 1e-12
    assert abs(g[1, 1] - k**2 / lam**2) < 1e-12


def test_bad_inputs():
    K = build("Normal").numeric_geometry("numeric")
    with pytest.raises(ValueError, match="sigma"):
        K.metric([0.0, -1.0])
    with pytest.raises(ValueError, match="method"):
        build("Normal").numeric_geometry("quadrature")
    with pytest.raises(ValueError, match="power of 2"):
        K.engine.qmc_moments([0.0, 1.0], points=1000)
