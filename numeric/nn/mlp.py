r"""The one multilayer perceptron of :mod:`numeric.nn`: parameter layout, forward pass, Jacobians.

:mod:`numeric.nn.supervised` (likelihoods, Fisher, GGN, Hessian) and :mod:`numeric.nn.blocks`
(RFIM, layer Fisher blocks, K-FAC, RNGD) both run their networks through this module, so a
network has one layout and one Fisher (docs/conventions.md, "Networks"):

* layer ``l`` is one matrix ``W_l`` of shape ``(n_l, n_{l-1} + 1)``, the bias in the last
  column, acting on the augmented input :math:`\tilde a_{l-1} = (a_{l-1}, 1)`:
  :math:`h_l = W_l \tilde a_{l-1}`, :math:`a_l = f_l(h_l)`, :math:`a_0 = x`;
* a flat parameter vector ``theta`` concatenates ``W_1.ravel(), W_2.ravel(), ...`` (row by
  row, C order), so neuron ``i``'s weights and bias are contiguous;
* inputs ``X`` have shape ``(N, n_0)``, samples first, without the bias column;
* a quantity aggregated over samples takes ``reduction="mean"`` (the default) or ``"sum"``.

Activations are the names of :mod:`numeric.nn.activations`; the last layer may also be
``"softmax"`` (class probabilities over the logits :math:`h_L`).

Examples
--------
>>> import numpy as np
>>> net = MLP((2, 3, 1), "tanh")
>>> net.shapes, net.n_params
([(3, 3), (1, 4)], 13)
>>> Ws = net.unflatten(np.arange(13.0))
>>> Ws[1]
array([[ 9., 10., 11., 12.]])
>>> bool(np.array_equal(net.flatten(Ws), np.arange(13.0)))
True
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import KW_ONLY, dataclass

import numpy as np

from symbolic.errors import DomainError
from symbolic.validation import as_array, choice, integer, nonnegative

from . import _cpu
from .activations import ACTIVATIONS, activation_code

__all__ = [
    "REDUCTIONS",
    "reduction_weight",
    "MLP",
    "linear_model",
    "MLPForward",
    "check_activations",
    "check_network",
    "forward_pass",
    "layer_deltas",
    "output_jacobians",
    "vjp",
    "refuse_overflow",
    "softmax",
]

REDUCTIONS = ("mean", "sum")
"""How a quantity is aggregated over samples: ``"mean"`` (the default everywhere) or ``"sum"``."""


def reduction_weight(reduction, n_samples):
    """The factor applied to a sum over ``n_samples`` samples: ``1/N`` for ``"mean"``, 1 for ``"sum"``.

    Examples
    --------
    >>> reduction_weight("mean", 4), reduction_weight("sum", 4)
    (0.25, 1.0)
    """
    choice("reduction", reduction, REDUCTIONS)
    return 1.0 / n_samples if reduction == "mean" else 1.0


def refuse_overflow(value, X, what):
    """``value`` if it is finite, else :class:`DomainError` naming ``X`` and its largest entry.

    Inputs near the square root of the largest float overflow in the products that the
    Fisher blocks are made of; a NaN or infinity there must not be returned silently.
    """
    if np.all(np.isfinite(value)):
        return value
    big = float(np.max(np.abs(X))) if np.size(X) else 0.0
    raise DomainError(
        f"X must be small enough for {what} to stay finite in float64, got entries up to "
        f"{big:.3g} (|X| below about 1e150 is safe when the weights are of order 1); rescale X"
    )


def softmax(Z):
    """Row-wise softmax with the maximum subtracted (no overflow)."""
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _with_bias(A):
    return np.hstack([A, np.ones((A.shape[0], 1))])


def check_activations(activations, n_layers):
    """One valid name per layer; ``"softmax"`` only last. Returns a list."""
    if isinstance(activations, str) or not isinstance(activations, (list, tuple)):
        raise TypeError(f"activations must be a list with one name per layer ({n_layers}), "
                        f"got {activations!r}")
    if len(activations) != n_layers:
        raise ValueError(f"activations must be a list with one name per layer ({n_layers}), "
                         f"got {activations!r}")
    for l, a in enumerate(activations):
        if a == "softmax" and l != n_layers - 1:
            raise ValueError(f"activations[{l}] = 'softmax' is allowed in the last layer only")
        choice(f"activations[{l}]", a, ACTIVATIONS + ("softmax",))
    return list(activations)


def check_network(weights, X, activations):
    """Checked ``(Ws, X, activations)``: float64 matrices chained by shape, finite inputs."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list of (n_out, n_in + 1) arrays, got {type(weights).__name__}")
    if len(weights) == 0:
        raise ValueError("weights must be a non-empty list of (n_out, n_in + 1) arrays")
    activations = check_activations(activations, len(weights))
    X = as_array("X", X, ndim=2)
    if X.shape[0] < 1:
        raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
    Ws, n_in = [], X.shape[1]
    for l, W in enumerate(weights):
        W = as_array(f"weights[{l}]", W, ndim=2)
        if W.shape[1] != n_in + 1 or W.shape[0] < 1:
            raise ValueError(f"weights[{l}] must have {n_in + 1} columns (the {n_in} outputs of the "
                             f"layer below, or of X, plus the bias), got shape {W.shape}")
        Ws.append(W)
        n_in = W.shape[0]
    return Ws, X, activations


