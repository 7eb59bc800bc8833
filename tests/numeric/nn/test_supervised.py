"""Tests of numeric.nn.supervised: Jacobians, Hessians, Fisher, GGN, empirical Fisher.

The identities are checked through independent routes: finite differences for the Jacobian and
the Hessian; the Fisher from its definition (expected outer product of scores, with the
expectation over the model's labels done exactly) against the GGN assembled from
finite-difference Jacobians and finite-difference output Hessians of a separately written
negative log-likelihood. References: Kunstner, Balles & Hennig, NeurIPS 2019 ("[K]").
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.nn.supervised import (
    MLP,
    BernoulliLikelihood,
    CategoricalLikelihood,
    GaussianLikelihood,
    SupervisedModel,
    cosine_similarity,
    descend,
    direction_cosines,
    likelihood_from_name,
    linear_model,
    preconditioned_direction,
)
from numeric.optim.linalg import precondition
from symbolic.errors import DomainError, SingularMatrixError
from tests.support import examples

SETTINGS = examples(20)


# ----------------------------------------------------------------------------- independent helpers
def nll_reference(name, f, y, sigma=1.0):
    """-log p(y | f) for one sample, written from the densities (not from the module)."""
    if name == "gaussian":
        return 0.5 * np.sum((y - f) ** 2) / sigma**2 + 0.5 * f.size * np.log(2 * np.pi * sigma**2)
    if name == "bernoulli":
        # -log p(y|f) = log(1 + e^f) - y f, in the overflow-safe form.
        return np.logaddexp(0.0, f[0]) - y * f[0]
    # -log softmax(f)_y with the maximum subtracted for stability.
    m = f.max()
    return m + np.log(np.sum(np.exp(f - m))) - f[int(y)]


def fd_jacobian(fun, theta, h=1e-6):
    """Central differences of a vector function; result has the parameter axis last."""
    cols = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        cols.append((fun(theta + e) - fun(theta - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def fd_hessian_scalar(fun, f, h=1e-3):
    # h = 1e-3: truncation ~h^2 f''''/6 ~ 1e-7, rounding ~eps |fun| / h^2 ~ 1e-10.
    n = f.size
    H = np.empty((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(n):
            H[i, j] = (fun(f + E[i] + E[j]) - fun(f + E[i] - E[j])
                       - fun(f - E[i] + E[j]) + fun(f - E[i] - E[j])) / (4 * h * h)
    return H


def ggn_by_finite_differences(model, theta, X, y):
    """sum_n J_n^T (d^2 nll / df^2) J_n with both factors from finite differences."""
    name = model.likelihood.name
    sigma = getattr(model.likelihood, "sigma", 1.0)
    J = fd_jacobian(lambda t: model.network.forward(t, X), theta)           # (N, M, D)
    f = model.network.forward(theta, X)
    G = np.zeros((theta.size, theta.size))
    for n in range(X.shape[0]):
        Lam = fd_hessian_scalar(lambda v, n=n: nll_reference(name, v, y[n], sigma), f[n].copy())
        G += J[n].T @ Lam @ J[n]
    return G


def fisher_by_definition(model, theta, X):
    """sum_n E_{y ~ p(.|f_n)}[g g^T] with the expectation taken exactly over the labels.

    Bernoulli and categorical: a sum over the classes. Gaussian: the score is linear in y, so a
    3-point Gauss-Hermite rule per output (exact up to degree 5) gives the expectation exactly.
    """
    lik = model.likelihood
    f = model.network.forward(theta, X)
    N, M = f.shape
    D = theta.size
    F = np.zeros((D, D))
    if lik.name in ("bernoulli", "categorical"):
        if lik.name == "bernoulli":
            p1 = 1.0 / (1.0 + np.exp(-f[:, 0]))
            probs = np.stack([1 - p1, p1], axis=1)
        else:
            e = np.exp(f - f.max(axis=1, keepdims=True))
            probs = e / e.sum(axis=1, keepdims=True)
        for c in range(probs.shape[1]):
            g = model.per_sample_gradients(theta, X, np.full(N, c))
            F += (g * probs[:, c:c + 1]).T @ g
        return F
    z, w = np.polynomial.hermite_e.hermegauss(3)
    w = w / w.sum()
    grids = np.meshgrid(*([z] * M), indexing="ij")
    weights = np.prod(np.meshgrid(*([w] * M), indexing="ij"), axis=0).ravel()
    nodes = np.stack([gg.ravel() for gg in grids], axis=1)
    for node, wt in zip(nodes, weights, strict=False):
        g = model.per_sample_gradients(theta, X, f + lik.sigma * node)
        F += wt * g.T @ g
    return F


@st.composite
def problems(draw, likelihoods=("gaussian", "bernoulli", "categorical"), hidden=(0, 2)):
    """A random small network, likelihood, parameters, inputs and labels."""
    name = draw(st.sampled_from(likelihoods))
    n_out = {"gaussian": draw(st.integers(1, 2)), "bernoulli": 1, "categorical": draw(st.integers(2, 3))}[name]
    widths = draw(st.lists(st.integers(1, 4), min_size=hidden[0], max_size=hidden[1]))
    n_in = draw(st.integers(1, 3))
    # ReLU included: finite differences straddle a kink with probability ~1e-6 per unit.
    act = draw(st.sampled_from(["tanh", "sigmoid", "softplus", "relu", "elu", "prelu"]))
    sigma = draw(st.sampled_from([0.5, 1.0, 2.0]))
    lik = GaussianLikelihood(sigma) if name == "gaussian" else likelihood_from_name(name)
    model = SupervisedModel(MLP((n_in, *widths, n_out), act), lik)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    N = draw(st.integers(1, 5))
    theta = rng.normal(size=model.n_params)
    X = rng.normal(size=(N, n_in))
    y = model.sample_labels(theta, X, seed=rng)
    return model, theta, X, y


# ----------------------------------------------------------------------------- derivatives
@SETTINGS
@given(problems())
def test_jacobian_matches_finite_differences(problem):
    model, theta, X, _ = problem
    J = model.jacobian(theta, X)
    assert J.shape == (X.shape[0], model.network.n_outputs, model.n_params)
    J_fd = fd_jacobian(lambda t: model.network.forward(t, X), theta)
    np.testing.assert_allclose(J, J_fd, rtol=1e-6, atol=1e-8)


@SETTINGS
@given(problems())
def test_gradient_matches_finite_differences_of_loss(problem):
    model, theta, X, y = problem
    g_fd = fd_jacobian(lambda t: np.array(model.loss(t, X, y)), theta)
    np.testing.assert_allclose(model.gradient(theta, X, y), g_fd, rtol=1e-6, atol=1e-7)


@SETTINGS
@given(problems())
def test_hessian_matches_finite_differences_of_gradient(problem):
    model, theta, X, y = problem
    H = model.hessian(theta, X, y)
    H_fd = fd_jacobian(lambda t: model.gradient(t, X, y), theta)
    np.testing.assert_allclose(H, H_fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(H, H.T)


def test_hessian_of_a_deeper_relu_free_network():
    # Three hidden layers exercise every branch of the forward-over-reverse recursion.
    model = SupervisedModel(MLP((2, 3, 4, 3, 3), "tanh"), "categorical")
    rng = np.random.default_rng(7)
    theta, X = rng.normal(size=model.n_params), rng.normal(size=(4, 2))
    y = np.array([0, 2, 1, 2])
    H_fd = fd_jacobian(lambda t: model.gradient(t, X, y), theta)
    np.testing.assert_allclose(model.hessian(theta, X, y), H_fd, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- Fisher = GGN ([K] Prop. 1)
@SETTINGS
@given(problems())
def test_fisher_equals_ggn_through_independent_routes(problem):
    """[K] Prop. 1: E_model[g g^T] (definition, eq. 2) equals the GGN of the split (12).

    Neither side uses the module's Lambda: the left is an exact expectation of back-propagated
    scores, the right comes from finite-difference Jacobians and output Hessians.
    """
    model, theta, X, y = problem
    F_def = fisher_by_definition(model, theta, X)
    G_fd = ggn_by_finite_differences(model, theta, X, y)
    scale = np.abs(F_def).max() + 1e-12
    np.testing.assert_allclose(G_fd / scale, F_def / scale, atol=2e-5)
    # ... and the module's two routes agree with them (both helpers are sums over samples).
    np.testing.assert_allclose(model.fisher(theta, X, reduction="sum") / scale, F_def / scale, atol=1e-10)
    np.testing.assert_allclose(model.ggn(theta, X, y, reduction="sum") / scale, F_def / scale, atol=1e-10)
    # the default reduction is the mean
    N = X.shape[0]
    np.testing.assert_allclose(N * model.fisher(theta, X) / scale, F_def / scale, atol=1e-10)


@SETTINGS
@given(problems(hidden=(0, 0)))
def test_linear_models_have_hessian_equal_to_fisher(problem):
    """With f linear in theta the residual term of eq. 9 vanishes: H = GGN = F."""
    model, theta, X, y = problem
    np.testing.assert_allclose(model.residual_hessian(theta, X, y), 0.0, atol=1e-12)
    np.testing.assert_allclose(model.hessian(theta, X, y), model.fisher(theta, X), rtol=1e-12, atol=1e-12)


@SETTINGS
@given(problems())
def test_curvature_matrices_are_symmetric_psd(problem):
    model, theta, X, y = problem
    for M in (model.fisher(theta, X), model.empirical_fisher(theta, X, y)):
        np.testing.assert_allclose(M, M.T, atol=1e-12)
        w = np.linalg.eigvalsh(M)
        assert w.min() >= -1e-10 * max(1.0, w.max())
    # The EF has rank at most N (one outer product per sample).
    assert np.linalg.matrix_rank(model.empirical_fisher(theta, X, y)) <= X.shape[0]


@SETTINGS
@given(problems())
def test_empirical_fisher_is_gradient_second_moment(problem):
    """[K] eq. 18: N EF = Cov[g] + grad L grad L^T for the stochastic gradient g = N grad l_n."""
    model, theta, X, y = problem
    N = X.shape[0]
    gs = N * model.per_sample_gradients(theta, X, y)
    gradL = model.gradient(theta, X, y, reduction="sum")          # [K]'s L is the sum
    cov = np.cov(gs, rowvar=False, bias=True).reshape(model.n_params, model.n_params)
    np.testing.assert_allclose(N * model.empirical_fisher(theta, X, y, reduction="sum"), cov + np.outer(gradL, gradL),
                               rtol=1e-9, atol=1e-9 * (1 + np.abs(cov).max()))


# ----------------------------------------------------------------------------- Monte Carlo Fisher
@pytest.mark.parametrize("likelihood,n_out", [("gaussian", 2), ("bernoulli", 1), ("categorical", 3)])
def test_monte_carlo_fisher_error_shrinks_like_inverse_sqrt_samples(likelihood, n_out):
    model = SupervisedModel(MLP((2, 3, n_out), "tanh"), likelihood)
    rng = np.random.default_rng(3)
    theta, X = rng.normal(size=model.n_params), rng.normal(size=(8, 2))
    F = model.fisher(theta, X)
    sizes = np.array([16, 64, 256, 1024, 4096])
    err = [np.mean([np.linalg.norm(model.fisher_mc(theta, X, S, seed=1000 * rep + S) - F) for rep in range(8)])
           / np.linalg.norm(F) for S in sizes]
    slope = np.polyfit(np.log(sizes), np.log(err), 1)[0]
    assert -0.65 < slope < -0.35, (slope, err)
    assert err[-1] < 0.05


def test_monte_carlo_fisher_is_reproducible_and_checks_n_samples():
    model = SupervisedModel(linear_model(2, 1), "bernoulli")
    theta, X = np.array([0.3, -0.2, 0.1]), np.eye(2)
    np.testing.assert_array_equal(model.fisher_mc(theta, X, 5, seed=1), model.fisher_mc(theta, X, 5, seed=1))
    with pytest.raises(DomainError, match="n_samples"):
        model.fisher_mc(theta, X, 0)


# ----------------------------------------------------------------------------- EF versus Fisher ([K] sec. 4)
def _logistic_data(N, theta_true, rng):
    X = rng.normal(size=(N, theta_true.size - 1))
    p = 1 / (1 + np.exp(-(X @ theta_true[:-1] + theta_true[-1])))
    return X, (rng.random(N) < p).astype(float)


def _rel(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


def test_empirical_fisher_differs_from_fisher_far_from_the_optimum():
    rng = np.random.default_rng(0)
    theta_true = np.array([1.0, -2.0, 0.5])
    X, y = _logistic_data(2000, theta_true, rng)
    model = SupervisedModel(linear_model(2, 1), "bernoulli")
    far = -3.0 * theta_true                   # confidently wrong: |p - y| ~ 1 while p (1 - p) ~ 0
    assert _rel(model.empirical_fisher(far, X, y), model.fisher(far, X)) > 2.0
    # Gaussian regression: EF = sum r_n^2 x x^T / sigma^4 grows with the residuals ([K] eq. 15).
    reg = SupervisedModel(linear_model(2, 1), GaussianLikelihood(1.0))
    yr = X @ theta_true[:2] + theta_true[2] + rng.normal(size=2000)
    assert _rel(reg.empirical_fisher(theta_true + 10.0, X, yr), reg.fisher(theta_true + 10.0, X)) > 10.0


def test_empirical_fisher_approaches_fisher_at_the_optimum_of_a_well_specified_model():
    """[K] eq. 17: EF(theta*_N)/N -> F(theta*_N)/N as N grows, for a realisable model."""
    theta_true = np.array([1.0, -2.0, 0.5])
    model = SupervisedModel(linear_model(2, 1), "bernoulli")
    errs = []
    for N in (200, 2000, 20000):
        e = []
        for seed in range(3):
            X, y = _logistic_data(N, theta_true, np.random.default_rng(seed))
            # Fisher scoring = Newton here (linear model, canonical link): converges quadratically.
            opt = descend(model, np.zeros(3), X, y, preconditioner="fisher", step_size=1.0, n_steps=25).theta
            assert np.linalg.norm(model.gradient(opt, X, y)) < 1e-8 * N
            e.append(_rel(model.empirical_fisher(opt, X, y), model.fisher(opt, X)))
        errs.append(np.mean(e))
    assert errs[0] > errs[1] > errs[2], errs
    assert errs[2] < 0.05, errs


def test_empirical_fisher_does_not_approach_fisher_when_the_noise_is_misspecified():
    """Model sigma = 1, data sigma = 2: at the optimum EF -> (sigma_true / sigma)^2 F = 4 F."""
    rng = np.random.default_rng(1)
    N = 20000
    X = rng.normal(size=(N, 2))
    y = X @ np.array([1.0, -1.0]) + 0.5 + 2.0 * rng.normal(size=N)
    model = SupervisedModel(linear_model(2, 1), GaussianLikelihood(1.0))
    A = np.column_stack([X, np.ones(N)])
    opt = np.linalg.lstsq(A, y, rcond=None)[0]
    ratio = np.trace(model.empirical_fisher(opt, X, y)) / np.trace(model.fisher(opt, X))
    assert ratio == pytest.approx(4.0, rel=0.05)


def test_empirical_fisher_vanishes_at_an_interpolating_minimum_while_hessian_does_not():
    """[K] sec. 4.1/4.2: with N < D the minimum fits every sample, all g_n = 0, EF = 0, H = F != 0."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(3, 5)), rng.normal(size=3)
    model = SupervisedModel(linear_model(5, 1), "gaussian")
    opt = np.linalg.lstsq(np.column_stack([X, np.ones(3)]), y, rcond=None)[0]
    H = model.hessian(opt, X, y)
    assert np.abs(model.empirical_fisher(opt, X, y)).max() < 1e-20
    assert np.linalg.norm(H) > 1.0
    np.testing.assert_allclose(H, model.fisher(opt, X))


