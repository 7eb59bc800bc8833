r"""The Riemannian volume of the Fisher metric and what rests on it: the Jeffreys prior, the
Cramér-Rao bound and sectional curvature.

Pure functions over sympy objects. Index conventions (the Riemann tensor ``[i, j, k, l] =
R^i_jkl`` with :math:`R(\partial_k, \partial_l)\partial_j = R^i{}_{jkl}\partial_i`):
:mod:`symbolic.conventions`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import budget
from .algebra import simplify_entries
from .errors import DomainError

__all__ = [
    "metric_to_volume_density",
    "JeffreysPrior",
    "jeffreys_prior",
    "cramer_rao_bound",
    "sectional_curvature",
    "JEFFREYS_TIMEOUT",
]

#: Seconds the integral of the volume density may take before the prior is left undecided.
JEFFREYS_TIMEOUT = 10.0


def metric_to_volume_density(g):
    r""":math:`\sqrt{\det g}`, the density of the Riemannian volume form
    :math:`\sqrt{\det g}\, d\xi^1\wedge\dots\wedge d\xi^n` in the coordinates.

    Examples
    --------
    >>> s = sp.Symbol("sigma", positive=True)
    >>> metric_to_volume_density(sp.diag(1 / s**2, 2 / s**2))
    sqrt(2)/sigma**2
    """
    det = sp.factor(sp.Matrix(g).det())
    return sp.powsimp(sp.sqrt(det), force=False)


@dataclass(frozen=True)
class JeffreysPrior:
    r"""The Jeffreys prior :math:`\pi(\xi) \propto \sqrt{\det g(\xi)}` of a family.

    Attributes
    ----------
    density : Expr
        :math:`\sqrt{\det g}/V` when the volume :math:`V` is finite (a probability density in the
        coordinates), else :math:`\sqrt{\det g}` itself.
    volume : Expr or None
        :math:`V = \int \sqrt{\det g}\, d\xi` over the domain: a number, ``oo`` (the prior is
        improper) or ``None`` (not decided).
    family : str
    reason : str
        How the volume was decided (or why not).
    """

    density: sp.Expr
    volume: sp.Expr | None
    family: str
    reason: str = ""

    @property
    def proper(self):
        """``True`` (finite volume), ``False`` (infinite) or ``None`` (undecided)."""
        if self.volume is None:
            return None
        return bool(self.volume.is_finite)

    def statement(self):
        """The prior in words, saying whether it is proper and why."""
        why = f" ({self.reason})" if self.reason else ""
        if self.proper:
            return f"the Jeffreys prior of {self.family} is proper: {self.density} (volume {self.volume}){why}"
        if self.proper is False:
            return (f"the Jeffreys prior of {self.family} is improper: sqrt(det g) = {self.density} "
                    f"has infinite integral over the domain{why}")
        return (f"the Jeffreys prior of {self.family} is sqrt(det g) = {self.density}; whether it is "
                f"proper was not decided{why}")

    def __repr__(self):
        state = {True: "proper", False: "improper", None: "undecided"}[self.proper]
        return f"JeffreysPrior({self.family}: {self.density}, {state})"


def _bounds(model, k, used):
    """Integration bounds of coordinate ``k``: its domain, narrowed by a constraint linear in it."""
    p = model.parameters[k]
    v = p.symbol
    lo = -sp.oo if p.lower is None else sp.Rational(str(p.lower))
    hi = sp.oo if p.upper is None else sp.Rational(str(p.upper))
    later = set(model.coordinates[k + 1:])
    for c in model.constraints:
        if c in used or not c.expr.has(v) or c.expr.free_symbols & later:
            continue
        poly = sp.Poly(sp.expand(c.expr), v)
        if poly.degree() != 1:
            return None
        a, b = poly.all_coeffs()
        root = sp.factor(-b / a)
        if a.is_positive:
            lo = root
        elif a.is_negative:
            hi = root
        else:
            return None
        used.add(c)
    return lo, hi


def _simplex_forms(model):
    """The affine forms ``xi_1, ..., xi_k, 1 - sum xi`` when the domain is the open simplex, else None."""
    xs = model.coordinates
    if any(p.lower != 0 or p.upper != 1 for p in model.parameters):
        return None
    last = 1 - sum(xs)
    if model.dim == 1 and not model.constraints:
        return [*xs, last]
    if len(model.constraints) == 1 and sp.expand(model.constraints[0].expr - last) == 0:
        return [*xs, last]
    return None


def _factors(expr, coordinates):
    """``(c, [(f, m), ...])`` with ``expr = c * prod f^m``, ``m`` negative for the denominator's factors."""
    num, den = sp.fraction(sp.together(expr))
    cn, fn = sp.factor_list(num, *coordinates)
    cd, fd = sp.factor_list(den, *coordinates)
    return sp.sympify(cn, strict=True) / sp.sympify(cd, strict=True), [*fn, *[(f, -m) for f, m in fd]]


