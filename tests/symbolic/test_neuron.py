"""Stochastic neurons and layers (symbolic/neuron.py, manifolds/neuron.py).

Reference: K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for
learning large modular models", ICML 2017 (sec. 3.1-3.3), cited below as [SN17].
"""
import itertools

import numpy as np
import pytest
import sympy as sp

from manifolds.neuron import Neuron
from numeric.nn import blocks
from symbolic.fisher import fisher_metric
from symbolic.neuron import (
    NOISES,
    H,
    activation,
    empirical_rfim,
    layer_rfim,
    linear_layer_rfim,
    neuron_model,
    neuron_nu,
    neuron_rfim,
    rfim_table,
    softmax_model,
    softmax_rfim,
    two_layer_rfim,
    typical_constants,
)

# (activation, noise, options) pairs whose noise model the activation's range allows
VALID = [
    ("linear", "gaussian", {}),
    ("tanh", "symmetric", {}),
    ("tanh", "gaussian", {}),
    ("sigmoid", "bernoulli", {}),
    ("sigmoid", "symmetric", {}),
    ("sigmoid", "gaussian", {}),
    ("relu", "gaussian", {}),
    ("prelu", "gaussian", {"slope": sp.Rational(1, 4)}),
    ("elu", "gaussian", {"alpha": sp.Rational(3, 2)}),
    ("softplus", "gaussian", {}),
]


def _sigma(noise):
    return sp.Rational(13, 10) if noise == "gaussian" else None


# -- the table of [SN17] sec. 3.1 ------------------------------------------------------------


@pytest.mark.slow
def test_table_lines_that_match():
    rows = {(r.activation, r.noise): r for r in rfim_table()}
    matching = {k for k, r in rows.items() if r.matches}
    # [SN17] sec. 3.1: "tanh: nu = sech^2(w.x~)" is the symmetric +-1 output;
    # "sigm: nu = sigm (1 - sigm)" the Bernoulli {0, 1} output;
    # PReLU/ReLU "[iota + (1 - iota) sigm((1 - iota) h / omega)]^2" the Gaussian (sigma = 1)
    # output of the smooth activation; ELU "1 (h >= 0), alpha^2 exp(2h) (h < 0)" Gaussian, sigma = 1.
    assert matching == {("tanh", "symmetric"), ("sigmoid", "bernoulli"), ("relu (smooth)", "gaussian"),
                        ("prelu (smooth)", "gaussian"), ("elu", "gaussian")}
    # the same activations under the other noise models differ from the printed line
    assert rows[("tanh", "gaussian")].matches is False
    assert sp.simplify(rows[("tanh", "gaussian")].nu - sp.sech(H) ** 4) == 0
    assert rows[("sigmoid", "gaussian")].matches is False
    assert rows[("relu", "gaussian")].matches is False          # exact step, not the smooth value
    assert rows[("prelu", "gaussian")].matches is False
    assert rows[("linear", "gaussian")].matches is None
    # with sigma != 1 the Gaussian lines no longer match
    assert not any(r.matches for r in rfim_table(sigma=2) if r.noise == "gaussian")


def test_tanh_symmetric_is_sech_squared():
    # [SN17] sec. 3.1, tanh line
    assert sp.simplify((neuron_nu("tanh", "symmetric") - sp.sech(H) ** 2).rewrite(sp.exp)) == 0


@pytest.mark.slow
def test_smooth_prelu_tends_to_exact():
    iota = sp.Rational(1, 4)
    smooth = neuron_nu("prelu", "gaussian", 1, slope=iota, omega=sp.Rational(1, 200))
    exact = neuron_nu("prelu", "gaussian", 1, slope=iota)
    for h in (-2.0, -0.3, 0.4, 1.5):
        assert float(smooth.subs(H, h)) == pytest.approx(float(exact.subs(H, h)), abs=1e-12)


# -- the generic derivation of the model agrees with nu x~ x~^T -----------------------------

GENERIC = [
    ("tanh", "symmetric", 2, None),
    ("sigmoid", "bernoulli", 1, None),
    ("sigmoid", "symmetric", 1, None),
    ("tanh", "gaussian", 1, [2]),
    ("linear", "gaussian", 2, None),
    ("relu", "gaussian", 1, [sp.Rational(-1, 2)]),
]


