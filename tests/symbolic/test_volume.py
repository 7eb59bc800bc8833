"""Volume form, Jeffreys prior, Cramér-Rao bound and sectional curvature (symbolic.volume).

References: the Beta(1/2, 1/2) law of scipy.stats (Jeffreys prior of the Bernoulli, Jeffreys
1946); mpmath quadrature of the normalised prior; the change-of-variables rule of densities;
the Cramér-Rao bounds of the Normal and Gamma families (Lehmann & Casella 1998, ch. 2:
var(a_hat) >= a / (n (a psi'(a) - 1)) with the rate unknown) and the Normal mean (Sigma / n);
the inverse metric computed by another route; the constant curvature 1/4 of the Categorical
family (p -> 2 sqrt(p) maps it onto a piece of the sphere of radius 2, Amari 2016 ch. 2);
the curvature of a Hessian metric (Totaro, "The curvature of a Hessian metric", Int. J. Math.
15, 2004), an independent formula for Dirichlet(3).
"""
import mpmath
import numpy as np
import pytest
import scipy.stats as sst
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import (
    CATALOG,
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    Dirichlet,
    Gamma,
    MultivariateNormal,
    Normal,
    Poisson,
)
from symbolic import DomainError
from symbolic.volume import cramer_rao_bound, sectional_curvature


@pytest.mark.parametrize("M", [Bernoulli(), Binomial(5)], ids=["Bernoulli", "Binomial(5)"])
def test_jeffreys_bernoulli_is_beta_half_half(M):
    J = M.jeffreys_prior()
    assert J.proper is True and "proper" in J.statement()
    p, = M.coordinates
    f = sp.lambdify(p, J.density, "mpmath")
    for x in (0.03, 0.4, 0.77):
        assert abs(float(f(x)) - sst.beta(0.5, 0.5).pdf(x)) < 1e-12
    with mpmath.workdps(30):     # the 1/sqrt endpoint singularities cost digits
        assert abs(mpmath.quad(f, [0, 0.5, 1]) - 1) < 1e-15


@pytest.mark.parametrize("M", [Normal(), Poisson(), Cauchy(), Gamma()], ids=["Normal", "Poisson", "Cauchy", "Gamma"])
def test_jeffreys_improper(M):
    """Normal sqrt(2)/sigma^2, Poisson lam^(-1/2), Cauchy 1/(2 gamma^2), Gamma
    sqrt(a psi'(a) - 1)/b: each has an infinite integral (a location or 1/b direction).
    """
    J = M.jeffreys_prior()
    assert J.proper is False and J.volume == sp.oo
    assert "improper" in J.statement()
    assert sp.simplify(J.density**2 - M.fisher_metric().det()) == 0


def test_volume_form_transforms_as_a_density():
    """sqrt(det g') = sqrt(det g) |d old / d new| under sigma = exp(s)."""
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    N = M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s])
    assert sp.simplify(N.volume_form() - M.volume_form().subs(sigma, sp.exp(s)) * sp.exp(s)) == 0


def test_cramer_rao_normal_and_gamma():
    n = sp.Symbol("n", positive=True, integer=True)
    M = Normal()
    mu, sigma = M.coordinates
    assert M.cramer_rao(n=n) == sp.diag(sigma**2 / n, sigma**2 / (2 * n))
    G = Gamma()
    a, b = G.coordinates
    bound = G.cramer_rao(["a"], n=n)[0, 0]
    assert sp.simplify(bound - a / (n * (a * sp.polygamma(1, a) - 1))) == 0
    # the rate known: 1 / (n psi'(a)), smaller than with the rate unknown
    known = cramer_rao_bound(G.fisher_metric().extract([0], [0]), [a], n=n)[0, 0]
    assert sp.simplify(known - 1 / (n * sp.polygamma(1, a))) == 0


