r"""Exact expectations over a model: by the moments of the sufficient statistics of an
exponential family, or by summation and integration over the sample space.

For an exponential family the moments of :math:`T` follow from the log-partition alone:
with :math:`m_\alpha = E[t^\alpha]`,
:math:`m_{\alpha + e_a} = \partial_a m_\alpha + (\partial_a F)\, m_\alpha` and :math:`m_0 = 1`
(differentiate :math:`\int t^\alpha e^{\theta\cdot t - F} h = m_\alpha`). Any polynomial in
:math:`t` has an exact expectation this way, whatever the sample space.
"""
from __future__ import annotations

from itertools import combinations_with_replacement

import mpmath
import sympy as sp
from sympy.integrals.rationaltools import ratint
from sympy.utilities.iterables import multiset_partitions

from . import budget
from .algebra import RationalAlgebra, simplify_entries
from .errors import DeclarationError, DerivationError
from .model import ExponentialFamily

__all__ = ["ExpectationFrame", "expectation_frame", "moment", "integrate_expectation", "density",
           "detect_location_scale", "ways_forward", "CLOSED_FORM_KEYS", "check_declaration"]

#: The ``closed_forms`` key that short-cuts each derived quantity (``StatisticalModel(...,
#: closed_forms={"fisher_metric": G})``); quantities built on the metric share its key.
CLOSED_FORM_KEYS = {
    "fisher_metric": "fisher_metric", "inverse_metric": "fisher_metric", "christoffel": "fisher_metric",
    "riemann": "fisher_metric", "ricci": "fisher_metric", "scalar_curvature": "fisher_metric",
    "gaussian_curvature": "fisher_metric", "amari_chentsov": "amari_chentsov",
    "alpha_connection": "amari_chentsov", "kl_divergence": "kl_divergence",
}


def moment(family, alpha):
    r""":math:`E[t^\alpha]` of an exponential family, in the natural-parameter symbols.

    Examples
    --------
    >>> import sympy as sp
    >>> from symbolic.model import ExponentialFamily, SampleSpace, parameter
    >>> x = sp.Symbol("x", integer=True, nonnegative=True)
    >>> lam = parameter("lam", lower=0)
    >>> poisson = ExponentialFamily("Poisson", [lam], SampleSpace.integers(x), [x], [sp.log(lam.symbol)],
    ...                             lambda th: sp.exp(th[0]), -sp.log(sp.factorial(x)))
    >>> moment(poisson, (2,))
    exp(2*theta1) + exp(theta1)
    """
    F, theta = family.log_partition, family.theta
    return sp.expand(_moment_from_cumulants(alpha, lambda idx: sp.diff(F, *[theta[i] for i in idx])))


def _moment_from_cumulants(alpha, cumulant):
    r"""Moments from cumulants: :math:`E[t_{i_1}\cdots t_{i_r}] = \sum_\pi \prod_{B\in\pi} \kappa_B`
    over the set partitions :math:`\pi` of the index list (the cumulants of :math:`T` are the
    derivatives of :math:`F`).
    """
    indices = [a for a, k in enumerate(alpha) for _ in range(k)]
    if not indices:
        return sp.Integer(1)
    total = None
    for partition in multiset_partitions(list(range(len(indices)))):
        term = None
        for block in partition:
            k = cumulant(tuple(sorted(indices[i] for i in block)))
            term = k if term is None else term * k
        total = term if total is None else total + term
    return total


def density(model):
    r""":math:`p(x;\xi)` with ``exp(log(...))`` collapsed term by term."""
    terms = sp.Add.make_args(sp.expand(sp.expand_log(model.log_density, force=False)))
    # powdenest(force=True) takes every symbol positive, which turns KroneckerDelta(0, x) into 0
    # (a zero-inflated count law lost its inflation)
    return sp.Mul(*[sp.exp(t) if t.has(sp.KroneckerDelta) else sp.powdenest(sp.exp(t), force=True) for t in terms])


