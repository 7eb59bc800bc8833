"""Bad input is refused with an error naming its cause; suggested dampings are sensible."""
import re

import numpy as np
import pytest

from numeric.nn import blocks as B
from numeric.nn.mlp import MLP
from numeric.nn.supervised import SupervisedModel
from symbolic.errors import DomainError, SingularMatrixError

W = np.array([[0.5, -0.3, 0.1], [0.2, 0.4, -0.1]])
X = np.array([[1.0, -2.0], [0.5, 0.3], [-1.0, 1.0]])


@pytest.mark.parametrize("call", [
    lambda X: B.neuron_blocks(W, X, "tanh"),
    lambda X: B.neuron_blocks(W, X, "relu"),
    lambda X: B.layer_rfim(W, X, "sigmoid", "bernoulli"),
    lambda X: B.softmax_rfim(W, X),
    lambda X: B.weighted_grams(np.ones((3, 2)), X),
    lambda X: B.fisher_blocks([W, np.ones((1, 3))], X, ["tanh", "linear"]),
    lambda X: B.rfim_blocks([W, np.ones((2, 3))], X, ["relu", "softmax"]),
    lambda X: B.kfac_factors([W, np.ones((1, 3))], X, ["tanh", "linear"]),
    lambda X: B.nll_and_gradients([W, np.ones((1, 3))], X, np.zeros((3, 1)), ["linear", "linear"]),
    lambda X: SupervisedModel(MLP((2, 2, 1), "tanh"), "gaussian").fisher(np.ones(9), X),
    lambda X: SupervisedModel(MLP((2, 2, 1), "relu"), "gaussian").hessian(np.ones(9), X, np.zeros(3)),
])
def test_inputs_whose_products_overflow_are_refused_naming_x(call):
    # the same call is fine at ordinary scale and refused (not NaN) at 1e160
    assert all(np.all(np.isfinite(r)) for r in _flat(call(X)))
    with _no_warnings():
        with pytest.raises(DomainError, match=r"^X must be small enough .* got entries up to 2e\+160"):
            call(X * 1e160)


def _flat(result):
    if isinstance(result, tuple):          # nll_and_gradients
        return [result[0]] + [g.ravel() for g in result[1]]
    if isinstance(result, list):           # per-layer arrays, or K-FAC (A, G) pairs
        return [np.ravel(a) for r in result for a in (r if isinstance(r, tuple) else (r,))]
    return [np.ravel(result)]


class _no_warnings:
    """Fail on any warning (an overflow must be refused, not warned about)."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _suggested(message):
    return float(re.search(r"damping=([0-9.e+-]+) \(", message).group(1))


def test_zero_block_suggests_a_damping_on_the_scale_of_its_layer():
    G = np.stack([np.zeros((3, 3)), 50.0 * np.eye(3), 150.0 * np.eye(3)])   # block 0: a dead neuron
    with pytest.raises(SingularMatrixError, match="block 0") as info:
        B.cholesky_blocks(G)
    lam = _suggested(str(info.value))
    # 1e-6 x the layer's mean diagonal (the message prints 3 digits)
    assert lam == pytest.approx(1e-6 * (0 + 50 + 150) / 3, rel=1e-2)
    np.testing.assert_allclose(B.solve_blocks(G, np.ones((3, 3)), damping=lam)[0], 1.0 / lam)
    # all blocks zero: the floor, never a denormal such as 1e-306
    with pytest.raises(SingularMatrixError) as info:
        B.solve_blocks(np.zeros((2, 2, 2)), np.ones((2, 2)))
    assert _suggested(str(info.value)) == 1e-8


def test_dead_relu_in_rngd_suggests_a_usable_damping():
    """decay=1 keeps only the newest batch; a ReLU that is off on every sample has a zero block."""
    Ws = [np.array([[1.0, 1.0], [-1.0, -5.0]]), np.array([[1.0, 1.0, 0.0], [0.5, -1.0, 0.0]])]
    Xb = np.linspace(0.0, 2.0, 8)[:, None]                     # neuron 1: h = -x - 5 < 0 always
    acts = ["relu", "softmax"]
    y = np.array([0, 1] * 4)
    grads = B.nll_and_gradients(Ws, Xb, y, acts)[1]
    opt = B.RNGD([w.copy() for w in Ws], acts, decay=1.0, damping=0.0)
    with pytest.raises(SingularMatrixError, match="block 1 .*damping=") as info:
        opt.step(grads, Xb)
    lam = _suggested(str(info.value))
    scale = np.trace(B.rfim_blocks(Ws, Xb, acts)[0][0]) / 2
    assert lam == pytest.approx(1e-6 * scale / 2, rel=1e-2) and lam >= 1e-8
    opt = B.RNGD([w.copy() for w in Ws], acts, decay=1.0, damping=lam)
    d = opt.step(grads, Xb)
    assert all(np.all(np.isfinite(x)) for x in d)
    np.testing.assert_array_equal(d[0][1], 0.0)                 # the dead neuron has no gradient


def test_kfac_singular_factor_suggests_a_sensible_damping():
    with pytest.raises(SingularMatrixError, match="A \\+ sqrt\\(damping\\) I") as info:
        B.kfac_apply_inverse(np.zeros((3, 3)), np.eye(2), np.ones((2, 3)))
    lam = _suggested(str(info.value))
    assert lam == 1e-8
    assert np.all(np.isfinite(B.kfac_apply_inverse(np.zeros((3, 3)), np.eye(2), np.ones((2, 3)), damping=lam)))
