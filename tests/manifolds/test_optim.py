"""The optimisers on catalog manifolds (manifolds.optim and the methods of a manifold): each
result is checked against a closed form, scipy, an identity between two methods, or a status.
"""
import math
import zlib

import numpy as np
import pytest
import scipy.optimize
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from manifolds import (
    Bernoulli,
    Binomial,
    Categorical,
    Dirichlet,
    DomainError,
    Exponential,
    Gamma,
    Normal,
    NormalMean,
    Poisson,
)
from manifolds.optim import (
    OptimizationError,
    OptimizationStatus,
    SingularMatrixError,
    fisher_scoring,
    mirror_descent,
    natural_gradient_descent,
    natural_gradient_flow,
)
from symbolic.errors import DerivationError
from tests.catalog_points import NAMES, build, scipy_law
from tests.support import examples


# ------------------------------------------------------------ mirror descent = NGD in eta
def _eta_loss(M, target):
    eta = M.model.eta
    return sum((e - sp.nsimplify(t)) ** 2 for e, t in zip(eta, target, strict=True)) + sp.Rational(1, 10) * eta[0] ** 4


MIRROR_CASES = [
    (Normal, (), (0.3, 1.5), (1.0, 3.0), 0.05),
    (Poisson, (), (1.0,), (3.0,), 0.05),
    (Bernoulli, (), (0.5,), (0.3,), 0.5),
    (Categorical, (3,), (0.2, 0.3), (0.4, 0.4), 0.5),
    (Exponential, (), (1.5,), (2.0,), 0.05),
]


@pytest.mark.parametrize("cls, args, x0, target, lr", MIRROR_CASES, ids=lambda v: getattr(v, "__name__", None))
def test_mirror_descent_is_natural_gradient_descent_in_expectation_chart(cls, args, x0, target, lr):
    M = cls(*args)
    loss = _eta_loss(M, target)
    md = mirror_descent(M, loss, x0, lr, 25, throw=True)
    E = M.in_chart("expectation")
    ngd = natural_gradient_descent(E, loss, md.duals[0], lr, 25, throw=True)
    assert md.ok and ngd.ok
    np.testing.assert_allclose(md.duals, ngd.xs, rtol=0, atol=1e-10)
    # the iterates move: the identity is not trivially satisfied by a stalled run
    assert np.max(np.abs(md.duals[-1] - md.duals[0])) > 1e-2
    # primal iterates are the natural parameters of the dual ones, and valid points
    for xi in md.extras["coordinates"]:
        M.validate(xi)


def test_mirror_descent_callable_gradient_matches_expression():
    M = Poisson()
    eta, = M.model.eta
    by_expr = mirror_descent(M, (eta - 3) ** 2, [1.0], 0.05, 10)
    by_grad = mirror_descent(M, lambda th: 2 * np.exp(th) * (np.exp(th) - 3), [1.0], 0.05, 10)
    np.testing.assert_allclose(by_expr.xs, by_grad.xs, rtol=0, atol=1e-13)


def test_mirror_descent_without_closed_form_dual_uses_newton():
    M = Gamma()                      # no closed-form theta(eta)
    eta = M.model.eta
    loss = (eta[0] - 0.2) ** 2 + (eta[1] - 2.0) ** 2
    path = mirror_descent(M, loss, [2.0, 1.5], 0.05, 10, throw=True)
    theta = path.xs
    a, b = theta[:, 0] + 1, -theta[:, 1]
    from scipy.special import digamma
    # grad F(theta) = (E log x, E x) = (digamma(a) - log b, a / b)
    np.testing.assert_allclose(np.stack([digamma(a) - np.log(b), a / b], axis=1), path.duals,
                               rtol=0, atol=1e-10)


