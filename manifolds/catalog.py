r"""The catalog: every family declared once.

A declaration gives the parameters with their domains, the sample space and the
log-density; an exponential family gives its sufficient statistics, natural parameters,
log-partition and base measure instead, plus closed-form inverse maps where they exist.
Everything else is derived. Coordinates and their order: docs/conventions.md and the catalog table in docs/index.md.

A family whose Fisher-Rao distance has a closed form declares it here, as
``closed_forms={"distance": ClosedFormDistance(function, **constants)}`` with a function of
:mod:`numeric.geodesics.distances`; ``M.numeric.distance`` uses it after checking that the
family's metric is the one the formula assumes, and shoots geodesics for every other family.
"""
from __future__ import annotations

import functools
import math

import sympy as sp

from numeric.geodesics.distances import (
    ClosedFormDistance,
    bernoulli_distance,
    categorical_distance,
    exponential_distance,
    geometric_distance,
    inverse_gaussian_distance,
    location_distance,
    location_scale_distance,
    poisson_distance,
)
from numeric.geodesics.guesses import normal_log_guess, von_mises_log_guess
from symbolic.errors import DomainError
from symbolic.model import Constraint, ExponentialFamily, SampleSpace, StatisticalModel, parameter
from symbolic.parsing import parse_expression
from symbolic.validation import integer, positive

from .base import StatisticalManifold

__all__ = [
    "Bernoulli", "Binomial", "Geometric", "Poisson", "Exponential", "NormalMean", "Normal",
    "Gamma", "Beta", "Dirichlet", "Categorical", "InverseGaussian", "LogNormal", "Cauchy",
    "StudentT", "Laplace", "VonMises", "MultivariateNormal", "CATALOG", "TYPICAL_CONSTANTS",
]

_real = dict(real=True)


def _x(**assumptions):
    return sp.Symbol("x", **(assumptions or _real))


#: Largest numeric ``n`` of :class:`Binomial`, whose finite sample space is a list of n + 1 values.
MAX_BINOMIAL_N = 10**6


#: Largest numeric ``nu`` whose Student t normalising constant stays exact (sympy evaluates
#: loggamma at integers and half-integers through the factorial: minutes at nu = 1e8; from
#: about nu = 340 the printed kernel held gamma(nu/2) beyond float64, "inf", and failed to
#: compile; at nu = 100 the exact form lost 1e-14 of log p to a log of a large rational).
_EXACT_LOGGAMMA_MAX = 50


def _loggamma_ratio(nu):
    """``loggamma((nu + 1)/2) - loggamma(nu/2)`` for a large number nu, as a 30-digit Float."""
    import mpmath

    with mpmath.workdps(40):
        n = mpmath.mpmathify(str(sp.N(nu, 45)))
        return sp.Float(mpmath.loggamma((n + 1) / 2) - mpmath.loggamma(n / 2), 30)


def _short(value):
    try:
        text = str(value)
    except ValueError:
        # an integer beyond Python's int-to-str limit (4,300 digits), e.g. n = 9**9111 from
        # the safe parser: its size, not its digits
        digits = int(int(value).bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits} digits"
    return text if len(text) <= 40 else f"{text[:12]}...({len(text)} digits)"


def _fixed(name, value, **assumptions):
    """A fixed constant of a family: a number if given, else a symbol with assumptions.

    A number is checked first, by type and against the domain that ``assumptions`` state
    (``integer=True``: an integer >= 1; ``positive=True``: a finite number > 0), with the
    error naming the parameter. A string is read by the safe parser, where the parameter's own
    name means its symbol (``Binomial("n")``, ``StudentT("5/2")``). A non-numeric sympy
    expression (a Symbol) is kept as given.
    """
    symbol = sp.Symbol(name, **assumptions)
    if value is None:
        return symbol
    if isinstance(value, str):
        value = parse_expression(value, {name: symbol}, name=name)
    if isinstance(value, sp.Expr) and not value.is_number:
        return value
    if not isinstance(value, sp.Expr) and isinstance(value, (sp.Basic, sp.MatrixBase, sp.NDimArray, list, tuple)):
        raise TypeError(f"{name} must be a number or a sympy Symbol, got {type(value).__name__} {value!r}")
    if assumptions.get("integer"):
        return sp.Integer(integer(name, value, minimum=1))
    positive(name, value)
    return sp.sympify(value, strict=True)