def _dirichlet_volume(det, model):
    r"""The volume by the Dirichlet integral where :math:`\det g = C \prod_j \ell_j^{m_j}` over
    the simplex of the forms :math:`\ell_j` (:func:`_simplex_forms`):
    :math:`\int \prod_j \ell_j^{a_j} = \prod_j \Gamma(a_j + 1)/\Gamma(\sum_j (a_j + 1))`,
    finite iff every :math:`a_j = m_j/2 > -1` (else the integral diverges at the face
    :math:`\ell_j = 0`). Returns ``(volume, reason)`` or None when ``det g`` is not of that form.
    """
    forms = _simplex_forms(model)
    if forms is None:
        return None
    coeff, factors = _factors(det, model.coordinates)
    powers = [sp.Integer(0)] * len(forms)
    for f, m in factors:
        j = next((j for j, form in enumerate(forms) if sp.expand(f - form) == 0 or sp.expand(f + form) == 0), None)
        if j is None:
            return None
        if sp.expand(f - forms[j]) != 0:
            coeff *= sp.Integer(-1) ** m
        powers[j] += m
    if not (coeff.is_positive or coeff.is_positive is None and coeff.is_nonzero):
        return None
    a = [m / 2 for m in powers]
    if any(v <= -1 for v in a):
        j = next(j for j, v in enumerate(a) if v <= -1)
        return sp.oo, (f"sqrt(det g) ~ ({forms[j]})^({a[j]}) is not integrable at the face {forms[j]} = 0 "
                       f"of the simplex")
    volume = sp.sqrt(coeff) * sp.Mul(*[sp.gamma(v + 1) for v in a]) / sp.gamma(sum(v + 1 for v in a))
    volume = sp.simplify(volume)
    return volume, (f"Dirichlet integral over the simplex: sqrt(det g) = sqrt({coeff}) * "
                    f"{' * '.join(f'({f})^({v})' for f, v in zip(forms, a, strict=True))}")


def _volume(density, model):
    for p in model.parameters:
        # a positive integrand constant along a direction of infinite length
        free = not density.has(p.symbol) and not any(c.expr.has(p.symbol) for c in model.constraints)
        if free and (p.lower is None or p.upper is None):
            return sp.oo, f"sqrt(det g) is constant along {p.name}, whose range is infinite"
    value, used = density, set()
    for k in reversed(range(model.dim)):
        bounds = _bounds(model, k, used)
        if bounds is None:
            return None, "a constraint is not linear in a coordinate"
        value = sp.integrate(value, (model.coordinates[k], *bounds))
        if value.has(sp.Integral) or value.has(sp.Piecewise):
            return None, "sympy left the integral unevaluated"
        if value.has(sp.oo, sp.zoo):
            # the integrand is positive: an infinite part is +oo
            return sp.oo, f"the integral over {model.coordinates[k]} diverges"
    value = sp.simplify(sp.unpolarify(value))
    # a branch slip of sympy's antiderivatives shows as a value that is not a positive real:
    # undecided rather than wrong
    if value.is_number and value.is_extended_positive:
        return value, "integrated over the domain"
    return None, f"sympy's integral {value} is not a positive number"


def _typical(p):
    """An interior rational point of a parameter's typical range."""
    return sp.nsimplify((p.typical[0] + p.typical[1]) / 2, rational=True)


