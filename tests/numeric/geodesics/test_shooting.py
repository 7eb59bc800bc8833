"""numeric.geodesics.shooting: the log map by Newton's method with continuation.

Uses the compiled geodesic module of Normal() (shared with tests/test_numeric_manifold.py
through the disk cache), whose distance has a closed form, and Beta() for far-apart points.
"""
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifolds import Beta, Normal
from numeric.geodesics.distances import location_scale_distance
from numeric.geodesics.shooting import NewtonStage, ShootingError, ShootingStatus, shoot, shoot_in_chart


@pytest.fixture(scope="module")
def normal():
    return Normal().numeric._solver(False)


@pytest.fixture(scope="module")
def beta():
    return Beta().numeric._solver(False)


def speed(x, v):
    return np.sqrt((v[..., 0] ** 2 + 2 * v[..., 1] ** 2)) / x[..., 1]


def test_normal_log_map_gives_closed_form_distance(normal):
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.uniform(-2, 2, 50), rng.uniform(0.3, 3, 50)])
    y = np.column_stack([rng.uniform(-2, 2, 50), rng.uniform(0.3, 3, 50)])
    r = shoot(normal, x, y, tol=1e-11)
    assert r.ok, r.message
    assert (r.residual <= 1e-11).all()
    np.testing.assert_allclose(speed(x, r.v), location_scale_distance(x, y), rtol=1e-9)
    end = normal(x, r.v, 1.0, rtol=1e-12, atol=1e-14).x[:, -1]
    np.testing.assert_allclose(end, y, rtol=1e-9, atol=1e-12)


def test_far_points_need_continuation(beta):
    r = shoot(beta, [1.0, 10.0], [10.0, 1.0], tol=1e-11)
    assert r.ok and r.status == ShootingStatus.SUCCESS
    assert r.iterations > 5  # the straight first guess alone does not converge
    end = beta([1.0, 10.0], r.v, 1.0, rtol=1e-12, atol=1e-14).x[-1]
    np.testing.assert_allclose(end, [10.0, 1.0], rtol=1e-10)


def test_newton_stage_solves_near_pairs_and_hands_far_ones_to_the_continuation(beta):
    """The compiled Newton stage (shoot_one) solves a near pair by itself and leaves a far
    one to the host's continuation; every residual it reports is that of an independent
    integration of exp_x(v) at rtol, and both pairs meet y.
    """
    x = np.array([[1.0, 2.0], [1.0, 10.0], [2.0, 3.0]])
    y = np.array([[1.5, 1.2], [10.0, 1.0], [2.0, 3.0]])
    r = shoot(beta, x, y, tol=1e-11, bounds=[[0.0, np.inf], [0.0, np.inf]])
    assert r.ok, r.message
    assert r.newton_stage.tolist() == [NewtonStage.SOLVED, NewtonStage.CONTINUATION,
                                       NewtonStage.NOT_RUN]
    end = beta(x, r.v, 1.0, rtol=1e-12).x[:, -1]
    scale = np.maximum(np.abs(x), np.abs(y))
    recomputed = np.max(np.abs(end - y) / scale, axis=1)
    np.testing.assert_allclose(r.residual[:2], recomputed[:2], rtol=1e-6, atol=1e-15)
    assert (recomputed <= 1e-11).all()
    # without the coarse phase the stage does not run, and the log map is the same
    plain = shoot(beta, x, y, tol=1e-11, coarse=False)
    assert (plain.newton_stage == NewtonStage.NOT_RUN).all()
    np.testing.assert_allclose(plain.v, r.v, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-10.0, 10.0), min_size=6, max_size=6))
def test_generated_gauss_solve_is_gaussian_elimination(entries):
    """The n x n solver of the generated Newton stage against numpy's LAPACK solve and
    determinant: the same solution and |det A| where A is invertible, 0 where a pivot
    vanishes (a zero row) or is not finite.
    """
    gauss_solve = Normal().numeric._solver(False)._module.gauss_solve
    A = np.array(entries[:4]).reshape(2, 2)
    b = np.array(entries[4:])
    lu, x = np.empty((2, 2)), np.empty(2)
    det = abs(np.linalg.det(A))
    size = max(1.0, float(np.abs(A).max()))
    if det > 1e-6 * size * size:
        got = gauss_solve(A, b, lu, x)
        np.testing.assert_allclose(got, det, rtol=1e-10)
        np.testing.assert_allclose(A @ x, b, rtol=0, atol=1e-9 * size * max(1.0, np.abs(x).max()))
    singular = np.array([A[0], [0.0, 0.0]])
    assert gauss_solve(singular, b, lu, x) == 0.0
    assert gauss_solve(np.where(A == A[0, 0], np.nan, A), b, lu, x) == 0.0


