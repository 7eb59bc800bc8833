"""Parallel transport along geodesics, integrated with the geodesic by the same DOP853 code.

:func:`compile_transport` generates, from two Christoffel arrays, the field of the state
``(x, v, w)``:

    x' = v,    v'^k = -Γ^k_ij(x) v^i v^j,    w'^k = -Γ̃^k_ij(x) v^i w^j,

where ``Γ`` is the connection whose geodesic is the curve and ``Γ̃`` the connection that
transports ``w`` (``∇̃_{x'} w = 0``). Both may depend on parameters (α of the α-connections,
so one compilation serves every pair of α). The integrator is the generated DOP853 of
:func:`numeric.geodesics.integrate.integrator_source`, appended to the kernel module of
:func:`numeric.compile.kernels.build_module` and cached on disk like the geodesic solver's.
The step size is controlled by the error of every component, ``w`` included (relative, as
for the geodesic: docs/conventions.md, "Tolerances"): riding along on the geodesic's steps,
a vector that the α-transport stretches a hundredfold (Gamma, α = 2) lost three digits of
``rtol``. As for a coordinate, a component of ``w`` that only rounding keeps away from zero
needs ``atol > 0``.

Why a separate curve connection: the duality of ∇^(α) and ∇^(-α) (Amari and Nagaoka 2000,
Theorem 3.1 [1]_) says ``<P^α w1, P^-α w2> = <w1, w2>`` for the transports along one and
the same curve, so transports by different α must share the curve; the default curve of
:meth:`manifolds.numerics.NumericManifold.parallel_transport` is the Fisher-Rao (α = 0)
geodesic.

References
----------
.. [1] S. Amari and H. Nagaoka, *Methods of Information Geometry*, AMS (2000), Section 3.1
   (dual connections and the invariance of the inner product under dual transports).
"""
from dataclasses import dataclass

import numpy as np
import sympy

from symbolic.errors import IntegrationError
from symbolic.validation import integer, real

from ..compile import Kernel, build_module
from .integrate import _SOURCES, Solution, _output_times, _tolerances, integrator_source

__all__ = ["TransportSolution", "TransportSolver", "compile_transport"]


@dataclass(frozen=True)
class TransportSolution(Solution):
    """A geodesic :class:`numeric.geodesics.integrate.Solution` with a transported vector.

    Attributes
    ----------
    w : ndarray, shape (..., m, n)
        The transported vector at the output times (NaN after ``t_stop`` of a failed run).
    """

    w: np.ndarray


class TransportSolver:
    """Integrates a geodesic and a vector transported along it; made by
    :func:`compile_transport`.

    Attributes
    ----------
    args, params : tuple of sympy.Symbol
    domain : sympy condition
    christoffel : numeric.compile.kernels.Kernel
        The transporting connection's symbols ``[k, i, j] = Γ̃^k_ij``.
    """

    def __init__(self, module, args, params, domain):
        self.args = args
        self.params = params
        self.domain = domain
        self._module = module
        n = len(args)
        self.christoffel = Kernel("transport_christoffel", args, params, (n, n, n), module)

    def __repr__(self):
        return f"TransportSolver(args={self.args}, params={self.params}, domain={self.domain})"

    def __call__(self, x0, v0, w0, t1=1.0, *, t_eval=None, params=(), rtol=1e-12, atol=0.0,
                 max_steps=100_000, throw=False):
        """Transport ``w0`` from ``x0`` along the geodesic with initial velocity ``v0``.

        Parameters
        ----------
        x0, v0, w0 : array_like, shape (..., n)
            Broadcast against each other.
        t1 : float

        Other Parameters
        ----------------
        t_eval, params, rtol, atol, max_steps, throw
            As for :class:`numeric.geodesics.integrate.GeodesicSolver`.

        Returns
        -------
        TransportSolution
        """
        n = len(self.args)
        check = self.christoffel.check_points
        x0, v0, w0 = check(x0, "x0"), check(v0, "v0"), check(w0, "w0")
        try:
            x0, v0, w0 = np.broadcast_arrays(x0, v0, w0)
        except ValueError as exc:
            raise ValueError(f"x0 of shape {x0.shape}, v0 of shape {v0.shape} and w0 of shape "
                             f"{w0.shape} do not broadcast") from exc
        t1 = real("t1", t1)
        batch = x0.shape[:-1]
        rtol, atol = _tolerances(rtol, atol, batch)
        max_steps = integer("max_steps", max_steps, minimum=1)
        t_eval = _output_times(t_eval, 0.0, t1)
        if isinstance(params, dict):
            p = self.christoffel._parameter_array((), params)
        else:
            p = self.christoffel._parameter_array(params, {})
        y0 = np.ascontiguousarray(np.concatenate([x0, v0, w0], axis=-1).reshape(-1, 3 * n))
        outside = self._module.first_outside_pt(np.ascontiguousarray(y0[:, :n]), p)
        if outside >= 0:
            where = [int(i) for i in np.unravel_index(outside, batch)] if batch else ""
            raise ValueError(f"x0{where} = {y0[outside, :n].tolist()} is outside the domain "
                             f"{self.domain}")
        count = y0.shape[0]
        ys = np.full((count, t_eval.shape[0], 3 * n), np.nan)
        status = np.empty(count, dtype=np.int64)
        t_stop = np.empty(count)
        steps = np.empty((count, 2), dtype=np.int64)
        if count:
            self._module.solve_batch_pt(y0, p, 0.0, t1, t_eval, rtol, atol, int(max_steps), ys,
                                        status, t_stop, steps)
        ys = ys.reshape(batch + (t_eval.shape[0], 3 * n))
        solution = TransportSolution(
            t=t_eval, x=ys[..., :n], v=ys[..., n:2 * n], w=ys[..., 2 * n:],
            status=status.reshape(batch), t_stop=t_stop.reshape(batch),
            n_steps=steps[:, 0].reshape(batch), n_rejected=steps[:, 1].reshape(batch))
        if throw and not solution.ok:
            raise IntegrationError(solution.message)
        return solution


