"""The template of the compiled Newton stage of the shooting log map (one pair per thread).

:func:`numeric.geodesics.shooting.shoot` starts every pair with Newton's method on the full
target ``exp_x(v) = y``: inexact Newton with the variational equations at loosening-then-
tightening tolerances, the residual in the box chart, one last step, then chord iterations
at the caller's tolerances (the "coarse phase" and "polish" of :mod:`numeric.geodesics.shooting`).
Most pairs are solved there; the others need continuation, which runs on the host.

``NEWTON_TEMPLATE`` writes that stage for one pair as numba code, ``shoot_one``, which calls the
module's own generated integrators (``solve_one_var`` for the variational equations,
``solve_one`` for the chord iterations) and solves the small Newton systems by Gaussian
elimination with partial pivoting in the caller's workspace. It is generated once per
variational geodesic module (:func:`numeric.geodesics.integrate.compile_geodesic`) and runs
on both targets: ``shoot_batch`` over numba threads, and ``shoot_cuda`` (``NEWTON_CUDA_TEMPLATE``,
in the CUDA module of :func:`numeric.geodesics.integrate.cuda_source`) with one CUDA thread
per pair and the workspace in local memory. One source, two targets: the CPU and the CUDA
paths take the same steps and report the same :class:`NewtonStage` codes.

Placeholders: ``${N}`` (coordinates), ``${DIM}`` (length of the variational state,
``2 n + 2 n^2``), ``${PDIM}`` (of the geodesic state, ``2 n``), the
:class:`numeric.geodesics.integrate.IntegrationStatus` codes ``${SUCCESS}``,
``${LEFT_DOMAIN}``, ``${NON_FINITE}`` and the :class:`NewtonStage` codes, as int literals.

The stage's settings travel as two small arrays (the kernel's signature stays fixed):
``settings = [tol, handover, rtol, atol, loosest, min_step, use_speed]`` (float64) and
``limits = [max_newton, max_rounds, max_steps, max_polish]`` (int64).
"""
import enum
import string

__all__ = ["NEWTON_CUDA_TEMPLATE", "NEWTON_TEMPLATE", "NewtonStage"]


class NewtonStage(enum.IntEnum):
    """How the compiled Newton stage left a pair (``ShootingResult.newton_stage``)."""

    #: the stage did not run for the pair (x == y, ``coarse=False``, or the time limit had
    #: already passed)
    NOT_RUN = -1
    #: solved: Newton's method met the handover residual, the chord iterations met ``tol``
    SOLVED = 0
    #: a Newton step failed (left the domain, grew the residual, or ``max_newton`` steps
    #: without converging): the host went on by continuation from the first shortened step
    CONTINUATION = 1
    #: the coarse phase gave up (``max_rounds``, or ``min_step > 1/4``): the host solved the
    #: pair by the full method from the first guess
    FULL_METHOD = 2
    #: Newton's method converged but the chord iterations did not meet ``tol``: the host
    #: solved the pair by the full method from the stage's last velocity
    POLISH_FAILED = 3