@pytest.mark.slow
@pytest.mark.parametrize("act, noise, d, x", GENERIC)
def test_generic_fisher_equals_closed_form(act, noise, d, x):
    model = neuron_model(act, noise, d, x)
    derived = fisher_metric(model, method="score")
    closed = model.closed_forms["fisher_metric"]
    rng = np.random.default_rng(1)
    # no defaults in the model (issue 11): the typical values are bound explicitly
    assert model.constants == {}
    names = {s.name: s for s in model.unbound_constants()}
    subs0 = {names[k]: v for k, v in typical_constants(d, noise).items() if k in names}
    assert set(subs0) == set(names.values())
    for _ in range(3):
        at = {**subs0, **dict(zip(model.coordinates, rng.uniform(-1.5, 1.5, model.dim), strict=False))}
        a = np.array(derived.subs(at).evalf(), dtype=float)
        b = np.array(closed.subs(at).evalf(), dtype=float)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# -- Monte Carlo: E[score score^T] from sampled outputs ------------------------------------


def _sample(noise, mean, sigma, rng, n):
    if noise == "bernoulli":
        return (rng.random(n) < mean).astype(float)
    if noise == "symmetric":
        return np.where(rng.random(n) < (1 + mean) / 2, 1.0, -1.0)
    return mean + sigma * rng.standard_normal(n)


@pytest.mark.parametrize("act, noise, options", VALID)
def test_monte_carlo(act, noise, options):
    sigma = _sigma(noise)
    x = [sp.Rational(7, 10), sp.Rational(-6, 5)]
    model = neuron_model(act, noise, 2, x, sigma, **options)
    y = model.space.variables[0]
    rng = np.random.default_rng(20170806)
    point = dict(zip(model.coordinates, [0.4, 0.3, -0.2], strict=False))
    mean = float(activation(act, **options)(sum(float(c) * v for c, v in zip(x + [1], point.values(), strict=False))))
    scores = sp.lambdify([y], [sp.diff(model.log_density, c).subs(point) for c in model.coordinates], "numpy")
    n = 40000
    ys = _sample(noise, mean, float(sigma or 1), rng, n)
    S = np.array([np.broadcast_to(np.asarray(s, dtype=float), (n,)) for s in scores(ys)])  # (3, n)
    outer = S[:, None, :] * S[None, :, :]
    estimate = outer.mean(axis=2)
    se = outer.std(axis=2, ddof=1) / np.sqrt(n)
    exact = np.array(model.closed_forms["fisher_metric"].subs(point).evalf(), dtype=float)
    assert np.all(np.abs(estimate - exact) <= 5 * se + 1e-12), (estimate, exact, se)


# -- the symbolic nu equals numeric.nn.blocks' compiled nu --------------------------------------


@pytest.mark.parametrize("act, noise, options", VALID)
def test_nu_equals_numeric_blocks(act, noise, options):
    sigma = _sigma(noise)
    nu = sp.lambdify([H], neuron_nu(act, noise, sigma, **options), "numpy")
    hs = np.random.default_rng(3).uniform(-4, 4, 25)
    kw = {"sigma": float(sigma or 1)}
    if act == "prelu":
        kw["slope"] = float(options["slope"])
    if act == "elu":
        kw["alpha"] = float(options["alpha"])
    expected = blocks.neuron_nu(hs, act, noise, **kw)
    np.testing.assert_allclose(np.broadcast_to(nu(hs), hs.shape), expected, rtol=1e-12, atol=1e-15)


# -- layers ------------------------------------------------------------------------------------


def _numeric(M, subs):
    return np.array(sp.Matrix(M).subs(subs).evalf(), dtype=float)