def test_same_point_is_zero(normal):
    r = shoot(normal, [[0.0, 1.0], [1.0, 2.0]], [[0.0, 1.0], [1.5, 2.0]])
    assert r.ok and r.v.shape == (2, 2)
    assert (r.v[0] == 0.0).all() and r.iterations[0] == 0


def test_unconverged_is_never_reported_as_converged(beta):
    r = shoot(beta, [1.0, 10.0], [10.0, 1.0], max_rounds=2)
    assert not r.ok and r.status == ShootingStatus.NOT_CONVERGED
    assert np.isinf(r.residual)
    assert "NOT_CONVERGED" in r.message and "tol" in r.message
    with pytest.raises(ShootingError, match="NOT_CONVERGED"):
        shoot(beta, [1.0, 10.0], [10.0, 1.0], max_rounds=2, throw=True)


@pytest.mark.parametrize("coarse", [True, False])
def test_tolerance_below_integration_error_fails_cleanly_or_is_confirmed(normal, coarse):
    # tol = 1e-18 is below the integration error, but Newton's method on the (deterministic)
    # integrated map may still drive the computed endpoint onto y bit for bit. Either way the
    # answer is honest: a success's endpoint agrees with y to the integration's accuracy when
    # integrated again (the plain and variational integrators round differently, ~1e-15),
    # a failure says so.
    x, y = np.array([0.0, 1.0]), np.array([3.0, 0.5])
    r = shoot(normal, x, y, tol=1e-18, min_step=0.1, coarse=coarse)
    assert r.status in (ShootingStatus.SUCCESS, ShootingStatus.NOT_CONVERGED)
    assert not np.isnan(r.v).any()
    if r.status == ShootingStatus.SUCCESS:
        end = normal(x, r.v, 1.0, rtol=1e-12, atol=1e-14).x[-1]
        assert r.residual <= 1e-18
        assert np.max(np.abs(end - y) / np.maximum(np.abs(x), np.abs(y))) <= 1e-13
    else:
        assert np.isinf(r.residual) and "NOT_CONVERGED" in r.message


@pytest.mark.parametrize("call, error", [
    (dict(x=[0.0, 1.0], y=[0.0, -1.0]), "outside the domain"),
    (dict(x=[0.0, -1.0], y=[0.0, 1.0]), "outside the domain"),
    (dict(x=[0.0, 1.0], y=[0.0, np.nan]), "y must be finite"),
    (dict(x=[0.0, 1.0, 2.0], y=[0.0, 1.0]), r"shape \(\.\.\., 2\)"),
    (dict(x=[[0.0, 1.0]] * 3, y=[[0.0, 1.0]] * 2), "do not broadcast"),
    (dict(x=[0.0, 1.0], y=[0.0, 2.0], tol=0.0), "tol must be > 0"),
    (dict(x=[0.0, 1.0], y=[0.0, 2.0], rtol=0.0), "rtol and atol must not both be 0"),
    (dict(x=[0.0, 1.0], y=[0.0, 2.0], rtol=-1e-12), "rtol must be >= 0"),
    (dict(x=[0.0, 1.0], y=[0.0, 2.0], atol=np.inf), "atol must be finite"),
    (dict(x=[0.0, 1.0], y=[0.0, 2.0], max_rounds=0), "max_rounds must be an integer >= 1"),
])
def test_bad_input(normal, call, error):
    with pytest.raises(ValueError, match=error):
        shoot(normal, **call)


def test_needs_variational_solver():
    class Plain:
        has_variational = False

    with pytest.raises(ValueError, match="variational=True"):
        shoot(Plain(), [0.0, 1.0], [0.0, 2.0])


