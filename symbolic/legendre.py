r"""Legendre duality of exponential families: natural and expectation parameters, the
log-partition :math:`F`, the dual potential :math:`F^*`, Bregman and Kullback-Leibler
divergences (Amari, *Information Geometry and Its Applications*, 2016, ch. 1-2).
"""
from __future__ import annotations

import sympy as sp

from .algebra import canonical_functions, simplify_entries
from .errors import NotClosedFormError
from .expectation import expectation_frame
from .model import ExponentialFamily

__all__ = [
    "natural_parameters",
    "expectation_parameters",
    "dual_potential",
    "dual_potential_at_coordinates",
    "bregman_divergence",
    "kl_divergence",
    "kl_divergence_from_expectation",
]


def _need_family(model):
    if not isinstance(model, ExponentialFamily):
        raise ValueError(f"{model.name} is not an exponential family: it has no natural parameters")


def natural_parameters(family):
    r""":math:`\theta(\xi)` as a column Matrix."""
    _need_family(family)
    return sp.Matrix(family.natural)


def expectation_parameters(family):
    r""":math:`\eta(\xi) = \nabla F(\theta(\xi))` as a column Matrix.

    Examples
    --------
    >>> from manifolds import Normal
    >>> expectation_parameters(Normal().model).T
    Matrix([[mu, mu**2 + sigma**2]])
    """
    _need_family(family)
    grad = [family.at_coordinates(sp.diff(family.log_partition, th)) for th in family.theta]
    return sp.Matrix(simplify_entries(grad, family.coordinates))


def dual_potential_at_coordinates(family):
    r""":math:`F^* = \theta\cdot\eta - F(\theta)` as an expression of the coordinates
    (always available, unlike :func:`dual_potential`).
    """
    _need_family(family)
    eta = expectation_parameters(family)
    value = sum(t * e for t, e in zip(family.natural, eta, strict=True)) - family.log_partition_at_coordinates()
    return simplify_entries([sp.expand(value)], family.coordinates, factor=False)[0]


def dual_potential(family):
    r""":math:`F^*(\eta)` in the symbols ``eta1, eta2, ...``.

    Needs the coordinates as closed-form functions of :math:`\eta` (``from_expectation``).

    Raises
    ------
    NotClosedFormError
        when the expectation map has no closed-form inverse (Gamma, Beta, Dirichlet, von
        Mises); :func:`dual_potential_at_coordinates` still gives :math:`F^*` in the
        coordinates.

    Examples
    --------
    >>> from manifolds import Poisson
    >>> dual_potential(Poisson().model)
    eta1*log(eta1) - eta1
    """
    _need_family(family)
    if family.from_expectation is None:
        raise NotClosedFormError(
            f"the expectation parameters of {family.name} have no closed-form inverse, so F* has "
            f"no closed form in eta; use dual_potential_at_coordinates() for F* in "
            f"{', '.join(p.name for p in family.parameters)}, or the numeric layer"
        )
    at = dict(zip(family.coordinates, family.from_expectation, strict=True))
    value = dual_potential_at_coordinates(family).subs(at, simultaneous=True)
    value = sp.expand(sp.expand_log(canonical_functions(value), force=True))
    return simplify_entries([value], family.eta, factor=False)[0]


def bregman_divergence(F, variables, p, q):
    r""":math:`B_F(p, q) = F(p) - F(q) - \nabla F(q)\cdot(p - q)`.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y, z = sp.symbols("x y z")
    >>> bregman_divergence(x**2, [x], [y], [z])
    (y - z)**2
    """
    at_p, at_q = dict(zip(variables, p, strict=True)), dict(zip(variables, q, strict=True))
    Fp = F.subs(at_p, simultaneous=True)
    Fq = F.subs(at_q, simultaneous=True)
    grad = [sp.diff(F, v).subs(at_q, simultaneous=True) for v in variables]
    return sp.factor(sp.expand(Fp - Fq - sum(g * (a - b) for g, a, b in zip(grad, p, q, strict=True))))


def kl_divergence(model):
    r"""Closed form :math:`KL(p_\xi \| p_{\xi_2})`, the second point's coordinates with suffix ``_2``.

    For an exponential family, the Bregman divergence :math:`B_F(\theta(\xi_2), \theta(\xi))`;
    otherwise the expectation of the log-likelihood ratio.

    Examples
    --------
    >>> from manifolds import Exponential
    >>> kl_divergence(Exponential().model)
    log(lam) - log(lam_2) - 1 + lam_2/lam
    """
    if not isinstance(model, ExponentialFamily):
        return kl_divergence_from_expectation(model)
    second = model.second_point()
    to2 = dict(zip(model.coordinates, second, strict=True))
    th1 = list(model.natural)
    th2 = [t.subs(to2, simultaneous=True) for t in th1]
    F = model.log_partition
    Fat = lambda th: canonical_functions(F.subs(dict(zip(model.theta, th, strict=True)), simultaneous=True))
    grad = expectation_parameters(model)
    if "log_partition_at_coordinates" in model.closed_forms:
        # the declared F(theta(xi)) (matrix form), so that its atoms are those of the density
        F1 = model.log_partition_at_coordinates()
        F_1, F_2 = F1, F1.subs(to2, simultaneous=True)
    else:
        F_1, F_2 = Fat(th1), Fat(th2)
    value = F_2 - F_1 - sum(g * (a - b) for g, a, b in zip(grad, th2, th1, strict=True))
    value = sp.expand(sp.expand_log(value, force=False))
    return sp.expand(simplify_entries([value], model.coordinates + tuple(second), factor=False)[0])


def kl_divergence_from_expectation(model, method="auto"):
    r""":math:`E_\xi[\ell(x;\xi) - \ell(x;\xi_2)]` through the expectation engine."""
    second = model.second_point()
    if method == "auto":
        method = "moments" if isinstance(model, ExponentialFamily) else "integrate"
    if method == "moments":
        # E_xi[l(t; xi) - l(t; xi_2)] is linear in t: E[t] = grad F(theta(xi))
        t = model.statistic_symbols()
        l = model.log_density_in_statistics()
        ratio = l - l.subs(dict(zip(model.coordinates, second, strict=True)), simultaneous=True)
        eta = expectation_parameters(model)
        value = sp.expand(ratio).subs(dict(zip(t, eta, strict=True)), simultaneous=True)
    else:
        l = model.log_density
        ratio = l - l.subs(dict(zip(model.coordinates, second, strict=True)), simultaneous=True)
        value = expectation_frame(model, method).expect(sp.expand(ratio))
    value = sp.expand(sp.expand_log(canonical_functions(value), force=False))
    return simplify_entries([value], model.coordinates + tuple(second), factor=False)[0]
