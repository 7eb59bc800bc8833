"""numeric.geodesics.integrate: geodesics of metrics with known geodesics.

One solver is compiled for the family of metrics diag(1/y^2, lam/y^2) on the domain y > ymin
(``lam`` and ``ymin`` are parameters), so the compile cost (~10 s cold) is paid once:
lam = 1 is the Poincaré half-plane, whose geodesics are semicircles centred on the x-axis and
whose distance is arccosh(1 + |p - q|^2 / (2 y_p y_q)); lam = 2 is the Fisher metric of
Normal(mu, sigma), the half-plane scaled: d_N((m1, s1), (m2, s2)) =
sqrt(2) d_H((m1/sqrt 2, s1), (m2/sqrt 2, s2)); ymin > 0 puts an artificial boundary in the way.
"""
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import sympy

from numeric.geodesics import integrate as I
from numeric.geodesics import tableau
from numeric.geodesics.integrate import IntegrationError, IntegrationStatus, compile_geodesic
from tests import support

x, y = sympy.symbols("x y", real=True)
lam, ymin = sympy.symbols("lam ymin", real=True)
REPO = str(support.REPO)


def christoffel_second_kind(g, coords):
    """Γ^k_ij = ½ g^kl (∂i g_jl + ∂j g_il − ∂l g_ij), as an Array [k, i, j]."""
    n = len(coords)
    ginv = g.inv()
    return sympy.Array([[[
        sympy.simplify(sum(
            ginv[k, l] * (sympy.diff(g[j, l], coords[i]) + sympy.diff(g[i, l], coords[j])
                          - sympy.diff(g[i, j], coords[l]))
            for l in range(n)) / 2)
        for j in range(n)] for i in range(n)] for k in range(n)])


METRIC = sympy.diag(1 / y**2, lam / y**2)
HALF_PLANE = {"lam": 1.0, "ymin": 0.0}
NORMAL = {"lam": 2.0, "ymin": 0.0}


@pytest.fixture(scope="module")
def solve():
    return compile_geodesic([x, y], christoffel_second_kind(METRIC, [x, y]), domain=y > ymin,
                            params=[lam, ymin])


def speed2(xs, vs, lam_value):
    return (vs[..., 0] ** 2 + lam_value * vs[..., 1] ** 2) / xs[..., 1] ** 2


def half_plane_distance(p, q):
    dx = p[..., 0] - q[..., 0]
    dy = p[..., 1] - q[..., 1]
    return np.arccosh(1 + (dx**2 + dy**2) / (2 * p[..., 1] * q[..., 1]))


RNG = np.random.default_rng(7)
X0 = np.column_stack([RNG.uniform(-2, 2, 40), RNG.uniform(0.2, 3.0, 40)])
V0 = RNG.normal(size=(40, 2)) * X0[:, 1:]  # speeds of order one in the metric
T_EVAL = np.linspace(0.0, 2.0, 21)


@pytest.mark.slow
def test_half_plane_speed_is_conserved(solve):
    sol = solve(X0, V0, t1=2.0, t_eval=T_EVAL, params=HALF_PLANE, rtol=1e-12, atol=1e-14)
    assert sol.ok, sol.message
    assert sol.x.shape == (40, 21, 2) and sol.v.shape == (40, 21, 2)
    s2 = speed2(sol.x, sol.v, 1.0)
    np.testing.assert_allclose(s2, s2[:, :1] * np.ones(21), rtol=1e-10)