def test_variational_jacobian_matches_finite_differences(beta):
    # dx(1)/dv0 from the variational equations against central differences of the exp map;
    # the Jacobi fields ride on the geodesic's steps, so this is their accuracy check
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 4.0, (20, 2))
    v = rng.normal(size=(20, 2)) * x * 0.4
    jac = beta.variational(x, v, 1.0, rtol=1e-12, atol=1e-14).dx_dv0[:, -1]
    h = 1e-5 * np.abs(v).max(axis=1)
    for m in range(2):
        e = np.zeros(2)
        e[m] = 1.0
        hi = beta(x, v + h[:, None] * e, 1.0, rtol=1e-13, atol=1e-15).x[:, -1]
        lo = beta(x, v - h[:, None] * e, 1.0, rtol=1e-13, atol=1e-15).x[:, -1]
        fd = (hi - lo) / (2 * h[:, None])
        np.testing.assert_allclose(jac[:, :, m], fd, rtol=1e-6, atol=1e-7)


def test_coarse_phase_and_box_chart_give_the_same_log_map(beta):
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 4.0, (40, 2))
    y = rng.uniform(0.5, 4.0, (40, 2))
    bounds = [[0.0, np.inf], [0.0, np.inf]]
    fast = shoot(beta, x, y, tol=1e-11, bounds=bounds)
    plain = shoot(beta, x, y, tol=1e-11, coarse=False)
    assert fast.ok and plain.ok
    assert (fast.residual <= 1e-11).all()
    np.testing.assert_allclose(fast.v, plain.v, rtol=1e-9, atol=1e-12)
    # the iteration counts what the schemes spend: the box chart needs fewer Newton steps
    assert fast.iterations.mean() < plain.iterations.mean()


def test_bad_bounds(beta):
    with pytest.raises(ValueError, match="bounds must be"):
        shoot(beta, [1.0, 2.0], [2.0, 1.0], bounds=[[0.0, np.inf]])
    with pytest.raises(ValueError, match="bounds must be"):
        shoot(beta, [1.0, 2.0], [2.0, 1.0], bounds=[[1.0, 0.0], [0.0, np.inf]])


def test_time_limit_stops_the_batch_with_its_own_status(beta):
    x = [[1.0, 10.0], [2.0, 3.0], [1.0, 1.0]]
    y = [[10.0, 1.0], [3.0, 2.0], [1.0, 1.0]]
    r = shoot(beta, x, y, time_limit=1e-9)
    # the identical pair needs no integration; the others cannot finish in a nanosecond
    assert r.status.tolist() == [ShootingStatus.TIME_LIMIT, ShootingStatus.TIME_LIMIT,
                                 ShootingStatus.SUCCESS]
    assert np.isfinite(r.v).all() and np.isinf(r.residual[:2]).all()
    assert "TIME_LIMIT" in r.message and "time_limit" in r.message
    with pytest.raises(ValueError, match="time_limit"):
        shoot(beta, x, y, time_limit=-1.0)


def test_time_limit_reaches_into_the_compiled_newton_stage(beta):
    # a batch whose Newton stage alone takes longer than the limit: the stage stops between
    # blocks of pairs (before, it ran all of them once started); what it solved stays solved
    # (each certified by an integration at rtol), the rest end with TIME_LIMIT
    rng = np.random.default_rng(4)
    m = 4000
    x = rng.uniform(0.5, 8.0, (m, 2))
    y = rng.uniform(0.5, 8.0, (m, 2))
    shoot(beta, x[:4], y[:4])  # compiled or loaded outside the clock
    t = time.monotonic()
    full = shoot(beta, x[:400], y[:400])
    per_pair = (time.monotonic() - t) / 400
    limit = 50 * per_pair  # about 1% of the batch
    t = time.monotonic()
    r = shoot(beta, x, y, time_limit=limit)
    took = time.monotonic() - t
    assert took < 0.5 * m * per_pair, (took, m * per_pair)
    late = r.status == ShootingStatus.TIME_LIMIT
    assert late.sum() > m // 2
    assert (r.newton_stage[late] == NewtonStage.NOT_RUN).any()
    done = r.status == ShootingStatus.SUCCESS
    assert done.any() and (r.residual[done] <= 1e-10).all()
    # the same pairs as without a limit (the same iterates)
    both = done[:400] & (full.status == ShootingStatus.SUCCESS)
    np.testing.assert_allclose(r.v[:400][both], full.v[both], rtol=1e-9, atol=1e-12)


