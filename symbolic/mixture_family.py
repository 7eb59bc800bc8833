r"""Mixture families: the mixtures of fixed components as m-flat statistical manifolds.

A mixture family (Amari 2016, sec. 2.4; Nielsen 2020, sec. 3.2) has the densities

.. math::

    p(x; w) = \Big(1 - \sum_{i=1}^k w_i\Big) p_0(x) + \sum_{i=1}^k w_i\, p_i(x)

of ``k + 1`` fixed, linearly independent components, the weights :math:`w` in the open
simplex. The density is affine in :math:`w`, so :math:`\partial_i\partial_j p = 0` and the
mixture connection :math:`\Gamma^{(-1)}_{ij,k} = E[(\partial_i\partial_j \ell + \partial_i\ell\,
\partial_j\ell)\,\partial_k \ell] = \int \partial_i\partial_j p\; \partial_k\ell\, dx` vanishes:
the weights are m-affine coordinates. The potential of the dually flat structure is the
negative entropy

.. math::

    \varphi(w) = \int p(x; w) \log p(x; w)\, dx,

its gradient gives the dual (e-affine) coordinates
:math:`\eta_i = \partial_i\varphi = \int (p_i - p_0) \log p\, dx` (the term
:math:`\int (p_i - p_0)\,dx` vanishes), its Hessian is the Fisher metric
:math:`\partial_i\partial_j\varphi = \int (p_i - p_0)(p_j - p_0)/p\, dx = g_{ij}`, and its
Bregman divergence is the KL divergence,
:math:`B_\varphi(w_1 : w_2) = \varphi(w_1) - \varphi(w_2) - \nabla\varphi(w_2)\cdot(w_1 - w_2) =
KL(p_{w_1} \| p_{w_2})`.

Mixtures of distributions on a finite set are exactly the categorical family in its
expectation chart (the components the point masses): :math:`\varphi` is then the dual
potential :math:`F^*(\eta)` of the Categorical family. For continuous components the
negative entropy has in general no closed form (a Gaussian mixture's has none; Nielsen &
Hadjeres 2019); :func:`mixture_to_negative_entropy` then raises
:class:`~symbolic.errors.NotClosedFormError` within its time limit and the numeric layer
(:class:`manifolds.mixtures.MixtureFamily`) integrates it.

References
----------
.. [1] S. Amari, *Information Geometry and Its Applications*, Springer 2016, sec. 2.4 and 4.2.
.. [2] F. Nielsen, "An elementary introduction to information geometry", Entropy 22(10), 2020,
   sec. 3.2 (mixture families).
.. [3] F. Nielsen, G. Hadjeres, "Monte Carlo information-geometric structures", in
   *Geometric Structures of Information*, Springer 2019 (the dually flat case).
"""
from __future__ import annotations

import sympy as sp

from . import budget
from .errors import DeclarationError, NotClosedFormError
from .legendre import bregman_divergence
from .model import Constraint, StatisticalModel, parameter

__all__ = [
    "MixtureFamilyModel",
    "NEGATIVE_ENTROPY_TIMEOUT",
    "mixture_to_negative_entropy",
    "potential_to_gradient",
    "potential_to_hessian",
    "potential_to_bregman",
]

#: Seconds sympy may integrate the negative entropy before :class:`NotClosedFormError`.
NEGATIVE_ENTROPY_TIMEOUT = 10.0


class MixtureFamilyModel(StatisticalModel):
    r"""The mixture family of fixed component densities :math:`p_0, \dots, p_k`.

    Coordinates ``w1, ..., wk`` in (0, 1) with :math:`w_0 = 1 - \sum w_i > 0` (a
    :class:`~symbolic.model.Constraint`); the density is
    :math:`(1 - \sum_i w_i) p_0 + \sum_i w_i p_i`.

    Parameters
    ----------
    name : str
    components : sequence of Expr
        The densities :math:`p_0, p_1, \dots, p_k` (not their logarithms) as expressions of the
        sample space's variables, free of any coordinate; at least two.
    space : SampleSpace
    constants : mapping, optional
    location_scale : None
        Not used (kept ``None``: a mixture is no location-scale family).

    Attributes
    ----------
    components : tuple of Expr
    density : Expr
        :math:`p(x; w)`.

    Examples
    --------
    >>> x = sp.Symbol("x", integer=True)
    >>> from symbolic.model import SampleSpace
    >>> F = MixtureFamilyModel("coin", [sp.KroneckerDelta(x, 0), sp.KroneckerDelta(x, 1)],
    ...                   SampleSpace.finite(x, [0, 1]))
    >>> F.coordinates, F.density
    ((w1,), w1*KroneckerDelta(1, x) + (1 - w1)*KroneckerDelta(0, x))
    """

    def __init__(self, name, components, space, constants=None):
        components = tuple(sp.sympify(c, strict=True) for c in components)
        if len(components) < 2:
            raise DeclarationError(f"a mixture family needs at least two components, got {len(components)}")
        k = len(components) - 1
        weights = [parameter(f"w{i + 1}", 0, 1, typical=(0.4 / (k + 1), 1.6 / (k + 1))) for i in range(k)]
        ws = [p.symbol for p in weights]
        clash = set(ws) & set().union(*(c.free_symbols for c in components))
        if clash:
            raise DeclarationError(f"the components of a mixture family are fixed: they must not use "
                                   f"the weights {sorted(map(str, clash))}")
        rest = 1 - sum(ws)
        self.components = components
        self.density = rest * components[0] + sum(w * c for w, c in zip(ws, components[1:], strict=True))
        super().__init__(name, weights, space, sp.log(self.density),
                         constraints=[Constraint(rest, f"w0 = 1 - {' - '.join(map(str, ws))} > 0")],
                         constants=constants)