def _leading(expr, e, orders=(4, 8, 12)):
    """``(A, m)`` with ``expr = A e^m (1 + o(1))`` as ``e -> 0+``, or None."""
    for n in orders:
        lead = sp.series(expr, e, 0, n).removeO()
        if lead != 0:
            A, m = sp.expand(lead).as_leading_term(e).as_coeff_exponent(e)
            A = sp.nsimplify(A) if A.is_number else A
            return (A, m) if A.is_number and m.is_number else None
    return None


def _improper_by_power_counting(det, model):
    r"""A proof that :math:`\int\sqrt{\det g} = \infty` by power counting, or None.

    Along a ray to infinity: the coordinates without an upper (lower) bound, all of them or
    one at a time, go to :math:`+\infty` (:math:`-\infty`) as :math:`c_i t`, the others stay at
    interior points; if :math:`\det g = A\, t^{-m}(1 + o(1))` with :math:`A > 0`, then
    :math:`\sqrt{\det g} \ge \tfrac12\sqrt{A}\, t^{-m/2}` on a cone around the ray (times a box
    in the fixed coordinates) for large ``t`` (the leading coefficient is continuous in the
    direction and the fixed coordinates), whose volume grows as :math:`t^{d-1}dt` with ``d``
    the coordinates sent to infinity: the integral diverges when :math:`d - m/2 \ge 0`.
    Towards a finite bound ``b`` of one coordinate (the others interior): :math:`\det g = A\,
    \epsilon^{m}(1 + o(1))` with :math:`\epsilon = |\xi - b|` diverges on a slab when
    :math:`m/2 \le -1`.
    """
    e = sp.Symbol("epsilon", positive=True)
    base = {p.symbol: _typical(p) for p in model.parameters}
    # towards infinity: all unbounded coordinates together along a direction of distinct
    # slopes (a cone), then each alone (a slab), the direction checked against the constraints
    unbounded = [p for p in model.parameters if p.lower is None or p.upper is None]
    groups = [unbounded] + ([[p] for p in unbounded] if len(unbounded) > 1 else [])
    for group in groups if unbounded else []:
        ray = dict(base)
        for i, p in enumerate(group):
            sign = -1 if p.upper is not None else 1
            slope = sp.Rational(1, 10 * (i + 1)) if p.lower is None and p.upper is None else 1 + sp.Rational(i, 3)
            ray[p.symbol] = sign * slope / e
        inside = all(c.expr.subs(ray).subs(e, sp.Rational(1, 10**k)) > 0 for c in model.constraints for k in (6, 9))
        lead = _leading(det.subs(ray), e) if inside else None
        if lead is not None and lead[0] > 0 and len(group) - lead[1] / 2 >= 0:
            d, m = len(group), lead[1]
            names = ", ".join(p.name for p in group)
            return (f"power counting: along a ray ({names}) ~ t to infinity sqrt(det g) ~ t^({-m / 2}), "
                    f"and the integral of t^({-m / 2}) t^({d - 1}) dt diverges")
    for p in model.parameters:
        for bound, side in ((p.lower, 1), (p.upper, -1)):
            if bound is None:
                continue
            at = dict(base)
            at[p.symbol] = sp.nsimplify(bound, rational=True) + side * e
            if not all(c.expr.subs(at).subs(e, sp.Rational(1, 10**6)) > 0 for c in model.constraints):
                continue
            lead = _leading(det.subs(at), e)
            if lead is not None and lead[0] > 0 and lead[1] / 2 <= -1:
                return (f"power counting: as {p.name} -> {bound} sqrt(det g) ~ |{p.name} - {bound}|^({lead[1] / 2}), "
                        f"not integrable")
    return None