def _logit(p):
    return sp.log(p / (1 - p))


def _cauchy_kl(x, y):
    """KL between Cauchy(x0, gamma) laws: Chyzak & Nielsen, "A closed-form formula for the
    Kullback-Leibler divergence between Cauchy distributions", arXiv:1905.10965 (2019).
    """
    (m1, s1), (m2, s2) = x[:2], y[:2]
    return sp.log((s1 + s2) ** 2 + (m1 - m2) ** 2) - sp.log(4 * s1 * s2)


def _cauchy_chi2(x, y):
    """Pearson chi^2 between Cauchy laws, ((x0 - x0_2)^2 + (gamma - gamma_2)^2) / (2 gamma gamma_2):
    Nielsen & Okamura, "On f-divergences between Cauchy distributions", IEEE Trans. Inf. Theory
    69(5), 2023 (arXiv:2101.12459).
    """
    (m1, s1), (m2, s2) = x[:2], y[:2]
    return ((m1 - m2) ** 2 + (s1 - s2) ** 2) / (2 * s1 * s2)


def _laplace_kl(b):
    """KL between Laplace(mu, b) laws of one scale: the case b1 = b2 of
    log(b2/b1) + |mu1 - mu2|/b2 + (b1/b2) exp(-|mu1 - mu2|/b1) - 1 (Gil, Alajaji & Linder,
    Information Sciences 249, 2013, the Laplace case of their KL list).
    """
    return lambda x, y: sp.Abs(x[0] - y[0]) / b + sp.exp(-sp.Abs(x[0] - y[0]) / b) - 1


def _normal_log_partition(th):
    return -th[0] ** 2 / (4 * th[1]) - sp.log(-2 * th[1]) / 2 + sp.log(2 * sp.pi) / 2


class Bernoulli(StatisticalManifold):
    """Bernoulli(p) on {0, 1}."""

    def __init__(self):
        p, x = parameter("p", 0, 1, typical=(0.1, 0.9)), _x(integer=True)
        th = sp.Symbol("theta1", real=True)
        super().__init__(ExponentialFamily(
            "Bernoulli", [p], SampleSpace.finite(x, [0, 1]), [x], [_logit(p.symbol)],
            lambda t: sp.log(1 + sp.exp(t[0])),
            from_natural=[1 / (1 + sp.exp(-th))], from_expectation=[sp.Symbol("eta1", real=True)],
            closed_forms={"distance": ClosedFormDistance(bernoulli_distance)}))


class Binomial(StatisticalManifold):
    """Binomial(n, p) on {0, ..., n}; ``n`` is fixed (an integer up to ``MAX_BINOMIAL_N = 10**6``, or a
    symbol when omitted: the symbolic layer keeps it, the numeric layer needs a value,
    ``Binomial().with_constants(n=10)``).
    """

    def __init__(self, n=None):
        n = _fixed("n", n, positive=True, integer=True)
        if n.is_Integer and n > MAX_BINOMIAL_N:
            # a numeric n lists the sample space {0, ..., n} value by value
            raise DomainError(f"n must be an integer <= {MAX_BINOMIAL_N} (the sample space {{0, ..., n}} is "
                              f"listed explicitly), got {_short(n)}; for a larger n use Binomial() with "
                              f"the symbol n")
        p, x = parameter("p", 0, 1, typical=(0.1, 0.9)), _x(integer=True, nonnegative=True)
        th, eta = sp.Symbol("theta1", real=True), sp.Symbol("eta1", real=True)
        space = SampleSpace.finite(x, range(int(n) + 1)) if n.is_Integer else SampleSpace.integers(x, 0, n)
        super().__init__(ExponentialFamily(
            f"Binomial({n})", [p], space, [x], [_logit(p.symbol)],
            lambda t: n * sp.log(1 + sp.exp(t[0])), sp.log(sp.binomial(n, x)),
            from_natural=[1 / (1 + sp.exp(-th))], from_expectation=[eta / n],
            closed_forms={"distance": ClosedFormDistance(bernoulli_distance, n=n)}))


