"""Tests of numeric.optim.landscape: critical points, conditioning, sharpness, GD versus NGD.

"[R]" is Ray & Kumar (information geometry of deep-learning optimisation landscapes).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.nn.supervised import MLP, SupervisedModel
from numeric.optim.landscape import (
    classify_critical_point,
    condition_number,
    conditioning_table,
    gd_iteration_bound,
    hessian_index,
    hessian_spectrum,
    ngd_iterations,
    numerical_gradient,
    numerical_hessian,
    quadratic_descent,
    quadratic_with_condition_number,
    sharpness,
)
from symbolic.errors import DomainError
from tests.support import examples

SETTINGS = examples(30)


def random_orthogonal(n, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q * np.sign(np.diag(r))


# ----------------------------------------------------------------------------- classification
@SETTINGS
@given(st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=6), st.integers(0, 10**6))
def test_classification_follows_eigenvalue_signs(signs, seed):
    rng = np.random.default_rng(seed)
    lam = np.array(signs) * rng.uniform(0.5, 5.0, size=len(signs))
    Q = random_orthogonal(len(signs), seed)
    cp = classify_critical_point(Q @ np.diag(lam) @ Q.T)
    n_neg, n_zero, n_pos = signs.count(-1), signs.count(0), signs.count(1)
    assert cp.index == n_neg and cp.n_zero == n_zero
    expected = ("saddle" if n_neg and n_pos else "degenerate" if n_zero
                else "maximum" if n_neg else "minimum")
    assert cp.kind == expected
    assert hessian_index(Q @ np.diag(lam) @ Q.T) == n_neg


KNOWN = [
    # (function, critical point, kind, index)
    (lambda v: v[0] ** 2 + v[1] ** 2, [0.0, 0.0], "minimum", 0),
    (lambda v: -(v[0] ** 2) - 3 * v[1] ** 2, [0.0, 0.0], "maximum", 2),
    (lambda v: v[0] ** 2 - v[1] ** 2, [0.0, 0.0], "saddle", 1),
    (lambda v: v[0] ** 2 + v[1] ** 4, [0.0, 0.0], "degenerate", 0),      # a minimum; test inconclusive
    (lambda v: v[0] ** 2 + v[1] ** 3, [0.0, 0.0], "degenerate", 0),      # not an extremum
    (lambda v: v[0] ** 3 - 3 * v[0] * v[1] ** 2, [0.0, 0.0], "degenerate", 0),  # monkey saddle
    (lambda v: v[0] ** 2 - v[1] ** 2 + v[2] ** 4, [0.0, 0.0, 0.0], "saddle", 1),  # saddle despite a zero
    (lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2, [1.0, 1.0], "minimum", 0),  # Rosenbrock
    (lambda v: np.cos(v[0]) * np.cos(v[1]), [0.0, 0.0], "maximum", 2),
    (lambda v: np.cos(v[0]) * np.cos(v[1]), [np.pi / 2, np.pi / 2], "saddle", 1),
]


@pytest.mark.parametrize("fun,x,kind,index", KNOWN)
def test_classification_of_known_critical_points(fun, x, kind, index):
    H = numerical_hessian(fun, x)
    cp = classify_critical_point(H, numerical_gradient(fun, x), rtol=1e-5, atol=1e-6)
    assert (cp.kind, cp.index) == (kind, index)


def himmelblau(v):
    return (v[0] ** 2 + v[1] - 11) ** 2 + (v[0] + v[1] ** 2 - 7) ** 2


def himmelblau_grad(v):
    a, b = v[0] ** 2 + v[1] - 11, v[0] + v[1] ** 2 - 7
    return np.array([4 * v[0] * a + 2 * b, 2 * a + 4 * v[1] * b])


def himmelblau_hess(v):
    return np.array([[12 * v[0] ** 2 + 4 * v[1] - 42, 4 * (v[0] + v[1])],
                     [4 * (v[0] + v[1]), 4 * v[0] + 12 * v[1] ** 2 - 26]])


@pytest.mark.parametrize("start,kind", [
    ((3.0, 2.0), "minimum"), ((-2.805, 3.131), "minimum"), ((-3.779, -3.283), "minimum"),
    ((3.584, -1.848), "minimum"), ((-0.271, -0.923), "maximum"), ((0.087, 2.884), "saddle"),
    ((-3.073, -0.081), "saddle"), ((3.385, 0.074), "saddle"), ((-0.128, -1.954), "saddle"),
])
def test_himmelblau_has_four_minima_one_maximum_four_saddles(start, kind):
    x = np.array(start)
    for _ in range(20):                       # Newton on the gradient polishes the tabulated point
        x = x - np.linalg.solve(himmelblau_hess(x), himmelblau_grad(x))
    cp = classify_critical_point(numerical_hessian(himmelblau, x), numerical_gradient(himmelblau, x),
                                 rtol=1e-6, gtol=1e-4)
    assert cp.kind == kind
    np.testing.assert_allclose(cp.eigenvalues, np.linalg.eigvalsh(himmelblau_hess(x)), rtol=1e-5, atol=1e-5)


def test_zero_initialised_mlp_sits_on_a_saddle():
    """All weights zero, output bias at the mean label: the gradient vanishes (tanh(0) = 0
    kills every weight gradient) but the W1-W2 block of the Hessian is sum_n r_n x_n != 0.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=20)
    model = SupervisedModel(MLP((2, 3, 1), "tanh"), "gaussian")
    theta = np.zeros(model.n_params)
    theta[-1] = y.mean()
    cp = classify_critical_point(model.hessian(theta, X, y), model.gradient(theta, X, y))
    assert cp.kind == "saddle" and cp.index >= 1