def test_newton_stage_blocks_stop_at_the_deadline():
    # the block schedule itself, against a stand-in for shoot_batch that takes 2 ms a row
    from numeric.geodesics.integrate import _in_blocks

    m = 5000
    arrays = [np.zeros((m, 2)), np.zeros((m, 2)), np.zeros(m), np.zeros((m, 2)), np.zeros(1),
              np.zeros(2), np.zeros(2), np.zeros((m, 2)), np.zeros(m), np.zeros(7),
              np.zeros(4, dtype=np.int64)]
    stage = np.full(m, -1)

    def fake(*args):
        rows = args[0].shape[0]
        assert all(args[i].shape[0] == rows for i in (1, 2, 3, 7, 8, 11))
        assert args[4].shape == (1,) and args[9].shape == (7,)
        time.sleep(0.002 * rows)
        args[11][:] = 0

    t = time.monotonic()
    _in_blocks(fake, arrays, (stage, np.zeros(m), np.zeros((m, 4))), t + 0.2)
    took = time.monotonic() - t
    ran = int((stage == 0).sum())
    assert 50 <= ran < 200 and took < 0.3, (ran, took)
    assert (stage[:ran] == 0).all() and (stage[ran:] == -1).all()  # contiguous from the start


def test_step_bound_makes_a_runaway_iterate_a_failed_step(beta):
    # with one integrator step per integration no geodesic reaches t = 1: every iterate
    # fails and the pair ends unconverged after the continuation gives up, never "converged"
    r = shoot(beta, [1.0, 10.0], [10.0, 1.0], max_steps=1)
    assert r.status == ShootingStatus.NOT_CONVERGED and np.isinf(r.residual)
    # the default bound leaves ordinary pairs alone: same answer as a generous bound
    a = shoot(beta, [1.0, 10.0], [10.0, 1.0])
    b = shoot(beta, [1.0, 10.0], [10.0, 1.0], max_steps=10**6)
    assert a.ok and b.ok
    np.testing.assert_allclose(a.v, b.v, rtol=1e-9)


@pytest.mark.slow
def test_von_mises_pair_without_a_chart_geodesic_fails_in_bounded_work():
    # in the family's own chart (mu, kappa), a pair whose Newton iterates run out towards
    # kappa -> infinity, where each integration used to take 100,000 steps (33 s for one
    # log map); the step bound keeps each iterate to MAX_SHOOTING_STEPS steps, and the pair
    # is reported, not hung on. (M.numeric.log shoots it in the natural chart, where it
    # converges: test_von_mises_is_shot_in_its_natural_chart.)
    from manifolds import VonMises
    from numeric.geodesics.shooting import MAX_SHOOTING_STEPS

    K = VonMises().numeric
    r = shoot(K._solver(False), [-1.494, 3.806], [1.932, 0.704], bounds=K._bounds)
    assert r.status != ShootingStatus.SUCCESS
    assert r.iterations <= 2 * 400
    assert MAX_SHOOTING_STEPS == 5_000


