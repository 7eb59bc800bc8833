"""The Fisher-Rao log map of a one-dimensional family, by its arc length.

On a curve every path is a geodesic up to its parametrisation, and the Levi-Civita
geodesic through ``x`` with velocity ``v`` keeps its speed: ``s(x(t)) |x'(t)| = s(x) |v|``
with ``s = sqrt(g)``. So ``exp_x(v) = y`` means ``D(x, y) = s(x) v``, where
``D(x, y) = ∫_x^y s(z) dz`` is the signed Fisher-Rao length, and the derivative of the
end point in the velocity is known exactly without variational equations:

    d exp_x(v) / dv = s(x) / s(exp_x(v)).

:func:`shoot_line` takes ``v`` from ``D`` by Gauss-Legendre quadrature in the box chart of
:func:`numeric.geodesics.shooting.shoot` (``log(z - lower)``, ...), where ``s`` is smooth
even next to a boundary, then runs Newton's method with that derivative, each iterate one
integration of the geodesic alone; the residual and the convergence test are those of
:func:`numeric.geodesics.shooting.shoot`, so a solution is certified in the same way (by an
integration at ``rtol``/``atol`` whose end meets ``y`` to ``tol``). Compared with shooting,
it needs neither the variational equations nor the compiled Newton stage, whose compiles
cost most of a family's first log map (Poisson: measured in ``benchmarks/geodesics.py``),
and one or two integrations a pair. α-geodesics with ``α != 0`` do not keep the Fisher
speed, so they are shot (``NumericManifold.log`` decides).
"""
import time

import numpy as np

from ._shooting_template import NewtonStage
from .integrate import IntegrationStatus
from .shooting import (
    MAX_SHOOTING_STEPS,
    ShootingError,
    ShootingResult,
    ShootingStatus,
    _BoxChart,
    _checked_call,
    _residual_scale,
)

__all__ = ["shoot_line"]

# Gauss-Legendre nodes on [0, 1] for the first guess of D(x, y)
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_NODES = 0.5 * (_NODES + 1.0)
_WEIGHTS = 0.5 * _WEIGHTS

#: integrations without the residual halving after which a pair counts as stalled
_STALL = 4


def _speeds(speed, z):
    """``s`` at points z of any shape (a 1-d coordinate each)."""
    flat = np.ascontiguousarray(z.reshape(-1, 1))
    with np.errstate(all="ignore"):
        return np.asarray(speed(flat), dtype=np.float64).reshape(z.shape)


def _length_guess(speed, xs, ys, chart, s_x):
    """``D(x, y) / s(x)`` by 16-point Gauss-Legendre in the box chart's coordinate u, where
    ``D = ∫ s(z(u)) z'(u) du``; rows where it is not finite take the chart's straight line.
    """
    u_x, u_y = chart.value(xs[:, 0]), chart.value(ys[:, 0])
    u = u_x[:, None] + _NODES[None, :] * (u_y - u_x)[:, None]
    with np.errstate(all="ignore"):
        z = chart.inverse(u)
        integrand = _speeds(speed, z) / chart.derivative(z)
        v = (u_y - u_x) * (integrand @ _WEIGHTS) / s_x
        straight = chart.straight(xs[:, 0], ys[:, 0])
    bad = ~np.isfinite(v)
    v[bad] = straight[bad]
    bad = ~np.isfinite(v)
    v[bad] = (ys[:, 0] - xs[:, 0])[bad]
    return v