def test_layer_equals_numeric_blocks_and_brute_force():
    # [SN17] eq. (2): block diagonal, one nu_f(w_i, x) x~ x~^T per neuron
    x = [0.6, -1.1]
    G = layer_rfim("sigmoid", "bernoulli", 2, 2, [sp.Rational(3, 5), sp.Rational(-11, 10)])
    W = np.array([[0.3, -0.8, 0.1], [1.2, 0.4, -0.5]])
    names = [f"w{i}_{j}" for i in (1, 2) for j in (1, 2)]
    syms = {s.name: s for s in G.free_symbols}
    subs = {syms[n]: v for n, v in zip(["w1_1", "w1_2", "b1", "w2_1", "w2_2", "b2"], W.ravel(), strict=False)}
    assert set(names) <= set(syms)
    got = _numeric(G, subs)
    np.testing.assert_allclose(got, blocks.layer_rfim(W, [x], "sigmoid", "bernoulli"), rtol=1e-12)
    # brute force over the four outputs y in {0, 1}^2
    xt = np.array(x + [1.0])
    p = 1 / (1 + np.exp(-W @ xt))
    F = np.zeros((6, 6))
    for y in itertools.product((0, 1), repeat=2):
        prob = np.prod([p[i] if y[i] else 1 - p[i] for i in range(2)])
        s = np.concatenate([(y[i] - p[i]) * xt for i in range(2)])
        F += prob * np.outer(s, s)
    np.testing.assert_allclose(got, F, rtol=1e-12, atol=1e-15)


def test_linear_layer():
    # [SN17] sec. 3.2 with sigma: diag[x~ x~^T, ...] / sigma^2
    s = sp.Symbol("sigma", positive=True)
    assert linear_layer_rfim(2, 3, sigma=s) == layer_rfim("linear", "gaussian", 2, 3, sigma=s)
    xt = sp.Matrix([1, 2, 1])
    assert linear_layer_rfim(2, 2, x=[1, 2], sigma=2) == sp.diag(xt * xt.T, xt * xt.T) / 4


def test_softmax_brute_force():
    # [SN17] sec. 3.2: dense blocks (delta_ik eta_i - eta_i eta_k) x~ x~^T
    m, d = 3, 2
    x = [sp.Rational(1, 2), sp.Rational(-3, 2)]
    model = softmax_model(m, d, x)
    G = softmax_rfim(m, d, x)
    rng = np.random.default_rng(5)
    W = rng.uniform(-1, 1, (m, d + 1))
    subs = dict(zip(model.coordinates, W.ravel(), strict=False))
    y = model.space.variables[0]
    brute = np.zeros((model.dim, model.dim))
    logp = model.log_density
    score = [sp.diff(logp, c) for c in model.coordinates]
    for k in model.space.values:
        at = {**subs, y: k}
        s = np.array([float(e.subs(at)) for e in score])
        brute += float(sp.exp(logp.subs(at))) * np.outer(s, s)
    got = _numeric(G, subs)
    np.testing.assert_allclose(got, brute, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, blocks.softmax_rfim(W, [[0.5, -1.5]]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("act, noise", [("tanh", "symmetric"), ("sigmoid", "bernoulli")])
def test_two_layer_brute_force(act, noise):
    # [SN17] sec. 3.3, with f'(w_i.x~) f'(w_j.x~) in place of nu(w_i) nu(w_j)
    d_in, d_h, d_out = 1, 2, 2
    x = [sp.Rational(4, 5)]
    C = sp.Matrix([[sp.Rational(1, 2), -1], [sp.Rational(3, 2), sp.Rational(1, 3)], [sp.Rational(-1, 4), sp.Rational(1, 5)]])
    G = two_layer_rfim(act, noise, d_in, d_h, d_out, x=x, C=C)
    f = activation(act)
    W = [[sp.Symbol(f"w{i}_1", real=True), sp.Symbol(f"b{i}", real=True)] for i in (1, 2)]
    coords = [s for row in W for s in row]
    hid = [f(row[0] * x[0] + row[1]) for row in W] + [1]
    means = [f(sum(C[i, l] * hid[i] for i in range(d_h + 1))) for l in range(d_out)]
    values = (0, 1) if noise == "bernoulli" else (-1, 1)
    point = dict(zip(coords, [0.7, -0.2, -0.9, 0.4], strict=False))
    brute = np.zeros((4, 4))
    for ys in itertools.product(values, repeat=d_out):
        if noise == "bernoulli":
            probs = [mu if yl else 1 - mu for mu, yl in zip(means, ys, strict=False)]
        else:
            probs = [(1 + yl * mu) / 2 for mu, yl in zip(means, ys, strict=False)]
        logp = sum(sp.log(p) for p in probs)
        s = np.array([float(sp.diff(logp, c).subs(point)) for c in coords])
        brute += float(sp.exp(logp).subs(point)) * np.outer(s, s)
    np.testing.assert_allclose(_numeric(G, point), brute, rtol=1e-10, atol=1e-14)


def test_two_layer_differs_from_printed_formula():
    # the printed nu(w_i) nu(w_j) has f'^4 where the score gives f'^2 (Gaussian noise)
    G = two_layer_rfim("tanh", "gaussian", 1, 1, 1, x=[0], C=sp.Matrix([1, 0]), sigma=1)
    b = sp.Symbol("b1", real=True)
    fp = 1 - sp.tanh(b) ** 2
    nu_out = (1 - sp.tanh(sp.tanh(b)) ** 2) ** 2
    assert sp.simplify(G[1, 1] - nu_out * fp**2) == 0
    assert sp.simplify(G[1, 1] - nu_out * fp**4) != 0


def test_empirical_rfim_matches_neuron_blocks():
    X = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.9]]
    G = empirical_rfim("tanh", "symmetric", [[sp.nsimplify(v) for v in r] for r in X])
    w = sp.symbols("w1 w2 b", real=True)
    W = np.array([[0.2, -0.4, 0.3]])
    got = _numeric(G, dict(zip(w, W[0], strict=False)))
    np.testing.assert_allclose(got, blocks.neuron_blocks(W, X, "tanh", "symmetric")[0], rtol=1e-12)
    assert np.linalg.eigvalsh(got).min() > 0