# ------------------------------------------------------------------ invariance in charts
def _charts():
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    L = M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s])
    N = M.in_chart("natural")
    to_ms = {
        "mu_sigma": lambda y: y,
        "natural": lambda y: np.stack([-y[..., 0] / (2 * y[..., 1]), np.sqrt(-1 / (2 * y[..., 1]))], axis=-1),
        "log": lambda y: np.stack([y[..., 0], np.exp(y[..., 1])], axis=-1),
    }
    from_ms = {
        "mu_sigma": lambda x: np.asarray(x, float),
        "natural": lambda x: np.array([x[0] / x[1] ** 2, -1 / (2 * x[1] ** 2)]),
        "log": lambda x: np.array([x[0], np.log(x[1])]),
    }
    kl = sp.log(sigma / sp.Rational(4, 5)) + (sp.Rational(16, 25) + (mu - sp.Rational(1, 2)) ** 2) / (2 * sigma**2)
    charts = {"mu_sigma": M, "natural": N, "log": L}
    losses = {k: kl if k == "mu_sigma" else kl.xreplace(dict(zip((mu, sigma), C.model.chart_of[1], strict=True)))
              for k, C in charts.items()}
    return charts, losses, to_ms, from_ms


def test_natural_gradient_flow_is_chart_invariant():
    charts, losses, to_ms, from_ms = _charts()
    x0 = (-1.0, 2.0)
    curves = {k: to_ms[k](natural_gradient_flow(C, losses[k], from_ms[k](x0), 3.0, t_eval=31, throw=True).xs)
              for k, C in charts.items()}
    t = np.linspace(0, 3, 31)
    e1 = 0.5 + (x0[0] - 0.5) * np.exp(-t)
    e2 = 0.89 + (x0[0] ** 2 + x0[1] ** 2 - 0.89) * np.exp(-t)
    exact = np.stack([e1, np.sqrt(e2 - e1**2)], axis=-1)
    for k, xs in curves.items():
        assert np.max(np.abs(xs - exact)) < 1e-8, k
    # the plain gradient flow depends on the chart
    gd = [to_ms[k](natural_gradient_flow(charts[k], losses[k], from_ms[k](x0), 3.0, t_eval=31,
                                         metric="euclidean").xs) for k in ("mu_sigma", "log")]
    assert np.max(np.abs(gd[0] - gd[1])) > 0.1


def test_discrete_steps_differ_by_lr_squared():
    charts, losses, to_ms, from_ms = _charts()
    x0 = (-1.0, 2.0)
    lrs = np.logspace(-3, -1, 5)
    gaps = []
    for lr in lrs:
        ends = {k: to_ms[k](natural_gradient_descent(C, losses[k], from_ms[k](x0), lr, 1).x)
                for k, C in charts.items()}
        gaps.append(max(np.max(np.abs(ends[k] - ends["mu_sigma"])) for k in ("natural", "log")))
    slope = np.polyfit(np.log(lrs), np.log(gaps), 1)[0]
    assert 1.9 < slope < 2.1, (slope, gaps)


# ---------------------------------------------------------------------- Fisher scoring
def _sample(name, point, constants, n, rng):
    law = scipy_law(name, point, constants)
    x = law.rvs(size=n, random_state=rng)
    if name == "Categorical(3)":
        x = np.argmax(x, axis=1) + 1.0
    return np.asarray(x, dtype=float)


def _closed_form_mle(name, x, constants):
    if name in ("Normal",):
        return [x.mean(), x.std()]
    if name in ("Poisson", "NormalMean", "Bernoulli"):
        return [x.mean()]
    if name == "Binomial":
        return [x.mean() / constants["n"]]
    if name == "Geometric":
        return [1 / (1 + x.mean())]
    if name == "Exponential":
        return [1 / x.mean()]
    if name == "Categorical(3)":
        return [np.mean(x == 1), np.mean(x == 2)]
    if name == "LogNormal":
        return [np.log(x).mean(), np.log(x).std()]
    if name == "InverseGaussian":
        m = x.mean()
        return [m, 1 / np.mean(1 / x - 1 / m)]
    if name == "Laplace":
        return [np.median(x)]
    if name == "MultivariateNormal(2)":
        m = x.mean(axis=0)
        S = np.cov(x.T, bias=True)
        return [m[0], m[1], S[0, 0], S[1, 0], S[1, 1]]
    return None