MLPForward = namedtuple("MLPForward", "inputs preacts derivs output")
MLPForward.__doc__ = """Forward pass of an MLP (:func:`forward_pass`).

inputs : list of (N, n_in_l + 1) arrays, the augmented inputs of each layer (bias column last)
preacts : list of (N, n_out_l) arrays, pre-activations h_l
derivs : list of (N, n_out_l) arrays f_l'(h_l), None for a softmax layer
output : (N, n_out_L) network output: f_L(h_L), or the class probabilities for softmax
"""


def activation_values(H, name, slope=0.25, alpha=1.0, *, second=False):
    """``(f(H), f'(H))``, or ``f''(H)`` alone when ``second``, for a matrix of pre-activations."""
    act, param = activation_code(name, slope, alpha)
    H = np.ascontiguousarray(H)
    if second:
        d2 = np.empty_like(H)
        _cpu.launch(_cpu.activation_curvature_matrix, 32 * H.size, H, act, param, d2)
        return d2
    f, df = np.empty_like(H), np.empty_like(H)
    _cpu.launch(_cpu.activation_matrix, 32 * H.size, H, act, param, f, df)
    return f, df


def forward_pass(Ws, X, activations, slope=0.25, alpha=1.0):
    """Forward pass on checked arguments (:func:`check_network`), keeping what the Fisher needs.

    Raises :class:`DomainError` naming ``X`` when a pre-activation overflows.
    """
    inputs, preacts, derivs = [], [], []
    a = X
    for l, (W, name) in enumerate(zip(Ws, activations, strict=True)):
        Xt = _with_bias(a)
        with np.errstate(over="ignore", invalid="ignore"):
            H = Xt @ W.T
        refuse_overflow(H, X, f"the pre-activations of layer {l} (max |weights[{l}]| = "
                              f"{np.max(np.abs(W)):.3g})")
        inputs.append(Xt)
        preacts.append(H)
        if name == "softmax":
            derivs.append(None)
            a = softmax(H)
        else:
            a, df = activation_values(H, name, slope, alpha)
            derivs.append(df)
    return MLPForward(inputs, preacts, derivs, a)


def layer_deltas(Ws, fw, seed):
    r"""Reverse mode: ``seed @ d h_L / d h_l`` for every layer ``l``.

    ``seed`` has shape ``(N, K, n_L)``; returns a list of ``(N, K, n_l)`` arrays, input layer
    first. With the identity as seed these are the Jacobians :math:`B_l = \partial h_L /
    \partial h_l`.
    """
    delta = seed
    out = [delta]
    for l in range(len(Ws) - 1, 0, -1):
        delta = (delta @ Ws[l][:, :-1]) * fw.derivs[l - 1][:, None, :]
        out.append(delta)
    return out[::-1]


def output_jacobians(Ws, fw):
    r""":math:`B_l = \partial h_L / \partial h_l` per sample, shape ``(N, n_L, n_l)``, per layer."""
    N, m = fw.preacts[-1].shape
    return layer_deltas(Ws, fw, np.broadcast_to(np.eye(m), (N, m, m)))


