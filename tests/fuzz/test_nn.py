"""Area "nn": numeric.nn.blocks (neuron_nu, neuron_blocks, mlp_forward, nll_and_gradients,
fisher_blocks, solve_blocks) and numeric.nn.supervised (MLP, SupervisedModel) under extreme
pre-activations and inputs (1e160, 1e300, subnormals), NaN/inf, wrong shapes and types.

Independent checks: ``neuron_nu`` against the symbolic RFIM coefficient of
:func:`symbolic.neuron.neuron_nu` evaluated with mpmath at 40 digits; ``neuron_blocks``
against ``mean nu(h) x x^T`` assembled with numpy from those mpmath values; the gradient of a
supervised model against central differences of its loss (moderate inputs).
"""
import functools
import math

import mpmath
import numpy as np
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from numeric.nn import blocks, supervised
from symbolic import neuron as sym_neuron
from tests.support import examples

from .harness import call_checked

AREA = "nn"
ACTS = ("linear", "tanh", "sigmoid", "relu", "prelu", "elu", "softplus")
NOISES = ("gaussian", "bernoulli", "symmetric")
EXTREME = [0.0, 1.0, -2.5, 30.0, -30.0, 700.0, -750.0, 1e160, -1e160, 1e300, -1e300, 5e-324, -5e-324]
WORDS = ("H", "W", "X", "y", "weights", "activation", "activations", "noise", "sigma", "theta", "slope",
         "alpha", "damping", "G", "g", "grad", "h", "x", "sizes", "likelihood")


@functools.lru_cache(maxsize=None)
def _mp_nu(act, noise):
    try:
        expr = sym_neuron.neuron_nu(act, noise, 1 if noise == "gaussian" else None)
    except (ValueError, TypeError):
        return None
    h = sym_neuron.H if hasattr(sym_neuron, "H") else sorted(expr.free_symbols, key=str)[0]
    return sp.lambdify(h, expr, "mpmath")


def _nu_reference(act, noise, H):
    f = _mp_nu(act, noise)
    if f is None:
        return None
    out = []
    for h in np.ravel(H):
        # 40 digits plus those lost to cancellation: 1 - tanh(h)^2 and s(h)(1 - s(h)) lose
        # about 2|h|/ln 10 < 2|h| digits (at 40 digits, sech^4(172) = 6.4e-299 came out 0);
        # beyond |h| = 2500 every saturating coefficient underflows float64 anyway
        with mpmath.workdps(40 + int(min(2.0 * abs(float(h)), 5000.0))):
            v = mpmath.mpmathify(f(mpmath.mpf(float(h))))
            if isinstance(v, mpmath.mpc):
                v = v.real
            out.append(float(v) if abs(v) < mpmath.mpf("1.7976931348623157e308") else math.copysign(math.inf, v))
    return np.array(out).reshape(np.shape(H))


@examples(8)
@given(act=st.sampled_from(ACTS), noise=st.sampled_from(NOISES),
       H=st.lists(st.sampled_from(EXTREME + [math.nan, math.inf]), min_size=1, max_size=6))
def _nu_cases(act, noise, H):
    H = np.array(H)
    valid_pair = _mp_nu(act, noise) is not None
    finite = bool(np.all(np.isfinite(H)))
    ref = (lambda: _nu_reference(act, noise, H)) if valid_pair and finite else None
    call_checked(AREA, blocks.neuron_nu, H, act, noise, names=WORDS, reference=ref, ref_rtol=1e-6, ref_atol=1e-300,
                 expect=None if valid_pair and finite else "error")


def test_neuron_nu(fuzz_log):
    blocks.neuron_nu(np.zeros(2), "tanh", "gaussian")
    _nu_cases()
    for bad in ("1.0", None, 1j, [["a"]]):
        call_checked(AREA, blocks.neuron_nu, bad, "tanh", names=WORDS, expect=TypeError)
    for bad_sigma in (0.0, -1.0, math.nan, math.inf, "1", None):
        call_checked(AREA, blocks.neuron_nu, np.zeros(2), "tanh", "gaussian", sigma=bad_sigma, names=WORDS,
                     expect="error")
    fuzz_log.assert_clean()


@examples(8)
@given(seed=st.integers(0, 2**31), act=st.sampled_from(["tanh", "sigmoid", "relu", "softplus", "linear"]),
       scale=st.sampled_from([1.0, 1e3, 1e160, 1e300, 1e-300]),
       poison=st.sampled_from([None, None, "nan", "inf", "shape", "str"]))