@settings(max_examples=5)
@given(seed=st.integers(0, 2**32 - 1))
def test_cramer_rao_block_is_the_inverse_block(seed):
    """The Schur complement route equals the diagonal of the inverse metric (another route:
    the rational-function field) at random points of Gamma.
    """
    M = Gamma()
    x = M.random_point(np.random.default_rng(seed))
    at = dict(zip(M.coordinates, x, strict=True))
    inv = M.inverse_metric()
    for k, name in enumerate(["a", "b"]):
        assert abs(sp.N((M.cramer_rao([name])[0, 0] - inv[k, k]).subs(at), 30)) < 1e-25


@pytest.mark.slow
def test_cramer_rao_mvn_mean_is_sigma_over_n():
    """For the bivariate Normal the bound on the mean, covariance unknown, is Sigma / n (mean and
    covariance are orthogonal).
    """
    M = MultivariateNormal(2)
    m1, m2, s11, s21, s22 = M.coordinates
    assert M.cramer_rao(["mu1", "mu2"], n=7) == sp.Matrix([[s11, s21], [s21, s22]]) / 7


@settings(max_examples=3)
@given(seed=st.integers(0, 2**32 - 1))
def test_sectional_curvature_of_surfaces_is_gaussian(seed):
    """In dimension 2 every plane is the tangent plane: K(u, v) = R / 2 for random u, v."""
    rng = np.random.default_rng(seed)
    for M in (Normal(), Gamma(), Cauchy()):
        u, v = rng.normal(size=2), rng.normal(size=2)
        u, v = [sp.Rational(str(round(c, 5))) for c in u], [sp.Rational(str(round(c, 5))) for c in v]
        x = dict(zip(M.coordinates, M.random_point(rng), strict=True))
        K = M.sectional_curvature(u, v)
        assert abs(sp.N((K - M.gaussian_curvature()).subs(x), 30)) < 1e-25


def test_categorical_sphere_curvature():
    """Categorical(4): a piece of the sphere of radius 2, K = 1/4 on every plane."""
    M = Categorical(4)
    rng = np.random.default_rng(3)
    for _ in range(2):
        u, v = rng.integers(-3, 4, size=3), rng.integers(-3, 4, size=3)
        if np.linalg.matrix_rank(np.array([u, v])) < 2:
            continue
        assert M.sectional_curvature(u.tolist(), v.tolist()) == sp.Rational(1, 4)


def _hessian_sectional(F, theta, at, u, v):
    """Totaro 2004, for g = Hess F in affine coordinates: R_mjkl = 1/4 g^pq (F_kjp F_lmq - F_ljp F_kmq),
    so <R(u,v)v,u> = 1/4 (|F(u,v,.)|^2 - <F(u,u,.), F(v,v,.)>) in the dual metric. Derived by
    putting Gamma_ij,k = F_ijk / 2 into R_mjkl = d_k Gamma_lj,m - d_l Gamma_kj,m - Gamma^i_lj
    Gamma_km,i + Gamma^i_kj Gamma_lm,i (the derivative terms cancel).
    """
    n = len(theta)
    g = sp.Matrix(n, n, lambda i, j: sp.diff(F, theta[i], theta[j]).subs(at))
    g = g.evalf(40)
    third = [[[sp.N(sp.diff(F, theta[i], theta[j], theta[k]).subs(at), 40) for k in range(n)] for j in range(n)]
             for i in range(n)]

    def contract(a, b):
        return sp.Matrix([sum(third[i][j][k] * a[i] * b[j] for i in range(n) for j in range(n)) for k in range(n)])

    ginv = g.inv()
    uv, uu, vv = contract(u, v), contract(u, u), contract(v, v)
    num = ((uv.T * ginv * uv)[0] - (uu.T * ginv * vv)[0]) / 4
    U, V = sp.Matrix(u), sp.Matrix(v)
    return num / ((U.T * g * U)[0] * (V.T * g * V)[0] - (U.T * g * V)[0] ** 2)


def test_hessian_formula_reproduces_normal():
    """The Hessian-metric formula of the test itself, checked where the answer is known: the
    Normal family in natural coordinates, Gaussian curvature -1/2.
    """
    N = Normal().in_chart("natural")
    fam = Normal().model
    at = {fam.theta[0]: sp.Rational(3, 10), fam.theta[1]: sp.Rational(-7, 10)}
    K = _hessian_sectional(fam.log_partition, fam.theta, at, [1, 0], [0, 1])
    assert abs(K + sp.Rational(1, 2)) < 1e-30
    assert N.gaussian_curvature() == -sp.Rational(1, 2)