def integrate_expectation(model, expr):
    """:math:`E[expr]` by exact summation or integration over the sample space.

    Raises
    ------
    DerivationError
        naming the sum or integral that sympy could not evaluate.
    """
    space = model.space
    integrand = expr * density(model)
    (x, *rest) = space.variables
    with budget.step(_integral_text(model, expr, space)):
        result = _sum_or_integrate(model, space, integrand, x, rest, expr)
    if result.has(sp.Integral, sp.Sum) or result.has(sp.nan, sp.zoo):
        raise DerivationError(_failure_text(model, expr, space))
    return result


def _sum_or_integrate(model, space, integrand, x, rest, expr):
    try:
        if space.kind == "finite":
            result = sum(integrand.subs(x, v) for v in space.values)
        elif space.kind == "integers":
            result = sum(_converged(sp.summation(term, (x, space.lower, space.upper)))
                         for term in sp.Add.make_args(sp.expand(integrand)))
        elif space.kind == "interval" and not rest:
            hint = model.location_scale if model.location_scale is not None else detect_location_scale(model)
            if hint is not None and (space.lower, space.upper) in ((-sp.oo, sp.oo), (0, sp.oo)):
                loc, scale = hint
                u = sp.Dummy("u", real=True) if space.lower == -sp.oo else sp.Dummy("u", positive=True)
                integrand = sp.cancel(sp.expand(integrand.subs(x, loc + scale * u) * scale))
                x = u
            result = _integrate_real_line_rational(integrand, x) if (
                space.lower == -sp.oo and space.upper == sp.oo) else None
            if result is None:
                result = sp.integrate(integrand, (x, space.lower, space.upper), conds="none")
        elif space.kind == "simplex":
            result = integrand.subs(space.variables[-1], 1 - sum(space.variables[:-1]))
            free = list(space.variables[:-1])
            for i, v in enumerate(reversed(free)):
                upper = 1 - sum(free[: len(free) - 1 - i])
                result = sp.integrate(result, (v, 0, upper), conds="none")
        else:
            result = integrand
            for v in space.variables:
                result = sp.integrate(result, (v, space.lower, space.upper), conds="none")
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise DerivationError(_failure_text(model, expr, space)) from exc
    return result


def _free_of_parameters(expr, coordinates):
    expr = sp.expand(sp.expand_log(sp.powsimp(sp.expand(expr), force=True), force=True))
    if not expr.free_symbols & set(coordinates):
        return True
    return all(sp.cancel(sp.expand(sp.diff(expr, c))) == 0 for c in coordinates)


def detect_location_scale(model):
    r"""``(location, scale)`` such that :math:`x = \text{location} + \text{scale}\,u` has a law of
    :math:`u` free of the parameters, or ``None``.

    Tried on the real line with a coordinate (or 0) as location and a positive coordinate (or
    1) as scale, on :math:`(0, \infty)` with a positive coordinate as scale alone: the
    log-density of :math:`u`, :math:`\log p(\text{loc} + \text{scale}\,u) + \log \text{scale}`,
    must not depend on the coordinates. Expectations then integrate over :math:`u`, which is
    what the ``location_scale`` hint of a declaration does (N(mu, mu^2): 55 s without it).
    The result is cached on the model.

    Examples
    --------
    >>> import sympy as sp
    >>> from symbolic.model import SampleSpace, StatisticalModel, parameter
    >>> mu, x = parameter("mu", 0), sp.Symbol("x", real=True)
    >>> m = mu.symbol
    >>> curved = StatisticalModel("N(mu, mu^2)", [mu], SampleSpace.interval(x),
    ...                           -(x - m)**2 / (2 * m**2) - sp.log(m) - sp.log(2 * sp.pi) / 2)
    >>> detect_location_scale(curved)
    (mu, mu)
    """
    cache = model.__dict__
    if "_detected_location_scale" not in cache:
        cache["_detected_location_scale"] = _detect_location_scale(model)
    return cache["_detected_location_scale"]


