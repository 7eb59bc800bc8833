"""The engines of numeric.optim.gradient_methods on plain callables: statuses for every way a
run can fail, argument checks, and laws with closed forms (matrix exponential, geometric
iterates, the Poisson MLE).
"""
import time

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import manifolds.optim
import numeric.nn.supervised
import numeric.optim.landscape
import numeric.optim.linalg
import symbolic.errors
from numeric.optim import gradient_methods as ng
from numeric.optim.gradient_methods import (
    OptimizationError,
    OptimizationStatus,
    SingularMatrixError,
    metric_descent,
    metric_flow,
    mirror_steps,
    scoring_steps,
)
from symbolic.errors import DomainError
from tests.support import examples

S = OptimizationStatus


def _quadratic(A, target):
    A, target = np.asarray(A, float), np.asarray(target, float)
    return (lambda x: 0.5 * (x - target) @ A @ (x - target)), (lambda x: A @ (x - target))


# ------------------------------------------------------------------------------ descent
def test_metric_descent_singular_and_pinv():
    G = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(SingularMatrixError, match="step 1"):
        metric_descent(lambda x: G, lambda x: x, [1.0, 0.0], 0.5, 1)
    path = metric_descent(lambda x: G, lambda x: x, [1.0, 0.0], 0.5, 1, method="pinv")
    np.testing.assert_allclose(path.x, [0.875, -0.125])   # x - 0.5 * G x / 4 (pinv(G) = G / 4)


@examples(20)
@given(st.floats(0.05, 1.5), st.integers(0, 30), st.floats(-3, 3), st.floats(-3, 3))
def test_descent_with_the_hessian_as_metric_contracts_geometrically(lr, steps, a, b):
    # G = A on L = (x - t)' A (x - t) / 2: x_k - t = (1 - lr)^k (x_0 - t) for every A
    A = np.array([[3.0, 1.0], [1.0, 0.5]])
    loss, grad = _quadratic(A, [1.0, -2.0])
    path = metric_descent(lambda x: A, grad, [a, b], lr, steps, objective=loss, throw=True)
    k = np.arange(steps + 1)[:, None]
    exact = np.array([1.0, -2.0]) + (1 - lr) ** k * (np.array([a, b]) - [1.0, -2.0])
    np.testing.assert_allclose(path.xs, exact, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(path.values, [loss(x) for x in exact], rtol=1e-10, atol=1e-14)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_descent_with_non_finite_objective_at_start():
    path = metric_descent(None, lambda x: np.ones(1), [-1.0], 0.1, 3, objective=lambda x: np.log(x[0]))
    assert path.status == S.NON_FINITE and path.n_steps == 0 and "x0 = [-1]" in path.message
    with pytest.raises(OptimizationError, match="not finite at the start"):
        metric_descent(None, lambda x: np.ones(1), [-1.0], 0.1, 3, objective=lambda x: np.log(x[0]), throw=True)


def test_descent_never_records_a_non_finite_objective():
    # L = x - log x: gradient 1 - 1/x; from 3 with lr 6 the step reaches -1, where log fails
    loss, grad = (lambda x: x[0] - np.log(x[0])), (lambda x: np.array([1 - 1 / x[0]]))
    with np.errstate(invalid="ignore"):
        path = metric_descent(None, grad, [3.0], 6.0, 4, objective=loss)
        back = metric_descent(None, grad, [3.0], 6.0, 4, objective=loss, backtrack=1)
    assert path.status == S.NON_FINITE and path.n_steps == 0 and "has the loss nan" in path.message
    assert back.ok and np.all(np.isfinite(back.values)) and back.x[0] == 1.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_descent_with_non_finite_gradient_mid_run(bad):
    calls = []

    def gradient(x):
        calls.append(1)
        return np.array([bad, 0.0]) if len(calls) == 3 else np.array([1.0, 0.0])

    path = metric_descent(None, gradient, [0.0, 1.0], 0.1, 10)
    assert path.status == S.NON_FINITE and path.n_steps == 2
    assert "step 3: the gradient is not finite (entries [0]) at x = [-0.2, 1]" in path.message


def test_descent_with_non_finite_metric():
    path = metric_descent(lambda x: np.array([[np.nan]]), lambda x: x, [1.0], 0.1, 2)
    assert path.status == S.NON_FINITE and "metric is not finite" in path.message


# --------------------------------------------------------------------------------- flows
@examples(15)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.1, 4.0))
def test_flow_of_a_quadratic_is_the_matrix_exponential(a, b, t1):
    # x' = -G^-1 A (x - t): x(t) - t = expm(-t G^-1 A) (x0 - t)
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    G = np.array([[1.0, 0.2], [0.2, 3.0]])
    _, grad = _quadratic(A, [0.5, -1.0])
    times = np.linspace(0, t1, 6)
    flow = metric_flow(lambda x: G, grad, [a, b], t1, t_eval=times, throw=True)
    B = np.linalg.solve(G, A)
    exact = [np.array([0.5, -1.0]) + scipy.linalg.expm(-t * B) @ (np.array([a, b]) - [0.5, -1.0]) for t in times]
    np.testing.assert_allclose(flow.xs, exact, rtol=0, atol=1e-9)
    assert flow.n_steps >= 1 and flow.t_stop == t1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_flow_with_non_finite_gradient_at_start_stops_at_once(bad):
    # before the fix: scipy's initial step became NaN and the run never ended (1.5 million
    # gradient calls in 20 s)
    calls = []

    def gradient(x):
        calls.append(1)
        return np.array([bad])

    start = time.perf_counter()
    flow = metric_flow(None, gradient, [1.0], 1.0, t_eval=3)
    assert time.perf_counter() - start < 1.0
    assert flow.status == S.NON_FINITE and len(calls) == 1 and flow.n_steps == 0
    assert flow.t_stop == 0.0 and "at t = 0" in flow.message
    np.testing.assert_array_equal(flow.xs[0], [1.0])
    assert np.isnan(flow.xs[1:]).all()
    with pytest.raises(OptimizationError, match="NON_FINITE"):
        metric_flow(None, gradient, [1.0], 1.0, throw=True)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_flow_stops_at_first_non_finite_objective():
    # x' = -1 from 1 (L = x): the objective log(x - 0.5) is undefined once x < 0.5, at t = 0.5
    flow = metric_flow(None, lambda x: np.ones(1), [1.0], 2.0, t_eval=9, objective=lambda x: np.log(x[0] - 0.5))
    assert flow.status == S.NON_FINITE and 0.0 < flow.t_stop <= 0.5
    reached = flow.t <= flow.t_stop
    np.testing.assert_allclose(flow.xs[reached, 0], 1 - flow.t[reached], atol=1e-12)
    assert np.isnan(flow.xs[~reached]).all()