class Geometric(StatisticalManifold):
    """Geometric(p): the number of failures before the first success, on {0, 1, ...}."""

    def __init__(self):
        p, x = parameter("p", 0, 1, typical=(0.1, 0.9)), _x(integer=True, nonnegative=True)
        th, eta = sp.Symbol("theta1", real=True), sp.Symbol("eta1", real=True)
        super().__init__(ExponentialFamily(
            "Geometric", [p], SampleSpace.integers(x), [x], [sp.log(1 - p.symbol)],
            lambda t: -sp.log(1 - sp.exp(t[0])),
            from_natural=[1 - sp.exp(th)], from_expectation=[1 / (1 + eta)],
            closed_forms={"distance": ClosedFormDistance(geometric_distance)}))


class Poisson(StatisticalManifold):
    """Poisson(lam) on {0, 1, ...}."""

    def __init__(self):
        lam, x = parameter("lam", 0, typical=(0.5, 5)), _x(integer=True, nonnegative=True)
        th, eta = sp.Symbol("theta1", real=True), sp.Symbol("eta1", real=True)
        super().__init__(ExponentialFamily(
            "Poisson", [lam], SampleSpace.integers(x), [x], [sp.log(lam.symbol)],
            lambda t: sp.exp(t[0]), -sp.log(sp.factorial(x)),
            from_natural=[sp.exp(th)], from_expectation=[eta],
            closed_forms={"distance": ClosedFormDistance(poisson_distance)}))


class Exponential(StatisticalManifold):
    """Exponential(lam), rate parametrisation, on x > 0."""

    def __init__(self):
        lam, x = parameter("lam", 0, typical=(0.5, 3)), _x(positive=True)
        th, eta = sp.Symbol("theta1", negative=True), sp.Symbol("eta1", real=True)
        super().__init__(ExponentialFamily(
            "Exponential", [lam], SampleSpace.interval(x, 0, sp.oo), [x], [-lam.symbol],
            lambda t: -sp.log(-t[0]), theta=[th],
            from_natural=[-th], from_expectation=[1 / eta],
            closed_forms={"distance": ClosedFormDistance(exponential_distance)}))


class NormalMean(StatisticalManifold):
    """Normal(mu, sigma) with known standard deviation ``sigma`` (a symbol when omitted: the
    numeric layer then needs ``NormalMean().with_constants(sigma=...)``).
    """

    def __init__(self, sigma=None):
        s = _fixed("sigma", sigma, positive=True)
        mu, x = parameter("mu"), _x()
        th, eta = sp.Symbol("theta1", real=True), sp.Symbol("eta1", real=True)
        super().__init__(ExponentialFamily(
            f"NormalMean({s})", [mu], SampleSpace.interval(x), [x], [mu.symbol / s**2],
            lambda t: s**2 * t[0] ** 2 / 2, -x**2 / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2,
            from_natural=[s**2 * th], from_expectation=[eta], location_scale=(mu.symbol, s),
            closed_forms={"distance": ClosedFormDistance(location_distance, scale=s)}))