def _detect_location_scale(model):
    space = model.space
    if space.kind != "interval" or len(space.variables) != 1:
        return None
    (x,) = space.variables
    coords = model.coordinates
    positive = [c for c in coords if c.is_positive]
    if (space.lower, space.upper) == (-sp.oo, sp.oo):
        locations = [c for c in coords if c.is_real] + [sp.Integer(0)]
    elif (space.lower, space.upper) == (0, sp.oo):
        locations = [sp.Integer(0)]
    else:
        return None
    u = sp.Dummy("u", real=True) if space.lower == -sp.oo else sp.Dummy("u", positive=True)
    for loc in locations:
        for scale in positive + [sp.Integer(1)]:
            if loc == 0 and scale == 1:
                continue
            try:
                law = model.log_density.subs(x, loc + scale * u) + sp.log(scale)
                if _free_of_parameters(law, coords):
                    return (loc, scale)
            except (TypeError, ValueError, NotImplementedError):
                continue
    return None


def _integrate_real_line_rational(integrand, u):
    r"""Integral over the real line of a rational function of ``u`` (Cauchy-type laws after
    standardisation). ``None`` when the integrand is not rational in ``u``.

    When the denominator's roots are known exactly (the parameters factor out of it, as for a
    standardised law), the residue theorem gives the value from polynomial derivatives:
    :math:`\int_{\mathbb{R}} P/Q = 2\pi i \sum_{\Im r > 0} \mathrm{Res}_r P/Q`, with
    :math:`\mathrm{Res}_r = \frac{1}{(m-1)!}\frac{d^{m-1}}{du^{m-1}}\frac{P}{Q/(u-r)^m}\Big|_r`
    for a root of multiplicity m; otherwise a rational antiderivative (``ratint``) and limits.
    Both are several times faster than the general integrator.
    """
    if not integrand.is_rational_function(u):
        return None
    num, den = sp.fraction(sp.cancel(sp.together(integrand)))
    Q = sp.Poly(den, u)
    lead = Q.LC()
    Q = sp.Poly(sp.cancel(den / lead), u)
    num = num / lead
    roots = sp.roots(Q) if not (Q.free_symbols - {u}) else {}
    if roots and sum(roots.values()) == Q.degree() and sp.Poly(num, u).degree() <= Q.degree() - 2:
        total = sp.Integer(0)
        for r, m in roots.items():
            if sp.im(r).is_positive:
                rest = sp.quo(Q, sp.Poly((u - r) ** m, u, extension=True))
                # (m-1)-th derivative of N/D by the quotient rule on polynomials (cheap)
                N, D = sp.Poly(num, u), rest
                for _ in range(m - 1):
                    N, D = N.diff(u) * D - N * D.diff(u), D**2
                total += (N.as_expr().subs(u, r) / D.as_expr().subs(u, r)) / sp.factorial(m - 1)
        return sp.expand(sp.cancel(sp.expand(2 * sp.pi * sp.I * total)))
    if sp.cancel(integrand.subs(u, -u) + integrand) == 0:
        return sp.Integer(0)
    F = ratint(integrand, u)
    return sp.limit(F, u, sp.oo) - sp.limit(F, u, -sp.oo)


def _converged(value):
    """The convergent branch of a series sympy returns as a Piecewise. Inside the domain the
    sum converges (the density is normalised and the score has every moment), so the branch
    without an unevaluated Sum is the value.
    """
    def pick(pw):
        for expr, _ in pw.args:
            if not expr.has(sp.Sum):
                return expr
        return pw

    return value.replace(lambda e: isinstance(e, sp.Piecewise), pick)


def _shorten(expr, limit=160):
    text = str(expr)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _integral_text(model, expr, space):
    op = "sum" if space.kind in ("finite", "integers") else "integral"
    return f"the {op} of ({_shorten(expr)}) * p(x) over {space.describe()}"


#: Seconds the location-scale detection may take while a message of :func:`ways_forward` is written.
_HINT_SECONDS = 0.5


