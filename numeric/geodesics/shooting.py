"""Log map by shooting: Newton's method on the exp map, with continuation.

The log map ``log_x(y)`` is the initial velocity ``v`` of the geodesic from ``x`` that
reaches ``y`` at ``t = 1``: a root of ``F(v) = exp_x(v) - y``. :func:`shoot` solves it for a
batch of pairs with Newton's method, the Jacobian ``∂exp_x(v)/∂v`` coming from the
variational equations integrated with the geodesic
(:meth:`numeric.geodesics.integrate.GeodesicSolver.variational`), so one integration per iteration
gives both the residual and its derivative.

Far-apart points are reached by continuation along the straight coordinate segment between
them: the target ``y(s) = x + s (y - x)`` moves from ``x`` (``s = 0``, where ``v = 0``) to
``y`` (``s = 1``). Each step predicts ``v`` with the tangent ``dv/ds = J⁻¹ (y - x)`` and
corrects with Newton; a step whose Newton iteration leaves the domain, grows the residual
or does not converge is retried four times shorter. This is the damping: near points are
solved in one step from the second-order guess ``v = d + Γ(m)(d, d) / 2`` (``d = y - x``,
Γ at the coordinate midpoint ``m``). A pair is reported as converged
only when the integrated ``exp_x(v)`` meets ``y`` to ``tol``.

The first stage, Newton's method on the full target followed by chord iterations, runs per
pair in generated code (``shoot_one``, from ``numeric/geodesics/_shooting_template.py``,
compiled with the geodesic integrator): on numba threads, or as one CUDA kernel with a thread
per pair when the solver is on the GPU (``solver.on("cuda")``), so that the iteration makes no
round trips to the host. Pairs it does not solve go on by continuation here, on the host,
from where it left them (:class:`NewtonStage`, ``ShootingResult.newton_stage``); both targets
take the same steps and give the same results.

References
----------
.. [1] J. Stoer and R. Bulirsch, *Introduction to Numerical Analysis*, 3rd ed., Springer
   (2002), Section 7.3 (shooting methods, Newton with the variational equations) and 5.4
   (continuation).
"""
import dataclasses
import enum
import time
from dataclasses import dataclass

import numpy as np

from symbolic.errors import DomainError, ShootingError
from symbolic.validation import integer, nonnegative, positive

from ._shooting_template import NewtonStage
from .integrate import IntegrationStatus

__all__ = ["MAX_SHOOTING_STEPS", "NewtonStage", "ShootingError", "ShootingResult", "ShootingStatus", "shoot",
           "shoot_in_chart"]