def jeffreys_prior(model, g, timeout=JEFFREYS_TIMEOUT):
    r"""The Jeffreys prior :math:`\sqrt{\det g}` with its normalising constant where finite.

    Whether the volume :math:`V = \int\sqrt{\det g}` is finite is decided by, in turn:

    1. the Dirichlet integral, where the domain is the open simplex and :math:`\det g` a
       product of powers of its affine forms :math:`\xi_i` and :math:`1 - \sum\xi_i` (the
       Bernoulli, Binomial and Categorical families: :math:`V = \pi^{k/2}/\Gamma(k/2)` for ``k``
       categories);
    2. integration coordinate by coordinate (the last first) over the domain, a joint
       constraint linear in a coordinate narrowing its range; a direction of infinite length
       along which the density is constant makes the volume infinite at once;
    3. power counting: the leading power of :math:`\det g` along a ray to infinity, or towards
       a finite bound of one coordinate, that makes the integral diverge
       (:func:`_improper_by_power_counting`; the Beta and Dirichlet families).

    ``timeout`` seconds bound steps 2 and 3 each; what none of them decides stays undecided.

    Parameters
    ----------
    model : StatisticalModel
    g : Matrix
        Its Fisher metric.
    timeout : float or None

    Returns
    -------
    JeffreysPrior
        with ``reason`` saying how the volume was decided.

    References
    ----------
    .. [1] H. Jeffreys, "An invariant form for the prior probability in estimation problems",
       Proc. R. Soc. A 186, 1946.
    .. [2] J. O. Berger, J. M. Bernardo, D. Sun, "Overall objective priors", Bayesian Analysis
       10(1), 2015 (the multinomial's Jeffreys prior, Dirichlet(1/2, ..., 1/2)).

    Examples
    --------
    >>> from manifolds import Bernoulli, Categorical, Normal
    >>> M = Bernoulli()
    >>> jeffreys_prior(M.model, M.fisher_metric())      # Beta(1/2, 1/2)
    JeffreysPrior(Bernoulli: 1/(pi*sqrt(p)*sqrt(1 - p)), proper)
    >>> jeffreys_prior(Categorical(3).model, Categorical(3).fisher_metric()).volume
    2*pi
    >>> print(jeffreys_prior(Normal().model, Normal().fisher_metric()).statement())
    the Jeffreys prior of Normal is improper: sqrt(det g) = sqrt(2)/sigma**2 has infinite integral over the domain (sqrt(det g) is constant along mu, whose range is infinite)
    """
    g = sp.Matrix(g)
    det = sp.factor(g.det())
    density = metric_to_volume_density(g)
    decided = _dirichlet_volume(det, model)
    if decided is not None:
        volume, reason = decided
        if volume.is_finite:
            forms = _simplex_forms(model)
            # the density as the product of the forms' powers (real on the simplex)
            coeff, factors = _factors(det, model.coordinates)
            density = 1 / volume
            for f, m in factors:
                form = next(fm for fm in forms if sp.expand(f - fm) == 0 or sp.expand(f + fm) == 0)
                coeff *= 1 if sp.expand(f - form) == 0 else sp.Integer(-1) ** m
                density *= form ** (sp.Rational(m, 2))
            density *= sp.sqrt(coeff)
            density = sp.powsimp(density, force=False)
        return JeffreysPrior(density, volume, model.name, reason)
    volume, reason = None, f"sympy did not integrate it within {timeout} s"
    with budget.time_limit(timeout):
        volume, reason = _volume(density, model)
    if volume is None:
        counted = None
        try:
            with budget.time_limit(timeout) as limit:
                counted = _improper_by_power_counting(det, model)
            if limit.expired:
                reason += f"; power counting did not finish within {timeout} s"
        except (ValueError, TypeError, NotImplementedError, sp.PoleError) as exc:
            counted = None
            reason += f"; power counting failed ({type(exc).__name__})"
        if counted is not None:
            volume, reason = sp.oo, counted
        elif "power counting" not in reason:
            reason += "; power counting along rays and towards the bounds found no divergence"
    if volume is not None and volume.is_finite:
        density = sp.powsimp(sp.factor(density / volume), force=False)
    return JeffreysPrior(density, volume, model.name, reason)


def _indices(coordinates, parameters):
    names = [c.name for c in coordinates]
    out = []
    for p in parameters:
        name = p.name if isinstance(p, sp.Symbol) else p
        if not isinstance(name, str) or name not in names:
            raise ValueError(f"parameters must name coordinates among {', '.join(names)}; got {p!r}")
        out.append(names.index(name))
    if len(set(out)) != len(out):
        raise ValueError(f"parameters repeat a coordinate: {list(parameters)!r}")
    return out