def _block_cases(seed, act, scale, poison):
    rng = np.random.default_rng(seed)
    n_in, n_out, N = 3, 2, 5
    W = rng.normal(size=(n_out, n_in + 1))
    X = rng.normal(size=(N, n_in)) * scale
    if poison == "nan":
        X[0, 0] = math.nan
    elif poison == "inf":
        W[0, 0] = math.inf
    elif poison == "shape":
        X = X[:, :2]
    elif poison == "str":
        X = "X"

    def reference():
        Xt = np.hstack([X, np.ones((N, 1))])
        with np.errstate(over="ignore", invalid="ignore"):
            H = Xt @ W.T
            nu = _nu_reference(act, "gaussian", H)
            return np.einsum("ni,nj,nk->ijk", nu, Xt, Xt) / N

    ok_input = poison is None
    call_checked(AREA, blocks.neuron_blocks, W, X, act, names=WORDS,
                 reference=reference if ok_input and scale <= 1e3 else None, ref_rtol=1e-9,
                 # a coefficient below the smallest normal float (2.2e-308) is subnormal and
                 # carries fewer digits; times x x^T (|x| <= 1e4 here) that is 1e-300 at most
                 ref_atol=1e-300,
                 expect=None if ok_input else "error")
    weights = [W, rng.normal(size=(1, n_out + 1))]
    call_checked(AREA, blocks.fisher_blocks, weights, X, [act, "linear"], names=WORDS,
                 expect=None if ok_input else "error")
    y = rng.normal(size=(N, 1))
    call_checked(AREA, blocks.nll_and_gradients, weights, X, y, [act, "linear"], names=WORDS,
                 expect=None if ok_input else "error")


def _warm_up():
    """Compile the numba kernels outside any budget (an alarm inside numba's compiler would
    leave its library half-built).
    """
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(2, 4)), rng.normal(size=(5, 3))
    weights = [W, rng.normal(size=(1, 3))]
    for act in ("tanh", "sigmoid", "relu", "softplus", "linear"):
        blocks.neuron_blocks(W, X, act)
        blocks.fisher_blocks(weights, X, [act, "linear"])
        blocks.nll_and_gradients(weights, X, rng.normal(size=(5, 1)), [act, "linear"])
    blocks.solve_blocks(np.eye(3)[None] * 2, np.ones((1, 3)), 0.0)


def test_blocks(fuzz_log):
    _warm_up()
    _block_cases()
    for bad_damping in (-1.0, math.nan, "0"):
        G = np.eye(3)[None]
        call_checked(AREA, blocks.solve_blocks, G, np.ones((1, 3)), bad_damping, names=WORDS, expect="error")
    call_checked(AREA, blocks.solve_blocks, np.zeros((1, 3, 3)), np.ones((1, 3)), 0.0, names=WORDS, expect="error")
    fuzz_log.assert_clean()


@examples(10)
@given(seed=st.integers(0, 2**31), lik=st.sampled_from(["gaussian", "logistic", "softmax"]),
       scale=st.sampled_from([1.0, 1e160, 1e300]), poison=st.sampled_from([None, None, "nan", "shape", "labels"]))
def _supervised_cases(seed, lik, scale, poison):
    rng = np.random.default_rng(seed)
    n_out = 3 if lik == "softmax" else 1
    model = supervised.SupervisedModel(supervised.MLP((2, 3, n_out)), lik)
    theta = model.network.init(seed=seed)
    X = rng.normal(size=(4, 2)) * scale
    y = {"gaussian": rng.normal(size=(4, 1)), "logistic": rng.integers(0, 2, size=(4, 1)).astype(float),
         "softmax": rng.integers(0, 3, size=4)}[lik]
    if poison == "nan":
        X[1, 1] = math.nan
    elif poison == "shape":
        X = X[:, :1]
    elif poison == "labels":
        y = np.full_like(y, 7.5) if lik != "gaussian" else "y"
    expect = None if poison is None else "error"

    def fd_check(g):
        if scale != 1.0:
            return None
        eps = 1e-6
        fd = np.array([(model.loss(theta + eps * e, X, y) - model.loss(theta - eps * e, X, y)) / (2 * eps)
                       for e in np.eye(theta.size)])
        if not np.allclose(g, fd, rtol=1e-5, atol=1e-7):
            return f"gradient differs from central differences by {np.abs(g - fd).max():.3g}"
        return None

    call_checked(AREA, model.loss, theta, X, y, names=WORDS, expect=expect)
    call_checked(AREA, model.gradient, theta, X, y, names=WORDS, expect=expect,
                 compare=fd_check if poison is None else None)
    call_checked(AREA, model.fisher, theta, X, names=WORDS, expect=None if poison in (None, "labels") else "error")


def test_supervised(fuzz_log):
    _supervised_cases()
    for bad in ((1,), (2, 0), (2.5, 3), "23", None):
        call_checked(AREA, supervised.MLP, bad, names=WORDS, expect="error")
    call_checked(AREA, supervised.SupervisedModel, supervised.MLP((2, 1)), "__import__('os')", names=WORDS,
                 expect="error")
    fuzz_log.assert_clean()
