"""Reference mode of the numeric route: the same expectations with mpmath at 30 digits.

Slow and simple, to certify :mod:`numeric.quadrature.engine`: the exact integrands of a
:class:`symbolic.integrands.ScoreJet` are lambdified to mpmath and integrated by
``mpmath.quad`` (tanh-sinh, [1]_) over the real line split at the mode of the weight, or
summed by ``mpmath.nsum`` over the integers; each moment separately, each with mpmath's own
error estimate.

References
----------
.. [1] H. Takahasi and M. Mori, "Double exponential formulas for numerical integration",
   Publ. RIMS Kyoto Univ. 9 (1974), 721-741.
"""
import mpmath
import sympy as sp

__all__ = ["ReferenceExpectations"]


class ReferenceExpectations:
    """High-precision expectations of one model's exact integrands.

    Parameters
    ----------
    jet : symbolic.integrands.ScoreJet
    dps : int
        Decimal digits.

    Examples
    --------
    >>> from manifolds import Normal
    >>> from symbolic.integrands import model_to_score_jet
    >>> ref = ReferenceExpectations(model_to_score_jet(Normal().model), dps=30)
    >>> g = ref.metric([0, 2])
    >>> mpmath.nstr(g[0][0], 20), mpmath.nstr(g[1][1], 20)
    ('0.25', '0.5')
    """

    def __init__(self, jet, dps=30):
        self.jet = jet
        self.dps = int(dps)
        self.n = n = len(jet.coordinates)
        entries = [jet.log_weight, *jet.score, *sp.flatten(jet.score2)]
        self._f = sp.lambdify(tuple(jet.coordinates) + tuple(jet.variables), entries, "mpmath",
                              cse=True)
        self._n = n

    def _expect(self, point, integrands):
        """E[h(s, s2)] for each h of ``integrands`` (callables of the score and its
        second derivatives at one observation), each with mpmath's error estimate.
        """
        n = self._n
        with mpmath.workdps(self.dps):
            theta = [mpmath.mpf(str(v)) if isinstance(v, str) else mpmath.mpf(v) for v in point]
            memo = {}

            def values(u):
                if u not in memo:
                    out = self._f(*theta, u)
                    memo[u] = (out[0], out[1:1 + n], [out[1 + n + i * n:1 + n + (i + 1) * n]
                                                      for i in range(n)])
                return memo[u]

            floor = -1000 - 3 * self.dps * mpmath.log(10)

            def integrand(h):
                def f(u):
                    L, s, s2 = values(u)
                    # a weight below e^floor is far below the working precision (and mpmath's
                    # exp of an argument such as -1e44 computes log 2 to 44 digits first)
                    if L < floor:
                        return mpmath.mpf(0)
                    w = mpmath.exp(L)
                    return w * h(s, s2) if w != 0 else mpmath.mpf(0)
                return f

            kind = self.jet.kind
            results = []
            if kind == "finite":
                for h in integrands:
                    f = integrand(h)
                    results.append((mpmath.fsum(f(mpmath.mpf(v)) for v in self.jet.values),
                                    mpmath.mpf(0)))
                return results
            if kind == "integers":
                lower = mpmath.mpf(float(self.jet.lower))
                upper = mpmath.inf if self.jet.upper == sp.oo else mpmath.mpf(float(self.jet.upper))
                for h in integrands:
                    f = integrand(h)
                    results.append((mpmath.nsum(f, [lower, upper]), mpmath.mpf(0)))
                return results
            # the real line: split at the mode of the weight (found on a grid, then refined)
            grid = [mpmath.mpf(k) / 4 for k in range(-240, 241)]
            best = max(grid, key=lambda u: values(u)[0])
            points = [-mpmath.inf] + [best + d for d in (-8, -2, -0.5, 0, 0.5, 2, 8)] + [mpmath.inf]
            for h in integrands:
                value, error = mpmath.quad(integrand(h), points, error=True, maxdegree=10)
                results.append((value, error))
            return results

    def mass(self, point):
        """``E[1]`` (1 for a normalised density)."""
        return self._expect(point, [lambda s, s2: 1])[0][0]

    def metric(self, point, error=False):
        """``g_ij = E[s_i s_j]`` as nested lists of mpf; with ``error``, also the errors."""
        n = self.n
        pairs = [(i, j) for i in range(n) for j in range(i, n)]
        out = self._expect(point, [lambda s, s2, i=i, j=j: s[i] * s[j] for i, j in pairs])
        g = [[None] * n for _ in range(n)]
        e = [[None] * n for _ in range(n)]
        for (i, j), (v, err) in zip(pairs, out, strict=True):
            g[i][j] = g[j][i] = v
            e[i][j] = e[j][i] = err
        return (g, e) if error else g

    def christoffel_first(self, point, alpha=0):
        """``Γ^(α)_ij,k = E[(s_ij + (1 - α)/2 s_i s_j) s_k]``, nested ``[i][j][k]``."""
        n = self.n
        half = (1 - mpmath.mpf(alpha)) / 2
        index = [(i, j, k) for i in range(n) for j in range(i, n) for k in range(n)]
        out = self._expect(point, [lambda s, s2, i=i, j=j, k=k: (s2[i][j] + half * s[i] * s[j]) * s[k]
                                   for i, j, k in index])
        G = [[[None] * n for _ in range(n)] for _ in range(n)]
        for (i, j, k), (v, _) in zip(index, out, strict=True):
            G[i][j][k] = G[j][i][k] = v
        return G

    def amari_chentsov(self, point):
        """``T_ijk = E[s_i s_j s_k]``, nested ``[i][j][k]``."""
        n = self.n
        index = [(i, j, k) for i in range(n) for j in range(i, n) for k in range(j, n)]
        out = self._expect(point, [lambda s, s2, i=i, j=j, k=k: s[i] * s[j] * s[k]
                                   for i, j, k in index])
        T = [[[None] * n for _ in range(n)] for _ in range(n)]
        for (i, j, k), (v, _) in zip(index, out, strict=True):
            for a, b, c in {(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)}:
                T[a][b][c] = v
        return T