# -- the manifold ------------------------------------------------------------------------------


def test_manifold():
    M = Neuron("sigmoid", "bernoulli", d=2)
    assert [c.name for c in M.coordinates] == ["w1", "w2", "b"]
    r = neuron_rfim("sigmoid", "bernoulli", 2)
    assert M.fisher_metric() == r.metric
    assert M.fisher_metric().rank() == 1
    assert Neuron("relu", "gaussian", d=1, sigma=2).dim == 2


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call, name", [
    (lambda: neuron_model("swish", "gaussian", 2), "activation"),
    (lambda: neuron_model("tanh", "poisson", 2), "noise"),
    (lambda: neuron_model("tanh", "gaussian", 0), "d"),
    (lambda: neuron_model("tanh", "gaussian", 1.5), "d"),
    (lambda: neuron_model("tanh", "gaussian", 2, sigma=0), "sigma"),
    (lambda: neuron_model("tanh", "gaussian", 2, sigma=-1.0), "sigma"),
    (lambda: neuron_model("tanh", "symmetric", 2, sigma=1), "sigma"),
    (lambda: neuron_model("relu", "bernoulli", 2), "noise"),
    (lambda: neuron_model("tanh", "gaussian", 2, x=[1]), "x"),
    (lambda: neuron_model("prelu", "gaussian", 2, slope=1), "slope"),
    (lambda: neuron_model("elu", "gaussian", 2, alpha=0), "alpha"),
    (lambda: neuron_model("prelu", "gaussian", 2, omega=-1), "omega"),
    (lambda: neuron_model(sp.Symbol("u") * sp.Symbol("v"), "gaussian", 2), "activation"),
    (lambda: Neuron("tanh", "gaussian", d=-1), "d"),
    (lambda: softmax_rfim(0, 2), "m"),
    (lambda: two_layer_rfim("tanh", "gaussian", 1, 2, 1, C=sp.zeros(2, 1)), "C"),
])
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_noise_and_activation_names_come_from_the_one_table():
    from numeric.nn import activations as numeric_table
    from symbolic import activations as table
    from symbolic import neuron

    assert neuron.ACTIVATIONS is table.ACTIVATIONS is numeric_table.ACTIVATIONS
    assert NOISES is table.NOISES is numeric_table.NOISES
    assert set(NOISES) == {"bernoulli", "symmetric", "gaussian"}
    # one name per activation: "identity" is not an alias of "linear"
    with pytest.raises(ValueError, match="activation must be one of"):
        neuron.activation("identity")
    for name in table.ACTIVATIONS:
        assert neuron.activation(name)(neuron.T) == table.SYMPY_FORMS[name](neuron.T, slope=sp.Rational(1, 4), alpha=1)