def test_half_plane_distance_is_closed_form(solve):
    sol = solve(X0, V0, t1=2.0, t_eval=T_EVAL, params=HALF_PLANE, rtol=1e-12, atol=1e-14)
    speed = np.sqrt(speed2(X0, V0, 1.0))
    expected = speed[:, None] * T_EVAL[None, 1:]
    got = half_plane_distance(X0[:, None, :], sol.x[:, 1:, :])
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_half_plane_geodesics_are_semicircles(solve):
    sol = solve(X0, V0, t1=2.0, t_eval=T_EVAL, params=HALF_PLANE, rtol=1e-12, atol=1e-14)
    # centre on the x-axis where the normal to v0 through x0 meets it
    centre = X0[:, 0] + X0[:, 1] * V0[:, 1] / V0[:, 0]
    radius2 = (X0[:, 0] - centre) ** 2 + X0[:, 1] ** 2
    got = (sol.x[..., 0] - centre[:, None]) ** 2 + sol.x[..., 1] ** 2
    np.testing.assert_allclose(got, radius2[:, None] * np.ones(21), rtol=1e-10)


@pytest.mark.slow
def test_vertical_geodesic_is_exponential(solve):
    sol = solve([0.3, 1.0], [0.0, 1.0], t1=1.5, t_eval=7, params=HALF_PLANE, rtol=1e-12)
    np.testing.assert_allclose(sol.x[:, 1], np.exp(sol.t), rtol=1e-11)
    np.testing.assert_allclose(sol.x[:, 0], 0.3, rtol=0, atol=1e-13)


def test_normal_fisher_metric_distance(solve):
    sol = solve(X0, V0, t1=1.0, params=NORMAL, rtol=1e-12, atol=1e-14)
    assert sol.ok, sol.message
    end = sol.x[:, -1, :]
    scale = np.array([1 / np.sqrt(2), 1.0])
    distance = np.sqrt(2) * half_plane_distance(X0 * scale, end * scale)
    np.testing.assert_allclose(distance, np.sqrt(speed2(X0, V0, 2.0)), rtol=1e-10)
    s2 = speed2(sol.x, sol.v, 2.0)
    np.testing.assert_allclose(s2[:, -1], s2[:, 0], rtol=1e-10)