def compile_transport(args, curve_christoffel, transport_christoffel, domain=True, params=()):
    """Compile a batched integrator of a geodesic and a vector transported along it.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        Coordinates x^1 ... x^n.
    curve_christoffel : sympy Array, shape (n, n, n)
        ``[k, i, j] = Γ^k_ij`` of the connection whose geodesic is the curve.
    transport_christoffel : sympy Array, shape (n, n, n)
        ``[k, i, j] = Γ̃^k_ij`` of the connection that transports the vector.
    domain : sympy condition, optional
        Where the coordinates are valid; integration stops with ``LEFT_DOMAIN`` at its boundary.
    params : sequence of sympy.Symbol, optional
        Parameters of the Christoffel symbols or of the domain.

    Returns
    -------
    TransportSolver

    Examples
    --------
    The Poincaré half-plane ``(dx^2 + dy^2) / y^2``: along the vertical geodesic ``(0, e^t)``
    a parallel vector grows like ``y`` in coordinates (its length ``|w| / y`` is kept).

    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> G = sympy.Array([[[0, -1/y], [-1/y, 0]], [[1/y, 0], [0, -1/y]]])
    >>> transport = compile_transport([x, y], G, G, domain=y > 0)
    >>> sol = transport([0.0, 1.0], [0.0, 1.0], [1.0, 0.0])
    >>> [round(float(c), 8) for c in sol.w[-1]]
    [2.71828183, 0.0]
    """
    args = tuple(args)
    n = len(args)
    arrays = []
    for name, gamma in (("curve_christoffel", curve_christoffel),
                        ("transport_christoffel", transport_christoffel)):
        gamma = sympy.Array(gamma)
        if gamma.shape != (n, n, n):
            raise ValueError(f"{name} must be an array of shape ({n}, {n}, {n}) for {n} "
                             f"coordinates, got shape {gamma.shape}")
        arrays.append(gamma)
    curve, carried = arrays
    taken = {str(s) for s in (*args, *params)}

    def fresh(name):
        while name in taken:
            name += "_"
        taken.add(name)
        return sympy.Symbol(name, real=True)

    v = [fresh(f"velocity_{k}") for k in range(n)]
    w = [fresh(f"transported_{k}") for k in range(n)]
    acceleration = [-sum(curve[k, i, j] * v[i] * v[j] for i in range(n) for j in range(n))
                    for k in range(n)]
    change = [-sum(carried[k, i, j] * v[i] * w[j] for i in range(n) for j in range(n))
              for k in range(n)]
    exprs = {"transport_christoffel": carried,
             "transport_field": sympy.Array(list(v) + acceleration + change)}
    source = integrator_source("_pt", "transport_field_core", 3 * n, 3 * n, n=n)
    module, _ = build_module(
        args + tuple(v) + tuple(w), tuple(params), exprs,
        predicates={"inside": sympy.sympify(domain, strict=True)},
        extra_source=source, depends_on=(*_SOURCES, "geodesics/transport.py"))
    return TransportSolver(module, args, tuple(params), domain)
