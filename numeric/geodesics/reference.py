"""Reference mode: geodesics, log maps and distances at high precision with mpmath.

Slow and simple, to certify the compiled path in tests. The Christoffel symbols (and their
derivatives, for the variational equations) are the sympy expressions themselves, evaluated
by mpmath at ``dps`` digits (``sympy.lambdify(..., "mpmath")``). The integrator is the
Gragg-Bulirsch-Stoer extrapolation method [1]_ (modified midpoint rule, polynomial
extrapolation in h²), whose order grows with the extrapolation table, so 30 and more digits
cost only a few hundred right-hand sides per step. The log map is Newton's method on the
exp map with the Jacobian from the variational equations, started from a float64 guess
(usually the compiled log map), so two or three iterations reach full precision.

The field is three hooks, :meth:`ReferenceGeodesics.connection`, ``connection_jet`` and
``metric_at``: here the lambdified sympy expressions; models with no closed-form geometry
override them with 30-digit quadratures of the exact integrands
(:class:`numeric.quadrature.reference.ReferenceExpectations`, ``M.numeric.reference()``
of the numeric route).

References
----------
.. [1] E. Hairer, S. P. Nørsett and G. Wanner, *Solving Ordinary Differential Equations I*,
   2nd ed., Springer (1993), Section II.9.
"""
import mpmath
import numpy as np
import sympy

__all__ = ["ReferenceGeodesics"]


