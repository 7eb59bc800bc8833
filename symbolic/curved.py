r"""Curved exponential families: an exponential family restricted to a submanifold
:math:`u \mapsto \theta(\xi(u))` of fewer dimensions than its natural parameters, and
Efron's statistical curvature.

The restriction keeps what the ambient family gives in closed form: the Fisher metric
:math:`J^\top \nabla^2F\, J` and the Amari-Chentsov tensor :math:`\nabla^3F(J, J, J)` with
:math:`J = \partial\theta/\partial u`, and the KL divergence (the ambient Bregman divergence at
the two embedded points). It is not an exponential family itself: it has no natural
parameters of its own and no dual potential.
"""
from __future__ import annotations

import sympy as sp

from .algebra import canonical_functions, simplify_entries
from .charts import reparametrize
from .legendre import kl_divergence
from .model import ExponentialFamily, StatisticalModel

__all__ = ["CurvedExponentialFamily", "restrict", "embedding_curvature", "statistical_curvature"]


class CurvedExponentialFamily(StatisticalModel):
    r"""A family :math:`p(x; \theta(u))` on a submanifold of an exponential family.

    Built by :func:`restrict`. Attributes beyond :class:`StatisticalModel`: ``ambient`` (the
    exponential family), ``embedding`` (the ambient coordinates as expressions of the new
    ones) and ``natural`` (:math:`\theta(u)`).
    """

    def __init__(self, ambient, embedding, natural, *args, **kwargs):
        self.ambient = ambient
        self.embedding = tuple(embedding)
        self.natural = tuple(natural)
        super().__init__(*args, **kwargs)

    @property
    def theta(self):
        """The ambient natural-parameter symbols."""
        return self.ambient.theta

    @property
    def log_partition(self):
        """The ambient log-partition, in :attr:`theta`."""
        return self.ambient.log_partition

    def natural_jacobians(self):
        r""":math:`\partial_a\theta` (``[a][i]``) and :math:`\partial_a\partial_b\theta` (``[a][b][i]``)."""
        u = self.coordinates
        d1 = [[sp.diff(t, a) for t in self.natural] for a in u]
        d2 = [[[sp.diff(t, a, b) for t in self.natural] for b in u] for a in u]
        return d1, d2

    def ambient_cumulant(self, order):
        r"""The ``order``-th derivative of :math:`F` at :math:`\theta(u)` (``order`` 2 or 3): the
        covariance or third cumulant of the sufficient statistics along the curve.
        """
        F, th = self.ambient.log_partition, self.ambient.theta
        at = dict(zip(th, self.natural, strict=True))
        arr = sp.derive_by_array(F, th)
        for _ in range(order - 1):
            arr = sp.derive_by_array(arr, th)
        return sp.ImmutableDenseNDimArray([canonical_functions(e.subs(at, simultaneous=True))
                                           for e in sp.flatten(arr)], arr.shape)