class Normal(StatisticalManifold):
    """Normal(mu, sigma), sigma the standard deviation."""

    def __init__(self):
        mu, sigma, x = parameter("mu"), parameter("sigma", 0, typical=(0.5, 2)), _x()
        t1, t2 = sp.Symbol("theta1", real=True), sp.Symbol("theta2", negative=True)
        e1, e2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", positive=True)
        m, s = mu.symbol, sigma.symbol
        super().__init__(ExponentialFamily(
            "Normal", [mu, sigma], SampleSpace.interval(x), [x, x**2], [m / s**2, -1 / (2 * s**2)],
            _normal_log_partition, theta=[t1, t2],
            from_natural=[-t1 / (2 * t2), sp.sqrt(-1 / (2 * t2))],
            from_expectation=[e1, sp.sqrt(e2 - e1**2)], location_scale=(m, s),
            closed_forms={"distance": ClosedFormDistance(location_scale_distance, A=1, B=2)}))


class LogNormal(StatisticalManifold):
    """LogNormal(mu, sigma): log x ~ Normal(mu, sigma)."""

    def __init__(self):
        mu, sigma, x = parameter("mu"), parameter("sigma", 0, typical=(0.5, 2)), _x(positive=True)
        t1, t2 = sp.Symbol("theta1", real=True), sp.Symbol("theta2", negative=True)
        e1, e2 = sp.Symbol("eta1", real=True), sp.Symbol("eta2", positive=True)
        m, s = mu.symbol, sigma.symbol
        super().__init__(ExponentialFamily(
            "LogNormal", [mu, sigma], SampleSpace.interval(x, 0, sp.oo), [sp.log(x), sp.log(x) ** 2],
            [m / s**2, -1 / (2 * s**2)], _normal_log_partition, -sp.log(x), theta=[t1, t2],
            from_natural=[-t1 / (2 * t2), sp.sqrt(-1 / (2 * t2))],
            from_expectation=[e1, sp.sqrt(e2 - e1**2)],
            closed_forms={"distance": ClosedFormDistance(location_scale_distance, A=1, B=2)}))


class Gamma(StatisticalManifold):
    """Gamma(a, b), a the shape and b the rate, on x > 0."""

    def __init__(self):
        a, b, x = parameter("a", 0, typical=(0.5, 4)), parameter("b", 0, typical=(0.5, 3)), _x(positive=True)
        t1, t2 = sp.Symbol("theta1", real=True), sp.Symbol("theta2", negative=True)
        super().__init__(ExponentialFamily(
            "Gamma", [a, b], SampleSpace.interval(x, 0, sp.oo), [sp.log(x), x], [a.symbol - 1, -b.symbol],
            lambda t: sp.loggamma(t[0] + 1) - (t[0] + 1) * sp.log(-t[1]), theta=[t1, t2],
            from_natural=[t1 + 1, -t2]))


class Beta(StatisticalManifold):
    """Beta(a, b) on (0, 1)."""

    def __init__(self):
        a, b, x = parameter("a", 0, typical=(0.5, 4)), parameter("b", 0, typical=(0.5, 4)), _x(positive=True)
        t1, t2 = sp.Symbol("theta1", real=True), sp.Symbol("theta2", real=True)
        super().__init__(ExponentialFamily(
            "Beta", [a, b], SampleSpace.interval(x, 0, 1), [sp.log(x), sp.log(1 - x)],
            [a.symbol - 1, b.symbol - 1],
            lambda t: sp.loggamma(t[0] + 1) + sp.loggamma(t[1] + 1) - sp.loggamma(t[0] + t[1] + 2),
            theta=[t1, t2], from_natural=[t1 + 1, t2 + 1]))


class Dirichlet(StatisticalManifold):
    """Dirichlet(a1, ..., ak) on the (k-1)-simplex."""

    def __init__(self, k=3):
        k = integer("k", k, minimum=2)
        ps = [parameter(f"a{i + 1}", 0, typical=(0.5, 4)) for i in range(k)]
        xs = sp.symbols(f"x1:{k + 1}", positive=True)
        ths = sp.symbols(f"theta1:{k + 1}", real=True)
        super().__init__(ExponentialFamily(
            f"Dirichlet({k})", ps, SampleSpace.simplex(xs), [sp.log(v) for v in xs], [p.symbol - 1 for p in ps],
            lambda t: sum(sp.loggamma(ti + 1) for ti in t) - sp.loggamma(sum(t) + k),
            theta=ths, from_natural=[t + 1 for t in ths]))


