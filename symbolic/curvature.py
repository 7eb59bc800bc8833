r"""Christoffel symbols and curvature of the Levi-Civita connection and of alpha-connections.

All the work happens in a :class:`~symbolic.algebra.RationalAlgebra`: entries stay
cancelled rational functions of the coordinates and their transcendental atoms, and only the
results are turned back into sympy expressions. Index conventions: :mod:`symbolic.conventions`.
"""
from __future__ import annotations

import sympy as sp

from .algebra import RationalAlgebra, flat, simplify_entries
from .parsing import to_sympy

__all__ = [
    "metric_to_christoffel_1st",
    "metric_to_christoffel_2nd",
    "christoffel_2nd_to_riemann",
    "riemann_to_ricci",
    "ricci_to_scalar",
    "metric_to_scalar_curvature",
    "gaussian_curvature",
    "curvature_chain",
]


def _array(entries, shape):
    return sp.ImmutableDenseNDimArray(entries, shape)


class _Chain:
    """The Levi-Civita (or alpha-) connection of a metric and its curvature, in one field."""

    def __init__(self, g, coordinates, skewness=None, alpha=0):
        g = sp.Matrix(g)
        n = g.shape[0]
        self.n = n
        alpha = to_sympy(alpha, "alpha")
        seeds = list(g) + ([] if skewness is None else flat(skewness)) + [alpha]
        A = self.A = RationalAlgebra(coordinates, seeds, order=2)
        G = A.matrix(g)
        try:
            self.ginv = A.inverse(G)
        except ZeroDivisionError:
            raise ValueError(
                "the metric is singular (rank-deficient), so it has no Levi-Civita connection or "
                "curvature; a single stochastic neuron with one fixed input has a rank-one metric "
                "(average it over inputs first)") from None
        dG = [[[A.diff(G[i][j], k) for k in range(n)] for j in range(n)] for i in range(n)]
        half = A.element(sp.Rational(1, 2))
        first = [[[half * (dG[j][k][i] + dG[i][k][j] - dG[i][j][k]) for k in range(n)] for j in range(n)] for i in range(n)]
        if skewness is not None and alpha != 0:
            T = sp.Array(skewness)
            a = A.element(alpha) * half
            first = [[[first[i][j][k] - a * A.element(T[i, j, k]) for k in range(n)] for j in range(n)] for i in range(n)]
        self.first = first
        self.second = [[[sum((self.ginv[k][l] * first[i][j][l] for l in range(n)), A.zero) for j in range(n)]
                        for i in range(n)] for k in range(n)]

    def riemann(self):
        if hasattr(self, "_riemann"):
            return self._riemann
        A, n, S = self.A, self.n, self.second
        # dS[m][i][l][j] = d_m Gamma^i_lj
        dS = [[[[A.diff(S[i][l][j], m) for j in range(n)] for l in range(n)] for i in range(n)] for m in range(n)]
        R = [[[[A.zero] * n for _ in range(n)] for _ in range(n)] for _ in range(n)]
        for i in range(n):
            for j in range(n):
                for k in range(n):
                    for l in range(k + 1, n):
                        v = dS[k][i][l][j] - dS[l][i][k][j]
                        for m in range(n):
                            v += S[i][k][m] * S[m][l][j] - S[i][l][m] * S[m][k][j]
                        R[i][j][k][l] = v
                        R[i][j][l][k] = -v
        self._riemann = R
        return R

    def ricci(self):
        R, n, A = self.riemann(), self.n, self.A
        return [[sum((R[i][j][i][l] for i in range(n)), A.zero) for l in range(n)] for j in range(n)]

    def scalar(self):
        Ric, n, A = self.ricci(), self.n, self.A
        return sum((self.ginv[j][l] * Ric[j][l] for j in range(n) for l in range(n)), A.zero)

    def out(self, nested, shape):
        flat = nested
        for _ in range(len(shape) - 1):
            flat = [v for row in flat for v in row]
        # factoring dominates the cost of the chain; the Riemann tensor repeats each entry up
        # to sign, so factor each value once
        memo = {}

        def expr(v):
            if not v:
                return sp.Integer(0)
            key = (v.numer, v.denom)
            if key in memo:
                return memo[key]
            neg = (-v.numer, v.denom)
            if neg in memo:
                return -memo[neg]
            memo[key] = self.A.expr(v, factor=True)
            return memo[key]

        return _array([expr(v) for v in flat], shape)