class ReferenceGeodesics:
    """High-precision geodesics of one metric.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        Coordinates.
    christoffel : sympy Array, shape (n, n, n)
        ``[k, i, j] = Γ^k_ij``, free of symbols other than ``args``.
    metric : sympy Matrix, shape (n, n)
        For distances.
    dps : int
        Decimal digits of the computation.

    Examples
    --------
    The Poincaré half-plane: the distance from (0, 1) to (0, e) is 1.

    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> G = sympy.Array([[[0, -1/y], [-1/y, 0]], [[1/y, 0], [0, -1/y]]])
    >>> ref = ReferenceGeodesics([x, y], G, sympy.diag(1/y**2, 1/y**2), dps=30)
    >>> d = ref.distance([0, 1], [0, "2.718281828459045235360287471352662"], guess=[0.0, 1.0])
    >>> mpmath.nstr(d, 25)
    '1.0'
    """

    def __init__(self, args, christoffel, metric, dps=30):
        self.args = tuple(args)
        self.dps = int(dps)
        n = len(self.args)
        self.n = n
        gamma = [christoffel[k, i, j] for k in range(n) for i in range(n) for j in range(n)]
        dgamma = [sympy.diff(e, a) for e in gamma for a in self.args]
        self._gamma = sympy.lambdify(self.args, gamma, "mpmath", cse=True)
        self._both = sympy.lambdify(self.args, gamma + dgamma, "mpmath", cse=True)
        self._metric = sympy.lambdify(self.args, list(sympy.Matrix(metric)), "mpmath")
        self.steps = 0  # accepted integrator steps, for the curious
        self.fields = 0  # right-hand sides evaluated, for the curious
        self.newton_steps = 0  # of the last log map

    #: Steps the integrator starts with over [0, t1] (it halves a step that does not converge).
    initial_steps = 8
    #: Most digits of the exp map's Jacobian in the log map's Newton iteration (the Jacobian
    #: only sets how fast Newton converges; the residual is checked at ``dps`` digits).
    jacobian_dps = 20

    # -- the field ---------------------------------------------------------------------------
    def connection(self, x):
        """``Γ^k_ij`` at ``x`` (mpf), flat in the order ``[k, i, j]``."""
        return self._gamma(*x)

    def connection_jet(self, x):
        """``Γ^k_ij`` and ``∂_m Γ^k_ij`` at ``x``: two flat lists, ``[k, i, j]`` and
        ``[k, i, j, m]`` (for the variational equations of the log map).
        """
        values = self._both(*x)
        return values[:self.n ** 3], values[self.n ** 3:]

    def metric_at(self, x):
        """``g_ij`` at ``x`` (mpf), flat in the order ``[i, j]``."""
        return self._metric(*x)

    # -- right-hand sides ------------------------------------------------------------------
    def _rhs(self, y):
        n = self.n
        x, v = y[:n], y[n:2 * n]
        self.fields += 1
        if len(y) == 2 * n:
            gamma = self.connection(x)
        else:
            gamma, dgamma = self.connection_jet(x)
        acc = [mpmath.fsum(gamma[(k * n + i) * n + j] * v[i] * v[j]
                           for i in range(n) for j in range(n)) for k in range(n)]
        out = list(v) + [-a for a in acc]
        if len(y) == 2 * n:
            return out
        X = y[2 * n:2 * n + n * n]
        V = y[2 * n + n * n:]
        dV = []
        for k in range(n):
            for m in range(n):
                s = mpmath.fsum(
                    gamma[(k * n + i) * n + j] * (v[i] * V[j * n + m] + V[i * n + m] * v[j])
                    for i in range(n) for j in range(n))
                s += mpmath.fsum(
                    dgamma[((k * n + i) * n + j) * n + l] * v[i] * v[j] * X[l * n + m]
                    for i in range(n) for j in range(n) for l in range(n))
                dV.append(-s)
        return out + list(V) + dV

    # -- integrator --------------------------------------------------------------------------
    def _midpoint(self, y, h, steps):
        dt = h / steps
        z0 = y
        f = self._rhs(z0)
        z1 = [a + dt * b for a, b in zip(z0, f, strict=True)]
        for _ in range(steps - 1):
            f = self._rhs(z1)
            z0, z1 = z1, [a + 2 * dt * b for a, b in zip(z0, f, strict=True)]
        f = self._rhs(z1)
        return [(a + b + dt * c) / 2 for a, b, c in zip(z0, z1, f, strict=True)]

    def _gbs_step(self, y, h, tol, kmax=14):
        sizes = [2 * (j + 1) for j in range(kmax)]
        table = []
        for j, nj in enumerate(sizes):
            row = [self._midpoint(y, h, nj)]
            for k in range(1, j + 1):
                ratio = (mpmath.mpf(nj) / sizes[j - k]) ** 2 - 1
                row.append([a + (a - b) / ratio for a, b in zip(row[k - 1], table[j - 1][k - 1], strict=True)])
            table.append(row)
            if j >= 2:
                err = max(abs(a - b) / (1 + abs(a)) for a, b in zip(row[-1], row[-2], strict=True))
                if err < tol:
                    return row[-1], True
        return None, False

    def integrate(self, y0, t1=1, dps=None):
        """The state at t1 from y0 (a list of mpf: x, v and optionally X, V); errors below
        ``10**-(dps + 2)`` relative per step (``dps`` defaults to the object's).
        """
        dps = self.dps if dps is None else dps
        with mpmath.workdps(dps + 10):
            y = [mpmath.mpf(a) for a in y0]
            t, t1 = mpmath.mpf(0), mpmath.mpf(t1)
            tol = mpmath.mpf(10) ** (-(dps + 2))
            h = (t1 - t) / self.initial_steps
            while t < t1:
                h = min(h, t1 - t)
                new, ok = self._gbs_step(y, h, tol)
                if not ok:
                    h /= 2
                    if h < mpmath.mpf(10) ** -12:
                        raise RuntimeError("the reference integrator could not reach its tolerance")
                    continue
                y, t = new, t + h
                self.steps += 1
            return y

    # -- maps ----------------------------------------------------------------------------
    def exp(self, x, v):
        """``exp_x(v)`` as a list of mpf."""
        n = self.n
        with mpmath.workdps(self.dps + 10):
            return self.integrate([mpmath.mpf(a) for a in x] + [mpmath.mpf(a) for a in v])[:n]

    def log(self, x, y, guess, max_iter=12):
        """``log_x(y)`` (a list of mpf) by Newton's method from the float ``guess``.

        The Jacobian ``∂exp_x(v)/∂v`` is integrated once, at the guess and at
        :attr:`jacobian_dps` digits at most (the variational equations cost several times
        the geodesic), and only if the guess itself misses ``y``; the iteration with this
        fixed Jacobian then gains about as many digits per step as the guess had. The
        Newton steps taken are left in :attr:`newton_steps`.
        """
        n = self.n
        with mpmath.workdps(self.dps + 10):
            x = [mpmath.mpf(a) for a in x]
            y = [mpmath.mpf(a) for a in y]
            v = [mpmath.mpf(float(a)) for a in guess]
            target = mpmath.mpf(10) ** (-(self.dps + 1))
            scale = 1 + mpmath.norm(mpmath.matrix(y), mpmath.inf)
            J = None
            self.newton_steps = 0
            for _ in range(max_iter):
                end = self.integrate(x + v)[:n]
                r = mpmath.matrix([end[k] - y[k] for k in range(n)])
                if mpmath.norm(r, mpmath.inf) < target * scale:
                    return v
                if J is None:
                    J = self._exp_jacobian(x, v)
                dv = mpmath.lu_solve(J, r)
                v = [a - dv[k] for k, a in enumerate(v)]
                self.newton_steps += 1
            raise RuntimeError(
                f"reference log map did not converge in {max_iter} Newton iterations "
                f"(residual {mpmath.nstr(mpmath.norm(r, mpmath.inf), 3)}); give a better guess")

    def _exp_jacobian(self, x, v):
        """``∂exp_x(v)/∂v`` by the variational equations, at :attr:`jacobian_dps` digits."""
        n = self.n
        eye = [mpmath.mpf(int(i == j)) for i in range(n) for j in range(n)]
        state = self.integrate(x + v + [mpmath.mpf(0)] * (n * n) + eye,
                               dps=min(self.dps, self.jacobian_dps))
        J = mpmath.matrix(n, n)
        for k in range(n):
            for m in range(n):
                J[k, m] = state[2 * n + k * n + m]
        return J

    def distance(self, x, y, guess):
        """Fisher-Rao distance ``sqrt(g_x(v, v))``, ``v = log_x(y)``, as an mpf."""
        n = self.n
        v = self.log(x, y, guess)
        with mpmath.workdps(self.dps + 10):
            g = self.metric_at([mpmath.mpf(a) for a in x])
            d2 = mpmath.fsum(g[i * n + j] * v[i] * v[j] for i in range(n) for j in range(n))
            d = mpmath.sqrt(d2)
        with mpmath.workdps(self.dps):
            return +d

    def distances(self, x, y, guess):
        """float64 array of distances for batches (shape (m, n)) of pairs."""
        x, y, guess = (np.asarray(a, dtype=np.float64).reshape(-1, self.n) for a in (x, y, guess))
        return np.array([float(self.distance(a, b, g)) for a, b, g in zip(x, y, guess, strict=True)])
