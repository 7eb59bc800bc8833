"""The one template of the compiled DOP853 integrator (see :mod:`numeric.geodesics.integrate`).

``TEMPLATE`` is the source of one integrator for one right-hand side, with ``string.Template``
placeholders that :func:`numeric.geodesics.integrate.integrator_source` fills in:

``${SUFFIX}``
    Appended to every function name ("" for geodesics, "_var" with the variational
    equations), so that two integrators can live in one module.
``${RHS}``
    The generated field the integrator calls, ``geodesic_field_core`` or
    ``variational_field_core``.
``${DIM}``, ``${ERR_DIM}``, ``${N}``
    Length of the state, of its error-controlled head (x, v), and of x; literals, so that
    numba unrolls the short loops over components.
``${STAGES}``, ``${ERROR_TERMS}``, ``${DENSE}``
    The unrolled stage, error-estimate and interpolant code made from the tableau
    (:mod:`numeric.geodesics.tableau`), already indented.
``${SAFETY}``, ``${MIN_FACTOR}``, ``${MAX_FACTOR}``, ``${FIRST_MAX_FACTOR}``, ``${ERROR_EXPONENT}``, ``${INITIAL_STEP_BOOST}``
    The step-size controller, as float literals.
``${SUCCESS}``, ``${LEFT_DOMAIN}``, ``${MAX_STEPS}``, ``${STEP_SIZE_TOO_SMALL}``, ``${NON_FINITE}``
    The :class:`numeric.geodesics.integrate.IntegrationStatus` codes, as int literals.

The generated module imports nothing from this package: everything the integrator needs is
a literal or a core of the same module (``inside_core`` and the field).
"""
import string

__all__ = ["CUDA_TEMPLATE", "TEMPLATE"]