def ways_forward(model, quantity="fisher_metric", numeric_route=None):
    """The ways forward for a derivation of ``quantity`` that sympy cannot finish, as a
    sentence: the ``location_scale`` hint where it could apply, the ``closed_forms`` keyword
    that declares the result, a larger budget, and ``numeric_route`` (a sentence naming a
    numeric method) when the caller has one.

    Examples
    --------
    >>> from manifolds import Cauchy
    >>> print(ways_forward(Cauchy().model, "scalar_curvature"))
    ways forward: declare the metric in closed form, StatisticalModel(..., closed_forms={"fisher_metric": G}) with G a sympy Matrix; or give more time, timeout=... (seconds) in the call or symbolic.budget.set_default_budget(...)
    """
    options = []
    space = model.space
    plain = model.location_scale is None and space.kind == "interval" and len(space.variables) == 1 and (
        space.lower, space.upper) in ((-sp.oo, sp.oo), (0, sp.oo))
    detected = None
    if plain:
        # this message is written after a budget ran out: the detection gets a short limit of
        # its own (the two-component normal mixture's took 3 s), and the hint stays if it expires
        with budget.time_limit(_HINT_SECONDS):
            detected = detect_location_scale(model)
    if plain and detected is None:
        options.append("if x = loc + scale*u with a law of u free of the parameters, declare it, "
                       "StatisticalModel(..., location_scale=(loc, scale)), so that integrals run over u")
    key = CLOSED_FORM_KEYS.get(quantity)
    if key == "fisher_metric":
        options.append('declare the metric in closed form, StatisticalModel(..., closed_forms={"fisher_metric": G}) '
                       "with G a sympy Matrix")
    elif key == "amari_chentsov":
        options.append('declare the tensor in closed form, StatisticalModel(..., closed_forms={"amari_chentsov": T}) '
                       "with T a sympy Array of shape (n, n, n)")
    elif key == "kl_divergence":
        options.append('declare it in closed form, StatisticalModel(..., closed_forms={"kl_divergence": D}) '
                       "with D an expression of the coordinates and of the second point's (suffix _2)")
    options.append("give more time, timeout=... (seconds) in the call or symbolic.budget.set_default_budget(...)")
    if numeric_route:
        options.append(numeric_route)
    return "ways forward: " + "; or ".join(options)


def _failure_text(model, expr, space):
    return (f"sympy could not evaluate {_integral_text(model, expr, space)} for {model.name}; "
            + ways_forward(model))


# -- is the declaration a family of densities? ---------------------------------------------
def check_declaration(model, exact_timeout=2.0, rng=0):
    r"""Refuse a declaration that does not define a family of densities, before any derivation.

    Checked in order, each failure a :class:`~symbolic.errors.DeclarationError` that says what
    to change:

    1. every parameter appears in the log-density as the declared symbol (a ``Symbol("sigma")``
       built by hand is another symbol than ``parameter("sigma", 0).symbol``);
    2. an observation declared positive is not given a sample space with negative values;
    3. the log-density is real (the density defined and not negative) at test points spread
       over the sample space, at two typical parameter points;
    4. the total mass is one: exactly, by the same summation or integration the derivations use
       (within ``exact_timeout`` seconds; for an exponential family and a multivariate sample
       space only over a finite one), and numerically (mpmath sums and quadrature, accepted
       within 1e-6) at the two parameter points where the exact route does not finish.

    Returns a short text saying how the mass was checked (``"exact"``, ``"numeric"`` or
    ``"not checked (...)"``).

    Examples
    --------
    >>> import sympy as sp
    >>> from symbolic.model import SampleSpace, StatisticalModel, parameter
    >>> sigma, x = parameter("sigma", 0), sp.Symbol("x", positive=True)
    >>> s = sp.Symbol("sigma")            # not the declared parameter: no assumptions
    >>> rayleigh = StatisticalModel("Rayleigh", [sigma], SampleSpace.interval(x, 0, sp.oo),
    ...                             sp.log(x) - 2*sp.log(s) - x**2/(2*s**2))
    >>> check_declaration(rayleigh)
    Traceback (most recent call last):
    ...
    symbolic.errors.DeclarationError: the log-density of Rayleigh uses a symbol sigma that is not the declared parameter sigma (a Symbol with no assumptions, the parameter's has positive=True); build the density from the declared symbol, parameter("sigma", ...).symbol
    """
    _check_parameters_appear(model)
    _check_sample_variables(model)
    try:
        rng_points = [model.random_point(rng), model.random_point(rng + 1)]
    except (NameError, TypeError, ValueError, RuntimeError):
        # a chart whose map needs the family's constants (NormalMean's sigma) cannot draw
        # points here; its declaration is the checked family's, mapped
        return "not checked (no test point)"
    # a constant without a value (n of Binomial()) is checked at a test value of its domain
    trial = {s: _trial_value(s) for s in model.unbound_constants()}
    for point in rng_points:
        _check_support(model, model.substitutions(point) | trial)
    return _check_mass(model, [model.substitutions(p) | trial for p in rng_points], exact_timeout, set(trial))


