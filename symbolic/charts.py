r"""Charts: reparametrisations of a model, and the natural and expectation charts of an
exponential family. Under :math:`\xi = \varphi(\zeta)` the metric transforms as
:math:`J^\top G(\varphi(\zeta)) J` with :math:`J = \partial\xi/\partial\zeta`, and the
connection of the first kind as
:math:`\Gamma'_{ab,c} = J^i_a J^j_b J^k_c\,\Gamma_{ij,k} + g_{jk}\,\partial_a\partial_b\varphi^j\, J^k_c`.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from .algebra import simplify_array, simplify_entries
from .errors import NotClosedFormError
from .model import Constraint, ExponentialFamily, Parameter, StatisticalModel
from .parsing import to_sympy

__all__ = ["transform_metric", "transform_christoffel_1st", "reparametrize", "natural_chart", "expectation_chart"]


def _jacobian(old_in_new, new):
    return sp.Matrix(old_in_new).jacobian(sp.Matrix(new))


def transform_metric(metric, old, old_in_new, new):
    r""":math:`J^\top G(\varphi(\zeta)) J`.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, s, t = sp.Symbol("mu"), sp.Symbol("sigma", positive=True), sp.Symbol("t", real=True)
    >>> transform_metric(sp.diag(1/s**2, 2/s**2), [mu, s], [mu, sp.exp(t)], [mu, t])
    Matrix([
    [exp(-2*t), 0],
    [        0, 2]])
    """
    at = dict(zip(old, old_in_new, strict=True))
    G = sp.Matrix(metric).subs(at, simultaneous=True)
    J = _jacobian(old_in_new, new)
    return simplify_array(J.T * G * J, new)


def transform_christoffel_1st(christoffel, metric, old, old_in_new, new):
    """Christoffel symbols of the first kind ``[a, b, c]`` in the new coordinates."""
    at = dict(zip(old, old_in_new, strict=True))
    G1 = sp.Array(christoffel).subs(at, simultaneous=True)
    g = sp.Matrix(metric).subs(at, simultaneous=True)
    J = _jacobian(old_in_new, new)
    n, m = len(old), len(new)
    entries = []
    for a in range(m):
        for b in range(m):
            for c in range(m):
                v = 0
                for i in range(n):
                    for j in range(n):
                        for k in range(n):
                            v += J[i, a] * J[j, b] * J[k, c] * G1[i, j, k]
                for j in range(n):
                    d2 = sp.diff(old_in_new[j], new[a], new[b])
                    if d2 != 0:
                        v += sum(g[j, k] * d2 * J[k, c] for k in range(n))
                entries.append(v)
    return simplify_array(sp.ImmutableDenseNDimArray(entries, (m, m, m)), new)


def _as_parameter(p, image=None):
    """A Parameter for a new coordinate. The symbol is kept as given (so the natural and
    expectation charts use the family's own ``theta``/``eta`` symbols, the ones the
    log-partition and dual potential are written in); the domain's sign is inferred from the
    coordinate's expression in the old chart where sympy can decide it.
    """
    if isinstance(p, Parameter):
        return p
    lower = 0 if (image is not None and image.is_positive) or p.is_positive else None
    upper = 0 if (image is not None and image.is_negative) or p.is_negative else None
    return Parameter(p, lower, upper, (-1.0, 1.0))


class _ChartSampler:
    def __init__(self, old, forward):
        self.old = old
        self.forward = sp.lambdify(old.coordinates, list(forward), modules="mpmath")

    def __call__(self, rng=None):
        return tuple(float(v) for v in self.forward(*self.old.random_point(rng)))


def reparametrize(model, old_in_new, parameters, new_in_old=None, name=None):
    r"""The model in new coordinates :math:`\zeta`, given the old ones as functions of them.

    Parameters
    ----------
    model : StatisticalModel
    old_in_new : sequence of Expr or mapping old symbol -> Expr
        :math:`\xi = \varphi(\zeta)`, one expression per old coordinate.
    parameters : sequence of Parameter or Symbol
        The new coordinates.
    new_in_old : sequence of Expr, optional
        :math:`\zeta` as functions of :math:`\xi`, used to draw random points.

    The old domain becomes constraints of the new chart, so points are validated against it.
    """
    old = model.coordinates
    if isinstance(old_in_new, Mapping):
        missing = [c.name for c in old if c not in old_in_new]
        if missing:
            raise ValueError(f"old_in_new must give every old coordinate; missing {', '.join(missing)}")
        old_in_new = [old_in_new[c] for c in old]
    old_in_new = [to_sympy(e, f"old_in_new[{k}]") for k, e in enumerate(old_in_new)]
    if len(old_in_new) != len(old):
        raise ValueError(f"old_in_new needs {len(old)} expressions (for {old}), got {len(old_in_new)}")
    params = [_as_parameter(p) for p in parameters]
    # a symbol named like a new coordinate is that coordinate, whatever its assumptions
    by_name = {p.name: p.symbol for p in params}
    old_in_new = [e.xreplace({f: by_name[f.name] for f in e.free_symbols if f.name in by_name}) for e in old_in_new]
    if new_in_old is not None:
        new_in_old = [to_sympy(e, f"new_in_old[{k}]") for k, e in enumerate(new_in_old)]
    at = dict(zip(old, old_in_new, strict=True))
    constraints = []
    for p, e in zip(model.parameters, old_in_new, strict=True):
        if p.lower is not None:
            constraints.append(Constraint(e - p.lower, f"{p.name} = {e} > {p.lower:g}"))
        if p.upper is not None:
            constraints.append(Constraint(p.upper - e, f"{p.name} = {e} < {p.upper:g}"))
    constraints += [Constraint(c.expr.subs(at, simultaneous=True), c.text) for c in model.constraints]
    common = dict(constraints=constraints, constants=model.constants, closed_forms={},
                  description=model.description)
    name = name or f"{model.name} in ({', '.join(p.name for p in params)})"
    if isinstance(model, ExponentialFamily):
        new = ExponentialFamily(
            name, params, model.space, model.statistics,
            simplify_entries([t.subs(at, simultaneous=True) for t in model.natural], [p.symbol for p in params],
                             factor=False),
            model.log_partition, model.log_base, theta=model.theta, **common,
        )
        if new_in_old is not None:
            for attr in ("from_natural", "from_expectation"):
                src = getattr(model, attr)
                if src is not None:
                    setattr(new, attr, tuple(e.subs(dict(zip(old, src, strict=True)), simultaneous=True)
                                             for e in new_in_old))
    else:
        new = StatisticalModel(name, params, model.space,
                               model.log_density.subs(at, simultaneous=True), **common)
    if new_in_old is not None:
        new.random_point = _ChartSampler(model, new_in_old)
    new.chart_of = (model, tuple(old_in_new))
    return new


def natural_chart(family):
    """The family in its natural parameters ``theta1, ...``."""
    if not isinstance(family, ExponentialFamily):
        raise ValueError(f"{family.name} is not an exponential family: it has no natural chart")
    if family.from_natural is None:
        raise NotClosedFormError(f"{family.name} declares no inverse of its natural-parameter map")
    params = [_as_parameter(t, e) for t, e in zip(family.theta, family.natural, strict=True)]
    return reparametrize(family, family.from_natural, params, new_in_old=family.natural,
                         name=f"{family.name} (natural chart)")


def expectation_chart(family):
    """The family in its expectation parameters ``eta1, ...``."""
    from .legendre import expectation_parameters

    if not isinstance(family, ExponentialFamily):
        raise ValueError(f"{family.name} is not an exponential family: it has no expectation chart")
    if family.from_expectation is None:
        raise NotClosedFormError(
            f"the expectation map of {family.name} has no closed-form inverse, so the family has no "
            f"closed-form expectation chart; use the numeric layer for points in eta")
    eta = list(expectation_parameters(family))
    params = [_as_parameter(s, e) for s, e in zip(family.eta, eta, strict=True)]
    return reparametrize(family, family.from_expectation, params, new_in_old=eta,
                         name=f"{family.name} (expectation chart)")