def _total(model, integrand):
    """The sum or integral of ``integrand`` over the model's sample space (exact)."""
    space = model.space
    x = space.variables[0]
    if len(space.variables) != 1:
        raise NotImplementedError(f"mixture families over {len(space.variables)} variables are not implemented")
    if space.kind == "finite":
        return sum(integrand.subs(x, v) for v in space.values)
    if space.kind == "integers":
        return sp.summation(integrand, (x, space.lower, space.upper))
    return sp.integrate(integrand, (x, space.lower, space.upper))


def mixture_to_negative_entropy(model, timeout=NEGATIVE_ENTROPY_TIMEOUT):
    r"""The potential :math:`\varphi(w) = \int p \log p` of a mixture family (the negative
    Shannon entropy), exact.

    Summed term by term on a finite sample space; otherwise sympy integrates for at most
    ``timeout`` seconds.

    Raises
    ------
    NotClosedFormError
        when sympy leaves the integral unevaluated or runs out of time (a Gaussian mixture):
        ``MixtureFamily.potential`` of :mod:`manifolds.mixtures` gives its value by quadrature.

    Examples
    --------
    >>> from symbolic.model import SampleSpace
    >>> x = sp.Symbol("x", integer=True)
    >>> F = MixtureFamilyModel("coin", [sp.KroneckerDelta(x, 0), sp.KroneckerDelta(x, 1)],
    ...                   SampleSpace.finite(x, [0, 1]))
    >>> mixture_to_negative_entropy(F)
    w1*log(w1) + (1 - w1)*log(1 - w1)
    """
    p = model.density.subs(model.constants)
    x = model.space.variables[0]
    if model.space.kind == "finite":
        # p log p per atom; an atom where p vanishes identically contributes 0
        terms = [p.subs(x, v) for v in model.space.values]
        return sp.Add(*[t * sp.log(t) for t in terms if t != 0])
    try:
        with budget.time_limit(timeout) as limit:
            value = _total(model, sp.expand(p * sp.log(p)))
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise NotClosedFormError(f"the negative entropy of {model.name} could not be integrated: {exc}") from exc
    if limit.expired:
        raise NotClosedFormError(f"the negative entropy of {model.name} was not integrated within {timeout} s; "
                                 f"MixtureFamily.potential(w) (manifolds.mixtures) gives it by quadrature")
    if value.has(sp.Integral, sp.Sum, sp.nan, sp.zoo):
        raise NotClosedFormError(f"the negative entropy of {model.name} has no closed form that sympy finds; "
                                 f"MixtureFamily.potential(w) (manifolds.mixtures) gives it by quadrature")
    return value


def potential_to_gradient(phi, coordinates):
    r"""The dual coordinates :math:`\eta_i = \partial_i\varphi` of a potential (column Matrix).

    Examples
    --------
    >>> w = sp.Symbol("w1", positive=True)
    >>> potential_to_gradient(w * sp.log(w) + (1 - w) * sp.log(1 - w), [w])
    Matrix([[log(w1) - log(1 - w1)]])
    """
    return sp.Matrix([sp.expand(sp.diff(phi, c)) for c in coordinates])


def potential_to_hessian(phi, coordinates):
    r"""The Hessian :math:`\partial_i\partial_j\varphi`: the metric of the dually flat
    structure (for a mixture family, the Fisher metric).

    Examples
    --------
    >>> w = sp.Symbol("w1", positive=True)
    >>> sp.factor(potential_to_hessian(w * sp.log(w) + (1 - w) * sp.log(1 - w), [w])[0])
    -1/(w1*(w1 - 1))
    """
    coordinates = list(coordinates)
    return sp.Matrix(len(coordinates), len(coordinates),
                     lambda i, j: sp.factor(sp.diff(phi, coordinates[i], coordinates[j])))


def potential_to_bregman(phi, coordinates, second):
    r"""The canonical divergence :math:`B_\varphi(w : w_2) = \varphi(w) - \varphi(w_2) -
    \nabla\varphi(w_2)\cdot(w - w_2)` (for a mixture family, :math:`KL(p_w \| p_{w_2})`).

    Examples
    --------
    >>> w, v = sp.Symbol("w1", positive=True), sp.Symbol("w1_2", positive=True)
    >>> B = potential_to_bregman(w * sp.log(w) + (1 - w) * sp.log(1 - w), [w], [v])
    >>> KL = w * (sp.log(w) - sp.log(v)) + (1 - w) * (sp.log(1 - w) - sp.log(1 - v))
    >>> sp.simplify(B - KL)
    0
    """
    return bregman_divergence(phi, list(coordinates), list(coordinates), list(second))