def _trial_value(symbol):
    if symbol.is_integer:
        return sp.Integer(-3 if symbol.is_negative else 7)
    if symbol.is_negative:
        return sp.Rational(-17, 10)
    return sp.Rational(17, 10)


def _assumption_text(symbol):
    for key in ("positive", "negative", "nonnegative", "nonpositive", "integer", "real"):
        if symbol.assumptions0.get(key):
            return f"{key}=True"
    return "no assumptions"


def _check_parameters_appear(model):
    used = model.log_density.free_symbols
    for p in model.parameters:
        if p.symbol in used:
            continue
        twins = [s for s in used if s.name == p.name]
        if twins:
            twin = twins[0]
            raise DeclarationError(
                f"the log-density of {model.name} uses a symbol {p.name} that is not the declared parameter "
                f"{p.name} (a Symbol with {_assumption_text(twin)}, the parameter's has "
                f"{_assumption_text(p.symbol)}); build the density from the declared symbol, "
                f'parameter("{p.name}", ...).symbol')
        raise DeclarationError(
            f"the log-density of {model.name} does not depend on the parameter {p.name}: its Fisher "
            f"metric would be singular; use {p.name} in the density or leave it out of the parameters")


def _check_sample_variables(model):
    space = model.space
    if space.kind not in ("interval", "product"):
        return
    lower = space.lower.subs(model.constants)
    for v in space.variables:
        if (v.is_positive or v.is_nonnegative) and (lower.is_negative or lower == -sp.oo):
            raise DeclarationError(
                f"the observation {v.name} of {model.name} is declared nonnegative (its Symbol has "
                f"{_assumption_text(v)}) but the sample space {space.describe()} has negative values; "
                f"declare the sample space the density lives on (SampleSpace.interval({v.name}, 0, oo)) "
                f"or a real {v.name}")


def _test_observations(space, consts):
    def number(v):
        return float(sp.sympify(v, strict=True).subs(consts))

    if space.kind == "finite":
        return [(float(v),) for v in space.values[:50]]
    lo, hi = number(space.lower), number(space.upper)
    if space.kind == "integers":
        top = hi if hi != float("inf") else lo + 6
        return [(float(k),) for k in range(int(lo), int(min(top, lo + 6)) + 1)]
    if space.kind == "simplex":
        k = len(space.variables)
        return [tuple([1.0 / k] * k), tuple([0.5] + [0.5 / (k - 1)] * (k - 1))]
    if lo == float("-inf") and hi == float("inf"):
        xs = [-3.0, -0.5, 0.5, 3.0]
    elif hi == float("inf"):
        xs = [lo + d for d in (0.1, 1.0, 4.0)]
    elif lo == float("-inf"):
        xs = [hi - d for d in (0.1, 1.0, 4.0)]
    else:
        xs = [lo + (hi - lo) * f for f in (0.1, 0.5, 0.9)]
    return [tuple([x] * len(space.variables)) for x in xs]