def test_ef_step_length_is_inversely_proportional_to_gradient_far_away():
    """[K] sec. 4.3: |EF^{-1} g| |g| tends to a constant along a ray; the NGD step grows with it."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 1))
    y = 2.0 * X[:, 0] - 1.0 + 0.1 * rng.normal(size=50)
    model = SupervisedModel(linear_model(1, 1), "gaussian")
    v = np.array([0.6, 0.8])
    prods, nat = [], []
    for s in (1e3, 1e4, 1e5):
        theta = s * v
        g = model.gradient(theta, X, y)
        d_ef = preconditioned_direction(model, theta, X, y, preconditioner="empirical_fisher")
        prods.append(np.linalg.norm(d_ef) * np.linalg.norm(g))
        nat.append(np.linalg.norm(preconditioned_direction(model, theta, X, y)))
    assert np.ptp(prods) / np.mean(prods) < 0.05
    assert nat[2] / nat[0] == pytest.approx(100.0, rel=0.05)


def test_proposition_2_bound_is_tight_and_not_squared():
    """||H - G||_2 <= r(theta) beta ([K] Prop. 2) is attained by f = w2 w1 x.

    f's Hessian in (w1, w2) is [[0, x], [x, 0]], spectral norm beta = |x| everywhere, so
    H - G = r [[0, x], [x, 0]] and ||H - G||_2 = |r| |x| = r(theta) beta exactly; the squared
    reading ||H - G||_2^2 <= r beta (as printed) fails as soon as r beta > 1.
    """
    model = SupervisedModel(MLP((1, 1, 1), "linear"), GaussianLikelihood(1.0))
    x, yv = 3.0, 0.0
    theta = np.array([2.0, 0.0, 1.5, 0.0])                     # (w1, b1, w2, b2), biases zero
    X, y = np.array([[x]]), np.array([yv])
    r = abs(theta[0] * theta[2] * x - yv)                      # |grad_f nll| (sigma = 1)
    # f restricted to the weights (w1, w2), the biases held at zero, is w2 w1 x
    w = np.ix_([0, 2], [0, 2])
    diff = np.linalg.norm((model.hessian(theta, X, y) - model.ggn(theta, X, y))[w], 2)
    assert diff == pytest.approx(r * abs(x))
    assert diff**2 > r * abs(x)


# ----------------------------------------------------------------------------- preconditioning, descent
def test_precondition_damping_and_pinv_on_the_singular_softmax_fisher():
    # C free logits: shifting all of them leaves p unchanged, so F has a null space.
    model = SupervisedModel(linear_model(2, 3), "softmax")
    rng = np.random.default_rng(5)
    theta, X = rng.normal(size=model.n_params), rng.normal(size=(10, 2))
    y = rng.integers(0, 3, size=10)
    F, g = model.fisher(theta, X), model.gradient(theta, X, y)
    with pytest.raises(SingularMatrixError, match="damping > 0 or method='pinv'"):
        precondition(F, g)
    d = precondition(F, g, method="pinv")
    np.testing.assert_allclose(d, np.linalg.pinv(F, hermitian=True, rtol=1e-10) @ g, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(F @ d, g, atol=1e-9)        # g lies in the range of F
    d_damped = precondition(F, g, damping=1e-3)
    np.testing.assert_allclose(d_damped, np.linalg.solve(F + 1e-3 * np.eye(model.n_params), g))


def test_precondition_rejects_bad_arguments():
    with pytest.raises(ValueError, match="symmetric"):
        precondition([[1.0, 2.0], [0.0, 1.0]], [1.0, 1.0])
    with pytest.raises(DomainError, match="damping"):
        precondition(np.eye(2), [1.0, 1.0], damping=-1.0)
    with pytest.raises(DomainError, match="gradient must be finite"):
        precondition(np.eye(2), [np.nan, 1.0])
    with pytest.raises(ValueError, match="method"):
        precondition(np.eye(2), [1.0, 1.0], method="lstsq")
    with pytest.raises(DomainError, match="zero"):
        cosine_similarity([0.0, 0.0], [1.0, 0.0])


def test_natural_gradient_step_solves_linear_regression_in_one_step():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.3 + 0.1 * rng.normal(size=30)
    model = SupervisedModel(linear_model(3, 1), GaussianLikelihood(0.7))
    path = descend(model, np.zeros(4), X, y, preconditioner="fisher", step_size=1.0, n_steps=1)
    opt = np.linalg.lstsq(np.column_stack([X, np.ones(30)]), y, rcond=None)[0]
    np.testing.assert_allclose(path.theta, opt, atol=1e-10)
    assert path.status == "completed" and path.losses.shape == (2,) and path.gradient_norms[-1] < 1e-8


def test_descend_reports_divergence_as_data():
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 3.0])
    model = SupervisedModel(linear_model(1, 1), "gaussian")
    path = descend(model, np.zeros(2), X, y, step_size=10.0, n_steps=2000)
    assert path.status == "diverged" and "step_size" in path.message
    assert np.all(np.isfinite(path.losses)) and len(path.losses) == len(path.thetas) == len(path.gradient_norms)


def test_direction_cosines_near_one_at_well_specified_optimum_and_lower_far_away():
    """[K] Fig. 3, second row: the EF and NGD directions differ far away and align at the optimum."""
    rng = np.random.default_rng(0)
    N = 20000
    X = rng.normal(size=(N, 2)) * [1.0, 5.0] + [2.0, 0.0]        # uncentred, unequal scales
    theta_true = np.array([1.0, -0.5, 0.3])
    y = X @ theta_true[:2] + theta_true[2] + rng.normal(size=N)
    model = SupervisedModel(linear_model(2, 1), "gaussian")
    # NGD with step 1/2 halves the distance to the optimum each step: 2^-10 ~ 1e-3 after 10.
    path = descend(model, np.array([10.0, 0.0, -10.0]), X, y, preconditioner="fisher", step_size=0.5, n_steps=10)
    cos = direction_cosines(model, path.thetas[[0, -1]], X, y)
    assert cos[0] < -0.3          # the EF step points against the natural gradient here
    assert cos[-1] > 0.99


# ----------------------------------------------------------------------------- validation
def test_errors_name_the_argument():
    model = SupervisedModel(MLP((2, 3, 1)), "bernoulli")
    theta, X, y = np.zeros(model.n_params), np.zeros((4, 2)), np.array([0, 1, 1, 0])
    with pytest.raises(DomainError, match="theta must be finite"):
        model.loss(np.full(model.n_params, np.inf), X, y)
    with pytest.raises(DomainError, match=r"X must be finite, got nan at index \(1, 0\)"):
        Xb = X.copy()
        Xb[1, 0] = np.nan
        model.fisher(theta, Xb)
    with pytest.raises(DomainError, match="y must be finite"):
        model.gradient(theta, X, np.array([0, 1, np.nan, 0]))
    with pytest.raises(DomainError, match="0 and 1"):
        model.gradient(theta, X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"theta must have shape \(13,\)"):
        model.fisher(np.zeros(12), X)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        model.fisher(theta, np.zeros((4, 3)))
    with pytest.raises(DomainError, match=r"weights\[1\] must be finite"):
        model.network.flatten([np.zeros((3, 3)), np.full((1, 4), np.nan)])
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(3, 3\)"):
        model.network.flatten([np.zeros((3, 2)), np.zeros((1, 4))])
    with pytest.raises(ValueError, match="reduction must be one of"):
        model.fisher(theta, X, reduction="average")
    with pytest.raises(TypeError, match="X must be an array of real numbers"):
        model.fisher(theta, "X")
    with pytest.raises(DomainError, match="sigma must be > 0, got -1.0"):
        GaussianLikelihood(-1.0)
    with pytest.raises(DomainError, match=r"integer class labels in \[0, 3\)"):
        SupervisedModel(linear_model(2, 3), "categorical").loss(np.zeros(9), X, [0, 1, 3, 0])
    with pytest.raises(ValueError, match="1 output"):
        SupervisedModel(linear_model(2, 2), "bernoulli")
    with pytest.raises(ValueError, match="likelihood must be one of"):
        SupervisedModel(linear_model(2, 1), "poisson")
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP((2, 1), "gelu")
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP((2, 1), "identity")          # one name per activation: "linear"
    with pytest.raises(DomainError, match="step_size"):
        descend(model, theta, X, y, step_size=0.0)


def test_labels_accept_column_shapes_and_likelihood_reprs():
    model = SupervisedModel(linear_model(2, 1), "gaussian")
    theta, X, y = np.array([1.0, 2.0, 0.5]), np.eye(2), np.array([1.0, -1.0])
    assert model.loss(theta, X, y) == model.loss(theta, X, y[:, None])
    assert repr(BernoulliLikelihood()) == "BernoulliLikelihood()"
    assert isinstance(likelihood_from_name("softmax"), CategoricalLikelihood)
