"""Area "geodesics": M.numeric.{geodesic, exp, log, distance} with extreme tolerances, end
times, step limits and velocities, non-finite and wrong-typed arguments.

Independent checks: along a geodesic the speed g_x(v, v) is constant (an identity of the
Levi-Civita connection), the shooting distance agrees with the family's closed form, and for
a few pairs the closed form agrees with the mpmath reference (``K.reference()``).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import examples, profile

from .harness import call_checked
from .inputs import manifold

AREA = "geodesics"
FAMILIES = ["Normal", "Poisson", "Exponential", "Gamma", "Beta", "Dirichlet(3)", "Categorical(3)",
            "InverseGaussian", "VonMises", "Cauchy", "Bernoulli", "Geometric", "LogNormal",
            "MultivariateNormal(2)", "StudentT", "NormalMean", "Laplace", "Binomial"]
#: The log map's families in CI (the default profile): each route once (the arc-length map of a
#: curve, shooting with and without a closed-form distance, a reparametrised family). Compiling
#: the shooting kernels costs 15-70 s per family cold, so the other families' log maps run in
#: the long profile only (their values are checked in tests/manifolds and tests/numeric).
LOG_IN_CI = ["Normal", "Gamma", "LogNormal", "Laplace", "Poisson", "Exponential", "Bernoulli",
             "Geometric", "NormalMean", "Binomial"]
CLOSED = ["Normal", "Poisson", "Exponential", "Categorical(3)", "InverseGaussian", "Bernoulli",
          "Geometric", "Cauchy", "NormalMean"]

TOL = st.sampled_from([1e-10, 1e-6, 0.0, -1e-8, 1e-300, 1.0, 1e10, math.nan, math.inf, "1e-8", None])
T1 = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1e6, 1e300, -1e300, math.nan, math.inf, "1", None, 1j]))
STEPS = st.sampled_from([100_000, 10, 1, 0, -5, 2.5, True, None, "10"])
SCALE = st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3, 1e300, 0.0])


def _speed(K, x, v):
    g = K.metric(x)
    return np.einsum("...i,...ij,...j->...", v, g, v)


def _speed_conserved(K, x0, v0, atol=0.0):
    def compare(sol):
        if not sol.ok:
            return None
        # the integrator keeps each coordinate of x and v within rtol relative or atol
        # absolute; where the end point's smallest coordinate is below atol / 1e-6 (a geodesic
        # run towards sigma -> 0 for a long time: sigma = 8e-157 for a true value that
        # underflows), g(v, v) ~ |v|^2 / sigma^2 is not determined to 1e-5 by that accuracy
        ends = np.abs(np.concatenate([sol.x[-1], sol.v[-1]]))
        ends = ends[ends > 0]
        if atol > 0 and ends.size and atol > 1e-6 * ends.min():
            return None
        s0 = float(_speed(K, x0, np.asarray(v0, dtype=float)))
        s1 = float(_speed(K, sol.x[-1], sol.v[-1]))
        if not math.isclose(s0, s1, rel_tol=1e-5, abs_tol=1e-12):
            return f"speed g(v, v) not conserved: {s0!r} at t=0, {s1!r} at t1"
        return None
    return compare


@pytest.mark.parametrize("name", FAMILIES)
def test_geodesic_arguments(name, fuzz_log):
    M = manifold(name)
    K = M.numeric
    n = M.dim
    x0 = M.random_point(np.random.default_rng(0))
    K.geodesic(x0, np.zeros(n)), K.exp(x0, np.zeros(n))  # compile outside the budget
    words = ("x0", "v0", "t1", "rtol", "atol", "max_steps", "t_eval", "x")

    @examples(6)
    @given(seed=st.integers(0, 2**31), scale=SCALE, t1=T1, rtol=TOL, atol=TOL, steps=STEPS,
           special=st.sampled_from([None, math.nan, math.inf, "wrong-shape", "str"]))
    def run(seed, scale, t1, rtol, atol, steps, special):
        rng = np.random.default_rng(seed)
        x = np.array(M.random_point(rng))
        v = rng.normal(size=n) * scale
        if special == "wrong-shape":
            v = np.append(v, 1.0)
        elif special == "str":
            v = "0.1"
        elif special is not None:
            v[rng.integers(n)] = special
        good_v = special is None
        # documented (GeodesicSolver): rtol, atol finite and >= 0, not both 0; max_steps >= 1
        good_tol = all(isinstance(t, float) and math.isfinite(t) and t >= 0 for t in (rtol, atol)) and (
            rtol > 0 or atol > 0)
        good = (good_v and isinstance(t1, float) and math.isfinite(t1) and good_tol
                and isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1)
        expect = None if good else "error"
        compare = _speed_conserved(K, x, v, atol) if good and 0 < rtol <= 1e-6 and atol <= 1e-6 else None
        call_checked(AREA, K.geodesic, x, v, t1, rtol=rtol, atol=atol, max_steps=steps, names=words,
                     expect=expect, compare=compare, budget_s=5.0)
        call_checked(AREA, K.exp, x, v, names=words, expect=None if good_v else "error", budget_s=5.0)

    run()
    fuzz_log.assert_clean()


@pytest.mark.parametrize("name", FAMILIES)
def test_log_and_distance(name, fuzz_log):
    if name not in LOG_IN_CI and profile() != "long":
        pytest.skip("long profile only (--hypothesis-profile=long): see LOG_IN_CI")
    M = manifold(name)
    K = M.numeric
    words = ("x", "y", "tol", "rtol", "atol")
    # compile (or load) the shooting kernels outside the budget: an alarm inside numba's
    # compiler would leave its library half-built
    rng = np.random.default_rng(3)
    a, b = np.array(M.random_point(rng)), np.array(M.random_point(rng))
    K.log(a, a + 0.5 * (b - a), full_output=True, throw=False)
    K.distance(a, a + 0.5 * (b - a), method="numerical", throw=False)
    # and the host continuation's integrator (solve_batch_var): the Newton stage solves near
    # pairs by itself, so only a pair it hands on compiles it (a CI run interrupted that
    # compile inside the budget: "no compiled object yet for solve_batch_var")
    K.log(a, b, full_output=True, throw=False, max_newton=1, max_rounds=2)

    @examples(5)
    @given(seed=st.integers(0, 2**31), step=st.sampled_from([1e-8, 0.1, 1.0, 3.0]),
           tol=st.sampled_from([1e-11, 1e-6, 0.0, -1.0, math.nan, 1e-300]))
    def run(seed, step, tol):
        rng = np.random.default_rng(seed)
        x = np.array(M.random_point(rng))
        y = np.array(M.random_point(rng))
        y = x + step * (y - x)  # the segment stays inside for a convex domain
        good_tol = isinstance(tol, float) and tol > 0
        out = call_checked(AREA, K.log, x, y, full_output=True, throw=False, tol=tol, names=words,
                           expect=None if good_tol else "error", budget_s=5.0)
        if K.closed_form_distance is not None:
            # the bare formula: y may lie outside the domain (step 3), where it is NaN (numpy
            # warns) and K.distance and the public closed_form_distance must raise
            with np.errstate(invalid="ignore", divide="ignore"):
                closed = K.closed_form_distance.unchecked(x, y)
            call_checked(AREA, K.distance, x, y, names=words, reference=closed, ref_rtol=1e-12)
            call_checked(AREA, K.closed_form_distance, x, y, names=words, reference=closed,
                         ref_rtol=0.0)
            if out.kind == "ok":
                call_checked(AREA, K.distance, x, y, method="numerical", names=words,
                             reference=closed, ref_rtol=1e-6, ref_atol=1e-9, budget_s=5.0)
        for bad in (np.full(M.dim, np.nan), np.zeros(M.dim + 1), "x", None):
            call_checked(AREA, K.distance, x, bad, names=words, expect="error")

    run()
    fuzz_log.assert_clean()


@pytest.mark.parametrize("name", ["Normal", "Poisson", "InverseGaussian"])
def test_closed_form_against_reference(name, fuzz_log):
    """A few pairs: the closed-form distance against mpmath shooting at 20 digits."""
    M = manifold(name)
    K = M.numeric
    ref = K.reference(dps=20)
    rng = np.random.default_rng(7)
    for _ in range(2):
        x, y = np.array(M.random_point(rng)), np.array(M.random_point(rng))
        guess = K.log(x, y)
        exact = float(ref.distance(x, y, guess))
        call_checked(AREA, K.distance, x, y, reference=exact, ref_rtol=1e-10)
    fuzz_log.assert_clean()