def test_backward_integration_returns_to_start(solve):
    forward = solve(X0[:5], V0[:5], t1=1.0, params=HALF_PLANE, rtol=1e-12, atol=1e-14)
    back = solve(forward.x[:, -1], forward.v[:, -1], t1=-1.0, params=HALF_PLANE,
                 rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(back.x[:, -1], X0[:5], rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(back.t, [0.0, -1.0])


def test_batch_shapes_broadcast(solve):
    x0 = np.broadcast_to([0.0, 1.0], (2, 3, 2))
    v0 = np.array([1.0, 0.5])
    sol = solve(x0, v0, t1=0.5, t_eval=4, params=HALF_PLANE)
    assert sol.x.shape == (2, 3, 4, 2) and sol.status.shape == (2, 3)
    assert sol.t.shape == (4,)
    single = solve([0.0, 1.0], [1.0, 0.5], t1=0.5, t_eval=4, params=HALF_PLANE)
    assert single.x.shape == (4, 2) and single.status.shape == ()
    np.testing.assert_array_equal(sol.x[1, 2], single.x)


def test_stops_at_domain_boundary(solve):
    # y(t) = exp(-t) crosses ymin = 0.5 at t = log 2
    sol = solve([0.0, 1.0], [0.0, -1.0], t1=1.0, t_eval=11,
                params={"lam": 1.0, "ymin": 0.5}, rtol=1e-12)
    assert sol.status == IntegrationStatus.LEFT_DOMAIN
    assert abs(sol.t_stop - np.log(2)) < 1e-9
    before = sol.t <= sol.t_stop
    np.testing.assert_allclose(sol.x[before, 1], np.exp(-sol.t[before]), rtol=1e-11)
    assert np.isnan(sol.x[~before]).all()
    assert "LEFT_DOMAIN" in sol.message and "boundary of the domain" in sol.message
    with pytest.raises(IntegrationError, match="boundary of the domain"):
        solve([0.0, 1.0], [0.0, -1.0], t1=1.0, params={"lam": 1.0, "ymin": 0.5}, throw=True)


def test_max_steps_is_reported(solve):
    sol = solve(X0[:3], 10 * V0[:3], t1=5.0, params=HALF_PLANE, max_steps=3)
    assert (sol.status == IntegrationStatus.MAX_STEPS).all() and not sol.ok
    assert "raise max_steps" in sol.message and "3 of 3 trajectories failed" in sol.message
    assert (sol.n_steps + sol.n_rejected == 3).all()
    with pytest.raises(IntegrationError, match="raise max_steps"):
        solve(X0[:3], 10 * V0[:3], t1=5.0, params=HALF_PLANE, max_steps=3, throw=True)


def test_messages_per_trajectory(solve):
    sol = solve([[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, -1.0]], t1=1.0,
                params={"lam": 1.0, "ymin": 0.5})
    assert sol.status.tolist() == [IntegrationStatus.SUCCESS, IntegrationStatus.LEFT_DOMAIN]
    messages = sol.messages()
    assert messages[0] == "reached t1" and "boundary" in messages[1]
    assert sol.message.startswith("trajectory (1,): LEFT_DOMAIN")


@pytest.mark.parametrize("call, message", [
    (dict(x0=[0.0, -1.0], v0=[1.0, 0.0]), r"x0 = \[0.0, -1.0\] is outside the domain y > ymin"),
    (dict(x0=[[0.0, 1.0], [0.0, -1.0]], v0=[1.0, 0.0]), r"x0\[1\] = \[0.0, -1.0\] is outside"),
    (dict(x0=[0.0, 1.0, 2.0], v0=[1.0, 0.0]), r"x0 must have shape \(\.\.\., 2\)"),
    (dict(x0=[0.0, 1.0], v0=[np.nan, 0.0]), r"v0 must be finite"),
    (dict(x0=[[0.0, 1.0]] * 3, v0=[[1.0, 0.0]] * 2), r"do not broadcast"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], t_eval=[0.5, 0.2]), r"t_eval must be sorted"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], t_eval=[0.5, 2.0]), r"t_eval must lie within"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], rtol=0.0), r"rtol and atol must not both be 0"),
    (dict(x0=[[0.0, 1.0]] * 2, v0=[1.0, 0.0], rtol=[1e-8, 0.0]), r"must not both be 0"),
    (dict(x0=[[0.0, 1.0]] * 2, v0=[1.0, 0.0], rtol=[1e-8, -1.0]), r"rtol must be >= 0"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], atol=-1e-12), r"atol must be >= 0"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], rtol=np.nan), r"rtol must be finite"),
    (dict(x0=[[0.0, 1.0]] * 2, v0=[1.0, 0.0], atol=[1e-8] * 3), r"atol of shape \(3,\) does"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], t1=np.inf), r"t1 must be finite"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], max_steps=0), r"max_steps must be an integer >= 1"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], max_steps=2.5), r"max_steps must be an integer"),
    (dict(x0=[0.0, 1.0], v0=[1.0, 0.0], params={"lam": 1.0}), r"missing parameter ymin"),
])
def test_bad_input_raises(solve, call, message):
    call.setdefault("params", HALF_PLANE)
    with pytest.raises(ValueError, match=message):
        solve(**call)


@pytest.mark.parametrize("name", ["rtol", "atol", "t1", "max_steps"])
def test_wrong_type_raises_type_error(solve, name):
    with pytest.raises(TypeError, match=name):
        solve([0.0, 1.0], [1.0, 0.0], params=HALF_PLANE, **{name: "1e-8"})


def test_pure_absolute_tolerance(solve):
    # rtol = 0 is allowed with atol > 0: the vertical geodesic y = exp(t) to about atol
    sol = solve([0.3, 1.0], [0.0, 1.0], t1=1.5, params=HALF_PLANE, rtol=0.0, atol=1e-13)
    assert sol.ok, sol.message
    assert abs(sol.x[-1, 1] - np.exp(1.5)) < 1e-10


