"""Curved exponential families and Efron's statistical curvature (symbolic.curved).

References: Efron, "Defining the curvature of a statistical problem", Ann. Statist. 3(6),
1975: gamma^2 = (nu20 nu02 - nu11^2) / nu20^3 from the moments of the first two derivatives
of the log-likelihood (computed here by mpmath quadrature of the density, a route that never
uses the natural parameters); gamma = 0 exactly for a one-parameter exponential family;
gamma = 1/rho for a mean on a circle of radius rho with identity covariance (the curvature of
the circle). N(t, sigma = t), sd proportional to the mean: gamma^2 = 2/27, derived by hand in
test_normal_known_coefficient_of_variation.
"""
import mpmath
import pytest
import sympy as sp

from manifolds import MultivariateNormal, Normal
from symbolic.curved import restrict, statistical_curvature
from symbolic.divergences import divergence_by_quadrature

t = sp.Symbol("t", positive=True)


def efron_by_quadrature(model, t0):
    """Efron's nu20, nu11, nu02 as integrals over x of the density's log-derivatives."""
    (x,) = model.space.variables
    (u,) = model.coordinates
    l = model.log_density
    d1, d2 = sp.diff(l, u), sp.diff(l, u, 2)
    p, l1, l2 = (sp.lambdify(x, e.subs(u, t0), "mpmath") for e in (sp.exp(l), d1, d2))
    with mpmath.workdps(30):
        E = lambda f: mpmath.quad(lambda s: p(s) * f(s), [-mpmath.inf, 0, mpmath.inf])  # noqa: E731
        n20 = E(lambda s: l1(s) ** 2)
        n11 = E(lambda s: l1(s) * l2(s))
        n02 = E(lambda s: l2(s) ** 2) - n20**2
        return n20, (n20 * n02 - n11**2) / n20**3


def test_normal_known_coefficient_of_variation():
    """N(t, sigma = t): theta = (1/t, -1/(2t^2)); Sigma = Cov(x, x^2) = [[t^2, 2t^3], [2t^3, 6t^4]];
    by hand nu20 = 3/t^2, nu11 = -10/t^3, nu02 = 34/t^4, gamma^2 = (102 - 100)/27 = 2/27.
    """
    M = Normal().restrict([t, t], [t])
    assert M.fisher_metric() == sp.Matrix([[3 / t**2]])
    assert M.statistical_curvature() == sp.Rational(2, 27)
    n20, g2 = efron_by_quadrature(M.model, sp.Rational(7, 5))
    assert abs(n20 - 3 / (mpmath.mpf(7) / 5) ** 2) < 1e-14 and abs(g2 - mpmath.mpf(2) / 27) < 1e-14


@pytest.mark.parametrize("t0", [sp.Rational(1, 3), sp.Rational(7, 5), 3])
def test_normal_sigma_t_squared_against_efron_definition(t0):
    """N(t, sigma = t^2): the embedding-curvature route against Efron's moment definition."""
    M = Normal().restrict([t, t**2], [t])
    g2 = M.statistical_curvature()
    n20, ref = efron_by_quadrature(M.model, t0)
    assert abs(sp.N(g2.subs(t, t0), 30) - ref) < 1e-14
    assert abs(sp.N(M.fisher_metric()[0, 0].subs(t, t0), 30) - n20) < 1e-14 * n20


def test_one_parameter_exponential_family_is_flat():
    """N(mean t, variance t): theta = (1, -1/(2t)) runs along a straight line, so gamma = 0."""
    M = Normal().restrict([t, sp.sqrt(t)], [t])
    assert M.statistical_curvature() == 0
    _, ref = efron_by_quadrature(M.model, sp.Rational(5, 2))
    assert abs(ref) < 1e-14


def test_curvature_invariant_under_reparametrisation():
    """gamma^2 is a property of the curve, not of its parameter: t = exp(w) gives 2/27 again."""
    w = sp.Symbol("w", real=True)
    assert Normal().restrict([sp.exp(w), sp.exp(w)], [w]).statistical_curvature() == sp.Rational(2, 27)


@pytest.mark.slow
def test_circle_in_the_bivariate_normal():
    """Mean on a circle of radius 3, identity covariance: gamma^2 = 1/9 (Efron 1975)."""
    s = sp.Symbol("s", real=True)
    C = restrict(MultivariateNormal(2).model, [3 * sp.cos(s), 3 * sp.sin(s), 1, 0, 1], [s])
    assert statistical_curvature(C) == sp.Rational(1, 9)
    assert C.closed_forms["fisher_metric"] == sp.Matrix([[9]])


def test_curved_family_is_not_exponential_and_keeps_kl():
    """The issue's case: reparametrising N(t, t) gives a curved family (no dual potential), whose
    KL and Bhattacharyya divergence are the ambient ones, checked by quadrature.
    """
    N = Normal()
    mu, sigma = N.coordinates
    M = N.reparametrize({mu: t, sigma: t}, [t])
    assert not M.is_exponential_family and M.is_curved_exponential_family
    with pytest.raises(ValueError, match="not an exponential family"):
        M.dual_potential()
    for kind in ("kl", "bhattacharyya"):
        exact = sp.N(M.divergence(kind).subs({t: sp.Rational(5, 4), M.model.second_point()[0]: sp.Rational(1, 2)}), 30)
        assert abs(exact - divergence_by_quadrature(M.model, kind, [1.25], [0.5])) < 1e-14


def test_bad_input():
    with pytest.raises(ValueError, match="fewer coordinates than the 2 natural parameters"):
        restrict(Normal().model, [t, t], [t, sp.Symbol("v", positive=True)])
    with pytest.raises(ValueError, match="not a curved exponential family"):
        statistical_curvature(Normal().model)


@pytest.mark.slow
def test_two_parameter_flat_restriction():
    """Categorical(4) with p3 = p4 = (1 - p1 - p2)/2: theta3 = log(p3/p4) = 0, a plane of the
    natural parameters, so the family is exponential and its curvature (the multiparameter
    form, g^ac g^bd <H_ab, H_cd>) vanishes.
    """
    from manifolds import Categorical

    a, b = sp.symbols("a b", positive=True)
    flat = Categorical(4).restrict([a, b, (1 - a - b) / 2], [a, b])
    assert flat.statistical_curvature() == 0
