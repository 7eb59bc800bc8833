"""Reference mode of the numeric route: the same expectations, and the geodesics they define,
with mpmath at high precision.

Slow and simple, to certify :mod:`numeric.quadrature.engine` and the geodesics compiled on
it: the exact integrands of a :class:`symbolic.integrands.ScoreJet` are lambdified to mpmath
and integrated over the real line, or summed by ``mpmath.nsum`` over the integers, by one of
two rules:

- ``"tanh-sinh"``: ``mpmath.quad`` [1]_ over the line split at the mode of the weight, each
  moment separately, each with mpmath's own error estimate;
- ``"trapezoid"``: every moment in one pass of the trapezoidal rule after the map
  ``u = u0 + σ sinh t`` centred on the weight's mode, the step halved until the sums settle.
  For integrands analytic in a strip about the line the rule converges geometrically, the
  digits doubling with each halving [2]_; a geodesic needs a hundred fields or more, and this
  rule evaluates each integrand's jet at 50 to 120 nodes where ``mpmath.quad`` evaluates
  every moment at hundreds.

:class:`ReferenceExpectations` is also a :class:`numeric.geodesics.reference.ReferenceGeodesics`:
its Christoffel symbols (and their derivatives, from expectations of the third derivatives
of the log-density, for the log map's Jacobian) are these quadratures, and its exp map, log
map and distance are that class's Gragg-Bulirsch-Stoer integration and Newton shooting.

References
----------
.. [1] H. Takahasi and M. Mori, "Double exponential formulas for numerical integration",
   Publ. RIMS Kyoto Univ. 9 (1974), 721-741.
.. [2] L. N. Trefethen and J. A. C. Weideman, "The exponentially convergent trapezoidal rule",
   SIAM Review 56 (2014), 385-458, Theorem 5.1.
"""
import math

import mpmath
import sympy as sp

from numeric.geodesics.reference import ReferenceGeodesics

__all__ = ["ReferenceExpectations"]

RULES = ("auto", "tanh-sinh", "trapezoid")