def test_huge_t1_stops_at_max_steps_promptly(solve):
    # regression: a step bound tied to the span (|t1 - t0| = 1e300) refused every step
    start = time.perf_counter()
    sol = solve([0.0, 1.0], [1.0, 0.5], t1=1e300, params=HALF_PLANE, max_steps=500)
    assert time.perf_counter() - start < 5.0
    assert sol.status == IntegrationStatus.MAX_STEPS, sol.message
    assert sol.n_steps + sol.n_rejected == 500 and sol.n_steps > 400
    assert 0.0 < sol.t_stop < 1e3
    # the speed (here sqrt(1.25)) is conserved along the part that was integrated
    np.testing.assert_allclose(speed2(sol.x[0], sol.v[0], 1.0), 1.25, rtol=1e-12)


def test_huge_t1_with_default_max_steps_returns(solve):
    # the geodesic runs into y -> 0 exponentially; whatever stops it, the call returns
    # within max_steps steps and says why
    start = time.perf_counter()
    sol = solve([0.0, 1.0], [1.0, 0.5], t1=1e300, params=HALF_PLANE)
    assert time.perf_counter() - start < 20.0
    assert sol.status != IntegrationStatus.SUCCESS
    assert sol.n_steps + sol.n_rejected <= 100_000
    assert np.isfinite(sol.t_stop) and sol.t_stop < 1e300


def test_each_trajectory_may_have_its_own_tolerances(solve):
    x0 = np.array([[0.0, 1.0], [0.5, 2.0], [1.0, 0.5]])
    v0 = np.array([[1.0, 0.3], [-0.5, 1.0], [0.2, -0.2]])
    rtols = np.array([1e-6, 1e-12, 1e-9])
    both = solve(x0, v0, 2.0, params=HALF_PLANE, rtol=rtols, atol=rtols * 1e-2)
    for k in range(3):
        one = solve(x0[k], v0[k], 2.0, params=HALF_PLANE, rtol=rtols[k], atol=rtols[k] * 1e-2)
        np.testing.assert_array_equal(both.x[k], one.x)
        assert both.n_steps[k] == one.n_steps
    assert both.n_steps[1] > both.n_steps[0]  # the tighter tolerance took more steps


def test_christoffel_shape_is_checked():
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\)"):
        compile_geodesic([x, y], sympy.Array([[0, 0], [0, 0]]))


def test_tableau_order_conditions():
    # Transcription check of the DOP853 coefficients (Hairer, Nørsett and Wanner, II.5):
    # consistency of the stages, order-8 quadrature of the weights, orders 5 and 3 of the
    # embedded error estimators.
    np.testing.assert_allclose(tableau.A.sum(axis=1), tableau.C, atol=1e-15)
    np.testing.assert_array_equal(tableau.B, tableau.A[12, :12])
    for k in range(1, 9):
        assert abs(tableau.B @ tableau.C[:12] ** (k - 1) - 1 / k) < 1e-15, k
    assert abs(tableau.B @ tableau.C[:12] ** 8 - 1 / 9) > 1e-6  # and no more
    for k in range(1, 6):
        assert abs(tableau.E5 @ tableau.C[:13] ** (k - 1)) < 1e-15, k
    assert abs(tableau.E5 @ tableau.C[:13] ** 5) > 1e-6
    for k in range(1, 4):
        assert abs(tableau.E3 @ tableau.C[:13] ** (k - 1)) < 1e-15, k
    # explicit method: A strictly lower triangular
    assert not np.triu(tableau.A).any()


def test_dense_output_is_order_seven(solve):
    # the interpolant between the steps is accurate to the tolerance: y = exp(t) sampled at
    # 41 times that are not step ends
    sol = solve([0.3, 1.0], [0.0, 1.0], t1=2.0, t_eval=41, params=HALF_PLANE, rtol=1e-12)
    assert sol.n_steps < 40
    np.testing.assert_allclose(sol.x[:, 1], np.exp(sol.t), rtol=1e-11)