@pytest.mark.parametrize("name", NAMES)
def test_fisher_scoring_reaches_mle(name):
    M = build(name)
    constants = {k.name: float(v) for k, v in M.model.constants.items()}
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    truth = M.random_point(rng)
    n = 401                                      # odd: the Laplace MLE (median) is unique
    x = _sample(name, truth, constants, n, rng)
    start = M.random_point(rng)
    try:
        path = fisher_scoring(M, x, start, max_steps=200)
    except DerivationError as exc:               # pragma: no cover - none of the catalog today
        pytest.skip(f"{name}: log-density not compilable: {exc}")
    assert path.ok, path.message
    est = np.asarray(path.x)
    expected = _closed_form_mle(name, x, constants)

    def nll(p):
        try:
            M.validate(p)
        except DomainError:
            return np.inf
        law = scipy_law(name, p, constants)
        xx = x if name != "Categorical(3)" else np.eye(3)[x.astype(int) - 1]
        f = law.logpmf if hasattr(law, "logpmf") else law.logpdf
        if name == "Dirichlet(3)":
            return -np.sum(law.logpdf(x.T))
        return -np.sum(f(xx))

    if expected is not None:
        np.testing.assert_allclose(est, expected, rtol=1e-7, atol=1e-8 if name != "Laplace" else 1e-6)
    else:
        ref = scipy.optimize.minimize(nll, np.asarray(truth), method="Nelder-Mead",
                                      options=dict(xatol=1e-10, fatol=1e-12, maxiter=20000))
        assert nll(est) <= ref.fun + 1e-8, (est, ref.x)
        if name == "VonMises":
            ref_x = ref.x.copy()
            ref_x[0] = est[0] + np.angle(np.exp(1j * (ref_x[0] - est[0])))
        else:
            ref_x = ref.x
        np.testing.assert_allclose(est, ref_x, rtol=1e-4)
    assert path.values[-1] >= path.values[0]


# ----------------------------------------------------------------------------- bad input
def test_singular_metric_needs_damping_or_pinv():
    M = Normal()
    mu, sigma = M.coordinates
    a, b = sp.symbols("a b", real=True)
    s = sp.Symbol("s", positive=True)
    over = M.reparametrize({mu: a + b, sigma: s}, [a, b, s])     # metric of rank 2 in 3 coordinates
    loss = (a + b - 1) ** 2 + (s - 1) ** 2
    with pytest.raises(SingularMatrixError, match="damping > 0 or method='pinv'"):
        natural_gradient_descent(over, loss, [0.0, 0.0, 2.0], 0.1, 5)
    pinv = natural_gradient_descent(over, loss, [0.0, 0.0, 2.0], 0.3, 100, method="pinv")
    damped = natural_gradient_descent(over, loss, [0.0, 0.0, 2.0], 0.3, 100, damping=1e-3)
    for path in (pinv, damped):
        assert path.ok
        a_, b_, s_ = path.x
        assert abs(a_ + b_ - 1) < 1e-6 and abs(s_ - 1) < 1e-6
    # the pseudo-inverse moves only along the metric's range: a - b stays 0
    assert abs(pinv.x[0] - pinv.x[1]) < 1e-12


def test_non_finite_gradient_stops_with_status():
    M = Normal()
    calls = []

    def gradient(x):
        calls.append(x)
        return np.array([np.nan, 0.0]) if len(calls) == 3 else np.array([1.0, 0.0])

    path = natural_gradient_descent(M, gradient, [0.0, 1.0], 0.1, 10)
    assert path.status == OptimizationStatus.NON_FINITE
    assert path.n_steps == 2
    assert "step 3" in path.message and "gradient is not finite (entries [0])" in path.message
    assert "x = [-0.2, 1]" in path.message
    calls.clear()
    with pytest.raises(OptimizationError, match="step 3"):
        natural_gradient_descent(M, gradient, [0.0, 1.0], 0.1, 10, throw=True)