@pytest.mark.slow
def test_dirichlet_sectional_curvature_against_hessian_formula():
    """Dirichlet(3) (a = theta + 1, so g is the Hessian of F in a): the symbolic chain against
    Totaro's formula at a random point and random planes.
    """
    M = Dirichlet(3)
    fam = M.model
    rng = np.random.default_rng(5)
    x = M.random_point(rng)
    at_a = dict(zip(M.coordinates, [sp.Rational(str(round(c, 4))) for c in x], strict=True))
    at_theta = {t: a - 1 for t, a in zip(fam.theta, at_a.values(), strict=True)}
    for _ in range(2):
        u = [sp.Integer(int(c)) for c in rng.integers(-3, 4, size=3)]
        v = [sp.Integer(int(c)) for c in rng.integers(-3, 4, size=3)]
        if sp.Matrix([u, v]).rank() < 2:
            continue
        K = sp.N(M.sectional_curvature(u, v).subs(at_a), 30)
        ref = _hessian_sectional(fam.log_partition, fam.theta, at_theta, u, v)
        assert abs(K - ref) < 1e-20


def test_bad_input():
    M = Normal()
    with pytest.raises(ValueError, match="linearly independent"):
        M.sectional_curvature([1, 2], [2, 4])
    with pytest.raises(ValueError, match="2 components"):
        M.sectional_curvature([1, 0, 0], [0, 1])
    with pytest.raises(ValueError, match="parameters must name coordinates"):
        M.cramer_rao(["nu"])
    with pytest.raises(DomainError, match="n must be an integer >= 1"):
        M.cramer_rao(n=0)
    g = M.fisher_metric()
    mu, s = M.coordinates
    R = M.riemann()
    assert sectional_curvature(R, g, [0, 1], [1, 0], M.coordinates) == -sp.Rational(1, 2)


# -- the decision procedure over the whole catalog ---------------------------------------------
# proper (with the volume) or improper; references: Jeffreys 1946 (Bernoulli: Beta(1/2, 1/2),
# volume pi; the location and scale families improper), Berger, Bernardo & Sun, "Overall
# objective priors", Bayesian Analysis 10, 2015 (the multinomial: Dirichlet(1/2, ..., 1/2),
# volume pi^(k/2)/Gamma(k/2)); Beta and Dirichlet: sqrt(det g) decays as t^(-(k+1)/2) along rays
# in k dimensions (checked numerically below), too slowly to be integrable.
_n = sp.Symbol("n", positive=True, integer=True)
EXPECTED = {
    "Bernoulli": sp.pi, "Binomial": sp.pi * sp.sqrt(_n), "Categorical(3)": 2 * sp.pi,
    "Geometric": sp.oo, "Poisson": sp.oo, "Exponential": sp.oo, "NormalMean": sp.oo, "Normal": sp.oo,
    "Gamma": sp.oo, "Beta": sp.oo, "Dirichlet(3)": sp.oo, "InverseGaussian": sp.oo, "LogNormal": sp.oo,
    "Cauchy": sp.oo, "StudentT": sp.oo, "Laplace": sp.oo, "VonMises": sp.oo, "MultivariateNormal(2)": sp.oo,
}


@pytest.mark.slow
@pytest.mark.parametrize("name,cls,args", CATALOG, ids=[c[0] for c in CATALOG])
def test_jeffreys_decided_for_the_whole_catalog(name, cls, args):
    J = cls(*args).jeffreys_prior()
    assert J.volume is not None, J.statement()
    assert sp.simplify(J.volume - EXPECTED[name]) == 0 if J.volume.is_finite else J.volume == EXPECTED[name]
    assert J.reason and J.reason in J.statement()