def shoot_line(solver, speed, x, y, *, params=(), tol=1e-10, rtol=1e-12, atol=0.0,
               max_rounds=60, max_steps=MAX_SHOOTING_STEPS, time_limit=None, bounds=None,
               throw=False, v0=None, max_newton=None, min_step=None, coarse=None):
    """Solve ``exp_x(v) = y`` on a one-dimensional family by its arc length (module docstring).

    Parameters
    ----------
    solver : numeric.geodesics.integrate.GeodesicSolver
        The Levi-Civita geodesics of a metric in one coordinate (any backend).
    speed : callable
        ``speed(z)``: ``sqrt(g(z))`` at points of shape (m, 1), shape (m,) or (m, 1).
    x, y : array_like, shape (..., 1)
        Start and target points (broadcast), inside the domain.

    Other Parameters
    ----------------
    params, tol, rtol, atol, max_steps, time_limit, bounds, throw, v0
        As for :func:`numeric.geodesics.shooting.shoot`; ``bounds`` gives the chart of the
        first guess and of Newton's steps.
    max_rounds : int
        Integrations per pair (Newton's method converges in one to four; a pair whose
        residual stops halving for four integrations ends ``NOT_CONVERGED``).
    max_newton, min_step, coarse
        Those of :func:`numeric.geodesics.shooting.shoot`'s continuation; not used here,
        taken so that the two solve the same calls.

    Returns
    -------
    ShootingResult
        As :func:`numeric.geodesics.shooting.shoot`'s; ``iterations`` counts integrations of
        the geodesic, ``newton_stage`` is ``NOT_RUN`` throughout.

    Examples
    --------
    The Poisson family, ``g = 1/lam``: ``D = 2 (sqrt(y) - sqrt(x))``, so from 1 to 4 the
    log map is ``D / s(1) = 2``.

    >>> import sympy
    >>> from numeric.geodesics.integrate import compile_geodesic
    >>> lam = sympy.symbols("lam", real=True)
    >>> G = sympy.Array([[[-1 / (2 * lam)]]])
    >>> solver = compile_geodesic([lam], G, domain=lam > 0)
    >>> r = shoot_line(solver, lambda z: 1 / np.sqrt(z), [1.0], [4.0], bounds=[[0.0, np.inf]])
    >>> r.ok, round(float(r.v[0]), 12), int(r.iterations)
    (True, 2.0, 1)
    """
    c = _checked_call(solver, x, y, params, tol, rtol, atol, max_rounds, max_steps, time_limit,
                      bounds)
    xs, ys, n = c.xs, c.ys, c.xs.shape[1]
    if n != 1:
        raise ValueError(f"shoot_line solves log maps in one coordinate, got points of {n}")
    chart = c.chart if c.chart is not None else _BoxChart([[-np.inf, np.inf]])
    m = xs.shape[0]
    status = np.full(m, -1, dtype=np.int64)
    residual = np.full(m, np.inf)
    rounds = np.zeros(m, dtype=np.int64)
    steps = np.zeros(m, dtype=np.int64)
    v = np.zeros(m)
    same = xs[:, 0] == ys[:, 0]
    status[same] = ShootingStatus.SUCCESS
    residual[same] = 0.0
    todo = np.flatnonzero(~same)
    if todo.size:
        s_x = _speeds(speed, xs[todo, 0])
        v[todo] = _length_guess(speed, xs[todo], ys[todo], chart, s_x)
        if v0 is not None:
            warm = np.broadcast_to(np.asarray(v0, dtype=np.float64),
                                   c.batch + (1,)).reshape(-1)[todo]
            use = np.isfinite(warm)
            v[todo[use]] = warm[use]
        _newton(solver, speed, xs, ys, v, s_x, todo, chart, params, c, status, residual, rounds,
                steps)
    result = ShootingResult(
        v=v.reshape(c.batch + (1,)),
        status=status.reshape(c.batch),
        residual=residual.reshape(c.batch),
        iterations=rounds.reshape(c.batch),
        steps=steps.reshape(c.batch),
        newton_stage=np.full(c.batch, NewtonStage.NOT_RUN, dtype=np.int64),
    )
    if throw and not result.ok:
        raise ShootingError(result.message)
    return result


def _newton(solver, speed, xs, ys, v, s_x, todo, chart, params, c, status, residual, rounds,
            steps):
    """Newton's method on the rows ``todo`` (v, status, residual, rounds, steps updated)."""
    scale = _residual_scale(xs, ys)[:, 0]
    target = chart.value(ys[:, 0])
    # the last velocity whose geodesic reached t = 1 (v = 0 stays at x), for backtracking
    good_v = np.zeros(v.size)
    best = np.full(v.size, np.inf)
    stalled = np.zeros(v.size, dtype=np.int64)
    reached = np.zeros(v.size, dtype=bool)
    speed_x = np.zeros(v.size)
    speed_x[todo] = s_x
    active = todo
    while active.size:
        if c.deadline is not None and time.monotonic() > c.deadline:
            status[active] = ShootingStatus.TIME_LIMIT
            break
        sol = solver(xs[active], v[active, None], 1.0, params=params, rtol=c.rtol, atol=c.atol,
                     max_steps=c.max_steps)
        rounds[active] += 1
        steps[active] += sol.n_steps + sol.n_rejected
        end = sol.x[:, -1, 0]
        ok = sol.status == IntegrationStatus.SUCCESS
        with np.errstate(invalid="ignore"):
            err = np.abs(end - ys[active, 0]) / scale[active]
        ok &= np.isfinite(err)
        done = ok & (err <= c.tol)
        status[active[done]] = ShootingStatus.SUCCESS
        residual[active[done]] = err[done]
        reached[active[ok]] = True
        # Newton's step in the chart u: du(end)/dv = u'(end) s(x) / s(end)
        go = ok & ~done
        rows = active[go]
        if rows.size:
            e = end[go]
            with np.errstate(all="ignore"):
                slope = chart.derivative(e) * speed_x[rows] / _speeds(speed, e)
                step = (chart.value(e) - target[rows]) / slope
            halved = err[go] <= 0.5 * best[rows]
            stalled[rows] = np.where(halved, 0, stalled[rows] + 1)
            best[rows] = np.minimum(best[rows], err[go])
            good_v[rows] = v[rows]
            usable = np.isfinite(step)
            v[rows[usable]] -= step[usable]
            stuck = ~usable | (stalled[rows] >= _STALL)
            status[rows[stuck]] = ShootingStatus.NOT_CONVERGED
        # an overshoot (the geodesic left the domain or needed more than max_steps steps):
        # back to halfway from the last velocity that arrived
        back = active[~ok]
        v[back] = 0.5 * (v[back] + good_v[back])
        pending = status[active] < 0
        out_of_rounds = pending & (rounds[active] >= c.max_rounds)
        late = active[out_of_rounds]
        status[late] = np.where(reached[late], ShootingStatus.NOT_CONVERGED,
                                ShootingStatus.UNREACHABLE)
        active = active[pending & ~out_of_rounds]
    failed = status != ShootingStatus.SUCCESS
    # a failed pair reports the best velocity that arrived, never a solution
    v[failed & reached] = good_v[failed & reached]
