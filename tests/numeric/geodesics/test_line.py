"""numeric.geodesics.line: the log map of a one-dimensional family by its arc length.

Independent checks: the closed-form Fisher-Rao distances of the Poisson family
(2 |sqrt(y) - sqrt(x)|) and the Bernoulli family (2 |asin(sqrt(y)) - asin(sqrt(x))|,
Amari & Nagaoka 2000, sec. 2.2 and Atkinson & Mitchell 1981), the shooting log map with
variational equations on the same solver, and the exp map of the returned velocity.
"""
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from manifolds import Bernoulli, Poisson
from numeric.geodesics.integrate import compile_geodesic
from numeric.geodesics.line import shoot_line
from numeric.geodesics.shooting import NewtonStage, ShootingError, ShootingStatus, shoot
from tests.support import examples

LAM = sympy.symbols("lam", real=True)  # positive=True would make the domain lam > 0 True


@pytest.fixture(scope="module")
def poisson():
    # g = 1/lam, Gamma^lam_lam,lam = -1/(2 lam)
    return compile_geodesic([LAM], sympy.Array([[[-1 / (2 * LAM)]]]), domain=LAM > 0,
                            variational=True)


def speed(z):
    return 1.0 / np.sqrt(z[:, 0])


BOUNDS = [[0.0, np.inf]]


@examples(40)
@given(x=st.floats(1e-6, 1e6), y=st.floats(1e-6, 1e6))
def test_poisson_log_map_gives_the_closed_form_distance(poisson, x, y):
    r = shoot_line(poisson, speed, [x], [y], bounds=BOUNDS, tol=1e-11)
    assert r.ok, r.message
    exact = 2.0 * (np.sqrt(y) - np.sqrt(x))
    assert float(r.v[0] * speed(np.array([[x]]))[0]) == pytest.approx(exact, rel=1e-10, abs=1e-300)
    end = poisson([x], r.v, 1.0, rtol=1e-12).x[-1, 0]
    assert end == pytest.approx(y, rel=1e-10)


def test_agrees_with_shooting_and_keeps_batch_shapes(poisson):
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 20.0, (3, 4, 1))
    y = rng.uniform(0.1, 20.0, (3, 4, 1))
    a = shoot_line(poisson, speed, x, y, bounds=BOUNDS, tol=1e-11)
    b = shoot(poisson, x, y, bounds=BOUNDS, tol=1e-11)
    assert a.ok and b.ok
    assert a.v.shape == (3, 4, 1) and a.status.shape == (3, 4) and a.residual.shape == (3, 4)
    np.testing.assert_allclose(a.v, b.v, rtol=1e-9)
    assert (a.newton_stage == NewtonStage.NOT_RUN).all()
    # one or two integrations of the geodesic alone, against several variational ones
    assert a.iterations.max() <= 2 and a.iterations.sum() < b.iterations.sum()


def test_identical_points_need_no_integration_and_a_warm_start_is_used(poisson):
    r = shoot_line(poisson, speed, [[2.0], [2.0]], [[2.0], [8.0]], bounds=BOUNDS)
    assert r.status.tolist() == [0, 0] and r.v[0, 0] == 0.0 and r.iterations[0] == 0
    # 2 (sqrt(8) - sqrt(2)) / s(2) = 2 sqrt(2) sqrt(2) = 4
    assert r.v[1, 0] == pytest.approx(4.0, rel=1e-11)
    warm = shoot_line(poisson, speed, [2.0], [8.0], bounds=BOUNDS, v0=[4.0 * (1 + 1e-3)])
    assert warm.ok and float(warm.v[0]) == pytest.approx(4.0, rel=1e-11)


def test_a_poor_guess_overshooting_the_boundary_backs_off(poisson):
    # v0 = -100 runs the geodesic into lam = 0 (it leaves the domain): halved back towards
    # the last velocity that arrived until Newton's steps take over
    r = shoot_line(poisson, speed, [4.0], [1.0], bounds=BOUNDS, v0=[-100.0])
    assert r.ok and float(r.v[0]) == pytest.approx(-2.0 * (2.0 - 1.0) * 2.0, rel=1e-10)
    assert int(r.iterations) > 2


def test_failures_are_reported_not_returned_as_solutions(poisson):
    late = shoot_line(poisson, speed, [1.0], [9.0], bounds=BOUNDS, time_limit=1e-9)
    assert late.status == ShootingStatus.TIME_LIMIT and not late.ok
    # one integrator step per integration: no geodesic arrives, the pair is unreachable
    stuck = shoot_line(poisson, speed, [1.0], [9.0], bounds=BOUNDS, max_steps=1, max_rounds=6)
    assert stuck.status == ShootingStatus.UNREACHABLE and np.isinf(stuck.residual)
    with pytest.raises(ShootingError, match="UNREACHABLE"):
        shoot_line(poisson, speed, [1.0], [9.0], bounds=BOUNDS, max_steps=1, max_rounds=6,
                   throw=True)
    # a tolerance the integrator cannot reach at its rtol: NOT_CONVERGED once it stalls
    tight = shoot_line(poisson, speed, [1.0], [9.0], bounds=BOUNDS, rtol=1e-4, tol=1e-15)
    assert tight.status == ShootingStatus.NOT_CONVERGED and tight.iterations < 20


def test_bad_arguments_are_refused_with_their_names(poisson):
    with pytest.raises(ValueError, match="y"):
        shoot_line(poisson, speed, [1.0], [-1.0])
    with pytest.raises(ValueError, match="tol"):
        shoot_line(poisson, speed, [1.0], [2.0], tol=0.0)
    with pytest.raises(ValueError, match="max_rounds"):
        shoot_line(poisson, speed, [1.0], [2.0], max_rounds=0)
    two = compile_geodesic(list(sympy.symbols("a b", real=True)), sympy.Array.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="one coordinate"):
        shoot_line(two, speed, [1.0, 2.0], [2.0, 3.0])


@pytest.mark.parametrize("make, exact", [
    (Poisson, lambda x, y: 2.0 * np.abs(np.sqrt(y) - np.sqrt(x))),
    (Bernoulli, lambda x, y: 2.0 * np.abs(np.arcsin(np.sqrt(y)) - np.arcsin(np.sqrt(x)))),
])
def test_numeric_manifold_log_of_a_curve_goes_by_arc_length(make, exact):
    K = make().numeric
    rng = np.random.default_rng(5)
    M = make()
    x = np.array([M.random_point(rng) for _ in range(50)])
    y = np.array([M.random_point(rng) for _ in range(50)])
    r = K.log(x, y, full_output=True)
    assert r.ok and (r.newton_stage == NewtonStage.NOT_RUN).all()
    d = K.distance(x, y, method="numerical")
    np.testing.assert_allclose(d, exact(x[:, 0], y[:, 0]), rtol=1e-10)
    # the α-geodesics are shot: they do not keep the Fisher speed
    alpha = K.log(x[:3], y[:3], alpha=1.0, full_output=True)
    assert alpha.ok and (alpha.newton_stage != NewtonStage.NOT_RUN).any()
