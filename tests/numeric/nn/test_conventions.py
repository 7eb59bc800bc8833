"""One network convention for numeric.nn.supervised, numeric.nn.blocks and symbolic.neuron.

The same network (numeric.nn.mlp.MLP: layers (n_out, n_in + 1), bias last, theta row by row)
must have the same Fisher in every module, entry by entry: no permutation, no factor N. The
two numeric routes are written differently (supervised: the full per-sample Jacobian and the
sandwich J^T Lambda J; blocks: per-layer Jacobians of the top pre-activation and weighted
Gram kernels); the symbolic neuron is an exact sympy derivation. Where K-FAC is exact (one
sample, or a linear Gaussian layer: Martens & Grosse 2015, sec. 3) it must agree too.
"""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from numeric.nn import blocks as B
from numeric.nn.activations import ACTIVATIONS
from numeric.nn.mlp import MLP, linear_model
from numeric.nn.supervised import GaussianLikelihood, SupervisedModel
from symbolic.neuron import neuron_rfim
from tests.support import examples


@st.composite
def networks(draw, n_samples=(1, 6)):
    """A random MLP, a likelihood ("gaussian" or "categorical"), theta and inputs."""
    likelihood = draw(st.sampled_from(["gaussian", "categorical"]))
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    n_out = draw(st.integers(2, 3)) if likelihood == "categorical" else draw(st.integers(1, 2))
    net = MLP((n_in, *hidden, n_out), draw(st.sampled_from(ACTIVATIONS)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    theta = rng.normal(size=net.n_params)
    X = rng.normal(size=(draw(st.integers(*n_samples)), n_in))
    sigma = draw(st.sampled_from([0.5, 1.0, 2.0]))
    return net, likelihood, theta, X, sigma


def _supervised(net, likelihood, sigma):
    lik = GaussianLikelihood(sigma) if likelihood == "gaussian" else "categorical"
    return SupervisedModel(net, lik)


def _block_activations(net, likelihood):
    # blocks writes the categorical output as a softmax last layer over the same logits
    acts = list(net.activations)
    if likelihood == "categorical":
        acts[-1] = "softmax"
    return acts


def _layer_slices(net):
    return [slice(o, o + r * c) for o, (r, c) in zip(net.offsets(), net.shapes, strict=True)]


@examples(25, deadline=None)
@given(networks(), st.sampled_from(["mean", "sum"]))
def test_supervised_fisher_and_fisher_blocks_agree_entry_by_entry(problem, reduction):
    net, likelihood, theta, X, sigma = problem
    F = _supervised(net, likelihood, sigma).fisher(theta, X, reduction=reduction)
    blocks = B.fisher_blocks(net.unflatten(theta), X, _block_activations(net, likelihood), sigma=sigma,
                             reduction=reduction)
    scale = np.abs(F).max() + 1e-300
    for sl, Fl in zip(_layer_slices(net), blocks, strict=True):
        np.testing.assert_allclose(Fl / scale, F[sl, sl] / scale, rtol=0, atol=1e-12)


@examples(15, deadline=None)
@given(networks())
def test_reductions_differ_by_exactly_n(problem):
    net, likelihood, theta, X, sigma = problem
    N = X.shape[0]
    model = _supervised(net, likelihood, sigma)
    np.testing.assert_allclose(model.fisher(theta, X, reduction="sum"), N * model.fisher(theta, X),
                               rtol=1e-13, atol=1e-300)
    acts = _block_activations(net, likelihood)
    for s, m in zip(B.fisher_blocks(net.unflatten(theta), X, acts, sigma=sigma, reduction="sum"),
                    B.fisher_blocks(net.unflatten(theta), X, acts, sigma=sigma), strict=True):
        np.testing.assert_allclose(s, N * m, rtol=1e-13, atol=1e-300)


@examples(15, deadline=None)
@given(networks(n_samples=(1, 1)), st.sampled_from(["mean", "sum"]))
def test_kfac_is_the_exact_fisher_block_for_one_sample(problem, reduction):
    """With one sample E[g g^T (x) a a^T] = E[g g^T] (x) E[a a^T] exactly."""
    net, likelihood, theta, X, sigma = problem
    F = _supervised(net, likelihood, sigma).fisher(theta, X, reduction=reduction)
    factors = B.kfac_factors(net.unflatten(theta), X, _block_activations(net, likelihood), sigma=sigma,
                             reduction=reduction)
    scale = np.abs(F).max() + 1e-300
    for sl, (A, G) in zip(_layer_slices(net), factors, strict=True):
        np.testing.assert_allclose(np.kron(G, A) / scale, F[sl, sl] / scale, rtol=0, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_kfac_rfim_and_fisher_agree_on_a_linear_gaussian_layer(reduction):
    """A linear layer under Gaussian noise: Fisher = I (x) E[x~ x~^T] / sigma^2 (Sun & Nielsen
    2017 sec. 3.2) = K-FAC = the per-neuron RFIM blocks, for any number of samples.
    """
    rng = np.random.default_rng(11)
    net, sigma = linear_model(3, 2), 0.7
    theta, X = rng.normal(size=net.n_params), rng.normal(size=(9, 3))
    F = SupervisedModel(net, GaussianLikelihood(sigma)).fisher(theta, X, reduction=reduction)
    Xt = np.column_stack([X, np.ones(9)])
    closed = np.kron(np.eye(2), Xt.T @ Xt / sigma**2) / (9 if reduction == "mean" else 1)
    np.testing.assert_allclose(F, closed, rtol=1e-13)
    Ws = net.unflatten(theta)
    A, G = B.kfac_factors(Ws, X, ["linear"], sigma=sigma, reduction=reduction)[0]
    np.testing.assert_allclose(np.kron(G, A), F, rtol=1e-13)
    rfim = B.rfim_blocks(Ws, X, ["linear"], "gaussian", sigma=sigma, reduction=reduction)[0]
    np.testing.assert_allclose(B.block_diag(rfim), F, rtol=1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_logistic_neuron_rfim_is_the_fisher_of_logistic_regression(reduction):
    """A sigmoid neuron with Bernoulli output is logistic regression on the logit h = w.x~."""
    rng = np.random.default_rng(12)
    net = linear_model(2, 1)
    theta, X = rng.normal(size=net.n_params), rng.normal(size=(7, 2))
    F = SupervisedModel(net, "bernoulli").fisher(theta, X, reduction=reduction)
    G = B.neuron_blocks(net.unflatten(theta)[0], X, "sigmoid", "bernoulli", reduction=reduction)
    np.testing.assert_allclose(G[0], F, rtol=1e-13)


VALID_PAIRS = [("linear", "gaussian"), ("tanh", "symmetric"), ("tanh", "gaussian"), ("sigmoid", "bernoulli"),
               ("sigmoid", "symmetric"), ("relu", "gaussian"), ("prelu", "gaussian"), ("elu", "gaussian"),
               ("softplus", "gaussian")]


@pytest.mark.parametrize("act,noise", VALID_PAIRS)
def test_symbolic_neuron_rfim_equals_the_numeric_block(act, noise):
    """symbolic.neuron.neuron_rfim at numeric inputs, evaluated at numeric weights, is the
    numeric block of one neuron and one sample, in the same coordinate order (w1..wd, b).
    """
    x = [sp.Rational(1, 2), sp.Rational(-3, 2)]
    w = np.array([0.3, -0.7, 0.2])             # (w1, w2, b): the row of W, bias last
    sigma = sp.Rational(3, 2) if noise == "gaussian" else None
    kw = {"slope": sp.Rational(1, 4), "alpha": sp.Rational(3, 2)}
    r = neuron_rfim(act, noise, 2, x=x, sigma=sigma, **kw)
    exact = np.array(r.metric.subs(dict(zip(r.coordinates, [sp.Float(v, 30) for v in w], strict=True)))
                     .evalf(30), dtype=float)
    numeric = B.neuron_blocks(w[None, :], np.array([[0.5, -1.5]]), act, noise,
                              sigma=1.5, slope=0.25, alpha=1.5)[0]
    np.testing.assert_allclose(numeric, exact, rtol=1e-13, atol=1e-300)