TEMPLATE = string.Template('''
@njit(cache=True, error_model='numpy')
def all_finite${SUFFIX}(a):
    for value in a:
        if not math.isfinite(value):
            return False
    return True


@njit(cache=True, error_model='numpy')
def rms_norm${SUFFIX}(a, scale):
    """RMS of a / scale over the components whose scale is not zero (0.0 if none)."""
    acc = 0.0
    used = 0
    for d in range(a.shape[0]):
        if scale[d] > 0.0:
            r = a[d] / scale[d]
            acc += r * r
            used += 1
    if used == 0:
        return 0.0
    return math.sqrt(acc / used)


@njit(cache=True, error_model='numpy')
def first_outside${SUFFIX}(x, p):
    """Index of the first row of x outside the domain, or -1."""
    for b in range(x.shape[0]):
        if not inside_core(x[b], p):
            return b
    return -1


@njit(cache=True, error_model='numpy')
def dop_stages${SUFFIX}(y, hs, K, work, y_new, p):
    """Stages 1-12 of a step of size hs from y (K[0] = f(y) given): K[1..12] and the
    8th-order solution y_new; False as soon as a stage point leaves the domain.
    """
${STAGES}
    return True


@njit(cache=True, error_model='numpy')
def dop_error${SUFFIX}(y, y_new, K, h, rtol, atol):
    """Scaled error of the step from the combined 5th- and 3rd-order estimators (Hairer
    et al., II.10) over the components (x, v), each measured against
    atol + rtol * max(|y_d|, |y_new_d|). A component with scale 0 (exactly zero at both
    ends, atol = 0) must have a zero error; inf (reject the step) otherwise.
    """
    err5 = 0.0
    err3 = 0.0
    for d in range(${ERR_DIM}):
        scale = atol + rtol * max(abs(y[d]), abs(y_new[d]))
${ERROR_TERMS}
        if scale == 0.0:
            if e5 != 0.0 or e3 != 0.0:
                return math.inf
            continue
        e5 /= scale
        e3 /= scale
        err5 += e5 * e5
        err3 += e3 * e3
    if err5 == 0.0 and err3 == 0.0:
        return 0.0
    if not math.isfinite(err5 + err3):
        return math.inf
    return h * err5 / math.sqrt((err5 + 0.01 * err3) * ${ERR_DIM})


@njit(cache=True, error_model='numpy')
def dop_dense${SUFFIX}(y, y_new, hs, K, work, p, F):
    """Coefficients F of the degree-7 interpolant of the step (three more stages)."""
${DENSE}


@njit(cache=True, error_model='numpy')
def initial_step${SUFFIX}(y, f0, p, direction, span, rtol, atol, y1, f1, scale):
    """Starting step size by the algorithm of Hairer et al. (II.4), for an order-8 method,
    over the components (x, v).

    The algorithm takes the time in which y changes by about 1% of its error scale; with
    atol = 0 a coordinate at or near zero (mu = 0, or a velocity of 1e-300) would make that
    time vanish, so here each component counts as at least 1e-3 of the largest of its
    block (positions, velocities). The estimate only starts the controller, which corrects
    it within a few steps; it stays invariant under rescaling each block.
    """
    x_max = 0.0
    v_max = 0.0
    for d in range(${N}):
        x_max = max(x_max, abs(y[d]))
        v_max = max(v_max, abs(y[${N} + d]))
    for d in range(${DIM}):
        if d < ${N}:
            scale[d] = atol + rtol * max(abs(y[d]), 1e-3 * x_max)
        elif d < ${ERR_DIM}:
            scale[d] = atol + rtol * max(abs(y[d]), 1e-3 * v_max)
        else:
            scale[d] = 0.0  # the Jacobi fields do not control the step
    d0 = rms_norm${SUFFIX}(y, scale)
    d1 = rms_norm${SUFFIX}(f0, scale)
    if d0 < 1e-5 or d1 < 1e-5 or not math.isfinite(d1):
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, span)
    for d in range(${DIM}):
        y1[d] = y[d] + direction * h0 * f0[d]
    if not inside_core(y1, p):
        return h0
    ${RHS}(y1, p, f1)
    for d in range(${DIM}):
        f1[d] -= f0[d]
    d2 = rms_norm${SUFFIX}(f1, scale) / h0
    if not math.isfinite(d2):
        return h0
    if max(d1, d2) <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
    return min(100.0 * h0, h1 * ${INITIAL_STEP_BOOST}, span)


@njit(cache=True, error_model='numpy')
def solve_one${SUFFIX}(y0, p, t0, t1, t_eval, rtol, atol, max_steps, ys, K, y, y_new, work,
                       scale, F):
    """Integrate one state y0 = (x0, v0[, X0, V0]) from t0 to t1, writing y at t_eval
    into ys; K, y, y_new, work, scale and F are workspace (see solve_batch).

    Returns (status, t_stop, n_steps, n_rejected). Rows of ys after t_stop keep the NaN
    the caller filled them with.
    """
    # element loops rather than slice assignments, which need numba's runtime (absent on
    # the CUDA target, where this function runs too)
    for d in range(${DIM}):
        y[d] = y0[d]
    direction = 1.0 if t1 >= t0 else -1.0
    span = abs(t1 - t0)
    m = t_eval.shape[0]
    t = t0
    n_steps = 0
    n_rejected = 0
    k_out = 0
    while k_out < m and (t_eval[k_out] - t0) * direction <= 0.0:
        for d in range(${DIM}):
            ys[k_out, d] = y[d]
        k_out += 1
    if span == 0.0:
        return ${SUCCESS}, t, n_steps, n_rejected
    ${RHS}(y, p, K[0])
    if not all_finite${SUFFIX}(K[0]):
        return ${NON_FINITE}, t, n_steps, n_rejected
    h = initial_step${SUFFIX}(y, K[0], p, direction, span, rtol, atol, work, K[1], scale)
    while (t1 - t) * direction > 0.0:
        if n_steps + n_rejected >= max_steps:
            return ${MAX_STEPS}, t, n_steps, n_rejected
        remaining = abs(t1 - t)
        last = h >= remaining
        if last:
            h = remaining
        # below this the new time would not differ from t in floating point; the span
        # counts only up to 1, so that a huge t1 does not forbid every step near t0
        h_min = 16.0 * 2.220446049250313e-16 * max(abs(t), min(span, 1.0))
        hs = direction * h
        outside = not dop_stages${SUFFIX}(y, hs, K, work, y_new, p)
        broken = not outside and not all_finite${SUFFIX}(y_new)
        err = math.inf if (outside or broken) else dop_error${SUFFIX}(y, y_new, K, h, rtol, atol)
        if err <= 1.0:
            if not all_finite${SUFFIX}(K[12]):
                return ${NON_FINITE}, t, n_steps, n_rejected
            t_new = t1 if last else t + hs
            dense_ready = False
            while k_out < m and (t_eval[k_out] - t_new) * direction <= 0.0:
                if t_eval[k_out] == t_new:
                    # the end of the step (t1, say) needs no interpolant and its 3 stages
                    for d in range(${DIM}):
                        ys[k_out, d] = y_new[d]
                    k_out += 1
                    continue
                if not dense_ready:
                    dop_dense${SUFFIX}(y, y_new, hs, K, work, p, F)
                    dense_ready = True
                theta = (t_eval[k_out] - t) / hs
                for d in range(${DIM}):
                    v = F[6, d]
                    v = F[5, d] + v * theta
                    v = F[4, d] + v * (1.0 - theta)
                    v = F[3, d] + v * theta
                    v = F[2, d] + v * (1.0 - theta)
                    v = F[1, d] + v * theta
                    v = F[0, d] + v * (1.0 - theta)
                    ys[k_out, d] = y[d] + v * theta
                k_out += 1
            t = t_new
            for d in range(${DIM}):
                y[d] = y_new[d]
                K[0, d] = K[12, d]
            n_steps += 1
            limit = ${MAX_FACTOR} if n_steps > 1 else ${FIRST_MAX_FACTOR}
            factor = limit if err == 0.0 else min(limit, ${SAFETY} * err ** ${ERROR_EXPONENT})
            h *= factor
        else:
            n_rejected += 1
            if outside or broken:
                # a stage left the domain (or the Christoffel symbols blew up there):
                # halve the step until the boundary is located to the resolution of t
                h *= 0.5
            else:
                # an infinite err (a component exactly zero with a nonzero error) gives
                # the smallest factor
                h *= max(${MIN_FACTOR}, ${SAFETY} * err ** ${ERROR_EXPONENT})
            if h < h_min:
                if outside:
                    return ${LEFT_DOMAIN}, t, n_steps, n_rejected
                if broken:
                    return ${NON_FINITE}, t, n_steps, n_rejected
                return ${STEP_SIZE_TOO_SMALL}, t, n_steps, n_rejected
    return ${SUCCESS}, t, n_steps, n_rejected


@njit(cache=True, error_model='numpy', nogil=True)
def solve_rows${SUFFIX}(lo, hi, y0, p, t0, t1, t_eval, rtol, atol, max_steps, ys, status,
                        t_stop, steps):
    """solve_one over rows lo .. hi - 1 of y0 (shape (m, dim)), row b to the tolerances
    rtol[b], atol[b]; steps[:, 0] accepted, steps[:, 1] rejected. The workspace is
    allocated once per call (allocating it per row cost about a tenth of a Beta exp map).
    """
    K = np.empty((16, ${DIM}))
    y = np.empty(${DIM})
    y_new = np.empty(${DIM})
    work = np.empty(${DIM})
    scale = np.empty(${DIM})
    F = np.empty((7, ${DIM}))
    for b in range(lo, hi):
        code, t_end, n_ok, n_bad = solve_one${SUFFIX}(
            y0[b], p, t0, t1, t_eval, rtol[b], atol[b], max_steps, ys[b], K, y, y_new,
            work, scale, F)
        status[b] = code
        t_stop[b] = t_end
        steps[b, 0] = n_ok
        steps[b, 1] = n_bad


def solve_batch${SUFFIX}(y0, p, t0, t1, t_eval, rtol, atol, max_steps, ys, status, t_stop,
                         steps):
    """solve_rows over all rows of y0, in blocks on numba's number of threads
    (numeric.compile.rows.over_rows).
    """
    _over_rows(solve_rows${SUFFIX}, y0.shape[0], y0, p, t0, t1, t_eval, rtol, atol, max_steps,
               ys, status, t_stop, steps)
''')