NEWTON_TEMPLATE = string.Template('''
@njit(cache=True, error_model='numpy')
def gauss_solve(A, b, LU, x):
    \"\"\"x = A^-1 b by Gaussian elimination with partial pivoting (A and b untouched, LU
    workspace). Returns the product of the pivots' magnitudes, |det A|, or 0.0 (x then
    undefined) where a pivot is zero or not finite.
    \"\"\"
    for i in range(${N}):
        x[i] = b[i]
        for j in range(${N}):
            LU[i, j] = A[i, j]
    det = 1.0
    for c in range(${N}):
        p = c
        best = abs(LU[c, c])
        for r in range(c + 1, ${N}):
            if abs(LU[r, c]) > best:
                best = abs(LU[r, c])
                p = r
        if not (best > 0.0 and math.isfinite(best)):
            return 0.0
        if p != c:
            for j in range(${N}):
                tmp = LU[c, j]
                LU[c, j] = LU[p, j]
                LU[p, j] = tmp
            tmp = x[c]
            x[c] = x[p]
            x[p] = tmp
        det *= best
        for r in range(c + 1, ${N}):
            f = LU[r, c] / LU[c, c]
            for j in range(c + 1, ${N}):
                LU[r, j] -= f * LU[c, j]
            x[r] -= f * x[c]
    for c in range(${N} - 1, -1, -1):
        s = x[c]
        for j in range(c + 1, ${N}):
            s -= LU[c, j] * x[j]
        x[c] = s / LU[c, c]
    return det


@njit(cache=True, error_model='numpy')
def box_chart(x, lower, upper):
    \"\"\"Value and derivative of the box chart of one coordinate (shooting._BoxChart).\"\"\"
    has_lower = math.isfinite(lower)
    has_upper = math.isfinite(upper)
    if not (has_lower or has_upper):
        return x, 1.0
    value = 0.0
    derivative = 0.0
    if has_lower:
        a = x - lower
        value += math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan)
        derivative += 1.0 / a
    if has_upper:
        a = upper - x
        value -= math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan)
        derivative += 1.0 / a
    return value, derivative


@njit(cache=True, error_model='numpy')
def scaled_residual(end, target, scale):
    \"\"\"max_k |end_k - target_k| / scale_k, NaN if any term is NaN (as numpy's max).\"\"\"
    err = 0.0
    for k in range(${N}):
        e = abs(end[k] - target[k]) / scale[k]
        if e != e:
            return math.nan
        err = max(err, e)
    return err


@njit(cache=True, error_model='numpy')
def shoot_one(x, y, scale, v, p, lower, upper, chart_dx, speed_limit, settings, limits,
              counts, t_eval, Kv, Fv, wv, ysv, Kp, Fp, wp, ysp, vec, mat):
    \"\"\"The Newton stage of shoot for the pair (x, y), from the first iterate v (updated in
    place). Workspace: Kv (16, DIM), Fv (7, DIM), wv (5, DIM), ysv (2, DIM) for the
    variational integrations, Kp, Fp, wp, ysp the same for PDIM, vec (4, N), mat (3, N, N);
    t_eval = [0, 1]. counts = [rounds, steps, left_domain, reached] (written).

    Returns (NewtonStage code, residual): the residual at v when SOLVED, inf otherwise.
    Mirrors shooting._newton_continuation on the full target (s = 1) up to its first failed
    step, with step_when_done, then shooting._polish.
    \"\"\"
    tol = settings[0]
    handover = settings[1]
    rtol = settings[2]
    atol = settings[3]
    loosest = settings[4]
    min_step = settings[5]
    use_speed = settings[6] != 0.0
    max_newton = limits[0]
    max_rounds = limits[1]
    max_steps = limits[2]
    max_polish = limits[3]
    end = vec[0]
    target = vec[1]
    r_step = vec[2]
    dv = vec[3]
    J = mat[0]
    A = mat[1]
    LU = mat[2]
    y0 = wv[0]
    rounds = 0
    steps = 0
    left_domain = False
    reached = False
    newton = 0
    err_prev = math.inf
    failed = False
    converged = False
    while True:
        # _adaptive_tolerance: a step expected to meet handover is measured at rtol
        if err_prev * err_prev <= handover:
            rt = rtol
        else:
            rt = min(max(1e-3 * err_prev * err_prev, rtol), loosest)
        if rtol == 0.0:
            at = atol
        else:
            at = max(atol, rt * (atol / rtol))
        wild = False
        if use_speed:
            speed = 0.0
            for k in range(${N}):
                s = abs(chart_dx[k] * v[k])
                if s != s:
                    speed = math.nan
                    break
                speed = max(speed, s)
            wild = not speed <= speed_limit
        code = ${NON_FINITE}
        for k in range(${N}):
            end[k] = math.nan
        if not wild:
            for d in range(${DIM}):
                y0[d] = 0.0
                ysv[0, d] = math.nan
                ysv[1, d] = math.nan
            for k in range(${N}):
                y0[k] = x[k]
                y0[${N} + k] = v[k]
                y0[${N} * (2 + ${N}) + k * (${N} + 1)] = 1.0  # V(0) = identity
            code, t_end, n_ok, n_bad = solve_one_var(y0, p, 0.0, 1.0, t_eval, rt, at, max_steps,
                                                     ysv, Kv, wv[1], wv[2], wv[3], wv[4], Fv)
            steps += n_ok + n_bad
            rounds += 1
            for k in range(${N}):
                end[k] = ysv[1, k]
                for m in range(${N}):
                    J[k, m] = ysv[1, 2 * ${N} + k * ${N} + m]
        ok = code == ${SUCCESS}
        if code == ${LEFT_DOMAIN}:
            left_domain = True
        if ok:
            reached = True
        for k in range(${N}):
            target[k] = x[k] + 1.0 * (y[k] - x[k])
        err = scaled_residual(end, target, scale)
        good = ok and math.isfinite(err)
        jac_ok = good
        if good:
            for k in range(${N}):
                value_end, derivative_end = box_chart(end[k], lower[k], upper[k])
                value_target, _ = box_chart(target[k], lower[k], upper[k])
                r_step[k] = value_end - value_target
                if not math.isfinite(r_step[k]):
                    jac_ok = False
                for m in range(${N}):
                    A[k, m] = derivative_end * J[k, m]
                    if not math.isfinite(A[k, m]):
                        jac_ok = False
        if jac_ok:
            jac_ok = gauss_solve(A, r_step, LU, dv) > 0.0
        if good and err <= handover and rt <= rtol:
            # converged: one more Newton step (step_when_done), then the chord iterations
            if jac_ok:
                for k in range(${N}):
                    v[k] -= dv[k]
            converged = True
            break
        if not jac_ok or err >= err_prev or newton >= max_newton:
            # a failed step on the full target: the continuation shortens it to 1/4
            failed = 0.25 < min_step
            counts[0] = rounds
            counts[1] = steps
            counts[2] = left_domain
            counts[3] = reached
            if failed or rounds >= max_rounds:
                return ${FULL_METHOD}, math.inf
            return ${CONTINUATION}, math.inf
        for k in range(${N}):
            v[k] -= dv[k]
        newton += 1
        err_prev = max(err, 100.0 * rt)
        if rounds >= max_rounds:
            break
    if not converged:
        counts[0] = rounds
        counts[1] = steps
        counts[2] = left_domain
        counts[3] = reached
        return ${FULL_METHOD}, math.inf
    # chord iterations at rtol/atol with the Jacobian J (in coordinates) of the last
    # variational integration
    y0 = wp[0]
    err_prev = math.inf
    for _ in range(max_polish):
        for d in range(${PDIM}):
            ysp[0, d] = math.nan
            ysp[1, d] = math.nan
        for k in range(${N}):
            y0[k] = x[k]
            y0[${N} + k] = v[k]
        code, t_end, n_ok, n_bad = solve_one(y0, p, 0.0, 1.0, t_eval, rtol, atol, max_steps, ysp,
                                             Kp, wp[1], wp[2], wp[3], wp[4], Fp)
        rounds += 1
        steps += n_ok + n_bad
        for k in range(${N}):
            end[k] = ysp[1, k]
            r_step[k] = end[k] - y[k]
        err = scaled_residual(end, y, scale)
        good = code == ${SUCCESS} and math.isfinite(err)
        if good and err <= tol:
            counts[0] = rounds
            counts[1] = steps
            counts[2] = left_domain
            counts[3] = reached
            return ${SOLVED}, err
        if not (good and err <= 0.5 * err_prev) or gauss_solve(J, r_step, LU, dv) == 0.0:
            break
        for k in range(${N}):
            v[k] -= dv[k]
        err_prev = err
    counts[0] = rounds
    counts[1] = steps
    counts[2] = left_domain
    counts[3] = reached
    return ${POLISH_FAILED}, math.inf


@njit(cache=True, error_model='numpy', nogil=True)
def shoot_rows(lo, hi, xs, ys, scale, v, p, lower, upper, chart_dx, speed_limit, settings,
               limits, stage, residual, counts):
    \"\"\"shoot_one over rows lo .. hi - 1, with one workspace.\"\"\"
    t_eval = np.empty(2)
    t_eval[0] = 0.0
    t_eval[1] = 1.0
    Kv = np.empty((16, ${DIM}))
    Fv = np.empty((7, ${DIM}))
    wv = np.empty((5, ${DIM}))
    ysv = np.empty((2, ${DIM}))
    Kp = np.empty((16, ${PDIM}))
    Fp = np.empty((7, ${PDIM}))
    wp = np.empty((5, ${PDIM}))
    ysp = np.empty((2, ${PDIM}))
    vec = np.empty((4, ${N}))
    mat = np.empty((3, ${N}, ${N}))
    for b in range(lo, hi):
        code, res = shoot_one(xs[b], ys[b], scale[b], v[b], p, lower, upper, chart_dx[b],
                              speed_limit[b], settings, limits, counts[b], t_eval, Kv, Fv,
                              wv, ysv, Kp, Fp, wp, ysp, vec, mat)
        stage[b] = code
        residual[b] = res


def shoot_batch(xs, ys, scale, v, p, lower, upper, chart_dx, speed_limit, settings, limits,
                stage, residual, counts):
    \"\"\"shoot_rows over all rows, in blocks on numba's number of threads
    (numeric.compile.rows.over_rows).
    \"\"\"
    _over_rows(shoot_rows, xs.shape[0], xs, ys, scale, v, p, lower, upper, chart_dx,
               speed_limit, settings, limits, stage, residual, counts)
''')