def test_classification_rejects_non_critical_points_and_bad_matrices():
    with pytest.raises(ValueError, match="gradient must vanish"):
        classify_critical_point(np.eye(2), [0.1, 0.0])
    with pytest.raises(ValueError, match="symmetric"):
        hessian_spectrum([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(DomainError, match=r"hessian must be finite, got nan at index \(0, 1\)"):
        hessian_spectrum([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="square"):
        hessian_spectrum(np.zeros((2, 3)))


# ----------------------------------------------------------------------------- conditioning, sharpness
@SETTINGS
@given(st.lists(st.floats(0.01, 100.0), min_size=2, max_size=6), st.integers(0, 10**6), st.floats(0.01, 100.0))
def test_condition_number_laws(lam, seed, c):
    lam = np.array(lam)
    Q = random_orthogonal(lam.size, seed)
    A = Q @ np.diag(lam) @ Q.T
    k = condition_number(A)
    assert k == pytest.approx(lam.max() / lam.min(), rel=1e-8)              # eq. 11 of [R]
    assert k >= 1.0
    assert condition_number(c * A) == pytest.approx(k, rel=1e-8)
    assert condition_number(np.linalg.inv(A)) == pytest.approx(k, rel=1e-6)
    assert sharpness(A) == pytest.approx(lam.sum(), rel=1e-10)              # eq. 19 of [R]


def test_condition_number_of_singular_and_indefinite_matrices():
    assert condition_number(np.diag([0.0, 1.0])) == math.inf
    assert condition_number(np.diag([-3.0, 1.0])) == 3.0


def test_sharpness_is_not_reparametrisation_invariant():
    """Tr G changes under theta -> c theta (G -> G / c^2): compare only within one chart."""
    G = np.diag([1.0, 4.0])
    C = np.diag([1.0, 2.0])                     # the metric in coordinates phi = C theta
    G_phi = np.linalg.inv(C) @ G @ np.linalg.inv(C)
    assert sharpness(G) == 5.0 and sharpness(G_phi) == 2.0


# ----------------------------------------------------------------------------- GD versus NGD
def test_gd_iterations_grow_like_kappa_and_ngd_iterations_stay_flat():
    kappas = np.logspace(0, 3, 7)
    table = conditioning_table(kappas, dim=8, tol=1e-8, ngd_step=0.5)
    assert 0.9 < table.gd_slope() < 1.1
    assert np.all(np.diff(table.gd_iterations) > 0)
    assert np.all(table.ngd_iterations == table.ngd_iterations[0])
    np.testing.assert_array_equal(table.ngd_iterations, table.ngd_predicted)
    # Measured GD counts respect the tight worst-case bound and come close to it; eq. 12's count
    # is about twice as large (it is the contraction of |x - x*|, not of the loss).
    assert np.all(table.gd_iterations <= table.gd_bound)
    big = table.kappa >= 10
    assert np.all(table.gd_iterations[big] >= 0.9 * table.gd_bound[big])
    assert np.all(np.abs(table.gd_eq12[big] / table.gd_bound[big] - 2) < 0.05)
    assert len(table.rows()) == 7 and "gd_iterations" in str(table)


@pytest.mark.parametrize("eta", [0.25, 0.5, 1.0, 1.5])
def test_ngd_loss_gap_contracts_by_one_minus_eta_squared(eta):
    """With the exact metric the gap ratio is (1 - eta)^2 per step for every kappa; eq. 13 of
    [R], ((1 - 2 eta) / (1 + eta)), gives 0 at eta = 1/2 and a negative number beyond.
    """
    A, x0 = quadratic_with_condition_number(1e4, dim=5, seed=3)
    run = quadratic_descent(A, x0, metric=A, step_size=eta, tol=1e-12, max_iter=200)
    assert run.converged and run.iterations == ngd_iterations(eta, 1e-12)
    if eta != 1.0:
        np.testing.assert_allclose(run.gaps[1:] / run.gaps[:-1], (1 - eta) ** 2, rtol=1e-6)
    else:
        assert run.iterations == 1
    eq13 = (1 - 2 * eta) / (1 + eta)
    if eta == 0.25:
        assert (1 - eta) ** 2 > eq13            # 0.5625 > 0.4: eq. 13 is violated as a bound
    if eta > 0.5:
        assert eq13 < 0                         # a negative "contraction factor" for a gap >= 0


def test_gd_gap_matches_the_eigenbasis_formula():
    """L_t - L* = 1/2 sum_i lambda_i (1 - eta lambda_i)^{2t} c_i^2 (module docstring)."""
    A, x0 = quadratic_with_condition_number(50.0, dim=4, seed=1)
    lam, Q = np.linalg.eigh(A)
    c = Q.T @ x0
    eta = 2 / (lam[0] + lam[-1])
    run = quadratic_descent(A, x0, step_size=eta, tol=1e-6)
    t = np.arange(run.gaps.size)[:, None]
    gaps = (lam * (1 - eta * lam) ** (2 * t) * c**2).sum(axis=1) / (lam * c**2).sum()
    np.testing.assert_allclose(run.gaps, gaps, rtol=1e-8, atol=1e-15)


def test_quadratic_descent_reports_divergence_and_checks_input():
    run = quadratic_descent(np.diag([1.0, 10.0]), [1.0, 1.0], step_size=0.5, tol=1e-6, max_iter=1000)
    assert not run.converged
    with pytest.raises(DomainError, match="positive definite"):
        quadratic_descent(np.diag([1.0, -1.0]), [1.0, 1.0], step_size=0.1)
    with pytest.raises(DomainError, match="step_size must be > 0"):
        quadratic_descent(np.eye(2), [1.0, 1.0], step_size=-0.1)
    with pytest.raises(DomainError, match="x0 must be finite"):
        quadratic_descent(np.eye(2), [np.inf, 1.0], step_size=0.1)
    with pytest.raises(DomainError, match=r"kappa must be in \[1, inf\)"):
        gd_iteration_bound(0.5, 1e-3)
    with pytest.raises(TypeError, match="step_size must be a real number"):
        quadratic_descent(np.eye(2), [1.0, 1.0], step_size="0.1")
    with pytest.raises(DomainError, match=r"tol must be in \(0, 1\)"):
        quadratic_descent(np.eye(2), [1.0, 1.0], step_size=0.1, tol=1.0)
    with pytest.raises(DomainError, match="max_iter must be an integer >= 1"):
        quadratic_descent(np.eye(2), [1.0, 1.0], step_size=0.1, max_iter=0)
    with pytest.raises(ValueError, match="form must be one of"):
        gd_iteration_bound(10.0, 1e-3, form="loose")
    with pytest.raises(DomainError, match="kappas"):
        conditioning_table([0.5, 2.0])