# The CUDA target of the same integrator: one thread per trajectory calls the host module's
# solve_one (the numba cores compile as device functions unchanged), bound to the name
# solve_one${SUFFIX} in the CUDA module, with its workspace in local memory, whose sizes must
# be literals. The placeholders are those of TEMPLATE.
CUDA_TEMPLATE = string.Template('''
@cuda.jit(cache=True)
def solve_cuda${SUFFIX}(y0, p, t0, t1, t_eval, rtol, atol, max_steps, ys, status, t_stop, steps):
    """solve_one${SUFFIX} for trajectory b = cuda.grid(1) (the rows of solve_batch${SUFFIX})."""
    b = cuda.grid(1)
    if b >= y0.shape[0]:
        return
    K = cuda.local.array((16, ${DIM}), float64)
    y = cuda.local.array(${DIM}, float64)
    y_new = cuda.local.array(${DIM}, float64)
    work = cuda.local.array(${DIM}, float64)
    scale = cuda.local.array(${DIM}, float64)
    F = cuda.local.array((7, ${DIM}), float64)
    code, t_end, n_ok, n_bad = solve_one${SUFFIX}(
        y0[b], p, t0, t1, t_eval, rtol[b], atol[b], max_steps, ys[b], K, y, y_new, work, scale, F)
    status[b] = code
    t_stop[b] = t_end
    steps[b, 0] = n_ok
    steps[b, 1] = n_bad
''')