def test_step_leaving_domain_is_not_taken():
    M = Exponential()
    lam, = M.coordinates
    path = natural_gradient_descent(M, lam, [1.0], 2.0, 5)      # natural gradient lam**2: 1 - 2 < 0
    assert path.status == OptimizationStatus.LEFT_DOMAIN and path.n_steps == 0
    assert "outside the domain" in path.message and "backtrack" in path.message
    np.testing.assert_array_equal(path.x, [1.0])
    back = natural_gradient_descent(M, lam, [1.0], 2.0, 5, backtrack=4)
    assert back.ok and np.all(back.xs > 0) and back.step_sizes[0] == 0.5
    with pytest.raises(DomainError, match="lam must be > 0"):
        natural_gradient_descent(M, lam, [-1.0], 0.1, 5)


def test_flow_stops_at_domain_boundary():
    M = Normal()
    mu, sigma = M.coordinates
    flow = natural_gradient_flow(M, sigma, [0.0, 1.0], 3.0, metric="euclidean")   # sigma' = -1
    assert flow.status == OptimizationStatus.LEFT_DOMAIN
    assert abs(flow.t_stop - 1.0) < 1e-6
    assert np.isnan(flow.xs[-1]).all()
    # the natural-gradient flow of the same loss, sigma' = -sigma**2/2, stays inside
    ngf = natural_gradient_flow(M, sigma, [0.0, 1.0], 3.0)
    assert ngf.ok and abs(ngf.x[1] - 1 / (1 + 1.5)) < 1e-9


def test_mirror_descent_leaving_dual_domain():
    M = Bernoulli()
    eta, = M.model.eta
    path = mirror_descent(M, -eta, [0.5], 4.0, 3)     # eta = 0.5 + 4 * 0.25 > 1: not a probability
    assert path.status == OptimizationStatus.LEFT_DOMAIN and path.n_steps == 0
    assert "image of grad F" in path.message
    assert mirror_descent(M, -eta, [0.5], 4.0, 3, backtrack=5).ok