def _check_support(model, subs):
    space = model.space
    logp = model.log_density.subs(subs)
    for obs in _test_observations(space, subs):
        at = dict(zip(space.variables, [sp.Float(v) for v in obs], strict=True))
        value = sp.N(logp.subs(at), 15)
        ok = value.is_real is not False and value not in (sp.nan, sp.zoo) and not (
            value.is_number and abs(sp.im(value)) > 1e-12)
        if value == sp.oo:
            ok = False
        if not ok:
            where = ", ".join(f"{v.name} = {o:g}" for v, o in zip(space.variables, obs, strict=True))
            point = ", ".join(f"{p.name} = {float(subs[p.symbol]):.4g}" for p in model.parameters)
            raise DeclarationError(
                f"the log-density of {model.name} is not a real number at {where} ({point}): got "
                f"{_shorten(value, 60)}, so p is undefined or negative at a point of the declared sample "
                f"space {space.describe()}; declare the sample space on which the density lives")


# finite sample spaces larger than these are not summed exactly / numerically by the mass
# check (Binomial(10**6) lists a million points: a symbolic sum of them never ends)
_EXACT_FINITE_MAX = 64
_NUMERIC_FINITE_MAX = 10_000


def _check_mass(model, points, exact_timeout, trial=frozenset()):
    space = model.space
    one_variable = len(space.variables) == 1
    size = len(space.values) if space.kind == "finite" else 0
    if size > _NUMERIC_FINITE_MAX:
        return f"not checked (a finite sample space of {size} points)"
    exact_route = (space.kind == "finite" and size <= _EXACT_FINITE_MAX) or (
        one_variable and space.kind != "finite" and not isinstance(model, ExponentialFamily))
    if exact_route:
        residual = None
        try:
            with budget.time_limit(exact_timeout):
                mass = integrate_expectation(model, sp.Integer(1))
                residual = sp.simplify(mass - 1)
        except DerivationError:
            residual = None
        if residual is not None and residual == 0:
            return "exact"
        if residual is not None and residual.free_symbols <= set(model.coordinates) | set(model.constants) | trial:
            values = [complex(sp.N(mass.subs(p), 20)) for p in points]
            numeric = [_numeric_mass(model, p) for p in points] if one_variable else [None]
            if any(abs(v - 1) > 1e-9 for v in values) and all(m is not None and abs(m - 1) < 1e-6 for m in numeric):
                # the exact route itself is wrong here: refuse to derive rather than blame the model
                raise DerivationError(
                    f"sympy's exact {'sum' if space.kind in ('finite', 'integers') else 'integral'} of the "
                    f"density of {model.name} gives total mass {_shorten(mass, 80)}, mpmath gives 1: exact "
                    f"expectations of this model are not reliable; " + ways_forward(model))
            if any(abs(v - 1) > 1e-9 for v in values):
                raise DeclarationError(
                    f"the density of {model.name} has total mass {_shorten(sp.factor(mass), 80)} over "
                    f"{space.describe()}, not 1; divide it by that mass (subtract its log from the log-density)")
    if not one_variable:
        return "not checked (a sample space of several variables)"
    for p in points:
        mass = _numeric_mass(model, p)
        if mass is not None and abs(mass - 1) > 1e-6:
            point = ", ".join(f"{q.name} = {float(p[q.symbol]):.4g}" for q in model.parameters)
            raise DeclarationError(
                f"the density of {model.name} has total mass {mass:.10g} over {space.describe()} at {point} "
                f"(mpmath quadrature), not 1; divide it by its mass (subtract the log of the mass from "
                f"the log-density)")
    return "numeric"