def test_shooting_in_another_chart_maps_the_velocity_back(normal):
    # the Normal family shot in its natural chart: the velocity mapped back by the chart's
    # Jacobian is the log map of its own chart (invariance under reparametrisation), and
    # its length is the closed-form distance
    K = Normal().numeric
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.uniform(-2, 2, 20), rng.uniform(0.5, 2, 20)])
    y = np.column_stack([rng.uniform(-2, 2, 20), rng.uniform(0.5, 2, 20)])
    C = Normal().in_chart("natural").numeric
    r = shoot_in_chart(C._solver(False), K.natural, K._dual_kernels["natural_jacobian"], x, y,
                       bounds=C._bounds, tol=1e-12)
    assert r.ok, r.message
    own = shoot(normal, x, y, tol=1e-12, bounds=K._bounds)
    np.testing.assert_allclose(r.v, own.v, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(speed(x, r.v), location_scale_distance(x, y), rtol=1e-9)
    with pytest.raises(ShootingError):
        shoot_in_chart(C._solver(False), K.natural, K._dual_kernels["natural_jacobian"],
                       x[0], y[0], max_rounds=1, throw=True)


# Reference distances: 15 digits agreeing at 20 and 30 working digits (mpmath, Gragg-Bulirsch-
# Stoer and Newton on the exp map: numeric.geodesics.reference):
#   M = VonMises(); K = M.numeric; C = M.in_chart("natural").numeric
#   tx, ty = K.natural([2.57, 0.82]), K.natural([-3.5, 8.7])
#   C.reference(30).distance(tx, ty, guess=C.log(tx, ty))        # 1.77320572175191
#   G = Gamma().numeric; x, y = [9.418142370558904, 0.7148684244265262], [0.6, 9.5]
#   G.reference(30).distance(x, y, guess=G.log(x, y))            # 5.42877607608767
VON_MISES_FAR = 1.77320572175191
GAMMA_FAR = 5.42877607608767


@pytest.mark.slow
def test_von_mises_is_shot_in_its_natural_chart():
    # (mu, kappa) are polar coordinates of theta = kappa (cos mu, sin mu): pairs with
    # |mu - mu_2| > pi have no geodesic in them, but one in the natural chart, which the
    # family declares as its shooting chart
    from manifolds import VonMises

    M = VonMises()
    K = M.numeric
    assert M.shooting_chart == "natural"
    x, y = np.array([2.57, 0.82]), np.array([-3.5, 8.7])
    r = K.log(x, y, full_output=True)
    assert r.ok and r.iterations < 40
    d = float(K.distance(x, y))
    assert abs(d - VON_MISES_FAR) / VON_MISES_FAR < 1e-11
    # identities the polar chart cannot meet: mu is 2 pi-periodic, the distance symmetric
    assert abs(float(K.distance(x + [2 * np.pi, 0.0], y)) - d) < 1e-11 * d
    assert abs(float(K.distance(y, x)) - d) < 1e-11 * d
    # where the polar chart has the geodesic, both charts give the same log map
    rng = np.random.default_rng(6)
    xs = np.column_stack([rng.uniform(-1, 1, 20), rng.uniform(0.5, 4, 20)])
    ys = np.column_stack([rng.uniform(-1, 1, 20), rng.uniform(0.5, 4, 20)])
    polar = shoot(K._solver(False), xs, ys, bounds=K._bounds, tol=1e-12)
    assert polar.ok
    np.testing.assert_allclose(K.log(xs, ys, tol=1e-12), polar.v, rtol=1e-8, atol=1e-10)


@pytest.mark.slow
def test_von_mises_log_map_meets_the_default_tol_at_large_kappa():
    # kappa in (10, 100): the natural chart's Christoffel symbols, formed from Bessel terms
    # near 1 that cancel, were 5e-12 relative wrong, the endpoint exp_x(v) carried ~1e-9 of
    # that noise whatever rtol, and 26 of 30 such pairs failed at tol = 1e-11 (residuals 5e-12
    # to 1e-9); in the ratio form of rewrite_bessel every one converges in the compiled
    # Newton stage. Checked by the identities the log map must meet: exp_x(v) = y (in the
    # natural chart, where every geodesic stays), and d(x, y) = d(y, x)
    from manifolds import VonMises

    M = VonMises()
    K, C = M.numeric, M.in_chart("natural").numeric
    rng = np.random.default_rng(12)
    x = np.column_stack([rng.uniform(-np.pi, np.pi, 20), rng.uniform(10.0, 100.0, 20)])
    y = np.column_stack([rng.uniform(-np.pi, np.pi, 20), rng.uniform(10.0, 100.0, 20)])
    r = K.log(x, y, full_output=True, throw=False)
    assert r.ok, r.message
    assert np.all(r.residual <= 1e-11)
    w = np.einsum("mij,mj->mi", K._dual_kernels["natural_jacobian"](x), r.v)
    np.testing.assert_allclose(C.exp(K.natural(x), w), K.natural(y), rtol=1e-10, atol=0)
    d = K.distance(x, y)
    np.testing.assert_allclose(K.distance(y, x), d, rtol=1e-10)


def _far_pairs(count, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 10.0, (count, 2)), rng.uniform(0.5, 10.0, (count, 2))


@pytest.mark.slow
def test_far_gamma_pairs_cost_about_what_beta_pairs_cost():
    # over the box (0.5, 10)^2, Newton's overshoots (iterates running to a -> 0 for up to
    # MAX_SHOOTING_STEPS steps) cost Gamma 4x Beta's integrator steps; the coarse phase's
    # chart-speed limit turns them into shorter continuation steps without integrating.
    # Same log maps as the full method, which has no limit.
    from manifolds import Gamma

    gamma = Gamma().numeric
    bounds = [[0.0, np.inf], [0.0, np.inf]]
    x, y = _far_pairs(200, 7)
    fast = shoot(gamma._solver(False), x, y, tol=1e-11, bounds=bounds)
    full = shoot(gamma._solver(False), x, y, tol=1e-11, bounds=bounds, coarse=False)
    assert fast.ok and full.ok, (fast.message, full.message)
    np.testing.assert_allclose(fast.v, full.v, rtol=1e-8, atol=1e-10)
    b = shoot(Beta().numeric._solver(False), *_far_pairs(200, 7), tol=1e-11, bounds=bounds)
    assert b.ok
    assert fast.steps.mean() < 1.5 * b.steps.mean(), (fast.steps.mean(), b.steps.mean())
    assert float(gamma.distance([9.418142370558904, 0.7148684244265262], [0.6, 9.5])) == \
        pytest.approx(GAMMA_FAR, rel=1e-11)


def _speed_drift(N, x, v):
    """Largest relative change of g(γ', γ') along the geodesics from x with velocity v."""
    sol = N.geodesic(x, v, 1.0, t_eval=np.linspace(0.0, 1.0, 9), rtol=1e-12)
    assert (sol.status == 0).all()
    speed = np.einsum("...i,...ij,...j->...", sol.v, N.metric(sol.x), sol.v)
    return float(np.max(np.abs(speed / speed[:, :1] - 1.0)))


@pytest.mark.slow
@pytest.mark.parametrize("family", ["VonMises", "MultivariateNormal(2)"])
def test_far_pairs_start_from_the_family_guess_same_log_maps_less_work(family):
    # the family's declared first guess (StatisticalManifold.shooting_guess) changes the
    # work of far pairs, never the answer: the log maps are those of the default start to
    # the solver's tolerance, with fewer integrator steps, and geodesic speed is conserved
    from benchmarks.common import far_box, points_in_box
    from manifolds import MultivariateNormal, VonMises

    M = VonMises() if family == "VonMises" else MultivariateNormal(2)
    N = M.numeric
    rng = np.random.default_rng(11)
    box = far_box(M)
    x, y = points_in_box(M, box, 40, rng), points_in_box(M, box, 40, rng)
    y = N.nearest_copy(x, y)
    r = N.log(x, y, full_output=True, tol=1e-11)
    assert r.ok, r.message
    if M.shooting_chart is None:
        old = shoot(N._solver(False), x, y, bounds=N._bounds, tol=1e-11)
        host, hx, hv = N, x, r.v
    else:
        host = M.in_chart(M.shooting_chart).numeric
        jac = N._dual_kernels[M.shooting_chart + "_jacobian"]
        old = shoot_in_chart(host._solver(False), N.natural, jac, x, y, bounds=host._bounds, tol=1e-11)
        # the speed is checked in the chart, where every geodesic stays (in (mu, kappa) one
        # through kappa = 0 leaves the chart)
        hx, hv = N.natural(x), np.einsum("mij,mj->mi", jac(x), r.v)
    assert old.ok, old.message
    scale = np.abs(old.v).max(axis=1, keepdims=True)
    assert np.all(np.abs(r.v - old.v) <= 1e-8 * scale)
    assert r.steps.sum() < 0.9 * old.steps.sum(), (r.steps.sum(), old.steps.sum())
    assert _speed_drift(host, hx, hv) < 1e-8


# 18 digits agreeing at 20 and 30 working digits (numeric.geodesics.reference, started from
# the compiled log map):
#   K = MultivariateNormal(2).numeric; x, y = MVN_FAR_PAIR
#   K.reference(30).distance(x, y, guess=K.log(x, y, tol=1e-12))     # 3.95390395188629257
MVN_FAR_PAIR = ([-2.5, 2.0, 1.1, 0.5, 2.6], [2.7, -1.9, 2.5, -0.4, 1.2])
MVN_FAR = 3.95390395188629257


@pytest.mark.slow
def test_far_multivariate_normal_pair_from_the_guess_meets_the_mpmath_reference():
    # means 6.9 Mahalanobis units apart and covariances turned: shot from the Calvo-Oller
    # guess, the distance is the 30-digit reference's to the solver's accuracy, both ways
    from manifolds import MultivariateNormal

    K = MultivariateNormal(2).numeric
    x, y = (np.array(p) for p in MVN_FAR_PAIR)
    r = K.log(x, y, full_output=True, tol=1e-12)
    assert r.ok, r.message
    assert abs(float(K.distance(x, y, tol=1e-12)) - MVN_FAR) < 1e-11 * MVN_FAR
    assert abs(float(K.distance(y, x, tol=1e-12)) - MVN_FAR) < 1e-11 * MVN_FAR