class ShootingStatus(enum.IntEnum):
    """Result of solving one log map."""

    SUCCESS = 0
    NOT_CONVERGED = 1
    UNREACHABLE = 2
    TIME_LIMIT = 3


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
    ShootingStatus.TIME_LIMIT: (
        "time_limit seconds ran out before Newton's method met tol; v is the best velocity "
        "found so far (not a solution). Raise time_limit, or loosen tol"
    ),
}


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
        Integrations spent on each pair (of the variational equations, or of the geodesic
        alone in the chord iterations).
    steps : ndarray of int, shape (...)
        Integrator steps (accepted and rejected) of those integrations: the work per pair,
        whatever the machine's load.
    newton_stage : ndarray of int, shape (...)
        :class:`NewtonStage` codes: how the compiled Newton stage (on the solver's backend,
        the GPU for a CUDA solver) left each pair; ``SOLVED`` pairs were solved there, the
        others went on by continuation or the full method on the host (``NOT_RUN``: the
        stage did not run for the pair).
    """

    v: np.ndarray
    status: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    steps: np.ndarray = None
    newton_stage: np.ndarray = None

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


class _BoxChart:
    """Per-coordinate unbounded chart of a box ``lower < x < upper`` in which shooting
    measures its residual: ``log(x - lower)`` for a lower bound only, ``-log(upper - x)``
    for an upper bound only, ``log((x - lower) / (upper - x))`` for both, ``x`` for none.

    Newton's method on ``exp_x(v) = y`` converges in fewer iterations when the residual is
    taken in this chart: the Fisher metrics of scale-like parameters (Beta, Gamma,
    Dirichlet, the Normal's sigma) are nearly homogeneous in ``log x``, so ``exp_x(v)`` is
    far closer to linear there (measured on 300 random Beta pairs: 5.1 Newton iterations
    on average with the residual in coordinates, 4.0 in this chart, and a much shorter
    tail).
    """

    def __init__(self, bounds):
        bounds = np.asarray(bounds, dtype=np.float64)
        self.lower = bounds[:, 0]
        self.upper = bounds[:, 1]
        self.has_lower = np.isfinite(self.lower)
        self.has_upper = np.isfinite(self.upper)

    def value(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.log(np.where(self.has_lower, x - self.lower, 1.0))
            above = np.log(np.where(self.has_upper, self.upper - x, 1.0))
        plain = ~(self.has_lower | self.has_upper)
        return np.where(plain, x, below - above)

    def derivative(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.where(self.has_lower, 1.0 / (x - self.lower), 0.0)
            above = np.where(self.has_upper, 1.0 / (self.upper - x), 0.0)
        plain = ~(self.has_lower | self.has_upper)
        return np.where(plain, 1.0, below + above)

    def straight(self, x, y):
        """Initial velocity of the straight line from x to y in this chart."""
        return (self.value(y) - self.value(x)) / self.derivative(x)

    def inverse(self, u):
        """The point x with ``value(x) = u``."""
        with np.errstate(over="ignore", invalid="ignore"):
            below = self.lower + np.exp(np.where(self.has_lower, u, 0.0))
            above = self.upper - np.exp(np.where(self.has_upper, -u, 0.0))
            # both bounds: lower + (upper - lower) / (1 + exp(-u)), the logistic function
            both = self.lower + (self.upper - self.lower) * 0.5 * (1.0 + np.tanh(0.5 * u))
        return np.where(self.has_lower & self.has_upper, both,
                        np.where(self.has_lower, below, np.where(self.has_upper, above, u)))


def _residual_scale(xs, ys):
    """Per-coordinate scale of the convergence test: max(|x_k|, |y_k|); where both are
    zero, the largest scale of the pair's other coordinates (not 1, so that a pair of tiny
    points, Normal(0, 1e-8) and Normal(0, 2e-8) say, is still solved to relative accuracy).
    """
    scale = np.maximum(np.abs(xs), np.abs(ys))
    largest = np.max(scale, axis=-1, keepdims=True) if scale.size else scale
    scale = np.where(scale == 0.0, largest, scale)
    scale[scale == 0.0] = 1.0  # x == y == 0: solved as v = 0 before any test
    return scale


def _adaptive_tolerance(err_prev, rtol, atol, loosest, tight):
    """Inexact Newton: integrate to about 1e-3 of the residual the step is expected to
    reach (err_prev^2), within [rtol, loosest]; at rtol where ``tight`` (the step is
    expected to converge, so its residual must be measured exactly).
    """
    with np.errstate(over="ignore"):
        wanted = np.clip(1e-3 * err_prev * err_prev, rtol, loosest)
    wanted = np.where(tight, rtol, wanted)
    if rtol == 0.0:
        # pure absolute control: the loose integrations are relative, the tight ones at atol
        return wanted, np.full_like(wanted, atol)
    return wanted, np.maximum(atol, wanted * (atol / rtol))


def _newton_continuation(solver, xs, ys, v, params, tol, rtol, atol, max_newton, min_step,
                         max_rounds, loosest=None, chart=None, step_when_done=False,
                         max_steps=None, deadline=None, speed_ratio=None, start=None):
    """Newton with continuation (the module docstring) for the rows of xs, ys, starting at
    the guess v. Returns (v, status, residual, rounds, jac, steps): jac is ∂exp_x(v)/∂v at the
    returned v for converged rows (NaN elsewhere).

    With ``loosest`` the integrations far from convergence run at looser tolerances (down
    to ``loosest``), tightening as the residual falls (:func:`_adaptive_tolerance`); a row
    is declared converged only from an integration at ``rtol``. With ``step_when_done``
    a converged row takes one more Newton step (its residual then about squares), so the
    returned v is no longer the one the residual was measured at: for the coarse phase,
    whose result is checked again.

    ``max_steps`` bounds the integrator's steps per integration (an iterate whose geodesic
    needs more is treated as a failed step); rows still unsolved at the monotonic clock time
    ``deadline`` end with TIME_LIMIT.

    ``start`` resumes rows that the compiled Newton stage (:func:`_newton_stage`) left after
    a failed step on the full target: a dict of ``step`` (the shortened first continuation
    step, also the first target ``s``; v must be ``step * (y - x)``), and the stage's
    ``rounds``, ``steps``, ``left_domain`` and ``reached`` per row. The returned rounds and
    steps are those spent here.
    """
    m, n = xs.shape
    scale = _residual_scale(xs, ys)
    delta = ys - xs
    v = v.copy()
    speed_limit = chart_derivative = None
    if chart is not None and speed_ratio is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            chart_derivative = chart.derivative(xs)
            speed_limit = speed_ratio * np.max(np.abs(chart.value(ys) - chart.value(xs)), axis=1)
    # continuation state: v_done solves the target at s_done; v is the current iterate
    s_done = np.zeros(m)
    v_done = np.zeros((m, n))
    dv_ds = delta.copy()  # J = identity at v = 0 (exp_x(v) = x + v + O(|v|^2))
    step = np.ones(m)
    newton = np.zeros(m, dtype=np.int64)
    err_prev = np.full(m, np.inf)
    status = np.full(m, -1, dtype=np.int64)
    residual = np.full(m, np.inf)
    rounds = np.zeros(m, dtype=np.int64)
    steps = np.zeros(m, dtype=np.int64)
    jacobian = np.full((m, n, n), np.nan)
    left_domain = np.zeros(m, dtype=bool)
    reached = np.zeros(m, dtype=bool)  # some integration ended inside the domain
    if start is not None:
        step = np.array(start["step"], dtype=np.float64)
        rounds = np.array(start["rounds"], dtype=np.int64)
        steps = np.array(start["steps"], dtype=np.int64)
        left_domain = np.array(start["left_domain"], dtype=bool)
        reached = np.array(start["reached"], dtype=bool)
    rounds_before, steps_before = rounds.copy(), steps.copy()
    s_try = step.copy()
    at_zero = np.all(delta == 0.0, axis=1)
    status[at_zero] = ShootingStatus.SUCCESS
    residual[at_zero] = 0.0
    v[at_zero] = 0.0
    jacobian[at_zero] = np.eye(n)

    while True:
        active = np.flatnonzero(status < 0)
        if active.size == 0:
            break
        if loosest is None:
            rt = np.full(active.size, rtol)
            at = np.full(active.size, atol)
        else:
            # a step from err_prev is expected to reach about err_prev^2: if that meets tol
            # at the final target, measure it at rtol so that it can count
            expected = err_prev[active] * err_prev[active]
            tight = (expected <= tol) & (s_try[active] >= 1.0)
            rt, at = _adaptive_tolerance(err_prev[active], rtol, atol, loosest, tight)
        if deadline is not None and time.monotonic() > deadline:
            status[active] = ShootingStatus.TIME_LIMIT
            v[active] = v_done[active]
            break
        # an iterate far faster (in the chart) than any log map of the pair is an overshoot
        # of Newton's method: a failed step at once, not an integration of up to max_steps
        # steps towards the boundary (see _MAX_CHART_SPEED)
        wild = np.zeros(active.size, dtype=bool)
        if speed_limit is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                speed = np.max(np.abs(chart_derivative[active] * v[active]), axis=1)
            wild = ~(speed <= speed_limit[active])
        code = np.full(active.size, IntegrationStatus.NON_FINITE, dtype=np.int64)
        end = np.full((active.size, n), np.nan)
        jac = np.full((active.size, n, n), np.nan)
        tame = np.flatnonzero(~wild)
        if tame.size:
            sol = solver.variational(xs[active[tame]], v[active[tame]], 1.0, params=params,
                                     rtol=rt[tame], atol=at[tame], max_steps=max_steps)
            code[tame], end[tame], jac[tame] = sol.status, sol.x[:, -1], sol.dx_dv0[:, -1]
            steps[active[tame]] += sol.n_steps + sol.n_rejected
        rounds[active[tame]] += 1
        ok = code == IntegrationStatus.SUCCESS
        left_domain[active] |= code == IntegrationStatus.LEFT_DOMAIN
        reached[active] |= ok
        target = xs[active] + s_try[active, None] * delta[active]
        r = end - target
        with np.errstate(invalid="ignore"):
            err = np.max(np.abs(r) / scale[active], axis=1)
        good = ok & np.isfinite(err)
        if chart is not None:
            # Newton's step from the residual in the box chart (see _BoxChart)
            with np.errstate(invalid="ignore"):
                r_step = np.where(good[:, None], chart.value(end) - chart.value(target), 0.0)
                jac_step = chart.derivative(end)[:, :, None] * jac
        else:
            r_step, jac_step = r, jac
        jac_ok = good & np.isfinite(jac_step).all(axis=(1, 2)) & np.isfinite(r_step).all(axis=1)
        # singular or not: the sign of the determinant (slogdet does not overflow where det
        # does, e.g. VonMises at kappa ~ 1e4, whose Jacobians reach 1e160)
        jac_ok[jac_ok] = np.linalg.slogdet(jac_step[jac_ok])[0] != 0.0

        # the final target must be met to tol by an integration at rtol; intermediate ones
        # are only starting points for the next continuation step
        final_target = s_try[active] >= 1.0
        converged = good & np.where(final_target, (err <= tol) & (rt <= rtol),
                                    err <= max(tol, _INTERMEDIATE_TOL))
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
        jacobian[done] = jac[converged][final]
        if step_when_done and done.size:
            last = np.flatnonzero(converged)[final]
            v[done] -= np.linalg.solve(jac_step[last], r_step[last][..., None])[..., 0]
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
            dv = np.linalg.solve(jac_step[proceed], r_step[proceed][..., None])[..., 0]
            v[idx] -= dv
            newton[idx] += 1
            # a residual measured at a loose tolerance is known only to about 100 rt
            err_prev[idx] = np.maximum(err[proceed], 100.0 * rt[proceed])
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
    return v, status, residual, rounds - rounds_before, jacobian, steps - steps_before


def _newton_stage(solver, xs, ys, guess, params, tol, rtol, atol, chart, max_newton, min_step,
                  max_rounds, max_steps, deadline=None):
    """The coarse phase's Newton's method on the full target and the chord iterations, per
    pair in compiled code on the solver's backend (``_shooting_template``): the same
    iterates as :func:`_newton_continuation` (with ``loosest``, ``step_when_done`` and the
    chart-speed limit) up to its first failed step, then :func:`_polish`. Returns
    ``(v, stage, residual, counts)`` (:meth:`numeric.geodesics.integrate.GeodesicSolver.newton_stage`).
    """
    m, n = xs.shape
    if chart is not None:
        lower, upper = chart.lower, chart.upper
        with np.errstate(invalid="ignore", divide="ignore"):
            chart_dx = chart.derivative(xs)
            speed_limit = _MAX_CHART_SPEED * np.max(np.abs(chart.value(ys) - chart.value(xs)), axis=1)
    else:
        lower, upper = np.full(n, -np.inf), np.full(n, np.inf)
        chart_dx, speed_limit = np.ones((m, n)), np.full(m, np.inf)
    settings = [tol, _HANDOVER_TOL, rtol, atol, _LOOSEST_RTOL, min_step, float(chart is not None)]
    limits = [max_newton, max_rounds, max_steps, _MAX_POLISH]
    return solver.newton_stage(xs, ys, guess, _residual_scale(xs, ys), params=params, lower=lower,
                               upper=upper, chart_dx=chart_dx, speed_limit=speed_limit,
                               settings=settings, limits=limits, deadline=deadline)


def _polish(solver, xs, ys, v, jac, params, tol, rtol, atol, max_polish, max_steps=None):
    """Chord iterations at the tight tolerances: integrate exp_x(v) (without variational
    equations) and correct v with the Jacobian ``jac`` kept from the coarse phase, until the
    residual meets tol. Returns (v, converged, residual, rounds, steps); a row whose residual stops
    shrinking by at least half per iteration is left unconverged (for the full method).
    """
    m = xs.shape[0]
    scale = _residual_scale(xs, ys)
    v = v.copy()
    converged = np.zeros(m, dtype=bool)
    residual = np.full(m, np.inf)
    rounds = np.zeros(m, dtype=np.int64)
    steps = np.zeros(m, dtype=np.int64)
    err_prev = np.full(m, np.inf)
    active = np.arange(m)
    for _ in range(max_polish):
        if active.size == 0:
            break
        sol = solver(xs[active], v[active], 1.0, params=params, rtol=rtol, atol=atol,
                     max_steps=max_steps)
        rounds[active] += 1
        steps[active] += sol.n_steps + sol.n_rejected
        r = sol.x[:, -1] - ys[active]
        with np.errstate(invalid="ignore"):
            err = np.max(np.abs(r) / scale[active], axis=1)
        good = (sol.status == IntegrationStatus.SUCCESS) & np.isfinite(err)
        done = good & (err <= tol)
        converged[active[done]] = True
        residual[active[done]] = err[done]
        go_on = good & ~done & (err <= 0.5 * err_prev[active])
        idx = active[go_on]
        if idx.size:
            v[idx] -= np.linalg.solve(jac[idx], r[go_on][..., None])[..., 0]
            err_prev[idx] = err[go_on]
        active = idx
    return v, converged, residual, rounds, steps


# Intermediate continuation targets are solved to this residual only.
_INTERMEDIATE_TOL = 1e-4

# The coarse phase of shoot: inexact Newton, integrating the variational equations to
# 1e-2 of the residual expected after the step (_adaptive_tolerance), from _LOOSEST_RTOL
# far from the solution down to the caller's rtol; a row whose residual is below
# _HANDOVER_TOL at an integration at rtol takes a last Newton step and goes to the
# chord iterations (_polish), which usually only confirm it with one integration of the
# geodesic alone. Measured on 1,000 random Beta pairs (benchmarks/geodesics.py): 7.0
# variational integrations at rtol per pair with plain Newton; 5.1 integrations, of which
# 1 tight variational and 1 tight plain, with this scheme (and the box chart).
_LOOSEST_RTOL = 1e-4
_HANDOVER_TOL = 1e-6
_MAX_POLISH = 4

# The coarse phase integrates no iterate whose speed in the box chart, max_k |u_k'(0)|
# (u = _BoxChart.value(x)), exceeds _MAX_CHART_SPEED times the chart displacement of the
# pair, max_k |u_k(y) - u_k(x)|: it counts as a failed Newton step (the continuation step
# is shortened) without an integration. Such iterates are Newton's overshoots; their
# geodesics run towards the boundary (Gamma: a -> 0) until max_steps. Measured over the box
# (0.5, 10)^n on 1,000 random pairs, the log maps themselves have a ratio below 5.2
# (Gamma), 3.7 (Beta), 2.8 (Dirichlet(3)), 5.0 (Normal, mu in (-10, 10)); Gamma's far
# pairs spent 80% of their integrator steps on 33 such iterates (5,000 steps each, the rest
# take about 25). The full method, which solves what the coarse phase leaves, has no limit.
_MAX_CHART_SPEED = 16.0

#: Integrator steps allowed per integration while shooting (see :func:`shoot`).
MAX_SHOOTING_STEPS = 5_000


@dataclass(frozen=True)
class _Call:
    """The checked arguments of :func:`shoot` (and :func:`numeric.geodesics.line.shoot_line`)."""

    tol: float
    rtol: float
    atol: float
    max_rounds: int
    max_steps: int
    deadline: float
    batch: tuple
    xs: np.ndarray
    ys: np.ndarray
    chart: object


def _checked_call(solver, x, y, params, tol, rtol, atol, max_rounds, max_steps, time_limit,
                  bounds):
    """Check the arguments shared by the log-map solvers; the pairs as rows (m, n)."""
    kernel = solver.christoffel
    x = kernel.check_points(x, "x")
    y = kernel.check_points(y, "y")
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} and y of shape {y.shape} do not broadcast") from exc
    tol = positive("tol", tol)
    rtol = nonnegative("rtol", rtol)
    atol = nonnegative("atol", atol)
    if rtol == 0.0 and atol == 0.0:
        raise DomainError("rtol and atol must not both be 0 (rtol >= 0 is the relative and "
                          "atol >= 0 the absolute accuracy of a step), got rtol = 0, atol = 0")
    max_rounds = integer("max_rounds", max_rounds, minimum=1)
    max_steps = integer("max_steps", max_steps, minimum=1)
    deadline = None
    if time_limit is not None:
        deadline = time.monotonic() + positive("time_limit", time_limit)
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
    chart = None
    if bounds is not None:
        bounds = np.asarray(bounds, dtype=np.float64)
        if bounds.shape != (n, 2) or np.isnan(bounds).any() or np.any(bounds[:, 0] >= bounds[:, 1]):
            raise ValueError(f"bounds must be an array of shape ({n}, 2) of lower < upper "
                             f"(±inf for none), got {bounds.tolist()}")
        chart = _BoxChart(bounds)
    return _Call(tol, rtol, atol, max_rounds, max_steps, deadline, batch, xs, ys, chart)


def shoot(solver, x, y, *, params=(), tol=1e-10, rtol=1e-12, atol=0.0, max_newton=8,
          min_step=2.0 ** -12, max_rounds=400, max_steps=MAX_SHOOTING_STEPS, time_limit=None,
          bounds=None, coarse=True, throw=False, v0=None):
    """Solve ``exp_x(v) = y`` for ``v`` (the log map) by Newton's method with continuation.

    With ``coarse`` (the default) Newton's method first runs with the variational equations
    integrated to loose tolerances (rtol from 1e-4 far from the solution down to ``rtol``
    as the residual falls, until it is below 1e-6), then chord iterations with the integrator at
    ``rtol``/``atol`` and the Jacobian kept from the coarse phase bring the residual below
    ``tol``; rows where either phase fails are solved again by the full method at the tight
    tolerances. Every reported solution was checked by an integration at ``rtol``/``atol``.
    With ``bounds``, the coarse phase does not integrate an iterate whose initial speed in
    the box chart exceeds 16 times the pair's displacement in that chart (Newton's
    overshoot; see ``_MAX_CHART_SPEED``): it counts as a failed step.

    Parameters
    ----------
    solver : numeric.geodesics.integrate.GeodesicSolver
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
        Tolerances of the integrator (the residual cannot fall below its error): relative
        and absolute accuracy per step, both >= 0 and not both 0 (see
        :meth:`numeric.geodesics.integrate.GeodesicSolver.__call__`).
    max_newton : int
        Newton iterations per continuation step before the step is shortened.
    min_step : float
        Shortest continuation step (fraction of the segment) before giving up.
    max_rounds : int
        Integrations per pair and phase.
    max_steps : int
        Integrator steps per integration (default ``MAX_SHOOTING_STEPS = 5000``). A geodesic
        of a Newton iterate that needs more (one that runs towards the boundary or out to
        infinity, where steps become tiny or each costs a slow special-function evaluation)
        counts as a failed iterate, and the continuation step is shortened.
    time_limit : float, optional
        Seconds for the whole batch; pairs not converged when they run out end with
        ``TIME_LIMIT`` (checked between integrations on the host, and between blocks of
        pairs in the compiled Newton stage, whose blocks are sized to a quarter of the time
        left; a pair there takes at most ``max_newton + 5`` integrations; with a CUDA solver
        the stage is one launch that runs to its end). None: no limit.
    bounds : array_like, shape (n, 2), optional
        Lower and upper bound of each coordinate (``±inf`` for none), e.g. ``[[0, inf]]``
        for a scale parameter: Newton's method then measures the residual in the chart
        ``log(x - lower)`` (``_BoxChart``), where the exp maps of statistical manifolds are
        closer to linear, and starts from the straight line of that chart. Only the
        iteration changes; convergence is still tested in the coordinates.
    coarse : bool
        Start with the coarse phase; ``False`` runs the full method at ``rtol``/``atol``
        only (slower, the same answers).
    throw : bool
        Raise :class:`ShootingError` if a pair fails.
    v0 : array_like, shape (..., n), optional
        First Newton iterates (a warm start, e.g. the log maps from a nearby base point);
        rows that are not finite take the default start.

    Returns
    -------
    ShootingResult

    Examples
    --------
    The Poincaré half-plane: from (0, 1) to (0, e) the log map is (0, 1).

    >>> import sympy
    >>> from numeric.geodesics.integrate import compile_geodesic
    >>> x, y = sympy.symbols("x y", real=True)
    >>> G = sympy.Array([[[0, -1/y], [-1/y, 0]], [[1/y, 0], [0, -1/y]]])
    >>> solver = compile_geodesic([x, y], G, domain=y > 0, variational=True)
    >>> r = shoot(solver, [0.0, 1.0], [0.0, np.e])
    >>> r.ok, np.round(r.v, 10).tolist()
    (True, [0.0, 1.0])
    """
    if not getattr(solver, "has_variational", False):
        raise ValueError("shoot needs a solver compiled with compile_geodesic(..., variational=True)")
    c = _checked_call(solver, x, y, params, tol, rtol, atol, max_rounds, max_steps, time_limit,
                      bounds)
    min_step = positive("min_step", min_step)
    max_newton = integer("max_newton", max_newton, minimum=1)
    tol, rtol, atol, max_rounds, max_steps = c.tol, c.rtol, c.atol, c.max_rounds, c.max_steps
    deadline, batch, xs, ys, chart = c.deadline, c.batch, c.xs, c.ys, c.chart
    x = xs.reshape(batch + (xs.shape[1],))
    n = xs.shape[1]
    m = xs.shape[0]
    if chart is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            guess = chart.straight(xs, ys)
        bad = ~np.isfinite(guess).all(axis=1)
        guess[bad] = (ys - xs)[bad]
    else:
        guess = _first_guess(solver, xs, ys - xs, params)
    if v0 is not None:
        warm = np.broadcast_to(np.asarray(v0, dtype=np.float64), x.shape).reshape(-1, n)
        use = np.isfinite(warm).all(axis=1)
        guess[use] = warm[use]
    options = dict(max_newton=max_newton, min_step=min_step, max_rounds=max_rounds,
                   chart=chart, max_steps=max_steps, deadline=deadline)
    v = guess.copy()
    status = np.full(m, -1, dtype=np.int64)
    residual = np.full(m, np.inf)
    rounds = np.zeros(m, dtype=np.int64)
    steps = np.zeros(m, dtype=np.int64)
    same = np.all(xs == ys, axis=1)
    v[same] = 0.0
    status[same] = ShootingStatus.SUCCESS
    residual[same] = 0.0
    todo = np.flatnonzero(~same)
    stage = np.full(m, NewtonStage.NOT_RUN, dtype=np.int64)
    if todo.size and coarse and rtol < _LOOSEST_RTOL and tol < _HANDOVER_TOL:
        # Newton's method on the full target, per pair in compiled code (on the GPU with a
        # CUDA solver); the pairs that need continuation go on here, from where it left them
        coarse_rows, first, start = todo, guess[todo], None
        if deadline is None or time.monotonic() <= deadline:
            v_s, stage_s, res_s, counts = _newton_stage(
                solver, xs[todo], ys[todo], guess[todo], params, tol, rtol, atol, chart,
                max_newton, min_step, max_rounds, max_steps, deadline)
            stage[todo] = stage_s
            rounds[todo] += counts[:, 0]
            steps[todo] += counts[:, 1]
            solved = stage_s == NewtonStage.SOLVED
            status[todo[solved]] = ShootingStatus.SUCCESS
            residual[todo[solved]] = res_s[solved]
            keep = solved | (stage_s == NewtonStage.POLISH_FAILED)
            v[todo[keep]] = v_s[keep]
            resume = stage_s == NewtonStage.CONTINUATION
            coarse_rows = todo[resume]
            # the continuation's first shortened step: target x + (y - x) / 4 from v = (y - x) / 4
            first = 0.25 * (ys[coarse_rows] - xs[coarse_rows])
            start = dict(step=np.full(coarse_rows.size, 0.25), rounds=counts[resume, 0],
                         steps=counts[resume, 1], left_domain=counts[resume, 2] != 0,
                         reached=counts[resume, 3] != 0)
        if coarse_rows.size:
            v_c, status_c, _, rounds_c, jac, steps_c = _newton_continuation(
                solver, xs[coarse_rows], ys[coarse_rows], first, params, _HANDOVER_TOL, rtol,
                atol, loosest=_LOOSEST_RTOL, step_when_done=True, speed_ratio=_MAX_CHART_SPEED,
                start=start, **options)
            rounds[coarse_rows] += rounds_c
            steps[coarse_rows] += steps_c
            found = np.flatnonzero(status_c == ShootingStatus.SUCCESS)
            rows = coarse_rows[found]
            v_p, ok, res_p, rounds_p, steps_p = _polish(solver, xs[rows], ys[rows], v_c[found],
                                               jac[found], params, tol, rtol, atol, _MAX_POLISH,
                                               max_steps=max_steps)
            rounds[rows] += rounds_p
            steps[rows] += steps_p
            v[rows] = v_p
            status[rows[ok]] = ShootingStatus.SUCCESS
            residual[rows[ok]] = res_p[ok]
            # rows that ran out of time in the coarse phase are not retried by the full method
            late = status_c == ShootingStatus.TIME_LIMIT
            status[coarse_rows[late]] = ShootingStatus.TIME_LIMIT
            v[coarse_rows[late]] = v_c[late]
        todo = np.flatnonzero(status < 0)
    if todo.size:
        v_t, status_t, res_t, rounds_t, _, steps_t = _newton_continuation(
            solver, xs[todo], ys[todo], v[todo], params, tol, rtol, atol, **options)
        v[todo] = v_t
        status[todo] = status_t
        residual[todo] = res_t
        rounds[todo] += rounds_t
        steps[todo] += steps_t

    result = ShootingResult(
        v=v.reshape(batch + (n,)),
        status=status.reshape(batch),
        residual=residual.reshape(batch),
        iterations=rounds.reshape(batch),
        steps=steps.reshape(batch),
        newton_stage=stage.reshape(batch),
    )
    if throw and not result.ok:
        raise ShootingError(result.message)
    return result


def shoot_in_chart(solver, to_chart, jacobian, x, y, *, throw=False, **options):
    """The log map of points ``x``, ``y`` of one chart, shot in another one.

    ``to_chart`` maps points to the chart ``u`` in which ``solver`` integrates the
    geodesics; :func:`shoot` solves ``exp_u(x)(w) = u(y)`` there, and the velocity is brought
    back with the chart's Jacobian at x, ``v = (∂u/∂x)⁻¹ w`` (a tangent vector's components
    transform linearly, so the map back is exact). A family declares such a chart where its
    own coordinates are singular on the manifold or wrap around it: the von Mises family's
    (mu, kappa) are polar coordinates of its natural parameters, singular at kappa = 0 (the
    uniform distribution, a regular point) and 2 pi-periodic in mu, so a pair with
    |mu - mu_2| near pi or beyond has no geodesic in (mu, kappa) (its shooting failed after
    seconds of work), but one in the natural chart.

    Parameters
    ----------
    solver : numeric.geodesics.integrate.GeodesicSolver
        The geodesic integrator of the chart ``u`` (``variational=True``).
    to_chart : callable
        ``to_chart(x)``: points of shape (..., n) to the chart, the same shape.
    jacobian : callable
        ``jacobian(x)``: ``∂u/∂x`` at points of shape (..., n), shape (..., n, n),
        invertible.
    x, y : array_like, shape (..., n)
        Start and target points in the original chart (broadcast).

    Other Parameters
    ----------------
    throw : bool
        Raise :class:`ShootingError` if a pair fails.
    **options
        Those of :func:`shoot` (``tol`` is then measured in the chart ``u``, ``bounds`` are
        the chart's).

    Returns
    -------
    ShootingResult
        :attr:`ShootingResult.v` in the original chart; status, residual and work as
        :func:`shoot` reports them in the chart ``u``. Where the geodesic leaves the original
        chart (through its singular set), ``exp_x(v)`` is not defined in it, but ``v`` is the
        tangent vector at x all the same, and ``g_x(v, v)`` the squared length.

    Examples
    --------
    The Poincaré half-plane shot in the chart ``(x, log y)``: from (0, 1) to (0, e) the log
    map is (0, 1) in either chart.

    >>> import sympy
    >>> from numeric.geodesics.integrate import compile_geodesic
    >>> a, s = sympy.symbols("a s", real=True)
    >>> G = sympy.Array([[[0, -1], [-1, 0]], [[sympy.exp(-2 * s), 0], [0, 0]]])
    >>> solver = compile_geodesic([a, s], G, variational=True)
    >>> chart = lambda p: np.array([p[0], np.log(p[1])])
    >>> jac = lambda p: np.array([[1.0, 0.0], [0.0, 1.0 / p[1]]])
    >>> r = shoot_in_chart(solver, chart, jac, [0.0, 1.0], [0.0, np.e])
    >>> r.ok, np.round(r.v, 10).tolist()
    (True, [0.0, 1.0])
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError as exc:
        raise ValueError(f"x of shape {x.shape} and y of shape {y.shape} do not broadcast") from exc
    result = shoot(solver, to_chart(x), to_chart(y), throw=False, **options)
    with np.errstate(invalid="ignore"):
        v = np.linalg.solve(jacobian(x), np.asarray(result.v)[..., None])[..., 0]
    result = dataclasses.replace(result, v=v)
    if throw and not result.ok:
        raise ShootingError(result.message)
    return result
