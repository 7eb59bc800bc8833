"""Log map by shooting: Newton's method on the exp map, with continuation.

The log map ``log_x(y)`` is the initial velocity ``v`` of the geodesic from ``x`` that
reaches ``y`` at ``t = 1``: a root of ``F(v) = exp_x(v) - y``. :func:`shoot` solves it for a
batch of pairs with Newton's method, the Jacobian ``∂exp_x(v)/∂v`` coming from the
variational equations integrated with the geodesic
(:meth:`numeric.integrate.GeodesicSolver.variational`), so one integration per iteration
gives both the residual and its derivative.

Far-apart points are reached by continuation along the straight coordinate segment between
them: the target ``y(s) = x + s (y - x)`` moves from ``x`` (``s = 0``, where ``v = 0``) to
``y`` (``s = 1``). Each step predicts ``v`` with the tangent ``dv/ds = J⁻¹ (y - x)`` and
corrects with Newton; a step whose Newton iteration leaves the domain, grows the residual
or does not converge is retried four times shorter. This is the damping: near points are
solved in one step from the second-order guess ``v = d + Γ(m)(d, d) / 2`` (``d = y - x``,
Γ at the coordinate midpoint ``m``). A pair is reported as converged
only when the integrated ``exp_x(v)`` meets ``y`` to ``tol``.

References
----------
.. [1] J. Stoer and R. Bulirsch, *Introduction to Numerical Analysis*, 3rd ed., Springer
   (2002), Section 7.3 (shooting methods, Newton with the variational equations) and 5.4
   (continuation).
"""
import enum
from dataclasses import dataclass

import numpy as np

from .integrate import IntegrationError, Status

__all__ = ["ShootingError", "ShootingResult", "ShootingStatus", "shoot"]


class ShootingStatus(enum.IntEnum):
    """Result of solving one log map."""

    SUCCESS = 0
    NOT_CONVERGED = 1
    UNREACHABLE = 2


_MESSAGES = {
    ShootingStatus.SUCCESS: "converged: exp_x(v) meets y to tol",
    ShootingStatus.NOT_CONVERGED: (
        "Newton's method did not bring exp_x(v) to y within tol, even with continuation "
        "steps of the minimum length; loosen tol, tighten the integrator's rtol/atol (the "
        "residual cannot fall below the integration error), or raise max_rounds"
    ),
    ShootingStatus.UNREACHABLE: (
        "every geodesic tried towards y left the domain (or failed to integrate): y may not "
        "be joined to x by a geodesic inside this chart, or only by one that is very long. "
        "Check that both points are well inside the domain"
    ),
}


class ShootingError(IntegrationError):
    """Raised by :func:`shoot` with ``throw=True`` when a log map does not converge."""


@dataclass(frozen=True)
class ShootingResult:
    """Log maps of a batch of pairs; batch axes first.

    Attributes
    ----------
    v : ndarray, shape (..., n)
        Initial velocities with ``exp_x(v) = y``; for a failed pair, the best one found
        (the last one that reached an intermediate target), never silently reported as a
        solution: check :attr:`status`.
    status : ndarray of int, shape (...)
        :class:`ShootingStatus` codes.
    residual : ndarray, shape (...)
        ``max_k |exp_x(v)_k - y_k| / scale_k`` at the returned ``v`` for converged pairs
        (``scale_k = max(|x_k|, |y_k|)``, or 1 where both are zero); ``inf`` if failed.
    iterations : ndarray of int, shape (...)
        Integrations of the variational equations spent on each pair.
    """

    v: np.ndarray
    status: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray

    @property
    def ok(self):
        """True if every pair converged."""
        return bool(np.all(self.status == ShootingStatus.SUCCESS))

    @property
    def message(self):
        """What happened (first failing pair)."""
        status = np.asarray(self.status)
        failed = np.flatnonzero(status.reshape(-1) != ShootingStatus.SUCCESS)
        if failed.size == 0:
            return _MESSAGES[ShootingStatus.SUCCESS]
        where = tuple(int(i) for i in np.unravel_index(failed[0], status.shape))
        code = ShootingStatus(int(status[where]))
        label = f"pair {where}: " if where else ""
        more = f" ({failed.size} of {status.size} pairs failed)" if failed.size > 1 else ""
        return f"{label}{code.name}: {_MESSAGES[code]}{more}"