class ReferenceExpectations(ReferenceGeodesics):
    """High-precision expectations of one model's exact integrands, and its geodesics.

    Parameters
    ----------
    jet : symbolic.integrands.ScoreJet
    dps : int
        Decimal digits: the working precision of the expectations asked for directly
        (:meth:`metric`, :meth:`christoffel_first`, :meth:`amari_chentsov`); for the
        geodesics (:meth:`exp`, :meth:`log`, :meth:`distance`), the digits of the result
        (the integrator works at ``dps + 10`` digits, each step to ``10**-(dps + 2)``, and
        computes each field at its working precision, every moment to ``10**-(dps + 5)``
        relative to the largest).
    rule : {"auto", "tanh-sinh", "trapezoid"}
        The quadrature over the line (module docstring). ``"auto"``: tanh-sinh for the
        expectations asked for directly, the trapezoidal rule inside the geodesic
        integrator.

    Examples
    --------
    >>> from manifolds import Normal
    >>> from symbolic.integrands import model_to_score_jet
    >>> ref = ReferenceExpectations(model_to_score_jet(Normal().model), dps=30)
    >>> g = ref.metric([0, 2])
    >>> mpmath.nstr(g[0][0], 20), mpmath.nstr(g[1][1], 20)
    ('0.25', '0.5')

    A geodesic of N(mu, sigma) at 6 digits against its closed form (from (0, 1) with
    velocity (0, 1/2) it stays on the line mu = 0, where sigma(t) = e^(t/2)):

    >>> ref = ReferenceExpectations(model_to_score_jet(Normal().model), dps=6)
    >>> end = ref.exp([0, 1], [0, 0.5])
    >>> mpmath.nstr(end[1], 6), mpmath.nstr(mpmath.exp(0.5), 6)
    ('1.64872', '1.64872')
    """

    #: Steps the geodesic integrator starts with (each field costs one quadrature pass, so
    #: fewer and longer extrapolation steps; a step that does not converge is halved).
    initial_steps = 2
    #: Digits of the exp map's Jacobian in the log map's Newton iteration: each iteration
    #: with a Jacobian good to 4 digits gains about 4 digits (the residual is checked at
    #: ``dps`` digits; each iteration is one geodesic, the Jacobian a few).
    jacobian_dps = 4

    def __init__(self, jet, dps=30, rule="auto"):
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.jet = jet
        self.dps = int(dps)
        self.rule = rule
        self.n = n = len(jet.coordinates)
        self.args = tuple(jet.coordinates)
        self.steps = 0
        self.fields = 0
        self.newton_steps = 0
        inputs = tuple(jet.coordinates) + tuple(jet.variables)
        entries = [jet.log_weight, *jet.score, *sp.flatten(jet.score2)]
        self._f = sp.lambdify(inputs, entries, "mpmath", cse=True)
        self._f3 = None   # with the third derivatives, on first need (the log map's Jacobian)
        self._n = n
        self._log_weight64 = None

    # -- quadrature ------------------------------------------------------------------------------
    def _entries(self, third):
        if not third:
            return self._f
        if self._f3 is None:
            jet = self.jet
            entries = [jet.log_weight, *jet.score, *sp.flatten(jet.score2), *sp.flatten(jet.score3)]
            self._f3 = sp.lambdify(tuple(jet.coordinates) + tuple(jet.variables), entries,
                                   "mpmath", cse=True)
        return self._f3

    def _expect(self, point, integrands, third=False, rule="tanh-sinh", dps=None, target=None):
        """E[h(s, s2, s3)] for each h of ``integrands`` (callables of the score and its second
        and third derivatives at one observation; ``s3`` is None unless ``third``), each with
        an error estimate, at ``dps`` digits (default :attr:`dps`).
        """
        n = self._n
        if isinstance(integrands, _Vector) and rule != "trapezoid":
            integrands = integrands.scalars()
        if len(self.jet.variables) != 1:
            raise NotImplementedError(
                f"the mpmath reference integrates over one variable; this sample space has "
                f"{len(self.jet.variables)} ({', '.join(map(str, self.jet.variables))})")
        f = self._entries(third)
        with mpmath.workdps(self.dps if dps is None else dps):
            theta = [mpmath.mpf(str(v)) if isinstance(v, str) else mpmath.mpf(v) for v in point]
            memo = {}

            def values(u):
                if u not in memo:
                    out = f(*theta, u)
                    s2 = [out[1 + n + i * n:1 + n + (i + 1) * n] for i in range(n)]
                    s3 = None
                    if third:
                        base = 1 + n + n * n
                        s3 = [[out[base + (i * n + j) * n:base + (i * n + j + 1) * n]
                               for j in range(n)] for i in range(n)]
                    memo[u] = (out[0], out[1:1 + n], s2, s3)
                return memo[u]

            floor = -1000 - 3 * mpmath.mp.dps * mpmath.log(10)

            def integrand(h):
                def f(u):
                    L, s, s2, s3 = values(u)
                    # a weight below e^floor is far below the working precision (and mpmath's
                    # exp of an argument such as -1e44 computes log 2 to 44 digits first)
                    if L < floor:
                        return mpmath.mpf(0)
                    w = mpmath.exp(L)
                    return w * h(s, s2, s3) if w != 0 else mpmath.mpf(0)
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
            if rule == "trapezoid":
                if target is None:
                    target = mpmath.mpf(10) ** (-(self.dps if dps is None else dps))

                vector = integrands if isinstance(integrands, _Vector) else _Vector.of(integrands)

                def terms(u, factor):
                    L, s, s2, s3 = values(u)
                    memo.clear()    # every node is visited once
                    if L < floor:
                        return None
                    w = mpmath.exp(L) * factor
                    return [w * v for v in vector(s, s2, s3)]

                u0, sigma = self._centre(theta, values)
                return _sinh_trapezoid(terms, vector.size, u0, sigma, target)
            # the real line: split at the mode of the weight (found on a grid, then refined)
            grid = [mpmath.mpf(k) / 4 for k in range(-240, 241)]
            best = max(grid, key=lambda u: values(u)[0])
            points = [-mpmath.inf] + [best + d for d in (-8, -2, -0.5, 0, 0.5, 2, 8)] + [mpmath.inf]
            for h in integrands:
                value, error = mpmath.quad(integrand(h), points, error=True, maxdegree=10)
                results.append((value, error))
            return results

    def _centre(self, theta, values):
        """Mode ``u0`` and scale ``σ = (-L''(u0))^(-1/2)`` of the log-weight ``L``, in float64
        on the grid of the tanh-sinh rule (only where the trapezoidal rule is centred).
        """
        if self._log_weight64 is None:
            try:
                self._log_weight64 = sp.lambdify(tuple(self.jet.coordinates) + tuple(self.jet.variables),
                                                 self.jet.log_weight, "math")
            except Exception:  # noqa: BLE001 - a function math lacks: centre in mpmath
                self._log_weight64 = False
        x = [float(a) for a in theta]

        def L(u):
            try:
                if self._log_weight64 is False:
                    return float(values(mpmath.mpf(u))[0])
                value = float(self._log_weight64(*x, u))
            except (ArithmeticError, ValueError, TypeError):
                return -math.inf
            except NameError:   # a function the math module lacks: centre in mpmath
                self._log_weight64 = False
                return L(u)
            return value if math.isfinite(value) else -math.inf

        grid = [k / 4 for k in range(-240, 241)]
        levels = [L(u) for u in grid]
        top = max(levels)
        if top == -math.inf:
            return mpmath.mpf(0), mpmath.mpf(1)
        u0 = grid[levels.index(top)]
        d = 1e-2
        curvature = (L(u0 + d) - 2 * top + L(u0 - d)) / (d * d)
        sigma = 1 / math.sqrt(-curvature) if math.isfinite(curvature) and curvature < 0 else 1.0
        return mpmath.mpf(u0), mpmath.mpf(min(max(sigma, 1e-3), 1e3))

    def mass(self, point):
        """``E[1]`` (1 for a normalised density)."""
        return self._expect(point, [lambda s, s2, s3: 1], rule=self._moment_rule)[0][0]

    @property
    def _moment_rule(self):
        return "tanh-sinh" if self.rule == "auto" else self.rule

    @property
    def _field_rule(self):
        return "trapezoid" if self.rule == "auto" else self.rule

    def metric(self, point, error=False):
        """``g_ij = E[s_i s_j]`` as nested lists of mpf; with ``error``, also the errors."""
        n = self.n
        pairs = [(i, j) for i in range(n) for j in range(i, n)]
        out = self._expect(point, [lambda s, s2, s3, i=i, j=j: s[i] * s[j] for i, j in pairs],
                           rule=self._moment_rule)
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
        out = self._expect(point, [lambda s, s2, s3, i=i, j=j, k=k: (s2[i][j] + half * s[i] * s[j]) * s[k]
                                   for i, j, k in index], rule=self._moment_rule)
        G = [[[None] * n for _ in range(n)] for _ in range(n)]
        for (i, j, k), (v, _) in zip(index, out, strict=True):
            G[i][j][k] = G[j][i][k] = v
        return G

    def amari_chentsov(self, point):
        """``T_ijk = E[s_i s_j s_k]``, nested ``[i][j][k]``."""
        n = self.n
        index = [(i, j, k) for i in range(n) for j in range(i, n) for k in range(j, n)]
        out = self._expect(point, [lambda s, s2, s3, i=i, j=j, k=k: s[i] * s[j] * s[k]
                                   for i, j, k in index], rule=self._moment_rule)
        T = [[[None] * n for _ in range(n)] for _ in range(n)]
        for (i, j, k), (v, _) in zip(index, out, strict=True):
            for a, b, c in {(i, j, k), (i, k, j), (j, i, k), (j, k, i), (k, i, j), (k, j, i)}:
                T[a][b][c] = v
        return T

    # -- the field of the geodesics (the hooks of ReferenceGeodesics) ----------------------------
    def _levi_civita(self, x, jet):
        """The metric, the Christoffel symbols and, with ``jet``, their derivatives at ``x``.

        ``g``, ``Γ^k_ij`` and ``∂_m Γ^k_ij`` (an mpmath matrix and nested lists) from one
        quadrature pass at the working precision (``dps + 10`` digits inside the integrator),
        every moment to 5 digits fewer relative to the largest:

        ``g_ab = E[s_a s_b]``, ``Γ_ij,k = E[(s_ij + s_i s_j / 2) s_k]``, and
        ``∂_m g_ab = E[s_am s_b + s_a s_bm + s_a s_b s_m]``,
        ``∂_m Γ_ij,k = E[s_ijm s_k + s_ij s_km + s_ij s_k s_m + (s_im s_j s_k + s_i s_jm s_k
        + s_i s_j s_km + s_i s_j s_k s_m) / 2]`` (``∂_m E[f] = E[∂_m f + f s_m]``), then
        ``Γ^k_ij = g^kl Γ_ij,l`` and ``∂_m g^-1 = -g^-1 (∂_m g) g^-1``.
        """
        n = self.n
        pairs = [(a, b) for a in range(n) for b in range(a, n)]
        index = [(i, j, k) for i in range(n) for j in range(i, n) for k in range(n)]
        size = len(pairs) + len(index) + (n * len(pairs) + n * len(index) if jet else 0)

        def moments(s, s2, s3):
            ss = [[s[i] * s[j] for j in range(n)] for i in range(n)]
            out = [ss[a][b] for a, b in pairs]
            out += [(s2[i][j] + ss[i][j] / 2) * s[k] for i, j, k in index]
            if jet:
                out += [s2[a][m] * s[b] + s[a] * s2[b][m] + ss[a][b] * s[m]
                        for a, b in pairs for m in range(n)]
                out += [s3[i][j][m] * s[k] + s2[i][j] * (s2[k][m] + s[k] * s[m])
                        + (s2[i][m] * s[j] * s[k] + s[i] * s2[j][m] * s[k]
                           + ss[i][j] * (s2[k][m] + s[k] * s[m])) / 2
                        for i, j, k in index for m in range(n)]
            return out

        integrands = _Vector(moments, size)
        # the integrator works at 10 digits beyond those it is asked for (fewer for the log
        # map's Jacobian than for the geodesic): the moments to 5 more than those, so that
        # its extrapolation does not meet their error
        wp = max(mpmath.mp.dps, 15)
        out = self._expect(x, integrands, third=jet, rule=self._field_rule, dps=wp,
                           target=mpmath.mpf(10) ** (-(wp - 5)))
        with mpmath.workdps(wp):
            values = iter([v for v, _ in out])
            g = mpmath.matrix(n, n)
            for a, b in pairs:
                g[a, b] = g[b, a] = next(values)
            first = {}
            for i, j, k in index:
                first[i, j, k] = first[j, i, k] = next(values)
            ginv = g ** -1
            gamma = [[[mpmath.fsum(ginv[k, l] * first[i, j, l] for l in range(n))
                       for j in range(n)] for i in range(n)] for k in range(n)]
            if not jet:
                return g, gamma, None
            dg = [mpmath.matrix(n, n) for _ in range(n)]
            for a, b in pairs:
                for m in range(n):
                    dg[m][a, b] = dg[m][b, a] = next(values)
            dfirst = {}
            for i, j, k in index:
                for m in range(n):
                    dfirst[i, j, k, m] = dfirst[j, i, k, m] = next(values)
            dginv = [-ginv * dg[m] * ginv for m in range(n)]
            dgamma = [[[[mpmath.fsum(dginv[m][k, l] * first[i, j, l] + ginv[k, l] * dfirst[i, j, l, m]
                                     for l in range(n))
                         for m in range(n)] for j in range(n)] for i in range(n)] for k in range(n)]
            return g, gamma, dgamma

    def connection(self, x):
        """``Γ^k_ij`` of the Levi-Civita connection at ``x`` by quadrature, flat ``[k, i, j]``."""
        _, gamma, _ = self._levi_civita(x, False)
        return sp.flatten(gamma)

    def connection_jet(self, x):
        """``Γ^k_ij`` and ``∂_m Γ^k_ij`` at ``x`` by quadrature (the third derivatives of the
        log-density enter), flat ``[k, i, j]`` and ``[k, i, j, m]``.
        """
        _, gamma, dgamma = self._levi_civita(x, True)
        return sp.flatten(gamma), sp.flatten(dgamma)

    def metric_at(self, x):
        """``g_ij`` at ``x`` by the geodesics' quadrature, flat ``[i, j]``."""
        g, _, _ = self._levi_civita(x, False)
        return [g[i, j] for i in range(self.n) for j in range(self.n)]


