r"""The Amari-Chentsov tensor, alpha-connections and the duality identity.

:math:`T_{ijk} = E[\partial_i\ell\,\partial_j\ell\,\partial_k\ell]` and
:math:`\Gamma^{(\alpha)}_{ij,k} = E[(\partial_i\partial_j\ell + \tfrac{1-\alpha}{2}\partial_i\ell\,\partial_j\ell)\partial_k\ell]
= \Gamma_{ij,k} - \tfrac{\alpha}{2}T_{ijk}` (Amari & Nagaoka, *Methods of Information
Geometry*, 2000, sec. 2.3). The pair :math:`\nabla^{(\alpha)}, \nabla^{(-\alpha)}` is dual:
:math:`\partial_k g_{ij} = \Gamma^{(\alpha)}_{ki,j} + \Gamma^{(-\alpha)}_{kj,i}`.
"""
from __future__ import annotations

from itertools import combinations_with_replacement

import sympy as sp

from .algebra import RationalAlgebra, flat, simplify_array, simplify_entries
from .expectation import expectation_frame
from .model import ExponentialFamily
from .parsing import to_sympy

__all__ = [
    "amari_chentsov_tensor",
    "alpha_connection_from_expectation",
    "alpha_connection",
    "duality_residual",
]


def _symmetric3(n, values):
    entries = [None] * n**3
    for (i, j, k), v in zip(combinations_with_replacement(range(n), 3), values, strict=True):
        for a, b, c in {(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)}:
            entries[(a * n + b) * n + c] = v
    return sp.ImmutableDenseNDimArray(entries, (n, n, n))


def amari_chentsov_tensor(model, method="auto", metric=None):
    r""":math:`T_{ijk}`, array index ``[i, j, k]`` (totally symmetric).

    ``method``: ``"auto"`` (the log-partition route for an exponential family, else the
    expectation), ``"log_partition"`` (through the flat e-connection, below), ``"cumulants"``
    (:math:`T_{ijk} = \partial_a\partial_b\partial_c F\, J_{ai}J_{bj}J_{ck}`, a tensor
    transformation of the third cumulant) or ``"expectation"``.

    The ``"log_partition"`` route: the e-connection is flat in the natural parameters, so in
    the coordinates :math:`\Gamma^{(1)}_{ij,k} = E[\partial_i\partial_j\ell\,\partial_k\ell]
    = \partial_i\partial_j\theta^a\,\partial_k\eta_a`, and
    :math:`T_{ijk} = 2(\Gamma_{ij,k} - \Gamma^{(1)}_{ij,k})` (Amari & Nagaoka 2000, secs. 2.3
    and 3.3). It needs only first and second derivatives of closed forms: the bivariate
    normal's tensor in 3 s where the cumulant route takes 30 s, the same normal form.
    ``metric`` (the Fisher metric, derived when omitted) saves deriving it again.

    Examples
    --------
    >>> from manifolds import Poisson
    >>> amari_chentsov_tensor(Poisson().model)
    [[[lam**(-2)]]]
    """
    n = model.dim
    if method == "auto":
        if "amari_chentsov" in model.closed_forms:
            return sp.ImmutableDenseNDimArray(model.closed_forms["amari_chentsov"])
        method = "log_partition" if isinstance(model, ExponentialFamily) else "expectation"
    triples = list(combinations_with_replacement(range(n), 3))
    if method == "log_partition":
        return _skewness_from_flat_connection(model, metric)
    if method == "cumulants":
        frame = expectation_frame(model, method="moments", degree=3)
        T = frame.skewness()
        return _symmetric3(n, [frame.A.expr(T[t], factor=True) for t in triples])
    if method == "expectation":
        frame = expectation_frame(model, degree=3)
        s = [frame.d(frame.log_likelihood, i) for i in range(n)]
        return _symmetric3(n, frame.expect_all([s[i] * s[j] * s[k] for i, j, k in triples]))
    raise ValueError(f"method must be 'auto', 'log_partition', 'cumulants' or 'expectation', got {method!r}")