def vjp(Ws, fw, seed):
    r"""``seed @ d h_L / d theta`` per sample, shape ``(N, K, D)``, for ``seed`` of shape
    ``(N, K, n_L)``: block ``l`` is :math:`\delta_l \otimes \tilde a_{l-1}` in ``W_l.ravel()``
    order.
    """
    N, K = seed.shape[:2]
    parts = [(d[:, :, :, None] * Xt[:, None, None, :]).reshape(N, K, -1)
             for d, Xt in zip(layer_deltas(Ws, fw, seed), fw.inputs, strict=True)]
    return np.concatenate(parts, axis=-1)


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron ``sizes[0] -> ... -> sizes[-1]`` with a linear output layer.

    The output :math:`f = h_L` is the parameter of a likelihood (:mod:`numeric.nn.supervised`):
    the mean for the Gaussian, the logit(s) for the Bernoulli and the categorical.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths from the input to the output, at least two entries (two entries make a
        linear model).
    activation : str
        Activation of the hidden layers, one of :data:`numeric.nn.activations.ACTIVATIONS`
        (unused by a linear model).
    slope, alpha : float
        PReLU slope in [0, 1) and ELU scale > 0.

    Notes
    -----
    Layout of ``theta`` (module docstring): ``W_1.ravel(), W_2.ravel(), ...`` with ``W_l`` of
    shape ``(sizes[l], sizes[l-1] + 1)``, the bias in the last column. The same list of
    matrices, with :attr:`activations`, is what :mod:`numeric.nn.blocks` takes.

    Examples
    --------
    >>> net = MLP((3, 4, 2))
    >>> net.n_params, net.shapes, net.activations
    (26, [(4, 4), (2, 5)], ('tanh', 'linear'))
    >>> theta = net.init(seed=0)
    >>> bool(np.array_equal(net.flatten(net.unflatten(theta)), theta))
    True
    """

    sizes: tuple
    activation: str = "tanh"
    _: KW_ONLY  # slope and alpha by name only: a positional third argument was once ``bias``
    slope: float = 0.25
    alpha: float = 1.0

    def __post_init__(self):
        if isinstance(self.sizes, (str, bytes)) or not hasattr(self.sizes, "__len__"):
            raise TypeError(f"sizes must be a tuple of integers, got {self.sizes!r}")
        sizes = tuple(integer(f"sizes[{k}]", s, minimum=1) for k, s in enumerate(self.sizes))
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output widths, got {sizes}")
        activation_code(self.activation, self.slope, self.alpha)
        object.__setattr__(self, "sizes", sizes)

    @property
    def n_inputs(self):
        """The input width ``sizes[0]``."""
        return self.sizes[0]

    @property
    def n_outputs(self):
        """The output width ``sizes[-1]``."""
        return self.sizes[-1]

    @property
    def n_layers(self):
        """The number of weight layers, ``len(sizes) - 1``."""
        return len(self.sizes) - 1

    @property
    def activations(self):
        """One name per layer: the hidden activation, then ``"linear"``."""
        return (self.activation,) * (self.n_layers - 1) + ("linear",)

    @property
    def shapes(self):
        """Shapes ``(n_out, n_in + 1)`` of the layers' matrices, in ``theta`` order."""
        return [(n_out, n_in + 1) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    @property
    def n_params(self):
        """The length of ``theta``: all weights and biases."""
        return int(sum(r * c for r, c in self.shapes))

    def offsets(self):
        """Offset of each layer's matrix in ``theta``."""
        return list(np.cumsum([0] + [r * c for r, c in self.shapes])[:-1])

    def check_theta(self, theta, name="theta"):
        """``theta`` as a finite float vector of length :attr:`n_params`."""
        return as_array(name, theta, shape=(self.n_params,))

    def check_inputs(self, X, name="X"):
        """``X`` as a finite float array of shape ``(N, n_inputs)`` with ``N >= 1``."""
        X = as_array(name, X, shape=(None, self.n_inputs))
        if X.shape[0] < 1:
            raise ValueError(f"{name} must hold at least one sample, got shape {X.shape}")
        return X

    def unflatten(self, theta):
        """Split ``theta`` into the list of layer matrices ``[W_1, W_2, ...]`` (views)."""
        theta = self.check_theta(theta)
        return [theta[o:o + r * c].reshape(r, c) for o, (r, c) in zip(self.offsets(), self.shapes, strict=True)]

    def flatten(self, weights):
        """Concatenate a list of layer matrices into ``theta``."""
        if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights must be a list of {len(self.shapes)} arrays, got {type(weights).__name__}")
        if len(weights) != len(self.shapes):
            raise ValueError(f"weights must hold {len(self.shapes)} arrays {self.shapes}, got {len(weights)}")
        return np.concatenate([as_array(f"weights[{i}]", w, shape=s).ravel()
                               for i, (w, s) in enumerate(zip(weights, self.shapes, strict=True))])

    def init(self, seed=None, scale=1.0):
        """Random parameters: weights ``N(0, scale**2 / n_in)`` (LeCun), biases zero.

        ``seed``: an int, None or a numpy Generator.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        scale = nonnegative("scale", scale)
        Ws = []
        for r, c in self.shapes:
            W = np.zeros((r, c))
            W[:, :-1] = rng.normal(scale=scale / np.sqrt(c - 1), size=(r, c - 1))
            Ws.append(W)
        return self.flatten(Ws)

    def run(self, theta, X):
        """``(Ws, forward pass)`` on checked ``theta`` and ``X``."""
        theta, X = self.check_theta(theta), self.check_inputs(X)
        Ws = self.unflatten(theta)
        return Ws, forward_pass(Ws, X, self.activations, self.slope, self.alpha)

    def forward(self, theta, X):
        """Network outputs ``f(X, theta)`` of shape ``(N, n_outputs)``."""
        return self.run(theta, X)[1].output

    def jacobian(self, theta, X):
        """Per-sample Jacobians ``d f(x_n) / d theta`` of shape ``(N, n_outputs, n_params)``.

        Exact, by back-propagation seeded with each output direction.

        Examples
        --------
        >>> linear_model(2, 1).jacobian(np.array([1.0, 2.0, 3.0]), np.array([[4.0, 5.0]]))   # [x, 1]
        array([[[4., 5., 1.]]])
        """
        Ws, fw = self.run(theta, X)
        N, M = fw.output.shape
        return vjp(Ws, fw, np.broadcast_to(np.eye(M), (N, M, M)))

    def output_hessian_contracted(self, Ws, fw, e):
        r"""Exact :math:`\sum_n \sum_m e_{nm} \nabla_\theta^2 f^{(m)}(x_n, \theta)`, shape (D, D).

        Forward-over-reverse: the reverse pass that computes the gradient of
        :math:`s(\theta) = \sum_n e_n \cdot f(x_n, \theta)` (``e`` held fixed) is differentiated
        in forward mode along all ``D`` coordinate directions at once. ``T[l] = dh_l/dtheta``,
        ``S[l] = d\tilde a_l/dtheta`` are the forward tangents, ``Dd`` the tangent of the
        adjoint. Meant for small networks: it holds ``O(N * width * D)`` numbers per layer.
        """
        N, D = fw.inputs[0].shape[0], self.n_params
        offsets = self.offsets()
        # Index in theta of W_l[i, j]: offset_l + i * (n_in + 1) + j.
        w_index = [o + np.arange(W.shape[0])[:, None] * W.shape[1] + np.arange(W.shape[1])[None, :]
                   for o, W in zip(offsets, Ws, strict=True)]
        d2 = [activation_values(H, self.activation, self.slope, self.alpha, second=True)
              for H in fw.preacts[:-1]]

        S = [np.zeros(fw.inputs[0].shape + (D,))]
        T = []
        for l, W in enumerate(Ws):
            n_out = W.shape[0]
            Tl = np.einsum("ij,njd->nid", W, S[l])
            # d h_l[i] / d W_l[i, j] = a~_{l-1}[j]
            Tl[:, np.arange(n_out)[:, None], w_index[l]] += fw.inputs[l][:, None, :]
            T.append(Tl)
            if l < len(Ws) - 1:
                Sl = np.zeros((N, n_out + 1, D))          # the bias entry of a~ is constant
                Sl[:, :n_out] = fw.derivs[l][:, :, None] * Tl
                S.append(Sl)

        H = np.zeros((D, D))
        delta = e
        Dd = np.zeros(e.shape + (D,))
        for l in reversed(range(len(Ws))):
            W = Ws[l]
            n_out, n_in = W.shape[0], W.shape[1] - 1
            # gradient wrt W_l[i, j] is sum_n delta[n, i] a~[n, j]; differentiate the product.
            DgW = np.einsum("nid,nj->ijd", Dd, fw.inputs[l]) + np.einsum("ni,njd->ijd", delta, S[l])
            H[offsets[l]:offsets[l] + W.size] = DgW.reshape(W.size, D)
            if l > 0:
                Wx = W[:, :-1]
                u = delta @ Wx
                Du = np.einsum("nid,ij->njd", Dd, Wx)
                # d (delta @ W)[j] / d W[i, j] = delta[i]
                Du[:, np.arange(n_in)[None, :], w_index[l][:, :-1]] += delta[:, :, None]
                d1 = fw.derivs[l - 1]
                Dd = Du * d1[:, :, None] + (u * d2[l - 1])[:, :, None] * T[l - 1]
                delta = u * d1
        # Rounding leaves H asymmetric at the 1e-16 level; the exact Hessian is symmetric.
        return 0.5 * (H + H.T)


def linear_model(n_inputs, n_outputs=1):
    """The linear model ``f(x) = W x~`` (bias last) as a one-layer :class:`MLP`.

    Examples
    --------
    >>> linear_model(3, 2).shapes
    [(2, 4)]
    """
    return MLP((n_inputs, n_outputs), activation="linear")
