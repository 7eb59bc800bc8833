r"""The Riemannian volume of the Fisher metric and what rests on it: the Jeffreys prior, the
Cramér-Rao bound and sectional curvature.

Pure functions over sympy objects. Index conventions (the Riemann tensor ``[i, j, k, l] =
R^i_jkl`` with :math:`R(\partial_k, \partial_l)\partial_j = R^i{}_{jkl}\partial_i`):
:mod:`symbolic.conventions`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .algebra import simplify_entries
from .divergences import _OutOfTime, _time_limit
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
        improper) or ``None`` (sympy could not decide in time).
    family : str
    """

    density: sp.Expr
    volume: sp.Expr | None
    family: str

    @property
    def proper(self):
        """``True`` (finite volume), ``False`` (infinite) or ``None`` (undecided)."""
        if self.volume is None:
            return None
        return bool(self.volume.is_finite)

    def statement(self):
        """The prior in words, saying whether it is proper."""
        if self.proper:
            return f"the Jeffreys prior of {self.family} is proper: {self.density} (volume {self.volume})"
        if self.proper is False:
            return (f"the Jeffreys prior of {self.family} is improper: sqrt(det g) = {self.density} "
                    f"has infinite integral over the domain")
        return (f"the Jeffreys prior of {self.family} is sqrt(det g) = {self.density}; whether it is "
                f"proper was not decided (sympy did not integrate it in time)")

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


def _volume(density, model):
    for p in model.parameters:
        # a positive integrand constant along a direction of infinite length
        free = not density.has(p.symbol) and not any(c.expr.has(p.symbol) for c in model.constraints)
        if free and (p.lower is None or p.upper is None):
            return sp.oo
    value, used = density, set()
    for k in reversed(range(model.dim)):
        bounds = _bounds(model, k, used)
        if bounds is None:
            return None
        value = sp.integrate(value, (model.coordinates[k], *bounds))
        if value.has(sp.Integral) or value.has(sp.Piecewise):
            return None
        if value.has(sp.oo, sp.zoo):
            return sp.oo            # the integrand is positive: an infinite part is +oo
    value = sp.simplify(sp.unpolarify(value))
    # a branch slip of sympy's antiderivatives shows as a value that is not a positive real:
    # undecided rather than wrong
    return value if value.is_number and value.is_extended_positive else None


def jeffreys_prior(model, g, timeout=JEFFREYS_TIMEOUT):
    r"""The Jeffreys prior :math:`\sqrt{\det g}` with its normalising constant where finite.

    The volume is integrated coordinate by coordinate (the last first) over the domain, a
    joint constraint linear in a coordinate narrowing its range (the simplex of a
    Categorical); a direction of infinite length along which the density is constant makes
    the volume infinite at once. ``timeout`` seconds bound the integration.

    Parameters
    ----------
    model : StatisticalModel
    g : Matrix
        Its Fisher metric.
    timeout : float or None

    Returns
    -------
    JeffreysPrior

    References
    ----------
    .. [1] H. Jeffreys, "An invariant form for the prior probability in estimation problems",
       Proc. R. Soc. A 186, 1946.

    Examples
    --------
    >>> from manifolds import Bernoulli, Normal
    >>> M = Bernoulli()
    >>> jeffreys_prior(M.model, M.fisher_metric())      # Beta(1/2, 1/2)
    JeffreysPrior(Bernoulli: sqrt(-1/(p - 1))/(pi*sqrt(p)), proper)
    >>> print(jeffreys_prior(Normal().model, Normal().fisher_metric()).statement())
    the Jeffreys prior of Normal is improper: sqrt(det g) = sqrt(2)/sigma**2 has infinite integral over the domain
    """
    density = metric_to_volume_density(g)
    try:
        with _time_limit(timeout):
            volume = _volume(density, model)
    except _OutOfTime:
        volume = None
    if volume is not None and volume.is_finite:
        density = sp.powsimp(sp.factor(density / volume), force=False)
    return JeffreysPrior(density, volume, model.name)


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
