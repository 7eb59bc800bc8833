"""The seven own models of issue 11, declared as a user would (``docs/guide/own-model.md``).

Each function returns a fresh :class:`manifolds.StatisticalManifold`; ``benchmarks/symbolic_budget.py``
times every symbolic call on them and the tests of the own-model checks build them here.
The models of the numeric route (issue 14: expectations with no closed form, and a 2-D sample
space) are declared here too, once, for ``benchmarks/any_density.py`` and its tests
(``QUADRATURE_MODELS``).
"""
import sympy as sp

from manifolds import StatisticalManifold
from symbolic.model import SampleSpace, StatisticalModel, parameter


def rayleigh():
    """Rayleigh(sigma) on x > 0: p = x / sigma^2 exp(-x^2 / (2 sigma^2))."""
    sigma, x = parameter("sigma", 0, typical=(0.5, 2)), sp.Symbol("x", positive=True)
    s = sigma.symbol
    return StatisticalManifold(StatisticalModel(
        "Rayleigh", [sigma], SampleSpace.interval(x, 0, sp.oo), sp.log(x) - 2 * sp.log(s) - x**2 / (2 * s**2)))


def pareto():
    """Pareto(a) with scale 1 on x > 1: p = a x^(-a-1)."""
    a, x = parameter("a", 0, typical=(0.5, 3)), sp.Symbol("x", positive=True)
    return StatisticalManifold(StatisticalModel(
        "Pareto", [a], SampleSpace.interval(x, 1, sp.oo), sp.log(a.symbol) - (a.symbol + 1) * sp.log(x)))


def weibull():
    """Weibull(k, lam) on x > 0: p = k/lam (x/lam)^(k-1) exp(-(x/lam)^k)."""
    k, lam = parameter("k", 0, typical=(0.5, 3)), parameter("lam", 0, typical=(0.5, 3))
    x = sp.Symbol("x", positive=True)
    K, L = k.symbol, lam.symbol
    return StatisticalManifold(StatisticalModel(
        "Weibull", [k, lam], SampleSpace.interval(x, 0, sp.oo),
        sp.log(K) - sp.log(L) + (K - 1) * (sp.log(x) - sp.log(L)) - (x / L) ** K))


def gumbel():
    """Gumbel(mu, beta) on the real line: p = exp(-(z + exp(-z))) / beta, z = (x - mu) / beta."""
    mu, beta = parameter("mu"), parameter("beta", 0, typical=(0.5, 2))
    x = sp.Symbol("x", real=True)
    z = (x - mu.symbol) / beta.symbol
    return StatisticalManifold(StatisticalModel(
        "Gumbel", [mu, beta], SampleSpace.interval(x), -sp.log(beta.symbol) - z - sp.exp(-z)))


def normal_mu_mu2():
    """N(mu, mu^2), the curved normal family, mu > 0."""
    mu, x = parameter("mu", 0, typical=(0.5, 2)), sp.Symbol("x", real=True)
    m = mu.symbol
    return StatisticalManifold(StatisticalModel(
        "N(mu, mu^2)", [mu], SampleSpace.interval(x),
        -(x - m) ** 2 / (2 * m**2) - sp.log(m) - sp.log(2 * sp.pi) / 2))


def zero_inflated_poisson():
    """Zero-inflated Poisson(w, lam) on {0, 1, ...}: w 1{x = 0} + (1 - w) Poisson(lam)."""
    w, lam = parameter("w", 0, 1, typical=(0.1, 0.6)), parameter("lam", 0, typical=(0.5, 4))
    x = sp.Symbol("x", integer=True, nonnegative=True)
    W, L = w.symbol, lam.symbol
    poisson = sp.exp(-L) * L**x / sp.factorial(x)
    return StatisticalManifold(StatisticalModel(
        "ZIPoisson", [w, lam], SampleSpace.integers(x),
        sp.log(W * sp.KroneckerDelta(x, 0) + (1 - W) * poisson)))


def normal_mixture():
    """(1 - w) N(0, 1) + w N(1, 1), the mixing weight w in (0, 1)."""
    w, x = parameter("w", 0, 1, typical=(0.1, 0.9)), sp.Symbol("x", real=True)
    W = w.symbol
    phi = lambda m: sp.exp(-(x - m) ** 2 / 2) / sp.sqrt(2 * sp.pi)  # noqa: E731
    return StatisticalManifold(StatisticalModel(
        "NormalMixture", [w], SampleSpace.interval(x), sp.log((1 - W) * phi(0) + W * phi(1))))


#: name -> constructor, in the order of the issue.
OWN_MODELS = {
    "Rayleigh": rayleigh,
    "Pareto": pareto,
    "Weibull": weibull,
    "Gumbel": gumbel,
    "N(mu, mu^2)": normal_mu_mu2,
    "ZIPoisson": zero_inflated_poisson,
    "NormalMixture": normal_mixture,
}


def two_component_mixture():
    """(1 - w) N(0, 1) + w N(m, 1) in its weight and second mean (issue 14)."""
    x = sp.Symbol("x", real=True)
    w, m = parameter("w", 0, 1, typical=(0.1, 0.9)), parameter("m", typical=(-2, 2))
    W, Mu = w.symbol, m.symbol
    return StatisticalManifold(StatisticalModel(
        "Mixture", [w, m], SampleSpace.interval(x),
        sp.log((1 - W) * sp.exp(-x**2 / 2) + W * sp.exp(-(x - Mu) ** 2 / 2)) - sp.log(2 * sp.pi) / 2))


def truncated_normal():
    """N(mu, sigma^2) truncated to (-1, 2)."""
    x = sp.Symbol("x", real=True)
    mu, s = parameter("mu", typical=(-1, 1)), parameter("sigma", 0, typical=(0.5, 2))
    z = (x - mu.symbol) / s.symbol

    def cdf(t):
        return (1 + sp.erf((t - mu.symbol) / (sp.sqrt(2) * s.symbol))) / 2

    return StatisticalManifold(StatisticalModel(
        "TruncatedNormal", [mu, s], SampleSpace.interval(x, -1, 2),
        -z**2 / 2 - sp.log(s.symbol) - sp.log(2 * sp.pi) / 2 - sp.log(cdf(2) - cdf(-1))))


def bivariate_normal_rho():
    """The standard bivariate normal with correlation rho in (-1, 1), a 2-D sample space."""
    rho = parameter("rho", -1, 1, typical=(-0.8, 0.8))
    x, y = sp.symbols("x y", real=True)
    r = rho.symbol
    return StatisticalManifold(StatisticalModel(
        "BivariateNormalRho", [rho], SampleSpace.product((x, y)),
        -(x**2 - 2 * r * x * y + y**2) / (2 * (1 - r**2)) - sp.log(2 * sp.pi)
        - sp.log(1 - r**2) / 2))


#: The models of the numeric route (issue 14), name -> constructor.
QUADRATURE_MODELS = {
    "Weibull": weibull,
    "Mixture": two_component_mixture,
    "TruncatedNormal": truncated_normal,
    "BivariateNormalRho": bivariate_normal_rho,
}