def test_bad_arguments():
    M = Normal()
    mu, sigma = M.coordinates
    with pytest.raises(ValueError, match="expression in the coordinates"):
        natural_gradient_descent(M, sp.Symbol("z") * mu, [0.0, 1.0], 0.1, 1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        natural_gradient_descent(M, mu**2, [0.0, 1.0], -0.1, 1)
    with pytest.raises(ValueError, match="not an exponential family"):
        mirror_descent(build("Cauchy"), sp.Integer(0), [0.0, 1.0], 0.1, 1)
    with pytest.raises(ValueError, match="data of Normal must have shape"):
        fisher_scoring(M, np.ones((3, 2)), [0.0, 1.0])
    with pytest.raises(ValueError, match="metric must be"):
        natural_gradient_flow(M, mu**2, [0.0, 1.0], 1.0, metric="flat")


# ------------------------------------------- finding: non-finite runs reported as SUCCESS
def test_descent_with_loss_undefined_at_start_is_non_finite():
    M = NormalMean(1)
    mu, = M.coordinates
    path = natural_gradient_descent(M, sp.log(mu) + mu**2, [-1.0], 0.1, 5)
    # log(-1) is NaN although the gradient 1/mu + 2 mu = -3 is finite: before the fix the run
    # took five steps through NaN losses and reported SUCCESS
    assert path.status == OptimizationStatus.NON_FINITE and path.n_steps == 0
    assert "loss is not finite at the start" in path.message and "x0 = [-1]" in path.message
    with pytest.raises(OptimizationError, match="loss is not finite"):
        natural_gradient_descent(M, sp.log(mu) + mu**2, [-1.0], 0.1, 5, throw=True)


def test_descent_never_steps_to_an_undefined_loss():
    M = NormalMean(1)
    mu, = M.coordinates
    loss = mu - sp.log(mu)             # natural gradient 1 - 1/mu (the metric is 1); minimum at 1
    path = natural_gradient_descent(M, loss, [3.0], 6.0, 3)    # 3 - 6 * 2/3 = -1: log undefined
    assert path.status == OptimizationStatus.NON_FINITE and path.n_steps == 0
    assert "would reach x = [-1], which has the loss nan" in path.message
    back = natural_gradient_descent(M, loss, [3.0], 6.0, 3, backtrack=1)   # 3 - 3 * 2/3 = 1
    assert back.status == OptimizationStatus.SUCCESS and back.step_sizes[0] == 3.0
    np.testing.assert_allclose(back.xs[:, 0], [3.0, 1.0, 1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(back.values, back.xs[:, 0] - np.log(back.xs[:, 0]), rtol=1e-15)


def test_flow_with_loss_undefined_at_start_is_non_finite():
    M = NormalMean(1)
    mu, = M.coordinates
    flow = natural_gradient_flow(M, sp.log(mu) + mu**2, [-1.0], 1.0)
    assert flow.status == OptimizationStatus.NON_FINITE and flow.t_stop == 0.0
    assert flow.n_evaluations == 1 and np.isnan(flow.xs[-1]).all()


def test_flow_stops_where_the_loss_becomes_undefined():
    M = NormalMean(1)
    mu, = M.coordinates
    # L = log(mu + 1): gradient 1/(mu + 1), flow mu' = -1/(mu + 1) reaches mu = -1 at t = 1/2
    # from mu = 0, and the loss is undefined beyond: the run must stop there, not succeed
    flow = natural_gradient_flow(M, sp.log(mu + 1), [0.0], 2.0, t_eval=5)
    assert flow.status == OptimizationStatus.NON_FINITE
    assert 0.3 < flow.t_stop <= 0.5
    exact = -1 + np.sqrt(np.clip(1 - 2 * flow.t, 0, None))       # (mu + 1)^2 = 1 - 2t
    reached = flow.t <= flow.t_stop
    np.testing.assert_allclose(flow.xs[reached, 0], exact[reached], atol=1e-8)
    assert np.isnan(flow.xs[~reached]).all()


def test_mirror_descent_with_loss_undefined_at_start_is_non_finite():
    M = Poisson()
    eta, = M.model.eta
    path = mirror_descent(M, sp.log(eta - 5), [1.0], 0.1, 5)     # log(-4)
    assert path.status == OptimizationStatus.NON_FINITE and path.n_steps == 0
    assert "loss is not finite" in path.message
    # grad_theta E = eta / (eta - 5): from eta = 6 the steps go to 6 - 0.6 = 5.4 and then to
    # 5.4 - 1.35 = 4.05, a valid Poisson mean where the loss log(-0.95) is undefined
    far = mirror_descent(M, sp.log(eta - 5), [6.0], 0.1, 20)
    assert far.status == OptimizationStatus.NON_FINITE and "has the loss nan" in far.message
    np.testing.assert_allclose(far.duals[:, 0], [6.0, 5.4], rtol=1e-14)
    np.testing.assert_allclose(far.values, np.log(far.duals[:, 0] - 5), rtol=1e-12)


# -------------------------------------------------- finding: data outside the sample space
@pytest.mark.parametrize("M, data, shown", [
    (Exponential(), [0.5, -1.0, 2.0], "x in (0, oo)"),
    (Bernoulli(), [0, 2, 1], "x in {0, 1}"),
    (Poisson(), [1.5, 2.0], "x in {0, 1, ..., oo}"),
    (Binomial(4), [1, 5], "x in {0, 1, 2, 3, 4}"),
    (Binomial().with_constants(n=10), [3, 11], "x in {0, 1, ..., n}"),   # n symbolic, bound to 10
    (Categorical(3), [1, 2, 0], "x in {1, 2, 3}"),
    (Dirichlet(3), [[0.2, 0.3, 0.5], [0.2, 0.3, 0.6]], "in the simplex"),
    (Normal(), [0.0, np.inf], "must be finite"),
], ids=lambda v: getattr(v, "name", None))
def test_fisher_scoring_refuses_data_outside_the_sample_space(M, data, shown):
    with pytest.raises(DomainError, match="data") as info:
        fisher_scoring(M, data, M.random_point(np.random.default_rng(0)))
    assert shown in str(info.value)


def test_fisher_scoring_accepts_the_edges_of_a_discrete_sample_space():
    path = fisher_scoring(Binomial().with_constants(n=10), [0, 10, 5, 5], [0.3])
    assert path.ok and abs(path.x[0] - 0.5) < 1e-12


def test_fisher_scoring_refuses_data_of_the_wrong_type():
    with pytest.raises(TypeError, match="data"):
        fisher_scoring(Poisson(), "1 2 3", [1.0])


# --------------------------------------------------------------- finding: no MLE exists
@pytest.mark.parametrize("M, data, x0, coordinate", [
    (Normal(), [2.0] * 5, [0.0, 1.0], 1),            # sigma -> 0
    (Normal(), [-0.5], [1.0, 2.0], 1),               # one observation
    (Bernoulli(), [0, 0, 0], [0.5], 0),              # p -> 0
    (Bernoulli(), [1, 1], [0.5], 0),                 # p -> 1
    (Poisson(), [0, 0, 0, 0], [2.0], 0),             # lam -> 0
    (Categorical(3), [1, 1, 2], [0.3, 0.3], None),   # p3 -> 0
], ids=lambda v: getattr(v, "name", None))
def test_fisher_scoring_reports_no_mle(M, data, x0, coordinate):
    path = fisher_scoring(M, data, x0)
    assert path.status == OptimizationStatus.NO_MLE, path.message
    assert "maximum-likelihood estimate does not exist" in path.message
    # the log-likelihood rose all the way: the run went to the boundary, it did not stall
    assert np.all(np.diff(path.values) >= 0) and path.values[-1] > path.values[0]
    if coordinate is not None and M.name == "Normal":
        assert path.x[coordinate] < 1e-8
    with pytest.raises(OptimizationError, match="does not exist"):
        fisher_scoring(M, data, x0, throw=True)


@examples(20)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=40))
def test_fisher_scoring_poisson_is_the_mean_or_no_mle(counts):
    path = fisher_scoring(Poisson(), counts, [1.0])
    if sum(counts) == 0:
        assert path.status == OptimizationStatus.NO_MLE
    else:
        assert path.ok, path.message
        assert abs(path.x[0] - np.mean(counts)) <= 1e-9 * np.mean(counts)


@examples(20)
@given(st.floats(-50, 50), st.integers(1, 30))
def test_fisher_scoring_identical_normal_observations_have_no_mle(value, n):
    assert fisher_scoring(Normal(), [value] * n, [0.0, 1.0]).status == OptimizationStatus.NO_MLE


# ------------------------------------------------ laws: closed forms and chart invariance
@examples(20)
@given(st.floats(0.2, 10.0), st.floats(0.01, 0.99), st.integers(1, 25))
def test_kl_descent_in_expectation_chart_is_the_closed_form_mirror_descent(eta0, lr, steps):
    # KL(Poisson(2) || Poisson(eta)) = eta - 2 log eta + const; its natural gradient in the
    # expectation chart is eta - 2, so both methods give eta_k = 2 + (1 - lr)^k (eta0 - 2)
    M = Poisson()
    eta, = M.model.eta
    E = M.in_chart("expectation")
    e, = E.coordinates
    exact = 2 + (1 - lr) ** np.arange(steps + 1) * (eta0 - 2)
    ngd = natural_gradient_descent(E, e - 2 * sp.log(e), [eta0], lr, steps, throw=True)
    md = mirror_descent(M, eta - 2 * sp.log(eta), [eta0], lr, steps, throw=True)
    np.testing.assert_allclose(ngd.xs[:, 0], exact, rtol=1e-12)
    np.testing.assert_allclose(md.duals[:, 0], exact, rtol=1e-12)
    np.testing.assert_allclose(md.values, exact - 2 * np.log(exact), rtol=1e-12, atol=1e-12)


@examples(20)
@given(st.floats(-2.0, 2.0), st.floats(0.3, 3.0), st.floats(0.05, 0.95))
def test_normal_kl_mirror_descent_matches_closed_form(mu0, sigma0, lr):
    # KL(N(0.5, 0.8) || p_theta) = F(theta) - theta . eta* + const: the mirror step on
    # eta = grad F is eta - lr (eta - eta*), so eta_k = eta* + (1 - lr)^k (eta_0 - eta*)
    M = Normal()
    e1, e2 = M.model.eta
    m, s = sp.Rational(1, 2), sp.Rational(4, 5)
    var = e2 - e1**2
    kl = sp.log(sp.sqrt(var) / s) + (s**2 + (e1 - m) ** 2) / (2 * var) - sp.Rational(1, 2)
    path = mirror_descent(M, kl, [mu0, sigma0], lr, 12, throw=True)
    star = np.array([0.5, 0.25 + 0.64])
    k = np.arange(13)[:, None]
    exact = star + (1 - lr) ** k * (np.array([mu0, mu0**2 + sigma0**2]) - star)
    np.testing.assert_allclose(path.duals, exact, rtol=1e-10, atol=1e-12)


@pytest.mark.slow
@examples(10)
@given(st.floats(-2.0, 2.0), st.floats(0.3, 3.0))
def test_natural_gradient_flow_is_the_same_curve_in_every_chart(mu0, sigma0):
    charts, losses, to_ms, from_ms = _charts()
    t = np.linspace(0, 2, 9)
    e1 = 0.5 + (mu0 - 0.5) * np.exp(-t)
    e2 = 0.89 + (mu0**2 + sigma0**2 - 0.89) * np.exp(-t)
    exact = np.stack([e1, np.sqrt(e2 - e1**2)], axis=-1)
    for k, C in charts.items():
        flow = natural_gradient_flow(C, losses[k], from_ms[k]((mu0, sigma0)), 2.0, t_eval=t, throw=True)
        np.testing.assert_allclose(to_ms[k](flow.xs), exact, rtol=0, atol=1e-7, err_msg=k)


# ------------------------------------------------------------------ methods of a manifold
def test_manifold_methods_are_the_functions():
    M = Normal()
    mu, sigma = M.coordinates
    loss = (mu - 1) ** 2 + sp.log(sigma) + 1 / (2 * sigma**2)
    a = M.natural_gradient_descent(loss, [0.0, 2.0], 0.2, 7, backtrack=2)
    b = natural_gradient_descent(M, loss, [0.0, 2.0], 0.2, 7, backtrack=2)
    np.testing.assert_array_equal(a.xs, b.xs)
    f, g = M.natural_gradient_flow(loss, [0.0, 2.0], 1.0), natural_gradient_flow(M, loss, [0.0, 2.0], 1.0)
    np.testing.assert_array_equal(f.xs, g.xs)
    data = [0.1, -0.3, 1.2]
    np.testing.assert_array_equal(M.fisher_scoring(data, [0.0, 1.0]).x, fisher_scoring(M, data, [0.0, 1.0]).x)
    e1, e2 = M.model.eta
    np.testing.assert_array_equal(M.mirror_descent((e1 - 1) ** 2, [0.0, 1.0], 0.1, 3).duals,
                                  mirror_descent(M, (e1 - 1) ** 2, [0.0, 1.0], 0.1, 3).duals)


def test_flow_limits_on_a_manifold():
    M = Normal()
    mu, sigma = M.coordinates
    loss = (mu - 1) ** 2 + sp.log(sigma) + 1 / (2 * sigma**2)
    flow = natural_gradient_flow(M, loss, [0.0, 2.0], 1e300, max_steps=20)
    assert flow.status == OptimizationStatus.MAX_STEPS and flow.n_steps == 20
    assert math.isfinite(flow.t_stop) and "max_steps" in flow.message