class Categorical(StatisticalManifold):
    """Categorical(k) on {1, ..., k} with coordinates p1, ..., p(k-1); p_k = 1 - sum."""

    def __init__(self, k=3):
        k = integer("k", k, minimum=2)
        ps = [parameter(f"p{i + 1}", 0, 1, typical=(0.3 / k, 1.6 / k)) for i in range(k - 1)]
        x = _x(integer=True)
        last = 1 - sum(p.symbol for p in ps)
        ths = sp.symbols(f"theta1:{k}", real=True)
        etas = sp.symbols(f"eta1:{k}", real=True)
        total = 1 + sum(sp.exp(t) for t in ths)
        super().__init__(ExponentialFamily(
            f"Categorical({k})", ps, SampleSpace.finite(x, range(1, k + 1)),
            [sp.KroneckerDelta(x, i + 1) for i in range(k - 1)], [sp.log(p.symbol / last) for p in ps],
            lambda t: sp.log(1 + sum(sp.exp(ti) for ti in t)), theta=ths,
            from_natural=[sp.exp(t) / total for t in ths], from_expectation=list(etas),
            constraints=[Constraint(last, f"p{k} = 1 - p1 - ... - p{k - 1} > 0")],
            closed_forms={"distance": ClosedFormDistance(categorical_distance)}))


class InverseGaussian(StatisticalManifold):
    """InverseGaussian(mu, lam): mean mu, shape lam, on x > 0."""

    def __init__(self):
        mu, lam, x = parameter("mu", 0, typical=(0.5, 3)), parameter("lam", 0, typical=(0.5, 3)), _x(positive=True)
        t1, t2 = sp.Symbol("theta1", negative=True), sp.Symbol("theta2", negative=True)
        e1, e2 = sp.Symbol("eta1", positive=True), sp.Symbol("eta2", positive=True)
        m, l = mu.symbol, lam.symbol
        super().__init__(ExponentialFamily(
            "InverseGaussian", [mu, lam], SampleSpace.interval(x, 0, sp.oo), [x, 1 / x],
            [-l / (2 * m**2), -l / 2],
            lambda t: -2 * sp.sqrt(t[0] * t[1]) - sp.log(-2 * t[1]) / 2 + sp.log(2 * sp.pi) / 2,
            -3 * sp.log(x) / 2, theta=[t1, t2],
            from_natural=[sp.sqrt(t2 / t1), -2 * t2], from_expectation=[e1, 1 / (e2 - 1 / e1)],
            closed_forms={"distance": ClosedFormDistance(inverse_gaussian_distance)}))


class VonMises(StatisticalManifold):
    """VonMises(mu, kappa) on the circle (-pi, pi)."""

    shooting_chart = "natural"  # (mu, kappa) are polar coordinates of theta: singular at kappa = 0
    shooting_guess = staticmethod(von_mises_log_guess)  # the large-kappa (wrapped normal) limit

    def __init__(self):
        mu, kappa = parameter("mu", typical=(-2.5, 2.5), period=2 * sp.pi), parameter("kappa", 0, typical=(0.5, 4))
        x = _x()
        t1, t2 = sp.symbols("theta1 theta2", real=True)
        m, k = mu.symbol, kappa.symbol
        super().__init__(ExponentialFamily(
            "VonMises", [mu, kappa], SampleSpace.interval(x, -sp.pi, sp.pi), [sp.cos(x), sp.sin(x)],
            [k * sp.cos(m), k * sp.sin(m)],
            lambda t: sp.log(2 * sp.pi * sp.besseli(0, sp.sqrt(t[0] ** 2 + t[1] ** 2))), theta=[t1, t2],
            from_natural=[sp.atan2(t2, t1), sp.sqrt(t1**2 + t2**2)]))