@pytest.mark.parametrize("k", [2, 3, 4])
def test_categorical_normaliser_is_half_the_sphere_area(k):
    """The map p -> 2 sqrt(p) takes Categorical(k) isometrically onto the positive orthant of the sphere
    of radius 2 in R^k (Amari 2016, ch. 2): volume = 2^(k-1) |S^(k-1)| / 2^k = pi^(k/2)/Gamma(k/2).
    """
    J = Categorical(k).jeffreys_prior()
    sphere = 2 * sp.pi ** sp.Rational(k, 2) / sp.gamma(sp.Rational(k, 2))
    assert sp.simplify(J.volume - 2 ** (k - 1) * sphere / 2**k) == 0
    assert J.proper and "Dirichlet integral" in J.reason


def test_categorical_prior_integrates_to_one_numerically():
    J = Categorical(3).jeffreys_prior()
    p1, p2 = Categorical(3).coordinates
    u, v = sp.symbols("u v", positive=True)
    # p1 = u^2, p2 = (1 - u^2) v^2 (u, v in (0, 1)) removes the inverse square roots at the faces
    g = sp.powsimp(sp.factor(J.density.subs({p1: u**2, p2: (1 - u**2) * v**2}) * 4 * u * v * (1 - u**2)), force=True)
    f = sp.lambdify((u, v), g, "mpmath")
    with mpmath.workdps(20):
        total = mpmath.quad(f, [0, 1], [0, 1])
    assert abs(total - 1) < 1e-12


@pytest.mark.parametrize("M,rate", [(Beta(), sp.Rational(-3, 2)), (Dirichlet(3), sp.Integer(-2))], ids=["Beta", "Dirichlet(3)"])
def test_power_counting_rate_agrees_with_high_precision_values(M, rate):
    """The decay exponent the proof uses, against sqrt(det g) at t = 1e4 and 1e5 by mpmath."""
    J = M.jeffreys_prior()
    assert J.proper is False and "power counting" in J.reason and f"t^({rate})" in J.reason
    f = sp.lambdify(M.coordinates, M.volume_form(), "mpmath")
    slopes = [1 + sp.Rational(i, 3) for i in range(M.dim)]
    with mpmath.workdps(60):    # the leading orders of det g cancel
        vals = [f(*[s * mpmath.mpf(t) for s in slopes]) for t in (10**4, 10**5)]
        assert abs(mpmath.log10(vals[1] / vals[0]) - float(rate)) < 1e-3


def test_power_counting_finds_no_divergence_for_proper_priors():
    from symbolic.volume import _improper_by_power_counting

    for M in (Bernoulli(), Categorical(3)):
        assert _improper_by_power_counting(sp.factor(M.fisher_metric().det()), M.model) is None
    # on the Normal family's domain (mu real, sigma > 0): sqrt(det) = 1/((1 + mu^2)(1 + sigma^2))
    # is integrable (volume pi^2 / 2): t^-4 along rays, t^-2 along each axis, bounded at sigma = 0
    N = Normal()
    mu, sigma = N.coordinates
    assert _improper_by_power_counting(1 / ((1 + mu**2) * (1 + sigma**2)) ** 2, N.model) is None
    # improper ones: 1/(1 + mu^2 + sigma^2) (t^-2 over the plane, a log divergence) and
    # 1/((1 + mu^2) sqrt(1 + sigma^2)) (t^-3 along rays, but t^-1 along the sigma axis)
    assert "(mu, sigma)" in _improper_by_power_counting(1 / (1 + mu**2 + sigma**2) ** 2, N.model)
    assert "(sigma)" in _improper_by_power_counting(1 / ((1 + mu**2) ** 2 * (1 + sigma**2)), N.model)
    # and at a finite bound: sigma^(-1) is not integrable at 0, sigma^(-1/2) is
    assert "sigma -> 0" in _improper_by_power_counting(1 / ((1 + mu**2) ** 2 * sigma**2 * (1 + sigma**2) ** 4), N.model)
    assert _improper_by_power_counting(1 / ((1 + mu**2) ** 2 * sigma * (1 + sigma**2) ** 4), N.model) is None