# The CUDA target of the same stage: one thread per pair calls the host module's shoot_one
# (bound to that name in the CUDA module, see integrate.cuda_source), with its workspace in
# local memory. Placeholders as NEWTON_TEMPLATE's.
NEWTON_CUDA_TEMPLATE = string.Template('''
@cuda.jit(cache=True)
def shoot_cuda(xs, ys, scale, v, p, lower, upper, chart_dx, speed_limit, settings, limits,
               stage, residual, counts):
    \"\"\"shoot_one for pair b = cuda.grid(1) (the rows of shoot_batch).\"\"\"
    b = cuda.grid(1)
    if b >= xs.shape[0]:
        return
    t_eval = cuda.local.array(2, float64)
    t_eval[0] = 0.0
    t_eval[1] = 1.0
    Kv = cuda.local.array((16, ${DIM}), float64)
    Fv = cuda.local.array((7, ${DIM}), float64)
    wv = cuda.local.array((5, ${DIM}), float64)
    ysv = cuda.local.array((2, ${DIM}), float64)
    Kp = cuda.local.array((16, ${PDIM}), float64)
    Fp = cuda.local.array((7, ${PDIM}), float64)
    wp = cuda.local.array((5, ${PDIM}), float64)
    ysp = cuda.local.array((2, ${PDIM}), float64)
    vec = cuda.local.array((4, ${N}), float64)
    mat = cuda.local.array((3, ${N}, ${N}), float64)
    code, res = shoot_one(xs[b], ys[b], scale[b], v[b], p, lower, upper, chart_dx[b],
                          speed_limit[b], settings, limits, counts[b], t_eval, Kv, Fv, wv, ysv,
                          Kp, Fp, wp, ysp, vec, mat)
    stage[b] = code
    residual[b] = res
''')