def curvature_chain(g, coordinates, skewness=None, alpha=0):
    r"""Christoffel symbols (both kinds), Riemann, Ricci and scalar curvature in one pass.

    Returns a dict with keys ``christoffel_1st``, ``christoffel_2nd``, ``riemann``, ``ricci``,
    ``scalar``. With ``skewness`` (the Amari-Chentsov tensor) and ``alpha``, the connection is
    the alpha-connection :math:`\Gamma_{ij,k} - \tfrac{\alpha}{2} T_{ijk}`.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, s = sp.symbols("mu"), sp.Symbol("sigma", positive=True)
    >>> curvature_chain(sp.diag(1/s**2, 2/s**2), [mu, s])["scalar"]
    -1
    """
    c = _Chain(g, coordinates, skewness, alpha)
    n = c.n
    return {
        "christoffel_1st": c.out(c.first, (n, n, n)),
        "christoffel_2nd": c.out(c.second, (n, n, n)),
        "riemann": c.out(c.riemann(), (n, n, n, n)),
        "ricci": sp.Matrix(c.out(c.ricci(), (n, n)).tolist()),
        "scalar": c.A.expr(c.scalar(), factor=True),
    }


def metric_to_christoffel_1st(g, coordinates):
    r""":math:`\Gamma_{ij,k}`, array index ``[i, j, k]``.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, s = sp.symbols("mu"), sp.Symbol("sigma", positive=True)
    >>> metric_to_christoffel_1st(sp.diag(1/s**2, 2/s**2), [mu, s])[0, 0, 1]
    sigma**(-3)
    """
    c = _Chain(g, coordinates)
    return c.out(c.first, (c.n,) * 3)


def metric_to_christoffel_2nd(g, coordinates):
    r""":math:`\Gamma^k_{ij}`, array index ``[k, i, j]``."""
    c = _Chain(g, coordinates)
    return c.out(c.second, (c.n,) * 3)


def christoffel_2nd_to_riemann(gamma, coordinates):
    r""":math:`R^i{}_{jkl}` of any affine connection given by :math:`\Gamma^k_{ij}` (``[k, i, j]``)."""
    gamma = sp.Array(gamma)
    n = gamma.shape[0]
    A = RationalAlgebra(coordinates, flat(gamma), order=1)
    c = _Chain.__new__(_Chain)
    c.A, c.n = A, n
    c.second = [[[A.element(gamma[k, i, j]) for j in range(n)] for i in range(n)] for k in range(n)]
    return c.out(c.riemann(), (n,) * 4)


def riemann_to_ricci(riemann, coordinates=()):
    """:math:`R_{jl} = R^i{}_{jil}`."""
    R = sp.Array(riemann)
    n = R.shape[0]
    entries = [sum(R[i, j, i, l] for i in range(n)) for j in range(n) for l in range(n)]
    return sp.Matrix(n, n, simplify_entries(entries, coordinates))


def ricci_to_scalar(ricci, g, coordinates=()):
    """:math:`R = g^{jl} R_{jl}`."""
    g, ricci = sp.Matrix(g), sp.Matrix(ricci)
    A = RationalAlgebra(coordinates, list(g) + list(ricci), order=0)
    ginv = A.inverse(A.matrix(g))
    Ric = A.matrix(ricci)
    n = g.shape[0]
    return A.expr(sum((ginv[j][l] * Ric[j][l] for j in range(n) for l in range(n)), A.zero), factor=True)


def metric_to_scalar_curvature(g, coordinates, skewness=None, alpha=0):
    """Scalar curvature of the Levi-Civita connection, or of the alpha-connection when the
    Amari-Chentsov tensor ``skewness`` is given.
    """
    c = _Chain(g, coordinates, skewness, alpha)
    return c.A.expr(c.scalar(), factor=True)


def gaussian_curvature(g, coordinates, skewness=None, alpha=0):
    """Gaussian curvature :math:`R/2` of a surface.

    Examples
    --------
    >>> import sympy as sp
    >>> p1, p2 = sp.symbols("p1 p2", positive=True)
    >>> g = sp.Matrix([[1/p1 + 1/(1-p1-p2), 1/(1-p1-p2)], [1/(1-p1-p2), 1/p2 + 1/(1-p1-p2)]])
    >>> gaussian_curvature(g, [p1, p2])
    1/4
    """
    if sp.Matrix(g).shape != (2, 2):
        raise ValueError(f"Gaussian curvature is defined for surfaces; the metric is {sp.Matrix(g).shape}")
    return metric_to_scalar_curvature(g, coordinates, skewness, alpha) / 2
