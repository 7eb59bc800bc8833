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

import sympy as sp
from sympy.integrals.rationaltools import ratint
from sympy.utilities.iterables import multiset_partitions

from .algebra import RationalAlgebra, simplify_entries
from .errors import DerivationError
from .model import ExponentialFamily

__all__ = ["ExpectationFrame", "expectation_frame", "moment", "integrate_expectation", "density"]


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
    return sp.Mul(*[sp.powdenest(sp.exp(t), force=True) for t in terms])


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
    try:
        if space.kind == "finite":
            result = sum(integrand.subs(x, v) for v in space.values)
        elif space.kind == "integers":
            result = sum(_converged(sp.summation(term, (x, space.lower, space.upper)))
                         for term in sp.Add.make_args(sp.expand(integrand)))
        elif space.kind == "interval" and not rest:
            if model.location_scale is not None and space.lower == -sp.oo and space.upper == sp.oo:
                loc, scale = model.location_scale
                u = sp.Dummy("u", real=True)
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
    if result.has(sp.Integral, sp.Sum) or result.has(sp.nan, sp.zoo):
        raise DerivationError(_failure_text(model, expr, space))
    return result


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


def _failure_text(model, expr, space):
    op = "sum" if space.kind in ("finite", "integers") else "integral"
    return (
        f"sympy could not evaluate the {op} of ({expr}) * p(x) over {space.describe()} "
        f"for {model.name}; use the numerical path (numeric reference mode, mpmath quadrature) "
        f"or declare a closed form for this family"
    )


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