def test_flow_with_huge_t1_stops_at_the_step_limit():
    # x' = -x: DOP853's step is bounded by stability (about 6), so t1 = 1e300 never ends
    flow = metric_flow(None, lambda x: x, [1.0], 1e300, t_eval=[0.0, 1.0, 1e300], max_steps=200)
    assert flow.status == S.MAX_STEPS and flow.n_steps == 200
    assert 1.0 < flow.t_stop < 1e300 and "max_steps" in flow.message
    np.testing.assert_allclose(flow.xs[1], [np.exp(-1.0)], rtol=1e-9)
    assert np.isnan(flow.xs[2]).all()


def test_flow_stops_at_the_time_limit():
    def slow(x):
        time.sleep(0.002)
        return x

    flow = metric_flow(None, slow, [1.0], 1e300, max_time=0.1)
    assert flow.status == S.TIME_LIMIT and "max_time" in flow.message
    assert 0 < flow.n_steps < 200                 # 12 evaluations (24 ms) per step at least
    with pytest.raises(OptimizationError, match="TIME_LIMIT"):
        metric_flow(None, slow, [1.0], 1e300, max_time=0.05, throw=True)


def test_flow_leaving_the_domain_stops_at_the_boundary():
    flow = metric_flow(None, lambda x: np.ones(1), [1.0], 3.0, inside=lambda x: x[0] > 0)
    assert flow.status == S.LEFT_DOMAIN and abs(flow.t_stop - 1.0) < 1e-6


# ------------------------------------------------------------------------------ scoring
@examples(20)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=30), st.floats(0.1, 20.0))
def test_scoring_poisson_rate_is_the_mean_or_no_mle(counts, start):
    total, n = float(sum(counts)), len(counts)
    path = scoring_steps(lambda x: np.array([total / x[0] - n]), lambda x: np.array([[n / x[0]]]), [start],
                         loglik=lambda x: total * np.log(x[0]) - n * x[0], inside=lambda x: x[0] > 0)
    if total == 0:
        assert path.status == S.NO_MLE and path.x[0] < 1e-8
    else:
        assert path.ok, path.message
        assert abs(path.x[0] - total / n) <= 1e-10 * total / n


def test_scoring_non_finite_loglik_at_start():
    path = scoring_steps(lambda x: -x, lambda x: np.eye(1), [1.0], loglik=lambda x: np.nan)
    assert path.status == S.NON_FINITE and "log-likelihood is not finite" in path.message


def test_scoring_non_finite_score():
    path = scoring_steps(lambda x: np.array([np.inf]), lambda x: np.eye(1), [1.0])
    assert path.status == S.NON_FINITE and "the score is not finite" in path.message