def restrict(family, old_in_new, parameters, name=None):
    r"""The curved exponential family :math:`u \mapsto p(x; \theta(\xi(u)))`.

    Parameters
    ----------
    family : ExponentialFamily
    old_in_new : sequence of Expr or mapping
        Every coordinate of ``family`` as an expression of the new coordinates.
    parameters : sequence of Parameter or Symbol
        The new coordinates, fewer than the natural parameters.
    name : str, optional

    Examples
    --------
    >>> from manifolds import Normal
    >>> t = sp.Symbol("t", positive=True)
    >>> C = restrict(Normal().model, [t, t], [t])           # N(t, sigma = t)
    >>> C.closed_forms["fisher_metric"]
    Matrix([[3/t**2]])
    """
    if not isinstance(family, ExponentialFamily):
        raise ValueError(f"{family.name} is not an exponential family: restrict() embeds a curve in one")
    chart = reparametrize(family, old_in_new, parameters, name=name)
    if chart.dim >= len(family.natural):
        raise ValueError(f"a curved family has fewer coordinates than the {len(family.natural)} natural parameters "
                         f"of {family.name}; got {chart.dim} (use reparametrize for a change of chart)")
    u = chart.coordinates
    embedding = chart.chart_of[1]
    J = sp.Matrix(chart.natural).jacobian(sp.Matrix(u))
    curved = CurvedExponentialFamily(family, embedding, chart.natural, chart.name, chart.parameters, chart.space,
                                     chart.log_density, constraints=chart.constraints, constants=chart.constants,
                                     description=chart.description)
    S = sp.Matrix(curved.ambient_cumulant(2).tolist())
    g = sp.Matrix(len(u), len(u), simplify_entries(list(J.T * S * J), u))
    K = curved.ambient_cumulant(3)
    m, n = J.shape
    T = [sum(K[i, j, k] * J[i, a] * J[j, b] * J[k, c] for i in range(m) for j in range(m) for k in range(m))
         for a in range(n) for b in range(n) for c in range(n)]
    T = sp.ImmutableDenseNDimArray(simplify_entries(T, u), (n, n, n))
    ambient_kl = kl_divergence(family)
    old, old2 = family.coordinates, family.second_point()

    def kl(x, y):
        new2 = dict(zip(u, y, strict=True))
        at = dict(zip(old, embedding, strict=True))
        at |= {o2: e.subs(new2, simultaneous=True) for o2, e in zip(old2, embedding, strict=True)}
        return ambient_kl.subs(at, simultaneous=True)

    curved.closed_forms.update({"fisher_metric": g, "amari_chentsov": T, "kl_divergence": kl})
    return curved


def embedding_curvature(curved):
    r"""Amari's e-embedding curvature :math:`H_{ab} = P(\partial_a\partial_b\theta)`, the part of
    the second derivative of :math:`\theta(u)` orthogonal (in the Fisher inner product
    :math:`\nabla^2F`) to the tangent space of the curve; ``[a][b]`` is a column Matrix in the
    ambient natural coordinates.

    References
    ----------
    .. [1] S. Amari, "Differential geometry of curved exponential families -- curvatures and
       information loss", Ann. Statist. 10(2), 1982.
    """
    S = sp.Matrix(curved.ambient_cumulant(2).tolist())
    d1, d2 = curved.natural_jacobians()
    J = sp.Matrix(d1).T
    g = J.T * S * J
    P = sp.eye(J.shape[0]) - J * g.inv() * J.T * S
    n = curved.dim
    return [[P * sp.Matrix(d2[a][b]) for b in range(n)] for a in range(n)]


def statistical_curvature(curved):
    r"""Efron's statistical curvature squared, :math:`\gamma^2 = g^{ac}g^{bd}\langle H_{ab},
    H_{cd}\rangle` with :math:`\langle x, y\rangle = x^\top\nabla^2F\,y`; for one parameter,
    :math:`\gamma^2 = (\nu_{20}\nu_{02} - \nu_{11}^2)/\nu_{20}^3` with
    :math:`\nu_{20} = \dot\theta^\top\Sigma\dot\theta`, :math:`\nu_{11} = \dot\theta^\top\Sigma\ddot\theta`,
    :math:`\nu_{02} = \ddot\theta^\top\Sigma\ddot\theta` (Efron 1975). Zero exactly when
    the family is itself exponential (a straight line in :math:`\theta`).

    References
    ----------
    .. [1] B. Efron, "Defining the curvature of a statistical problem (with applications to
       second order efficiency)", Ann. Statist. 3(6), 1975.

    Examples
    --------
    >>> from manifolds import Normal
    >>> t = sp.Symbol("t", positive=True)
    >>> statistical_curvature(restrict(Normal().model, [t, t], [t]))     # sd proportional to the mean
    2/27
    """
    if not isinstance(curved, CurvedExponentialFamily):
        raise ValueError(f"{curved.name} is not a curved exponential family (build one with restrict())")
    S = sp.Matrix(curved.ambient_cumulant(2).tolist())
    H = embedding_curvature(curved)
    ginv = sp.Matrix(curved.closed_forms["fisher_metric"]).inv()
    n = curved.dim
    value = sum(ginv[a, c] * ginv[b, d] * (H[a][b].T * S * H[c][d])[0]
                for a in range(n) for b in range(n) for c in range(n) for d in range(n))
    return simplify_entries([value], curved.coordinates)[0]
