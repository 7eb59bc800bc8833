r"""Christoffel symbols and curvature of the Levi-Civita connection and of alpha-connections.

All the work happens in a :class:`~symbolic.algebra.RationalAlgebra`: entries stay
cancelled rational functions of the coordinates and their transcendental atoms, and only the
results are turned back into sympy expressions. Index conventions: :mod:`symbolic.conventions`.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

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


def _pair(a, b):
    """``(min, max)`` and the sign of the antisymmetric pair ``(a, b)`` (0 when equal)."""
    if a == b:
        return None, 0
    return ((a, b), 1) if a < b else ((b, a), -1)


class _Chain:
    r"""The Levi-Civita (or alpha-) connection of a metric and its curvature, in one field.

    Every stage is derived on first use and kept: asking for the scalar curvature derives
    neither the mixed Riemann tensor nor any output expression. For the Levi-Civita
    connection the curvature comes from the covariant tensor
    :math:`R_{abcd} = \tfrac12(\partial_b\partial_c g_{ad} + \partial_a\partial_d g_{bc}
    - \partial_a\partial_c g_{bd} - \partial_b\partial_d g_{ac})
    + \Gamma_{bc,p}\Gamma^p_{ad} - \Gamma_{bd,p}\Gamma^p_{ac}`
    (second derivatives of the metric, never of :math:`g^{-1}`), of which only the
    independent components (:math:`a<b`, :math:`c<d`, :math:`(a,b)\le(c,d)`) are computed;
    for a Hessian metric (an exponential family in its natural or expectation chart) the
    derivative terms cancel exactly. The alpha-connection, which is not metric, goes through
    :math:`\partial\Gamma + \Gamma\Gamma` of its symbols of the second kind.
    """

    def __init__(self, g, coordinates, skewness=None, alpha=0):
        g = sp.Matrix(g)
        n = g.shape[0]
        self.n = n
        alpha = to_sympy(alpha, "alpha")
        self.metric_connection = skewness is None or alpha == 0
        seeds = list(g) + ([] if self.metric_connection else flat(skewness)) + [alpha]
        A = self.A = RationalAlgebra(coordinates, seeds, order=2)
        self.G = A.matrix(g)
        self._skew = None if self.metric_connection else (A.element(alpha / 2), sp.Array(skewness))
        self._d1, self._d2, self._cov = {}, {}, {}

    # -- metric and its derivatives ------------------------------------------------------
    @cached_property
    def ginv(self):
        try:
            return self.A.inverse(self.G)
        except ZeroDivisionError:
            raise ValueError(
                "the metric is singular (rank-deficient), so it has no Levi-Civita connection or "
                "curvature; a single stochastic neuron with one fixed input has a rank-one metric "
                "(average it over inputs first)") from None

    def dg(self, i, j, k):
        r""":math:`\partial_k g_{ij}`, cached."""
        key = (min(i, j), max(i, j), k)
        if key not in self._d1:
            self._d1[key] = self.A.diff(self.G[i][j], k) if self.G[i][j] else self.A.zero
        return self._d1[key]

    def ddg(self, i, j, k, l):
        r""":math:`\partial_k\partial_l g_{ij}`, cached."""
        key = (min(i, j), max(i, j), min(k, l), max(k, l))
        if key not in self._d2:
            d = self.dg(i, j, key[2])
            self._d2[key] = self.A.diff(d, key[3]) if d else self.A.zero
        return self._d2[key]

    # -- connection ------------------------------------------------------------------------
    @cached_property
    def first(self):
        A, n = self.A, self.n
        half = A.element(sp.Rational(1, 2))
        out = [[[None] * n for _ in range(n)] for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                for k in range(n):
                    v = half * A.sum([self.dg(j, k, i), self.dg(i, k, j), -self.dg(i, j, k)])
                    if self._skew is not None:
                        a, T = self._skew
                        v -= a * A.element(T[i, j, k])
                    out[i][j][k] = out[j][i][k] = v
        return out

    @cached_property
    def second(self):
        A, n, ginv, first = self.A, self.n, self.ginv, self.first
        out = [[[None] * n for _ in range(n)] for _ in range(n)]
        for k in range(n):
            for i in range(n):
                for j in range(i, n):
                    v = A.sum(ginv[k][l] * first[i][j][l] for l in range(n) if ginv[k][l] and first[i][j][l])
                    out[k][i][j] = out[k][j][i] = v
        return out

    # -- curvature -------------------------------------------------------------------------
    def covariant(self, a, b, c, d):
        """:math:`R_{abcd} = g_{ae} R^e{}_{bcd}` of the Levi-Civita connection, from the
        independent components.
        """
        P, s = _pair(a, b)
        Q, t = _pair(c, d)
        if not s * t:
            return self.A.zero
        key = (P, Q) if P <= Q else (Q, P)
        if key not in self._cov:
            (a, b), (c, d) = key
            A, first, second = self.A, self.first, self.second
            half = A.element(sp.Rational(1, 2))
            two = A.element(2)
            # one sum, one cancellation: 2 R_abcd = (the four second derivatives) + 2 (quad)
            terms = [self.ddg(a, d, b, c), self.ddg(b, c, a, d), -self.ddg(a, c, b, d), -self.ddg(b, d, a, c)]
            terms += [two * first[b][c][p] * second[p][a][d] for p in range(self.n) if first[b][c][p] and second[p][a][d]]
            terms += [-two * first[b][d][p] * second[p][a][c] for p in range(self.n) if first[b][d][p] and second[p][a][c]]
            self._cov[key] = half * A.sum(terms)
        v = self._cov[key]
        return v if s * t > 0 else -v

    @cached_property
    def _riemann(self):
        A, n = self.A, self.n
        R = [[[[A.zero] * n for _ in range(n)] for _ in range(n)] for _ in range(n)]
        if self.metric_connection:
            ginv = self.ginv
            for i in range(n):
                for j in range(n):
                    for k in range(n):
                        for l in range(k + 1, n):
                            v = A.sum(ginv[i][m] * self.covariant(m, j, k, l) for m in range(n) if ginv[i][m])
                            R[i][j][k][l], R[i][j][l][k] = v, -v
            return R
        S = self.second
        # dS[m][i][l][j] = d_m Gamma^i_lj
        dS = [[[[A.diff(S[i][l][j], m) for j in range(n)] for l in range(n)] for i in range(n)] for m in range(n)]
        for i in range(n):
            for j in range(n):
                for k in range(n):
                    for l in range(k + 1, n):
                        v = dS[k][i][l][j] - dS[l][i][k][j]
                        for m in range(n):
                            v += S[i][k][m] * S[m][l][j] - S[i][l][m] * S[m][k][j]
                        R[i][j][k][l] = v
                        R[i][j][l][k] = -v
        return R

    def riemann(self):
        return self._riemann

    @cached_property
    def _ricci(self):
        A, n = self.A, self.n
        if not self.metric_connection:
            R = self.riemann()
            return [[A.sum(R[i][j][i][l] for i in range(n)) for l in range(n)] for j in range(n)]
        ginv = self.ginv
        Ric = [[None] * n for _ in range(n)]
        for j in range(n):
            for l in range(j, n):
                Ric[j][l] = Ric[l][j] = A.sum(ginv[i][m] * self.covariant(m, j, i, l)
                                              for i in range(n) for m in range(n) if ginv[i][m])
        return Ric

    def ricci(self):
        return self._ricci

    @cached_property
    def _scalar(self):
        A, n, ginv = self.A, self.n, self.ginv
        if not self.metric_connection:
            Ric = self.ricci()
            return A.sum(ginv[j][l] * Ric[j][l] for j in range(n) for l in range(n))
        # g^ac g^bd R_abcd over the independent components: each pair of pairs P = (a, b),
        # Q = (c, d) stands for its 8 symmetric images, weight 2 (g^ac g^bd - g^ad g^bc)
        pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
        terms = []
        for x, (a, b) in enumerate(pairs):
            for (c, d) in pairs[x:]:
                w = ginv[a][c] * ginv[b][d] - ginv[a][d] * ginv[b][c]
                if w:
                    f = 2 if (a, b) == (c, d) else 4
                    terms.append(A.element(f) * w * self.covariant(a, b, c, d))
        return A.sum(terms)

    def scalar(self):
        return self._scalar

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


class _Lazy(Mapping):
    """A read-only mapping whose values are computed on first access."""

    def __init__(self, thunks):
        self._thunks, self._values = dict(thunks), {}

    def __getitem__(self, key):
        if key not in self._values:
            self._values[key] = self._thunks[key]()
        return self._values[key]

    def __iter__(self):
        return iter(self._thunks)

    def __len__(self):
        return len(self._thunks)

    def __repr__(self):
        return f"{{{', '.join(f'{k!r}: ...' for k in self._thunks)}}}"


def curvature_chain(g, coordinates, skewness=None, alpha=0):
    r"""Christoffel symbols (both kinds), Riemann, Ricci and scalar curvature in one pass.

    Returns a read-only mapping with keys ``christoffel_1st``, ``christoffel_2nd``, ``riemann``,
    ``ricci``, ``scalar``; each value is derived on first access (the scalar curvature alone
    never builds the mixed Riemann tensor or factors its entries). With ``skewness`` (the
    Amari-Chentsov tensor) and ``alpha``, the connection is the alpha-connection :math:`\Gamma_{ij,k} - \tfrac{\alpha}{2} T_{ijk}`.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, s = sp.symbols("mu"), sp.Symbol("sigma", positive=True)
    >>> curvature_chain(sp.diag(1/s**2, 2/s**2), [mu, s])["scalar"]
    -1
    """
    c = _Chain(g, coordinates, skewness, alpha)
    n = c.n
    return _Lazy({
        "christoffel_1st": lambda: c.out(c.first, (n, n, n)),
        "christoffel_2nd": lambda: c.out(c.second, (n, n, n)),
        "riemann": lambda: c.out(c.riemann(), (n, n, n, n)),
        "ricci": lambda: sp.Matrix(c.out(c.ricci(), (n, n)).tolist()),
        "scalar": lambda: _scalar_expr(c),
    })


# The scalar curvature is factored only up to this many numerator terms: sympy's multivariate
# factorisation (Wang's algorithm) draws random evaluation points, and on Dirichlet(6)'s
# ~100-term numerator its cost ranged from seconds to over ten minutes with the random state.
_FACTOR_MAX_TERMS = 40


def _scalar_expr(c):
    value = c.scalar()
    return c.A.expr(value, factor=len(value.numer.terms()) <= _FACTOR_MAX_TERMS)


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
    c.A, c.n, c.metric_connection = A, n, False
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
