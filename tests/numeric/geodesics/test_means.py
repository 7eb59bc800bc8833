"""The warm start of the Karcher iteration's log maps (numeric.geodesics.means.karcher_mean,
numeric.geodesics.shooting.shoot's v0).

Independent references: the closed-form Fisher-Rao log map of the Normal family is not
available here, so the checks are identities: a warm start changes where Newton's method
starts, never the answer (the same mean to the log map's accuracy, the same log maps), and
starting from the solution itself costs only the verifying integrations. The iteration
counts before and after are printed by benchmarks/karcher_warm_start.py.
"""
import numpy as np

from manifolds import Normal
from numeric.geodesics.means import karcher_mean, mean_weights


def counted_log(K):
    count = [0]

    def log(X, Y, guess=None):
        r = K.log(X, Y, throw=False, tol=1e-12, full_output=True, v0=guess)
        count[0] += int(np.sum(r.iterations))
        v = np.array(r.v)
        v[np.asarray(r.status) != 0] = np.nan
        return v
    return log, count


def test_warm_start_gives_the_same_mean_with_fewer_integrations():
    K = Normal().numeric
    rng = np.random.default_rng(3)
    P = np.column_stack([rng.uniform(-2, 2, 20), rng.uniform(0.5, 2, 20)])
    w = mean_weights(None, 20)
    runs = []
    for warm in (False, True):
        log, count = counted_log(K)
        r = karcher_mean(K.exp, log, K.metric, P, w, w @ P, tol=1e-10, warm_start=warm)
        assert r.ok
        runs.append((r, count[0]))
    (cold, n_cold), (warm, n_warm) = runs
    assert np.allclose(cold.x, warm.x, rtol=1e-11, atol=0)
    assert cold.iterations == warm.iterations
    assert n_warm < n_cold


def test_shooting_from_the_solution_costs_only_the_check():
    K = Normal().numeric
    x = np.array([[0.0, 1.0], [1.0, 2.0], [-1.0, 0.7]])
    y = np.array([[2.0, 0.5], [-1.0, 1.5], [0.3, 3.0]])
    cold = K.log(x, y, full_output=True)
    warm = K.log(x, y, full_output=True, v0=cold.v)
    assert cold.ok and warm.ok
    assert np.allclose(warm.v, cold.v, rtol=1e-11, atol=1e-13)
    assert np.all(warm.iterations <= cold.iterations)
    # a row without a finite start falls back on the default first guess
    v0 = np.array(cold.v)
    v0[1] = np.nan
    mixed = K.log(x, y, full_output=True, v0=v0)
    assert mixed.ok and np.allclose(mixed.v, cold.v, rtol=1e-11, atol=1e-13)