# ------------------------------------------------------------------------ mirror descent
@examples(20)
@given(st.floats(0.2, 8.0), st.floats(0.01, 0.99), st.integers(0, 20))
def test_mirror_steps_on_the_poisson_kl_are_geometric(eta0, lr, steps):
    # F = exp(theta), E = KL(Poisson(2) || Poisson(eta)): grad_theta E = eta - 2, so
    # eta_k = 2 + (1 - lr)^k (eta0 - 2)
    path = mirror_steps(np.exp, np.log, lambda t: np.exp(t) - 2, [np.log(eta0)], lr, steps,
                        objective=lambda t: np.exp(t[0]) - 2 * t[0], throw=True)
    exact = 2 + (1 - lr) ** np.arange(steps + 1) * (eta0 - 2)
    np.testing.assert_allclose(path.duals[:, 0], exact, rtol=1e-12)
    np.testing.assert_allclose(path.xs[:, 0], np.log(exact), rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_mirror_steps_non_finite_objective():
    start = mirror_steps(np.exp, np.log, lambda t: np.exp(t), [0.0], 0.1, 3,
                         objective=lambda t: np.log(np.exp(t[0]) - 5))
    assert start.status == S.NON_FINITE and start.n_steps == 0
    path = mirror_steps(np.exp, np.log, lambda t: np.exp(t) / (np.exp(t) - 5), [np.log(6.0)], 0.1, 5,
                        objective=lambda t: np.log(np.exp(t[0]) - 5))
    assert path.status == S.NON_FINITE and "has the loss nan" in path.message
    np.testing.assert_allclose(path.duals[:, 0], [6.0, 5.4])


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("kwargs, error, text", [
    (dict(lr="0.1"), TypeError, "lr must be a real number"),
    (dict(lr=-0.1), DomainError, "lr must be > 0"),
    (dict(lr=np.nan), DomainError, "lr must be finite"),
    (dict(steps=2.5), DomainError, "steps must be an integer >= 0"),
    (dict(steps=True), TypeError, "steps must be an integer"),
    (dict(backtrack=-1), DomainError, "backtrack must be an integer >= 0"),
    (dict(damping=-1.0), DomainError, "damping must be >= 0"),
    (dict(method="newton"), ValueError, "method must be one of"),
    (dict(throw="yes"), TypeError, "throw must be True or False"),
    (dict(x0=[np.nan, 1.0]), DomainError, "x0 must be finite"),
    (dict(x0="1 2"), TypeError, "x0 must be an array"),
    (dict(x0=[[1.0, 2.0]]), ValueError, "x0 must have shape"),
    (dict(x0=[-1.0, 1.0]), DomainError, "x0 = \\[-1, 1\\] is outside the domain"),
])
def test_descent_arguments(kwargs, error, text):
    args = dict(x0=[1.0, 1.0], lr=0.1, steps=2)
    args.update(kwargs)
    x0, lr, steps = args.pop("x0"), args.pop("lr"), args.pop("steps")
    with pytest.raises(error, match=text):
        metric_descent(None, lambda x: x, x0, lr, steps, inside=lambda x: x[0] > 0, **args)


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(t1=0.0), DomainError, "t1 must be > 0"),
    (dict(t1=np.inf), DomainError, "t1 must be finite"),
    (dict(max_steps=0), DomainError, "max_steps must be an integer >= 1"),
    (dict(max_time=-1.0), DomainError, "max_time must be > 0"),
    (dict(t_eval=1), DomainError, "t_eval must be an integer >= 2"),
    (dict(t_eval=[0.5, 0.2]), DomainError, "t_eval must be increasing"),
    (dict(rtol=0.0), DomainError, "rtol must be > 0"),
])
def test_flow_arguments(kwargs, error, text):
    args = dict(t1=1.0)
    args.update(kwargs)
    with pytest.raises(error, match=text):
        metric_flow(None, lambda x: x, [1.0], args.pop("t1"), **args)


def test_callable_returning_the_wrong_shape():
    with pytest.raises(ValueError, match=r"gradient\(x\) must return an array of shape \(2,\)"):
        metric_descent(None, lambda x: np.ones(3), [1.0, 1.0], 0.1, 1)


# ------------------------------------------------------------------------------- names
def test_optimiser_names_mean_one_thing():
    """No public name of the optimisers is bound to a different object anywhere else."""
    modules = [ng, manifolds.optim, numeric.optim.landscape, numeric.optim.linalg, numeric.nn.supervised,
               symbolic.errors]
    seen = {}
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            if name in seen:
                assert seen[name] is obj, f"{name} means different things in {module.__name__}"
            seen[name] = obj
    # the manifold-level functions are the user API; the engines have their own names
    for name in ("natural_gradient_descent", "natural_gradient_flow", "fisher_scoring", "mirror_descent"):
        assert not hasattr(ng, name)
        assert getattr(manifolds.Normal, name).__doc__.count(f"manifolds.optim.{name}") == 1
    assert not hasattr(ng, "_Flag")