def test_generated_source_is_self_contained(solve):
    # the integrator imports nothing from this package: constants are literals
    src = solve.source
    assert "from numeric.geodesics" not in src and "import numeric.geodesics" not in src
    assert "${" not in src  # every placeholder filled
    for name in ("solve_batch", "solve_one", "dop_stages", "dop_error", "dop_dense"):
        assert f"def {name}(" in src
    # the controller's constants and the status codes appear as literals
    assert repr(tableau.SAFETY) in src and repr(tableau.ERROR_EXPONENT) in src
    generated = I.integrator_source("_x", "field", 3, 2)
    assert "def solve_batch_x(" in generated and "field(y, p, K[0])" in generated
    assert "range(3)" in generated and "range(2)" in generated


_SUBPROCESS = textwrap.dedent("""
    import json
    from tests.numeric.geodesics.test_integrate import christoffel_second_kind, METRIC, x, y, lam, ymin
    from numeric.geodesics.integrate import compile_geodesic
    solve = compile_geodesic([x, y], christoffel_second_kind(METRIC, [x, y]),
                             domain=y > ymin, params=[lam, ymin])
    sol = solve([0.0, 1.0], [1.0, 0.0], params={"lam": 1.0, "ymin": 0.0})
    d = solve._module.solve_rows
    print(json.dumps({"hits": sum(d.stats.cache_hits.values()),
                      "misses": sum(d.stats.cache_misses.values()), "ok": sol.ok}))
""")


@pytest.mark.slow
def test_second_process_loads_integrator_from_cache(solve):
    solve([0.0, 1.0], [1.0, 0.0], params=HALF_PLANE)  # compiled and cached by now
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _SUBPROCESS], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats == {"hits": 1, "misses": 0, "ok": True}


_SUBPROCESS_INDEX = textwrap.dedent("""
    import json
    import sympy
    from numeric.geodesics import integrate as I
    from tests.numeric.geodesics.test_integrate import METRIC, christoffel_second_kind, x, y, lam, ymin

    def derive(*args):
        raise AssertionError("derived again")

    I._build_geodesic_module = derive
    solve = I.compile_geodesic([x, y], christoffel_second_kind(METRIC, [x, y]), domain=y > ymin,
                               params=[lam, ymin])
    sol = solve([0.0, 1.0], [0.0, 1.0], params={"lam": 1.0, "ymin": 0.0})
    print(json.dumps({"ok": sol.ok, "top": float(sol.x[-1, 1])}))
""")


@pytest.mark.slow
def test_a_warm_cache_skips_the_derivation(solve):
    # the index module named after compile_geodesic's inputs leads a new process straight to
    # the generated module: no variational derivatives, no rewriting (a minute for the von
    # Mises natural chart); the vertical half-plane geodesic is (0, e^t)
    solve([0.0, 1.0], [1.0, 0.0], params=HALF_PLANE)
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", _SUBPROCESS_INDEX], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["ok"] and abs(stats["top"] - np.e) < 1e-10


def test_an_index_whose_module_is_gone_derives_again(solve, monkeypatch):
    calls = []
    build, load = I._build_geodesic_module, I.load_generated_module

    def counting_build(*args):
        calls.append(args)
        return build(*args)

    def gone(name, make_source):
        if make_source is I._not_cached:
            make_source()  # as if the file had been deleted from the cache
        return load(name, make_source)

    monkeypatch.setattr(I, "_build_geodesic_module", counting_build)
    monkeypatch.setattr(I, "load_generated_module", gone)
    again = compile_geodesic([x, y], christoffel_second_kind(METRIC, [x, y]), domain=y > ymin,
                             params=[lam, ymin])
    assert len(calls) == 1
    assert again._module is solve._module  # the same generated module, rebuilt in memory
    sol = again([0.0, 1.0], [0.0, 1.0], params=HALF_PLANE)
    assert abs(float(sol.x[-1, 1]) - np.e) < 1e-10