def _first_guess(solver, xs, delta, params):
    """Second-order guess of log_x(y): ``v = d + Γ(m)(d, d) / 2`` with ``d = y - x`` and the
    Christoffel symbols at the coordinate midpoint ``m`` (from ``exp_x(v) = x + v -
    Γ(v, v) / 2 + O(|v|^3)``; the midpoint makes the error of the frozen Γ third order).
    Saves about one Newton iteration per pair. Falls back to ``d`` where Γ is not finite
    there or the correction is not small compared with ``d``.
    """
    v = delta.copy()
    m, n = xs.shape
    if m == 0:
        return v
    mid = xs + 0.5 * delta
    if isinstance(params, dict):
        gamma = solver.christoffel(mid, **params)
    else:
        gamma = solver.christoffel(mid, *params)
    with np.errstate(invalid="ignore", over="ignore"):
        correction = 0.5 * np.einsum("mkij,mi,mj->mk", gamma, delta, delta)
        size = np.max(np.abs(correction), axis=1)
        usable = np.isfinite(size) & (size <= 0.5 * np.max(np.abs(delta), axis=1))
    v[usable] += correction[usable]
    return v


def shoot(solver, x, y, *, params=(), tol=1e-10, rtol=1e-12, atol=1e-14, max_newton=8,
          min_step=2.0 ** -12, max_rounds=400, throw=False):
    """Solve ``exp_x(v) = y`` for ``v`` (the log map) by Newton's method with continuation.

    Parameters
    ----------
    solver : numeric.integrate.GeodesicSolver
        Compiled with ``variational=True``.
    x, y : array_like, shape (..., n)
        Start and target points (broadcast); both inside the solver's domain.

    Other Parameters
    ----------------
    params : sequence of float or dict
        The solver's parameters.
    tol : float
        Convergence test on ``max_k |exp_x(v)_k - y_k| / max(|x_k|, |y_k|)``.
    rtol, atol : float
        Tolerances of the integrator (the residual cannot fall below its error).
    max_newton : int
        Newton iterations per continuation step before the step is shortened.
    min_step : float
        Shortest continuation step (fraction of the segment) before giving up.
    max_rounds : int
        Total integrations per pair.
    throw : bool
        Raise :class:`ShootingError` if a pair fails.

    Returns
    -------
    ShootingResult

    Examples
    --------
    The Poincaré half-plane: from (0, 1) to (0, e) the log map is (0, 1).

    >>> import sympy
    >>> from numeric.integrate import compile_geodesic
    >>> x, y = sympy.symbols("x y", real=True)
    >>> G = sympy.Array([[[0, -1/y], [-1/y, 0]], [[1/y, 0], [0, -1/y]]])
    >>> solver = compile_geodesic([x, y], G, domain=y > 0, variational=True)
    >>> r = shoot(solver, [0.0, 1.0], [0.0, np.e])
    >>> r.ok, np.round(r.v, 10).tolist()
    (True, [0.0, 1.0])
    """
    if not getattr(solver, "has_variational", False):
        raise ValueError("shoot needs a solver compiled with compile_geodesic(..., variational=True)")
    kernel = solver.christoffel
    x = kernel._coordinates(x, "x")
    y = kernel._coordinates(y, "y")
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} and y of shape {y.shape} do not broadcast") from exc
    for name, value in (("tol", tol), ("min_step", min_step)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    batch = x.shape[:-1]
    n = x.shape[-1]
    xs = np.ascontiguousarray(x.reshape(-1, n))
    ys = np.ascontiguousarray(y.reshape(-1, n))
    # targets must be inside the domain too: the integrator checks only starting points
    if ys.shape[0]:
        try:
            solver(ys, np.zeros_like(ys), 0.0, params=params)
        except ValueError as exc:
            raise ValueError(str(exc).replace("x0", "y", 1)) from exc
    m = xs.shape[0]
    scale = np.maximum(np.abs(xs), np.abs(ys))
    scale[scale == 0.0] = 1.0
    delta = ys - xs

    # continuation state: v_done solves the target at s_done; v is the current iterate
    s_done = np.zeros(m)
    v_done = np.zeros((m, n))
    dv_ds = delta.copy()  # J = identity at v = 0 (exp_x(v) = x + v + O(|v|^2))
    step = np.ones(m)
    s_try = np.ones(m)
    v = _first_guess(solver, xs, delta, params)
    newton = np.zeros(m, dtype=np.int64)
    err_prev = np.full(m, np.inf)
    status = np.full(m, -1, dtype=np.int64)
    residual = np.full(m, np.inf)
    rounds = np.zeros(m, dtype=np.int64)
    left_domain = np.zeros(m, dtype=bool)
    reached = np.zeros(m, dtype=bool)  # some integration ended inside the domain
    at_zero = np.all(delta == 0.0, axis=1)
    status[at_zero] = ShootingStatus.SUCCESS
    residual[at_zero] = 0.0
    v[at_zero] = 0.0

    while True:
        active = np.flatnonzero(status < 0)
        if active.size == 0:
            break
        sol = solver.variational(xs[active], v[active], 1.0, params=params, rtol=rtol, atol=atol)
        rounds[active] += 1
        ok = sol.status == Status.SUCCESS
        left_domain[active] |= sol.status == Status.LEFT_DOMAIN
        reached[active] |= ok
        end = sol.x[:, -1]
        jac = sol.dx_dv0[:, -1]
        target = xs[active] + s_try[active, None] * delta[active]
        r = end - target
        with np.errstate(invalid="ignore"):
            err = np.max(np.abs(r) / scale[active], axis=1)
        good = ok & np.isfinite(err)
        jac_ok = good & np.isfinite(jac).all(axis=(1, 2))
        jac_ok[jac_ok] = np.abs(np.linalg.det(jac[jac_ok])) > 0.0

        converged = good & (err <= tol)
        retreat = ~converged & (
            ~jac_ok | (err >= err_prev[active]) | (newton[active] >= max_newton)
        )
        proceed = ~converged & ~retreat

        # converged at the final target: done
        idx = active[converged]
        final = s_try[idx] >= 1.0
        done = idx[final]
        status[done] = ShootingStatus.SUCCESS
        residual[done] = err[converged][final]
        # converged at an intermediate target: advance along the segment
        mid = idx[~final]
        if mid.size:
            j = jac[converged][~final]
            s_done[mid] = s_try[mid]
            v_done[mid] = v[mid]
            dv_ds[mid] = np.linalg.solve(j, delta[mid][..., None])[..., 0]
            step[mid] = np.minimum(2.0 * step[mid], 1.0 - s_done[mid])
            s_try[mid] = np.minimum(1.0, s_done[mid] + step[mid])
            v[mid] = v_done[mid] + (s_try[mid] - s_done[mid])[:, None] * dv_ds[mid]
            newton[mid] = 0
            err_prev[mid] = np.inf
        # Newton step on the current target
        idx = active[proceed]
        if idx.size:
            dv = np.linalg.solve(jac[proceed], r[proceed][..., None])[..., 0]
            v[idx] -= dv
            newton[idx] += 1
            err_prev[idx] = err[proceed]
        # failed step: shorten it, restart from the last solved target
        idx = active[retreat]
        if idx.size:
            step[idx] *= 0.25
            s_try[idx] = s_done[idx] + step[idx]
            v[idx] = v_done[idx] + step[idx][:, None] * dv_ds[idx]
            newton[idx] = 0
            err_prev[idx] = np.inf
            give_up = idx[step[idx] < min_step]
            status[give_up] = np.where(
                left_domain[give_up] & ~reached[give_up],
                ShootingStatus.UNREACHABLE, ShootingStatus.NOT_CONVERGED)
            v[give_up] = v_done[give_up]
        over = np.flatnonzero((status < 0) & (rounds >= max_rounds))
        status[over] = ShootingStatus.NOT_CONVERGED
        v[over] = v_done[over]

    result = ShootingResult(
        v=v.reshape(batch + (n,)),
        status=status.reshape(batch),
        residual=residual.reshape(batch),
        iterations=rounds.reshape(batch),
    )
    if throw and not result.ok:
        raise ShootingError(result.message)
    return result
