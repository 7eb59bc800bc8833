r"""The Fisher metric, by three routes that must agree.

1. :func:`fisher_metric_from_score`: :math:`g_{ij} = E[\partial_i\ell\,\partial_j\ell]`;
2. :func:`fisher_metric_from_hessian`: :math:`g_{ij} = -E[\partial_i\partial_j\ell]`;
3. :func:`fisher_metric_from_log_partition` (exponential families):
   :math:`g = J^\top (\nabla^2 F)(\theta(\xi))\, J` with :math:`J_{ai} = \partial\theta_a/\partial\xi_i`.
"""
from __future__ import annotations

import sympy as sp

from .algebra import simplify_array
from .expectation import expectation_frame
from .model import ExponentialFamily

__all__ = [
    "score",
    "fisher_metric",
    "fisher_metric_from_score",
    "fisher_metric_from_hessian",
    "fisher_metric_from_log_partition",
    "natural_jacobian",
]


def score(model):
    r"""The score :math:`\partial_i \log p(x;\xi)` as a column Matrix."""
    return sp.Matrix([sp.diff(model.log_density, c) for c in model.coordinates])


def _symmetric_matrix(n, pairs, values):
    M = sp.zeros(n, n)
    for (i, j), v in zip(pairs, values, strict=True):
        M[i, j] = M[j, i] = v
    return M


def fisher_metric_from_score(model, method="auto"):
    r""":math:`E[\partial_i\ell\,\partial_j\ell]`.

    Examples
    --------
    >>> import sympy as sp
    >>> from symbolic.model import StatisticalModel, SampleSpace, parameter
    >>> x = sp.Symbol("x")
    >>> p = parameter("p", 0, 1)
    >>> bern = StatisticalModel("Bernoulli", [p], SampleSpace.finite(x, [0, 1]),
    ...                         x*sp.log(p.symbol) + (1 - x)*sp.log(1 - p.symbol))
    >>> fisher_metric_from_score(bern)
    Matrix([[-1/(p*(p - 1))]])
    """
    frame = expectation_frame(model, method, degree=2)
    n = model.dim
    s = [frame.d(frame.log_likelihood, i) for i in range(n)]
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    return _symmetric_matrix(n, pairs, frame.expect_all([s[i] * s[j] for i, j in pairs]))


def fisher_metric_from_hessian(model, method="auto"):
    r""":math:`-E[\partial_i\partial_j\ell]`."""
    frame = expectation_frame(model, method, degree=1)
    n = model.dim
    s = [frame.d(frame.log_likelihood, i) for i in range(n)]
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    return _symmetric_matrix(n, pairs, frame.expect_all([-frame.d(s[i], j) for i, j in pairs]))


def natural_jacobian(family):
    r""":math:`J_{ai} = \partial\theta_a / \partial\xi_i`."""
    return sp.Matrix(family.natural).jacobian(sp.Matrix(family.coordinates))


def fisher_metric_from_log_partition(family):
    r""":math:`J^\top (\nabla^2 F)(\theta(\xi)) J` for an exponential family."""
    if not isinstance(family, ExponentialFamily):
        raise ValueError(f"{family.name} is not an exponential family; use the score or Hessian route")
    H = sp.hessian(family.log_partition, family.theta).applyfunc(family.at_coordinates)
    J = natural_jacobian(family)
    return simplify_array(J.T * H * J, family.coordinates)


def fisher_metric(model, method="auto"):
    """The Fisher metric by the fastest exact route.

    ``method``: ``"auto"`` (a declared closed form, else minus the expected Hessian for an
    exponential family, whose expectation needs only the mean of the statistics, else the
    score), ``"score"``, ``"hessian"``, ``"log_partition"`` or ``"closed_form"``.
    """
    if method == "auto":
        if "fisher_metric" in model.closed_forms:
            method = "closed_form"
        elif isinstance(model, ExponentialFamily):
            method = "hessian"
        else:
            method = "score"
    if method == "closed_form":
        form = model.closed_forms["fisher_metric"]
        return sp.Matrix(form() if callable(form) else form)
    if method == "log_partition":
        return fisher_metric_from_log_partition(model)
    if method == "score":
        return fisher_metric_from_score(model)
    if method == "hessian":
        return fisher_metric_from_hessian(model)
    raise ValueError(f"method must be one of auto, score, hessian, log_partition, closed_form; got {method!r}")