class Cauchy(StatisticalManifold):
    """Cauchy(x0, gamma): location x0, scale gamma."""

    def __init__(self):
        x0, g, x = parameter("x0"), parameter("gamma", 0, typical=(0.5, 2)), _x()
        super().__init__(StatisticalModel(
            "Cauchy", [x0, g], SampleSpace.interval(x),
            sp.log(g.symbol) - sp.log(sp.pi) - sp.log(g.symbol**2 + (x - x0.symbol) ** 2),
            location_scale=(x0.symbol, g.symbol),
            closed_forms={"kl_divergence": _cauchy_kl, "chi2_divergence": _cauchy_chi2, "distance": ClosedFormDistance(location_scale_distance, A=sp.Rational(1, 2), B=sp.Rational(1, 2))}))


class StudentT(StatisticalManifold):
    r"""Student's t with ``nu`` degrees of freedom (fixed), location mu and scale sigma.

    The metric is declared in closed form,
    :math:`\mathrm{diag}\big(\tfrac{\nu+1}{(\nu+3)\sigma^2}, \tfrac{2\nu}{(\nu+3)\sigma^2}\big)`
    (Lange, Little & Taylor, JASA 84, 1989, sec. 3), because sympy cannot integrate the
    score for a symbolic ``nu``; so is the Amari-Chentsov tensor, derived with
    :math:`B = (u^2/\nu)/(1 + u^2/\nu) \sim \mathrm{Beta}(1/2, \nu/2)` for the standardised
    :math:`u`: :math:`T_{\mu\mu\sigma} = 2(\nu+1)(\nu-1)/((\nu+3)(\nu+5)\sigma^3)`,
    :math:`T_{\sigma\sigma\sigma} = 8\nu(\nu-1)/((\nu+3)(\nu+5)\sigma^3)`, the others zero
    (Normal limit 2 and 8; Cauchy, nu = 1, zero). Tests compare both with Monte Carlo.
    ``nu`` is a symbol when omitted; the numeric layer then needs a value,
    ``StudentT().with_constants(nu=...)``.
    """

    def __init__(self, nu=None):
        nu = _fixed("nu", nu, positive=True)
        mu, sigma, x = parameter("mu"), parameter("sigma", 0, typical=(0.5, 2)), _x()
        m, s = mu.symbol, sigma.symbol
        # sympy evaluates loggamma at an integer or half-integer exactly, through the
        # factorial, whenever an expression holding it is rebuilt: StudentT(9**9) took
        # minutes to construct (the fuzz suite). Past _EXACT_LOGGAMMA_MAX the constant is a
        # 30-digit float (mpmath), which no rewrite evaluates again.
        const = sp.loggamma((nu + 1) / 2) - sp.loggamma(nu / 2) if not (
            nu.is_number and nu > _EXACT_LOGGAMMA_MAX) else _loggamma_ratio(nu)
        logp = (const - sp.log(nu * sp.pi) / 2 - sp.log(s)
                - (nu + 1) / 2 * sp.log(1 + (x - m) ** 2 / (nu * s**2)))
        metric = sp.diag((nu + 1) / ((nu + 3) * s**2), 2 * nu / ((nu + 3) * s**2))
        t112 = 2 * (nu + 1) * (nu - 1) / ((nu + 3) * (nu + 5) * s**3)
        t222 = 8 * nu * (nu - 1) / ((nu + 3) * (nu + 5) * s**3)
        skew = sp.ImmutableDenseNDimArray([0, t112, t112, 0, t112, 0, 0, t222], (2, 2, 2))
        super().__init__(StatisticalModel(
            f"StudentT({nu})", [mu, sigma], SampleSpace.interval(x), logp, location_scale=(m, s),
            # KL: the Cauchy closed form at nu = 1; for other nu none is known to us (the
            # integral of log(1 + u^2/nu) against a t density of another scale)
            closed_forms={"fisher_metric": metric, "amari_chentsov": skew,
                          "kl_divergence": _cauchy_kl if nu == 1 else None,
                          "chi2_divergence": _cauchy_chi2 if nu == 1 else None,
                          "distance": ClosedFormDistance(location_scale_distance, A=(nu + 1) / (nu + 3),
                                                         B=2 * nu / (nu + 3))}))