def _skewness_from_flat_connection(model, metric=None):
    from .curvature import metric_to_christoffel_1st
    from .fisher import fisher_metric
    from .legendre import expectation_parameters

    n, xs = model.dim, model.coordinates
    g = fisher_metric(model) if metric is None else metric
    christoffel = metric_to_christoffel_1st(g, xs)
    theta = list(model.natural)
    d_eta = [[sp.diff(e, x) for x in xs] for e in expectation_parameters(model)]
    values = []
    for i, j, k in combinations_with_replacement(range(n), 3):
        flat_e = sum(sp.diff(th, xs[i], xs[j]) * d_eta[a][k] for a, th in enumerate(theta))
        values.append(2 * (christoffel[i, j, k] - flat_e))
    return _symmetric3(n, simplify_entries(values, xs, factor=True))


def alpha_connection_from_expectation(model, alpha):
    r""":math:`E[(\partial_i\partial_j\ell + \tfrac{1-\alpha}{2}\partial_i\ell\,\partial_j\ell)\partial_k\ell]`,
    ``[i, j, k]``, computed directly from the definition.
    """
    alpha = to_sympy(alpha, "alpha")
    frame = expectation_frame(model, symbols=tuple(alpha.free_symbols), degree=3)
    n = model.dim
    s = [frame.d(frame.log_likelihood, i) for i in range(n)]
    half = frame.const((1 - alpha) / 2)
    objs = [(frame.d(s[i], j) + half * s[i] * s[j]) * s[k] for i in range(n) for j in range(n) for k in range(n)]
    return sp.ImmutableDenseNDimArray(frame.expect_all(objs), (n, n, n))


def alpha_connection(christoffel_1st, skewness, alpha, coordinates=(), metric=None, kind=1):
    r""":math:`\Gamma^{(\alpha)}_{ij,k} = \Gamma_{ij,k} - \tfrac{\alpha}{2}T_{ijk}` (``kind=1``,
    ``[i, j, k]``) or :math:`\Gamma^{(\alpha)k}_{ij}` (``kind=2``, ``[k, i, j]``, needs ``metric``).

    Examples
    --------
    >>> from manifolds import Normal
    >>> import sympy as sp
    >>> M = Normal()
    >>> a = sp.Symbol("alpha")
    >>> alpha_connection(M.christoffel(kind=1), M.amari_chentsov(), a, M.coordinates)[0, 0, 1]
    (1 - alpha)/sigma**3
    """
    G1, T = sp.Array(christoffel_1st), sp.Array(skewness)
    n = G1.shape[0]
    a = to_sympy(alpha, "alpha")
    first = sp.ImmutableDenseNDimArray([g - a / 2 * t for g, t in zip(flat(G1), flat(T), strict=True)], (n, n, n))
    if kind == 1:
        return simplify_array(first, coordinates)
    if kind != 2:
        raise ValueError(f"kind must be 1 or 2, got {kind!r}")
    if metric is None:
        raise ValueError("kind=2 needs the metric to raise the last index")
    g = sp.Matrix(metric)
    A = RationalAlgebra(coordinates, list(g) + flat(first), order=0)
    ginv = A.inverse(A.matrix(g))
    F = [[[A.element(first[i, j, k]) for k in range(n)] for j in range(n)] for i in range(n)]
    out = [A.expr(sum((ginv[k][l] * F[i][j][l] for l in range(n)), A.zero), factor=True)
           for k in range(n) for i in range(n) for j in range(n)]
    return sp.ImmutableDenseNDimArray(out, (n, n, n))


def duality_residual(metric, connection, dual_connection, coordinates):
    r""":math:`\partial_k g_{ij} - \Gamma_{ki,j} - \Gamma^*_{kj,i}`, array ``[k, i, j]``:
    zero exactly when the two connections (first kind, ``[i, j, k]``) are dual with respect
    to the metric.

    Examples
    --------
    >>> from manifolds import Gamma
    >>> import sympy as sp
    >>> M, a = Gamma(), sp.Symbol("alpha")
    >>> r = duality_residual(M.fisher_metric(), M.alpha_connection(a), M.alpha_connection(-a), M.coordinates)
    >>> all(v == 0 for v in sp.flatten(r.tolist()))
    True
    """
    g = sp.Matrix(metric)
    G, H = sp.Array(connection), sp.Array(dual_connection)
    n = g.shape[0]
    entries = [sp.diff(g[i, j], coordinates[k]) - G[k, i, j] - H[k, j, i]
               for k in range(n) for i in range(n) for j in range(n)]
    return simplify_array(sp.ImmutableDenseNDimArray(entries, (n, n, n)), coordinates)