def _numeric_mass(model, subs):
    """The total mass at one parameter point by mpmath, or ``None`` when it cannot be evaluated."""
    space = model.space
    (x,) = space.variables
    logp = model.log_density.subs(subs).rewrite(sp.Piecewise) if model.log_density.has(sp.KroneckerDelta) \
        else model.log_density.subs(subs)
    try:
        f = sp.lambdify(x, sp.exp(logp), modules="mpmath")
        with mpmath.workdps(20):
            if space.kind == "finite":
                return float(mpmath.re(mpmath.fsum(f(mpmath.mpf(float(v))) for v in space.values)))
            lo = float(sp.sympify(space.lower, strict=True).subs(subs))
            hi = float(sp.sympify(space.upper, strict=True).subs(subs))
            if space.kind == "integers":
                total, k = mpmath.mpf(0), int(lo)
                while k <= hi:
                    term = f(mpmath.mpf(k))
                    total += term
                    if k > lo + 50 and abs(term) < 1e-22 * abs(total):
                        break
                    k += 1
                    if k > lo + 100000:
                        return None
                return float(mpmath.re(total))
            cuts = [lo] + [c for c in (-10.0, -1.0, 0.0, 1.0, 10.0) if lo < c < hi] + [hi]
            value, error = mpmath.quad(f, [mpmath.mpf(c) for c in cuts], error=True, maxdegree=8)
            value = complex(value)
            if abs(value.imag) > 1e-9 or float(error) > 1e-8:
                return None
            return value.real
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, ArithmeticError, NameError):
        return None