def _sinh_trapezoid(terms, size, u0, sigma, target, max_levels=10):
    """``∫ F(u) du`` for the vector ``F``, ``terms(u, c) = c F(u)`` (``None`` where the
    weight is negligible), by the trapezoidal rule in ``t``, ``u = u0 + σ sinh t``, with ``[(value, error), ...]``.

    The first level (step 2/5) walks out from ``t = 0`` until three nodes in a row, at least
    ``|t| = 2.5`` out, add less than ``target`` times the largest sum; each further level
    halves the step over the same range (the new nodes only). The error is estimated as
    mpmath's tanh-sinh does (``mpmath.calculus.quadrature.QuadratureRule.estimate_error``):
    the digits of the last two differences, extrapolated by their doubling.
    """
    zero = [mpmath.mpf(0)] * size

    def node(t):
        e = mpmath.exp(t)
        values = terms(u0 + sigma * (e - 1 / e) / 2, sigma * (e + 1 / e) / 2)
        return zero if values is None else values

    def largest(vector):
        return max(abs(v) for v in vector)

    h = mpmath.mpf(2) / 5
    total = list(node(mpmath.mpf(0)))
    extent = {}
    for direction in (1, -1):
        k, quiet = 1, 0
        while quiet < 3 or k * h <= 2.5:
            f = node(direction * k * h)
            total = [a + b for a, b in zip(total, f, strict=True)]
            quiet = quiet + 1 if largest(f) <= target * largest(total) else 0
            k += 1
            if k > 4000:
                raise ArithmeticError("the trapezoidal rule found no end of the integrand's tails "
                                      "within |t| < 2000; use rule='tanh-sinh'")
        extent[direction] = k
    levels = [[h * a for a in total]]
    for level in range(1, max_levels + 1):
        h /= 2
        fresh = zero
        # the new nodes t = q h, q odd, inside the first level's range
        for q in range(1 - extent[-1] * 2 ** level, extent[1] * 2 ** level, 2):
            f = node(q * h)
            fresh = [a + b for a, b in zip(fresh, f, strict=True)]
        levels.append([a / 2 + h * b for a, b in zip(levels[-1], fresh, strict=True)])
        scale = largest(levels[-1]) or mpmath.mpf(1)
        if len(levels) >= 3:
            d1 = largest([a - b for a, b in zip(levels[-1], levels[-2], strict=True)]) / scale
            d2 = largest([a - b for a, b in zip(levels[-1], levels[-3], strict=True)]) / scale
            if d1 == 0:
                error = mpmath.mpf(0)
            else:
                D1, D2 = mpmath.log(d1, 10), mpmath.log(max(d2, d1), 10)
                D3 = -mpmath.mp.dps
                error = mpmath.mpf(10) ** min(0, max(D1 ** 2 / D2 if D2 < 0 else 0, 2 * D1, D3))
            if error <= target:
                return [(v, error * scale) for v in levels[-1]]
    raise ArithmeticError(f"the trapezoidal rule did not settle to {mpmath.nstr(target, 3)} "
                          f"within {max_levels} halvings of its step (the integrand may not be "
                          f"analytic near the line); use rule='tanh-sinh'")


class _Vector:
    """Integrands computed together: ``function(s, s2, s3)`` returns ``size`` values."""

    def __init__(self, function, size):
        self.function, self.size = function, size

    def __call__(self, s, s2, s3):
        return self.function(s, s2, s3)

    @classmethod
    def of(cls, integrands):
        return cls(lambda s, s2, s3: [h(s, s2, s3) for h in integrands], len(integrands))

    def scalars(self):
        """One callable per value (for a rule that integrates one moment at a time)."""
        return [lambda s, s2, s3, i=i: self.function(s, s2, s3)[i] for i in range(self.size)]
