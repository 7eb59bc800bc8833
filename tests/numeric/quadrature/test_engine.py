"""The numeric route against the exact geometry of catalog families, and against 30-digit
mpmath quadrature for models with no closed form (Weibull, a two-component mixture, a
truncated normal).

Checks (docs/conventions.md for the index orders): metric, Christoffel symbols of the first
kind and Amari-Chentsov tensor to 1e-10 relative to the largest entry of each, at random
points of the typical range; the error estimates bracket the true error in at least 95% of
the entries; E[1] = 1.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from manifolds import StatisticalManifold
from symbolic.model import SampleSpace, StatisticalModel, parameter
from tests.catalog_points import build

# one family per kind of sample space and map: the line, a half-line (x = e^u), an interval
# (logistic map), the integers (a sum with a tail bound) and a finite set
FAMILIES = ["Normal", "Gamma", "Beta", "Poisson", "Binomial"]


def _exact(M, point):
    subs = dict(zip(M.coordinates, point, strict=True)) | dict(M.model.constants)

    def value(expr):
        return np.array(sp.Array(expr).subs(subs).applyfunc(lambda e: e.evalf(30)).tolist(), dtype=float)

    return value(M.fisher_metric()), value(M.christoffel(kind=1)), value(M.amari_chentsov())


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_catalog_family_matches_exact(name):
    M = build(name)
    K = M.numeric_geometry("numeric")
    rng = np.random.default_rng(14)
    points = np.array([M.random_point(rng) for _ in range(4)])
    g = K.metric_estimate(points)
    gamma = K.christoffel_estimate(points, kind=1)
    T = K.amari_chentsov_estimate(points)
    mass = K.engine.mass(points)
    assert g.ok and gamma.ok and T.ok
    assert np.all(np.abs(mass.value - 1) <= 1e-12)
    inside = total = 0
    for b, point in enumerate(points):
        for estimate, exact in zip((g, gamma, T), _exact(M, point), strict=True):
            scale = np.abs(exact).max()
            error = np.abs(estimate.value[b] - exact)
            assert error.max() <= 1e-10 * scale, (name, point, error.max() / scale)
            # an estimate brackets the error if it is at least the error (up to the rounding
            # of the exact value's float64 conversion, 2 ulp of the scale)
            inside += int(np.sum(error <= estimate.error[b] + 4e-16 * scale))
            total += error.size
    assert inside >= 0.95 * total


def _weibull():
    x = sp.Symbol("x", positive=True)
    k, lam = parameter("k", 0, typical=(0.5, 4)), parameter("lam", 0, typical=(0.5, 3))
    K, L = k.symbol, lam.symbol
    return StatisticalManifold(StatisticalModel(
        "Weibull", [k, lam], SampleSpace.interval(x, 0, sp.oo),
        sp.log(K / L) + (K - 1) * sp.log(x / L) - (x / L) ** K))


def _mixture():
    x = sp.Symbol("x", real=True)
    w, m = parameter("w", 0, 1, typical=(0.1, 0.9)), parameter("m", typical=(-2, 2))
    W, Mu = w.symbol, m.symbol
    return StatisticalManifold(StatisticalModel(
        "Mixture", [w, m], SampleSpace.interval(x),
        sp.log((1 - W) * sp.exp(-x**2 / 2) + W * sp.exp(-(x - Mu) ** 2 / 2)) - sp.log(2 * sp.pi) / 2))


def _truncated_normal():
    x = sp.Symbol("x", real=True)
    mu, s = parameter("mu", typical=(-1, 1)), parameter("sigma", 0, typical=(0.5, 2))
    z = (x - mu.symbol) / s.symbol
    cdf = lambda t: (1 + sp.erf((t - mu.symbol) / (sp.sqrt(2) * s.symbol))) / 2  # noqa: E731
    return StatisticalManifold(StatisticalModel(
        "TruncatedNormal", [mu, s], SampleSpace.interval(x, -1, 2),
        -z**2 / 2 - sp.log(s.symbol) - sp.log(2 * sp.pi) / 2 - sp.log(cdf(2) - cdf(-1))))


@pytest.mark.slow
@pytest.mark.parametrize("make,point", [(_weibull, [1.7, 2.3]), (_mixture, [0.3, 1.5]),
                                        (_truncated_normal, [0.4, 0.8])])
def test_metric_matches_30_digit_mpmath(make, point):
    M = make()
    g = M.numeric_geometry("numeric").metric_estimate(point)
    reference, errors = M.numeric_geometry("numeric").reference(dps=30).metric(point, error=True)
    exact = np.array(reference, dtype=float)
    assert max(float(e) for row in errors for e in row) < 1e-20   # mpmath's own estimate
    assert np.abs(g.value - exact).max() <= 1e-9 * np.abs(exact).max()
    assert np.all(np.abs(g.value - exact) <= g.error + 1e-16 * np.abs(exact).max())


def test_weibull_metric_closed_form():
    # Weibull(k, lam): with Y = (x/lam)^k ~ Exp(1), s_k = 1/k + log(Y)/k (1 - Y) and
    # s_lam = k/lam (Y - 1), and E[log Y] = -gamma, E[Y log Y] = 1 - gamma,
    # E[Y^2 log^2 Y] - ... give the classical result (e.g. Johnson, Kotz & Balakrishnan,
    # Continuous Univariate Distributions 1, 2nd ed. 1994, ch. 21, eq. 21.49):
    # g_kk = ((1 - gamma)^2 + pi^2/6) / k^2, g_klam = -(1 - gamma)/lam, g_lamlam = k^2/lam^2
    k, lam = 1.7, 2.3
    g = _weibull().numeric_geometry("numeric").metric([k, lam])
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