class Laplace(StatisticalManifold):
    """Laplace(mu, b) with known scale ``b``; coordinate mu (``b`` a symbol when omitted: the
    numeric layer then needs ``Laplace().with_constants(b=...)``).
    """

    def __init__(self, b=None):
        b = _fixed("b", b, positive=True)
        mu, x = parameter("mu"), _x()
        super().__init__(StatisticalModel(
            f"Laplace({b})", [mu], SampleSpace.interval(x), -sp.Abs(x - mu.symbol) / b - sp.log(2 * b),
            location_scale=(mu.symbol, b),
            closed_forms={"kl_divergence": _laplace_kl(b), "distance": ClosedFormDistance(location_distance, scale=b)}))


def _normal_fisher_metric(S, tri, coordinates):
    r"""The Fisher metric of the multivariate normal in (mean, covariance) coordinates, by
    matrix calculus before expanding: :math:`g(\mu_a, \mu_b) = (\Sigma^{-1})_{ab}`,
    :math:`g(d\Sigma_1, d\Sigma_2) = \tfrac12\operatorname{tr}(\Sigma^{-1}d\Sigma_1\Sigma^{-1}d\Sigma_2)`,
    zero across the blocks (L. T. Skovgaard, Scand. J. Statist. 11, 1984, pp. 211-223;
    docs/guide/higher-dimension.md).
    """
    from symbolic import simplify_array

    d = S.shape[0]
    det, adj = S.det(), S.adjugate()
    unit = [sp.Matrix(d, d, lambda r, c, e=(i, j): 1 if {r, c} == set(e) else 0) for i, j in tri]
    g = sp.zeros(d + len(tri))
    g[:d, :d] = adj / det
    for a, Ea in enumerate(unit):
        AEa = adj * Ea
        for b in range(a, len(unit)):
            g[d + a, d + b] = g[d + b, d + a] = sp.expand((AEa * adj * unit[b]).trace()) / (2 * det**2)
    return simplify_array(g, coordinates)