def cramer_rao_bound(g, coordinates, parameters=None, n=1):
    r"""The Cramér-Rao lower bound on the covariance of unbiased estimators from ``n``
    independent observations: :math:`g^{-1}/n`, or for a sub-vector :math:`S` of the
    parameters with the others unknown (nuisance :math:`N`), the block
    :math:`(g_{SS} - g_{SN} g_{NN}^{-1} g_{NS})^{-1}/n` of the inverse (the Schur complement;
    Lehmann & Casella, *Theory of Point Estimation*, 2nd ed. 1998, ch. 2).

    Parameters
    ----------
    g : Matrix
        The Fisher metric of one observation.
    coordinates : sequence of Symbol
    parameters : sequence of str or Symbol, optional
        The parameters of interest, in the order of the result (all by default).
    n : int or Symbol
        The sample size.

    Examples
    --------
    >>> s = sp.Symbol("sigma", positive=True); mu = sp.Symbol("mu", real=True)
    >>> cramer_rao_bound(sp.diag(1 / s**2, 2 / s**2), [mu, s], ["sigma"], n=sp.Symbol("n"))
    Matrix([[sigma**2/(2*n)]])
    """
    g = sp.Matrix(g)
    coordinates = tuple(coordinates)
    if g.shape != (len(coordinates),) * 2:
        raise ValueError(f"g must be {len(coordinates)}x{len(coordinates)} for coordinates {coordinates}, got {g.shape}")
    n = sp.sympify(n, strict=True)
    if n.is_number and not (n.is_integer and n >= 1):
        raise DomainError(f"n must be an integer >= 1, got {n}")
    S = list(range(len(coordinates))) if parameters is None else _indices(coordinates, parameters)
    N = [k for k in range(len(coordinates)) if k not in S]
    block = g.extract(S, S)
    if N:
        block = block - g.extract(S, N) * g.extract(N, N).inv() * g.extract(N, S)
    bound = block.inv() / n
    return sp.Matrix(len(S), len(S), simplify_entries(list(bound), coordinates))


def sectional_curvature(riemann, g, u, v, coordinates=()):
    r"""The sectional curvature of the plane spanned by ``u`` and ``v``,
    :math:`K(u, v) = \langle R(u,v)v, u\rangle / (\langle u,u\rangle\langle v,v\rangle -
    \langle u,v\rangle^2)`, with :math:`\langle R(u,v)v, u\rangle = g_{mi} R^i{}_{jkl}\, u^m v^j u^k v^l`.

    In dimension 2 it is the Gaussian curvature whatever the plane.

    Parameters
    ----------
    riemann : Array, ``[i, j, k, l] = R^i_jkl``
    g : Matrix
    u, v : sequence
        Tangent vectors (numbers or expressions of the coordinates), linearly independent.

    Examples
    --------
    >>> from manifolds import Normal
    >>> M = Normal()
    >>> sectional_curvature(M.riemann(), M.fisher_metric(), [1, 0], [0, 1], M.coordinates)
    -1/2
    """
    g = sp.Matrix(g)
    R = sp.Array(riemann)
    dim = g.shape[0]
    u, v = sp.Matrix(list(u)), sp.Matrix(list(v))
    if u.shape != (dim, 1) or v.shape != (dim, 1):
        raise ValueError(f"u and v must have {dim} components, got {len(u)} and {len(v)}")
    area = (u.T * g * u)[0] * (v.T * g * v)[0] - (u.T * g * v)[0] ** 2
    area = simplify_entries([area], coordinates)[0]
    if area == 0:
        raise ValueError(f"u and v must be linearly independent, got u = {list(u)}, v = {list(v)}")
    w = [sum(R[i, j, k, l] * v[j] * u[k] * v[l] for j in range(dim) for k in range(dim) for l in range(dim))
         for i in range(dim)]
    num = sum(u[m] * g[m, i] * w[i] for m in range(dim) for i in range(dim))
    return simplify_entries([num / area], coordinates)[0]