class ExpectationFrame:
    """A log-likelihood, its derivatives and the expectation operator that goes with them.

    Derivations are written once against this small interface: :attr:`log_likelihood`,
    :meth:`d` (a coordinate derivative), :meth:`const` (a constant), ordinary ``+`` and ``*``,
    and :meth:`expect_all`. For an exponential family (method ``"moments"``) the objects are
    elements of one :class:`RationalAlgebra` in which the log-likelihood is a polynomial in the
    statistic symbols ``t1, t2, ...``; derivatives and products stay cancelled there and
    expectations replace monomials in ``t`` by moments built from cumulants. Otherwise (method
    ``"integrate"``) the objects are sympy expressions in the observation and expectations sum
    or integrate over the sample space.
    """

    def __init__(self, model, method, symbols=(), degree=3):
        self.model = model
        self.method = method
        if method != "moments":
            self.log_likelihood = model.log_density
            return
        self._t = model.statistic_symbols()
        l = model.log_density_in_statistics()
        n, m = model.dim, len(model.statistics)
        J = sp.Matrix(model.natural).jacobian(sp.Matrix(model.coordinates))
        A = self.A = RationalAlgebra(model.coordinates, [l] + list(J), order=3,
                                     symbols=tuple(self._t) + tuple(symbols))
        self.jacobian = A.matrix(J)
        Jinv = None
        if m == n:
            try:
                Jinv = A.inverse(self.jacobian)
            except ZeroDivisionError:
                Jinv = None
        first = self._cumulants_up_to(1 if Jinv is not None else degree)
        self._kappa = {idx: A.element(v) for idx, v in first.items()}
        if Jinv is not None:
            # higher cumulants by the chain rule in the coordinates, where everything stays
            # cancelled: kappa_{I b} = sum_i d_i kappa_I (J^-1)_{i b}
            for r in range(2, degree + 1):
                for idx in combinations_with_replacement(range(m), r):
                    lower = self._kappa[idx[:-1]]
                    self._kappa[idx] = sum((A.diff(lower, i) * Jinv[i][idx[-1]] for i in range(n)), A.zero)
        self._t_index = [A.gen_index(t) for t in self._t]
        self.log_likelihood = A.element(l)
        self._moments = {}

    # -- the interface derivations use -------------------------------------------------
    def d(self, obj, i):
        """Derivative with respect to coordinate ``i``."""
        if self.method == "moments":
            return self.A.diff(obj, i)
        return sp.diff(obj, self.model.coordinates[i])

    def const(self, expr):
        """``expr`` as a constant object of this frame (an algebra element or a sympy expression)."""
        return self.A.element(expr) if self.method == "moments" else sp.sympify(expr, strict=True)

    def expect(self, obj):
        """:math:`E[obj]`."""
        return self.expect_all([obj])[0]

    def expect_all(self, objs, factor=True):
        """:math:`E[obj]` for each object, in normal form."""
        if self.method != "moments":
            out = [integrate_expectation(self.model, sp.expand(o)) for o in objs]
            return simplify_entries(out, self.model.coordinates, factor=factor)
        return [self.A.expr(self._expect_element(o), factor=factor) for o in objs]

    # -- moments ---------------------------------------------------------------------------
    def _expect_element(self, elem):
        A = self.A
        num, den = elem.numer, elem.denom
        if any(den.degree(i) > 0 for i in self._t_index):
            raise ValueError("the statistics appear in a denominator; not a polynomial in t")
        groups = {}
        for monom, coeff in num.terms():
            key = tuple(monom[i] for i in self._t_index)
            rest = list(monom)
            for i in self._t_index:
                rest[i] = 0
            groups.setdefault(key, {})[tuple(rest)] = coeff
        ring = num.ring
        total = A.zero
        for key, terms in groups.items():
            total += A.field(ring.from_dict(terms)) * self._moment(key)
        return total / A.field(den)

    def _moment(self, monom):
        if monom not in self._moments:
            if not any(monom):
                self._moments[monom] = self.A.one
            else:
                self._moments[monom] = _moment_from_cumulants(monom, self._kappa_of)
        return self._moments[monom]

    def _kappa_of(self, idx):
        if idx not in self._kappa:
            self._kappa[idx] = self.A.element(self._cumulant(idx))
        return self._kappa[idx]

    def skewness(self):
        r""":math:`T_{ijk} = \kappa_{abc} J_{ai} J_{bj} J_{ck}` as field elements ``[i][j][k]``
        (the third cumulant of :math:`T` is a tensor; pulled back it is the Amari-Chentsov
        tensor).
        """
        A, n, m = self.A, self.model.dim, len(self._t)
        J = self.jacobian
        k3 = {idx: self._kappa_of(idx) for idx in combinations_with_replacement(range(m), 3)}
        out = {}
        for i, j, k in combinations_with_replacement(range(n), 3):
            v = A.zero
            for a in range(m):
                for b in range(m):
                    for c in range(m):
                        if J[a][i] and J[b][j] and J[c][k]:
                            v += k3[tuple(sorted((a, b, c)))] * J[a][i] * J[b][j] * J[c][k]
            out[(i, j, k)] = v
        return out

    def _cumulants_up_to(self, degree):
        m = len(self.model.statistics)
        return {idx: self._cumulant(idx) for r in range(1, degree + 1)
                for idx in combinations_with_replacement(range(m), r)}

    def _cumulant(self, idx):
        """A cumulant of T at theta(xi), in normal form (cached on the model)."""
        cache = self.model.__dict__.setdefault("_cumulants_at_coordinates", {})
        if idx not in cache:
            model = self.model
            d = sp.diff(model.log_partition, *[model.theta[i] for i in idx])
            d = model.at_coordinates(d)
            cache[idx] = simplify_entries([d], model.coordinates, factor=False)[0]
        return cache[idx]


def expectation_frame(model, method="auto", symbols=(), degree=3):
    """The frame for ``method`` in ``{"auto", "moments", "integrate"}``; ``symbols`` are extra
    constants the derivation will use (a symbolic alpha), ``degree`` the highest moment.
    """
    if method == "auto":
        method = "moments" if isinstance(model, ExponentialFamily) else "integrate"
    if method == "moments" and not isinstance(model, ExponentialFamily):
        raise ValueError(f"method='moments' needs an exponential family; {model.name} is not one")
    if method not in ("moments", "integrate"):
        raise ValueError(f"method must be 'auto', 'moments' or 'integrate', got {method!r}")
    return ExpectationFrame(model, method, symbols, degree)