class MultivariateNormal(StatisticalManifold):
    """MultivariateNormal(d): coordinates mu1..mud, then the lower triangle of the
    covariance row by row (sigma11, sigma21, sigma22, ...).
    """

    def __init__(self, d=2):
        d = integer("d", d)
        if d < 1:
            raise DomainError(f"d must be a positive integer, got {d!r}")
        mus = [parameter(f"mu{i + 1}") for i in range(d)]
        tri = [(i, j) for i in range(d) for j in range(i + 1)]
        sig = {(i, j): parameter(f"sigma{i + 1}{j + 1}", 0, typical=(1.0, 2.0)) if i == j
               else parameter(f"sigma{i + 1}{j + 1}", typical=(-0.4, 0.4)) for i, j in tri}
        S = sp.Matrix(d, d, lambda i, j: sig[(max(i, j), min(i, j))].symbol)
        mu = sp.Matrix([p.symbol for p in mus])
        det, adj = S.det(), S.adjugate()
        P = adj / det
        xs = sp.Matrix(sp.symbols(f"x1:{d + 1}", real=True))
        stats = list(xs) + [xs[i] * xs[j] for i, j in tri]
        Pmu = P * mu
        natural = [sp.factor(v) for v in Pmu] + [sp.factor(-P[i, j] / 2 if i == j else -P[i, j]) for i, j in tri]
        th = sp.symbols(f"theta1:{d + len(tri) + 1}", real=True)
        eta = sp.symbols(f"eta1:{d + len(tri) + 1}", real=True)
        pos = {(i, j): d + k for k, (i, j) in enumerate(tri)}

        def precision(t):
            return sp.Matrix(d, d, lambda i, j: -2 * t[pos[(i, i)]] if i == j else -t[pos[(max(i, j), min(i, j))]])

        def log_partition(t):
            Pt = precision(t)
            m = sp.Matrix(t[:d])
            return (m.T * Pt.adjugate() * m)[0] / (2 * Pt.det()) - sp.log(Pt.det()) / 2 + d * sp.log(2 * sp.pi) / 2

        Pt = precision(th)
        cov_from_theta = Pt.adjugate() / Pt.det()
        mean_from_theta = cov_from_theta * sp.Matrix(th[:d])
        from_natural = list(mean_from_theta) + [sp.factor(cov_from_theta[i, j]) for i, j in tri]
        from_expectation = list(eta[:d]) + [eta[pos[(i, j)]] - eta[i] * eta[j] for i, j in tri]
        minors = [Constraint(S[:k, :k].det(), f"the leading {k}x{k} minor of the covariance > 0") for k in range(2, d + 1)]
        coordinates = [p.symbol for p in mus + [sig[t] for t in tri]]
        # F(theta(xi)) and the metric in matrix form (substituting theta(xi) into F and
        # expanding is exponential in d: MultivariateNormal(3) took over 300 s)
        closed = {"log_partition_at_coordinates": (mu.T * adj * mu)[0] / (2 * det) + sp.log(det) / 2
                  + d * sp.log(2 * sp.pi) / 2,
                  "fisher_metric": lambda: _normal_fisher_metric(S, tri, coordinates)}
        # first guess of the log map: the Calvo-Oller embedding's geodesic, projected
        self.shooting_guess = functools.partial(normal_log_guess, d=d)
        super().__init__(ExponentialFamily(
            f"MultivariateNormal({d})", mus + [sig[t] for t in tri], SampleSpace.product(tuple(xs)),
            stats, natural, log_partition, -0 * xs[0], theta=th,
            from_natural=from_natural, from_expectation=from_expectation, constraints=minors,
            closed_forms=closed))


#: The catalog with typical constructor arguments, driving the test battery, the tour and
#: the benchmarks.
#: Values for the symbolic constants of the catalog's general forms (``Binomial()``,
#: ``NormalMean()``, ``StudentT()``, ``Laplace()``) that the test battery, the benchmarks and
#: the examples bind when they need numbers: ``M.with_constants(**TYPICAL_CONSTANTS[name])``.
#: Nothing applies them silently; the numeric layer refuses a constant without a value.
TYPICAL_CONSTANTS = {
    "Binomial": {"n": 10},
    "NormalMean": {"sigma": 1.3},
    "StudentT": {"nu": 4.5},
    "Laplace": {"b": 1.5},
}

CATALOG = [
    ("Bernoulli", Bernoulli, ()),
    ("Binomial", Binomial, ()),
    ("Geometric", Geometric, ()),
    ("Poisson", Poisson, ()),
    ("Exponential", Exponential, ()),
    ("NormalMean", NormalMean, ()),
    ("Normal", Normal, ()),
    ("Gamma", Gamma, ()),
    ("Beta", Beta, ()),
    ("Dirichlet(3)", Dirichlet, (3,)),
    ("Categorical(3)", Categorical, (3,)),
    ("InverseGaussian", InverseGaussian, ()),
    ("LogNormal", LogNormal, ()),
    ("Cauchy", Cauchy, ()),
    ("StudentT", StudentT, ()),
    ("Laplace", Laplace, ()),
    ("VonMises", VonMises, ()),
    ("MultivariateNormal(2)", MultivariateNormal, (2,)),
]

for _name, _family, _args in CATALOG:
    _family.library_declaration = True
