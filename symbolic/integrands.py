r"""Exact integrands for expectations taken numerically.

When no expectation over the sample space has a closed form, the numeric route
(:mod:`numeric.quadrature`) still evaluates exact expressions and only sums them: the
log-density, the score :math:`\partial_i\ell` and its derivatives
:math:`\partial_i\partial_j\ell`, :math:`\partial_i\partial_j\partial_k\ell` are derived here
with sympy. A continuous variable is moved to the real line first, so that one quadrature
rule serves every interval and the endpoint behaviour of a density (:math:`x^{a-1}` of a
Beta or Gamma) becomes an exponential decay:

- ``(-oo, oo)``: :math:`x = u`;
- ``(a, oo)``: :math:`x = a + e^u`; ``(-oo, b)``: :math:`x = b - e^{-u}`;
- ``(a, b)``: :math:`x = a + (b - a)/(1 + e^{-u})`;
- a simplex of ``k`` barycentric coordinates: the stick-breaking map from ``R^(k-1)``
  (:func:`simplex_to_line`).

The log of the Jacobian joins the log-density into the *log-weight*
:math:`L(\xi, u) = \ell(\xi, x(u)) + \log|x'(u)|`; the score is unchanged by the map (the
Jacobian does not depend on :math:`\xi`). The gradient and Hessian of :math:`L` in
:math:`u` let the quadrature find the mode and the width of the weight at each point.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["ScoreJet", "interval_to_line", "model_to_score_jet", "simplex_to_line"]


def interval_to_line(x, lower, upper, u):
    r"""The map ``x(u)`` from the real line onto ``(lower, upper)`` and ``log|x'(u)|``.

    Examples
    --------
    >>> x, u = sp.symbols("x u", real=True)
    >>> interval_to_line(x, 0, sp.oo, u)
    (exp(u), u)
    >>> interval_to_line(x, -sp.oo, sp.oo, u)
    (u, 0)
    """
    lower, upper = sp.sympify(lower, strict=True), sp.sympify(upper, strict=True)
    if lower == -sp.oo and upper == sp.oo:
        return u, sp.Integer(0)
    if upper == sp.oo:
        return lower + sp.exp(u), u
    if lower == -sp.oo:
        return upper - sp.exp(-u), -u
    width = upper - lower
    # log sigma'(u) = -log(1 + e^-u) - log(1 + e^u), both finite for every u of moderate size
    return (lower + width / (1 + sp.exp(-u)),
            sp.log(width) - sp.log(1 + sp.exp(-u)) - sp.log(1 + sp.exp(u)))


def simplex_to_line(u):
    r"""Stick-breaking map from ``R^(k-1)`` onto the open simplex of ``k`` barycentric
    coordinates, and the log of its Jacobian (with respect to the first ``k - 1``).

    With :math:`\sigma(u) = 1/(1 + e^{-u})` and the remaining stick
    :math:`r_j = \prod_{i<j} \sigma(-u_i)`: :math:`x_j = r_j \sigma(u_{j-1})` for
    :math:`j < k` and :math:`x_k = r_k`; the Jacobian is triangular, its log is
    :math:`\sum_j \log r_j + \log\sigma(u_{j-1}) + \log\sigma(-u_{j-1})`.

    Examples
    --------
    >>> u = sp.symbols("u0 u1", real=True)
    >>> x, logj = simplex_to_line(u)
    >>> sp.simplify(sum(x))
    1
    """
    def log_sigma(v):
        return -sp.log(1 + sp.exp(-v))

    x, log_jacobian = [], sp.Integer(0)
    stick, log_stick = sp.Integer(1), sp.Integer(0)
    for v in u:
        x.append(stick / (1 + sp.exp(-v)))
        log_jacobian += log_stick + log_sigma(v) + log_sigma(-v)
        stick, log_stick = stick / (1 + sp.exp(v)), log_stick + log_sigma(-v)
    x.append(stick)
    return tuple(x), log_jacobian


@dataclass(frozen=True)
class ScoreJet:
    """The exact integrands of one model (made by :func:`model_to_score_jet`).

    Attributes
    ----------
    kind : {"line", "integers", "finite"}
        ``line``: every variable moved to the real line; ``integers``: a sum over
        ``lower .. upper``; ``finite``: a sum over ``values``.
    coordinates : tuple of Symbol
    variables : tuple of Symbol
        The summation or integration variables (``u`` for a mapped one).
    log_weight : Expr
        ``L``: the log-density plus the log-Jacobian of the map.
    score, score2, score3 : sympy Array, shapes (n,), (n, n), (n, n, n)
        First, second and third derivatives of the log-density in the coordinates.
    gradient, hessian : sympy Array, shapes (d,), (d, d)
        Derivatives of ``L`` in the variables (zero for sums).
    lower, upper : Expr
        Bounds of an ``integers`` kind.
    values : tuple
        Points of a ``finite`` kind.
    to_sample : tuple of Expr
        The observation ``x(u)`` of each variable.
    """

    kind: str
    coordinates: tuple
    variables: tuple
    log_weight: sp.Expr
    score: sp.Array
    score2: sp.Array
    score3: sp.Array
    gradient: sp.Array
    hessian: sp.Array
    lower: sp.Expr = sp.Integer(0)
    upper: sp.Expr = sp.oo
    values: tuple = ()
    to_sample: tuple = ()


def _loggamma_form(logp):
    """Binomials and factorials as log-gammas (compiled through ``math.lgamma``)."""
    if not logp.has(sp.binomial, sp.factorial):
        return logp
    logp = sp.expand_log(logp.rewrite(sp.gamma), force=True)
    return logp.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.gamma),
                        lambda e: sp.loggamma(e.args[0].args[0]))


def model_to_score_jet(model, constants=None):
    r"""The log-weight and the exact score derivatives to integrate numerically.

    Parameters
    ----------
    model : StatisticalModel
    constants : mapping, optional
        Values of the model's constants (default ``model.constants``).

    Returns
    -------
    ScoreJet

    Raises
    ------
    ValueError
        Bounds that depend on the coordinates (the support must not move with the
        parameters).

    Examples
    --------
    A Weibull(k, lam) on x > 0, moved to the line by x = e^u:

    >>> from symbolic.model import StatisticalModel, SampleSpace, parameter
    >>> x = sp.Symbol("x", positive=True)
    >>> k, lam = parameter("k", 0), parameter("lam", 0)
    >>> K, L = k.symbol, lam.symbol
    >>> W = StatisticalModel("Weibull", [k, lam], SampleSpace.interval(x, 0, sp.oo),
    ...     sp.log(K / L) + (K - 1) * sp.log(x / L) - (x / L) ** K)
    >>> jet = model_to_score_jet(W)
    >>> jet.kind, jet.to_sample
    ('line', (exp(u),))
    >>> sp.simplify(jet.score[0] - sp.diff(W.log_density, K).subs(x, sp.exp(jet.variables[0])))
    0
    """
    constants = dict(model.constants if constants is None else constants)
    space = model.space
    coords = tuple(model.coordinates)
    logp = _loggamma_form(sp.sympify(model.log_density, strict=True).subs(constants))
    for bound in (space.lower, space.upper):
        if sp.sympify(bound, strict=True).subs(constants).free_symbols & set(coords):
            raise ValueError(f"the sample space {space.describe()} of {model.name} moves with the "
                             f"coordinates; the numeric route needs a fixed support")
    n = len(coords)
    if space.kind == "simplex":
        variables = [sp.Symbol(f"u{k}", real=True) for k in range(len(space.variables) - 1)]
        to_sample, log_jacobian = simplex_to_line(variables)
        logp = sp.expand_log(logp.subs(dict(zip(space.variables, to_sample, strict=True))),
                             force=True)
        kind = "line"
    elif space.kind in ("interval", "product"):
        variables, to_sample, log_jacobian = [], [], sp.Integer(0)
        lower = sp.sympify(space.lower, strict=True).subs(constants)
        upper = sp.sympify(space.upper, strict=True).subs(constants)
        for k, x in enumerate(space.variables):
            u = sp.Symbol(f"u{k}" if len(space.variables) > 1 else "u", real=True)
            xu, logj = interval_to_line(x, lower, upper, u)
            variables.append(u)
            to_sample.append(xu)
            log_jacobian += logj
        logp = logp.subs(dict(zip(space.variables, to_sample, strict=True)))
        kind = "line"
    elif space.kind in ("integers", "finite"):
        variables, to_sample = list(space.variables), list(space.variables)
        log_jacobian = sp.Integer(0)
        kind = space.kind
    else:  # pragma: no cover - every kind of SampleSpace is listed above
        raise ValueError(f"unknown sample space kind {space.kind!r}")
    s1 = [sp.diff(logp, c) for c in coords]
    s2 = [[sp.diff(s1[i], coords[j]) for j in range(n)] for i in range(n)]
    s3 = [[[sp.diff(s2[i][j], coords[k]) for k in range(n)] for j in range(n)] for i in range(n)]
    L = logp + log_jacobian
    d = len(variables)
    if kind == "line":
        grad = [sp.diff(L, u) for u in variables]
        hess = [[sp.diff(grad[a], variables[b]) for b in range(d)] for a in range(d)]
    else:
        grad = [sp.Integer(0)] * d
        hess = [[sp.Integer(0)] * d for _ in range(d)]
    extra = {}
    if kind == "integers":
        extra = dict(lower=sp.sympify(space.lower, strict=True).subs(constants),
                     upper=sp.sympify(space.upper, strict=True).subs(constants))
    elif kind == "finite":
        extra = dict(values=tuple(space.values))
    return ScoreJet(kind, coords, tuple(variables), L, sp.Array(s1), sp.Array(s2), sp.Array(s3),
                    sp.Array(grad), sp.Array(hess), to_sample=tuple(to_sample), **extra)
