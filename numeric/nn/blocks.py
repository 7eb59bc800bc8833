r"""Network-scale Fisher blocks: per-neuron RFIM, K-FAC, exact layer blocks, batched solves, RNGD.

Conventions (used by every function here)
-----------------------------------------
* A multilayer perceptron is a list of weight matrices ``W_l`` of shape ``(n_out, n_in + 1)``;
  the last column is the bias, acting on the augmented input :math:`\tilde x = (x, 1)`. Layer
  ``l`` computes :math:`h_l = W_l \tilde a_{l-1}` and :math:`a_l = f_l(h_l)`, with
  :math:`a_0 = x`.
* Inputs ``X`` have shape ``(N, n_in)`` (samples first) and never carry the bias column;
  functions append it. Expectations over inputs are sample means (``reduction="mean"``, the
  default); ``reduction="sum"`` gives sums.
* The network, its forward pass and its layout are :mod:`numeric.nn.mlp`'s, shared with
  :mod:`numeric.nn.supervised`: ``fisher_blocks(net.unflatten(theta), X, net.activations)``
  are the diagonal blocks of ``SupervisedModel(net, "gaussian").fisher(theta, X)``.
* Parameters are flattened row by row (``W.ravel()``, C order), so neuron ``i``'s weights
  :math:`w_i` (row ``i``) are contiguous, and the RFIM of a layer is block diagonal with one
  ``(n_in + 1) x (n_in + 1)`` block per neuron. Under this order the K-FAC approximation of a
  layer's Fisher block is ``np.kron(G, A)``; Martens & Grosse stack columns and write
  :math:`A \otimes G` for the same matrix.
* Activations (the table of :mod:`numeric.nn.activations`): ``"linear"``, ``"tanh"``,
  ``"sigmoid"``, ``"relu"``, ``"prelu"`` (slope
  ``slope`` for :math:`h \le 0`), ``"elu"`` (:math:`\alpha(e^h - 1)` for :math:`h \le 0`),
  ``"softplus"``; the last layer may be ``"softmax"`` (categorical output over the logits
  :math:`h_L`). The derivative at a kink is the left one (``relu'(0) = 0``).
* Inputs so large that the products :math:`\tilde x\tilde x^\top` or the pre-activations
  overflow float64 are refused with a :class:`~symbolic.errors.DomainError` naming ``X``; a
  block that cannot be factorised raises :class:`~symbolic.errors.SingularMatrixError` with a
  damping suggested from the scale of the blocks.
* Output noise of a neuron with mean :math:`f(h)`: ``"gaussian"``
  :math:`y \sim N(f(h), \sigma^2)`; ``"bernoulli"`` :math:`y \in \{0, 1\}`, needs
  :math:`f \in (0, 1)` (sigmoid); ``"symmetric"`` :math:`y \in \{-1, +1\}`, needs
  :math:`f \in (-1, 1)` (tanh, sigmoid).

RFIM of one neuron [1]_ (sec. 3.1): :math:`G_i = E_x[\nu(w_i^\top \tilde x)\, \tilde x \tilde
x^\top]` with :math:`\nu = E_y[(\partial_h \log p(y|h))^2]`, which is :math:`f'^2/\sigma^2`
(Gaussian), :math:`f'^2 / (f(1-f))` (Bernoulli) and :math:`f'^2/(1-f^2)` (symmetric); the
derivations are in :mod:`numeric.nn.activations`. Note that [1]_'s table mixes noise models:
its tanh and sigmoid values are the symmetric and Bernoulli ones, its ReLU/ELU values the
Gaussian ones with :math:`\sigma = 1`, and its PReLU value is a smoothed approximation (here
the exact :math:`f'^2/\sigma^2` is used).

References
----------
.. [1] K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for learning
   large modular models", ICML 2017.
.. [2] J. Martens and R. Grosse, "Optimizing neural networks with Kronecker-factored
   approximate curvature", ICML 2015.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
import scipy.linalg

from symbolic.errors import DomainError, SingularMatrixError
from symbolic.validation import as_array, choice, in_interval, integer, nonnegative, positive

from . import _cpu
from .activations import ACTIVATIONS, NOISES, codes
from .mlp import (
    REDUCTIONS,
    MLPForward,
    check_network,
    forward_pass,
    layer_deltas,
    output_jacobians,
    reduction_weight,
    refuse_overflow,
)
from .mlp import softmax as _softmax

__all__ = [
    "ACTIVATIONS",
    "NOISES",
    "BACKENDS",
    "REDUCTIONS",
    "suggested_damping",
    "neuron_nu",
    "weighted_grams",
    "neuron_blocks",
    "block_diag",
    "layer_rfim",
    "softmax_rfim",
    "MLPForward",
    "mlp_forward",
    "nll_and_gradients",
    "rfim_blocks",
    "fisher_blocks",
    "KFACFactors",
    "kfac_factors",
    "kfac_apply_inverse",
    "cholesky_blocks",
    "cholesky_solve_blocks",
    "solve_blocks",
    "RNGD",
]

# Smallest Gaussian output scale whose Fisher weight 1/sigma**2 is finite.
_SIGMA_MIN = 1.0 / math.sqrt(np.finfo(float).max)

BACKENDS = ("cpu", "cuda")
"""``"cpu"``: numba ``prange`` kernels plus BLAS; ``"cuda"``: :mod:`numeric.nn.cuda`."""


# ---------------------------------------------------------------------------------------------
# input checks (kernels assume valid input)


def _check_backend(backend):
    choice("backend", backend, BACKENDS)
    if backend == "cuda":
        from . import cuda as gpu

        gpu.require()
        return gpu
    return None


def _with_bias(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _check_layer(W, X, wname="W", xname="X"):
    W = as_array(wname, W, ndim=2)
    X = as_array(xname, X, ndim=2)
    if W.shape[1] < 1 or W.shape[0] < 1:
        raise ValueError(f"{wname} must have at least one row and one column, got shape {W.shape}")
    if X.shape[1] != W.shape[1] - 1:
        raise ValueError(
            f"{wname} has shape {W.shape}, so {xname} must have {W.shape[1] - 1} columns "
            f"(n_in; the bias column is added here), got shape {X.shape}"
        )
    if X.shape[0] < 1:
        raise ValueError(f"{xname} must hold at least one sample, got shape {X.shape}")
    return W, X


def _check_products(Xt, X):
    """Refuse inputs whose outer products overflow: the blocks would hold inf or NaN."""
    with np.errstate(over="ignore"):
        big = np.max(np.abs(Xt)) if Xt.size else np.float64(0.0)
        refuse_overflow(big * big, X, "the products x~ x~^T of the Fisher blocks")


def _noise_scale(sigma):
    """The Gaussian output scale: > 0 and large enough that 1/sigma**2 is a float64."""
    sigma = positive("sigma", sigma)
    if sigma < _SIGMA_MIN:
        raise DomainError(f"sigma must be >= {_SIGMA_MIN:.3g} (1/sigma**2 overflows float64 below it), "
                          f"got {sigma!r}; rescale the outputs")
    return sigma


def suggested_damping(G, i=None):
    """A damping that makes singular blocks of the stack ``G`` invertible, on their scale.

    ``1e-6`` times the mean diagonal of block ``i`` (of all blocks when ``i`` is None, or when
    block ``i`` is zero, e.g. a dead ReLU neuron: its layer sets the scale), and never below
    ``1e-8``: a damping far below the rounding error of the blocks changes nothing.

    Examples
    --------
    >>> G = np.stack([np.zeros((2, 2)), 400.0 * np.eye(2)])
    >>> print(f"{suggested_damping(G, 0):.3g} {suggested_damping(G, 1):.3g}")   # the layer's scale
    0.0002 0.0004
    >>> float(suggested_damping(np.zeros((3, 2, 2))))                  # the floor
    1e-08
    """
    G = np.asarray(G, dtype=np.float64)
    if G.ndim == 2:
        G = G[None]
    D = G.shape[-1]
    diag = np.trace(G, axis1=1, axis2=2) / D
    scale = float(diag.mean()) if i is None else float(diag[i])
    if not scale > 0:
        scale = float(diag.mean())
    return max(1e-6 * scale, 1e-8) if math.isfinite(scale) else 1e-8


# ---------------------------------------------------------------------------------------------
# per-neuron RFIM


def neuron_nu(H, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0):
    r"""RFIM coefficient :math:`\nu(h)` of a neuron, elementwise over pre-activations ``H``.

    Parameters
    ----------
    H : array_like
        Pre-activations :math:`h = w^\top \tilde x`, any shape.
    activation : str
        One of :data:`ACTIVATIONS`.
    noise : {"gaussian", "bernoulli", "symmetric"}
        Output noise model (module docstring).

    Other Parameters
    ----------------
    sigma : float
        Standard deviation of the Gaussian noise, > 0.
    slope : float
        PReLU slope for :math:`h \le 0`, in [0, 1).
    alpha : float
        ELU scale, > 0.

    Returns
    -------
    ndarray
        :math:`\nu(H)`, same shape as ``H``.

    Examples
    --------
    >>> import numpy as np
    >>> neuron_nu([0.0, 1.0], "tanh", "symmetric")        # sech^2 h, [1]_ sec. 3.1
    array([1.        , 0.41997434])
    >>> neuron_nu([0.0], "sigmoid", "bernoulli")           # s (1 - s)
    array([0.25])
    >>> neuron_nu([-1.0, 2.0], "relu", sigma=2.0)          # 1[h > 0] / sigma^2
    array([0.  , 0.25])
    """
    act, nz, param = codes(activation, noise, slope, alpha)
    sigma = _noise_scale(sigma)
    H = as_array("H", H)
    flat = np.ascontiguousarray(H.reshape(-1, 1))
    out = np.empty_like(flat)
    _cpu.launch(_cpu.nu_matrix, 16 * flat.size, flat, act, nz, sigma, param, out)
    return out.reshape(H.shape)


def _grams(nu_w, Xt, backend, weight, X):
    """The blocks ``weight * sum_n nu_w[n, i] Xt[n] Xt[n]^T`` (Xt with the bias column) on the given backend;
    ``X`` is the network input, named when the result overflows.
    """
    _check_products(Xt, X)
    with np.errstate(over="ignore", invalid="ignore"):
        if backend == "cuda":
            from . import cuda as gpu

            G = gpu.weighted_grams(nu_w, Xt, weight)
        else:
            G = _cpu.weighted_grams(np.ascontiguousarray(nu_w) * weight, np.ascontiguousarray(Xt))
    return refuse_overflow(G, X, "the Fisher blocks")


def weighted_grams(nu, X, *, reduction="mean", backend="cpu"):
    r"""Blocks :math:`G_i = \frac1N \sum_n \nu_{ni}\, \tilde x_n \tilde x_n^\top` for all ``i``
    (without the :math:`1/N` for ``reduction="sum"``).

    The accumulation behind every per-neuron block here. On the CPU all neurons share the
    sample outer products, so for large problems the blocks are one GEMM of ``nu.T`` against
    the packed upper triangles of :math:`\tilde x_n \tilde x_n^\top`, formed a chunk at a
    time: half the arithmetic of a loop of weighted Gram products ``X~.T @ diag(nu_i) @ X~``.
    Small problems are accumulated directly by a numba kernel (no BLAS call).

    Parameters
    ----------
    nu : array_like, shape (N, m)
        Weights per sample and block (not necessarily positive).
    X : array_like, shape (N, n_in)
        Inputs, without the bias column.

    Other Parameters
    ----------------
    reduction : {"mean", "sum"}
    backend : {"cpu", "cuda"}

    Returns
    -------
    ndarray, shape (m, n_in + 1, n_in + 1)

    Examples
    --------
    >>> import numpy as np
    >>> G = weighted_grams(np.array([[1.0], [3.0]]), np.array([[1.0], [-1.0]]))
    >>> G[0]                                   # (1*[1,1][1,1]^T + 3*[-1,1][-1,1]^T) / 2
    array([[ 2., -1.],
           [-1.,  2.]])
    """
    _check_backend(backend)
    X = as_array("X", X, ndim=2)
    nu = as_array("nu", nu, ndim=2)
    if nu.shape[0] != X.shape[0]:
        raise ValueError(
            f"nu must have one row per sample of X ({X.shape[0]}), got shape {nu.shape}"
        )
    if X.shape[0] < 1:
        raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
    return _grams(nu, _with_bias(X), backend, reduction_weight(reduction, X.shape[0]), X)


def _nu_of_layer(W, Xt, act, nz, sigma, param, backend, X):
    if backend == "cuda":
        from . import cuda as gpu

        return gpu.nu_from_codes(W, Xt, act, nz, sigma, param)
    with np.errstate(over="ignore", invalid="ignore"):
        H = Xt @ W.T
    refuse_overflow(H, X, f"the pre-activations W x~ (max |W| = {np.max(np.abs(W)):.3g})")
    out = np.empty_like(H)
    _cpu.launch(_cpu.nu_matrix, 16 * H.size, H, act, nz, sigma, param, out)
    return out


def neuron_blocks(W, X, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
                  reduction="mean", backend="cpu"):
    r"""Per-neuron RFIM blocks :math:`G_i = \frac1N\sum_n \nu(w_i^\top\tilde x_n)\,\tilde x_n
    \tilde x_n^\top` of one layer [1]_ (eq. 2).

    Parameters
    ----------
    W : array_like, shape (n_out, n_in + 1)
        Layer weights, bias last.
    X : array_like, shape (N, n_in)
        Layer inputs (the reference variables of the RFIM).
    activation, noise : str
        As :func:`neuron_nu`.

    Other Parameters
    ----------------
    sigma, slope, alpha : float
        As :func:`neuron_nu`.
    reduction : {"mean", "sum"}
        Over the samples of ``X``.
    backend : {"cpu", "cuda"}

    Returns
    -------
    ndarray, shape (n_out, n_in + 1, n_in + 1)
        ``G[i]`` is the metric of neuron ``i``'s weights ``W[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[0.0, 0.0]])                      # one neuron, one input, h = 0
    >>> neuron_blocks(W, [[1.0], [-1.0]], "sigmoid", "bernoulli")[0]   # nu = 1/4
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    _check_backend(backend)
    act, nz, param = codes(activation, noise, slope, alpha)
    sigma = _noise_scale(sigma)
    W, X = _check_layer(W, X)
    weight = reduction_weight(reduction, X.shape[0])
    Xt = _with_bias(X)
    _check_products(Xt, X)
    nu = _nu_of_layer(W, Xt, act, nz, sigma, param, backend, X)
    return _grams(nu, Xt, backend, weight, X)


def block_diag(blocks):
    """Dense block-diagonal matrix of a stack of square blocks, shape (m*D, m*D).

    Examples
    --------
    >>> block_diag(np.ones((2, 1, 1)))
    array([[1., 0.],
           [0., 1.]])
    """
    blocks = as_array("blocks", blocks, ndim=3)
    if blocks.shape[1] != blocks.shape[2]:
        raise ValueError(f"blocks must have shape (m, D, D), got {blocks.shape}")
    return scipy.linalg.block_diag(*blocks)


def layer_rfim(W, X, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
               reduction="mean", backend="cpu"):
    r"""RFIM of a whole layer with independent stochastic outputs, dense (block diagonal).

    :math:`g_y(W|x) = \operatorname{diag}[G_1, \dots, G_m]` [1]_ (eq. 2), in the row-major
    parameter order of ``W.ravel()``. With ``activation="linear"`` and Gaussian noise this is
    the linear layer :math:`I \otimes E[\tilde x\tilde x^\top]/\sigma^2` of [1]_ sec. 3.2.
    Arguments as :func:`neuron_blocks`; returns shape ``(n_out*(n_in+1), n_out*(n_in+1))``.

    Examples
    --------
    >>> import numpy as np
    >>> F = layer_rfim(np.zeros((2, 2)), [[1.0], [-1.0]], "linear", sigma=0.5)
    >>> np.allclose(F, np.kron(np.eye(2), np.eye(2) / 0.25))
    True
    """
    return block_diag(neuron_blocks(W, X, activation, noise, sigma=sigma, slope=slope,
                                    alpha=alpha, reduction=reduction, backend=backend))


def _dense_from_grams(Gq, m, D):
    """(m*m, D, D) grams of weights Lambda[n, i, k] -> dense (m*D, m*D) in W.ravel() order."""
    return Gq.reshape(m, m, D, D).transpose(0, 2, 1, 3).reshape(m * D, m * D)


def softmax_rfim(W, X, *, reduction="mean", backend="cpu"):
    r"""RFIM of a softmax layer, dense: blocks :math:`E_x[(\delta_{ik}\eta_i - \eta_i\eta_k)\,
    \tilde x\tilde x^\top]` [1]_ (sec. 3.2).

    The categorical output :math:`p(y) = \eta_y = \operatorname{softmax}(W\tilde x)_y` has score
    :math:`(e_y - \eta) \otimes \tilde x`, whose covariance is
    :math:`(\operatorname{diag}\eta - \eta\eta^\top) \otimes \tilde x\tilde x^\top`.
    One row of ``W`` is redundant (adding a vector to every row leaves the model unchanged),
    so the matrix is singular along ``(1, ..., 1) ⊗ v``.

    Parameters
    ----------
    W : array_like, shape (n_classes, n_in + 1)
    X : array_like, shape (N, n_in)
    reduction : {"mean", "sum"}

    Returns
    -------
    ndarray, shape (n_classes*(n_in+1), n_classes*(n_in+1))

    Examples
    --------
    >>> import numpy as np
    >>> F = softmax_rfim(np.zeros((2, 1)), np.zeros((3, 0)))   # eta = (1/2, 1/2), x~ = (1,)
    >>> F
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    _check_backend(backend)
    W, X = _check_layer(W, X)
    weight = reduction_weight(reduction, X.shape[0])
    Xt = _with_bias(X)
    _check_products(Xt, X)
    m, D = W.shape
    with np.errstate(over="ignore", invalid="ignore"):
        H = Xt @ W.T
    eta = _softmax(refuse_overflow(H, X, f"the logits W x~ (max |W| = {np.max(np.abs(W)):.3g})"))
    lam = (np.einsum("ni,ik->nik", eta, np.eye(m)) - eta[:, :, None] * eta[:, None, :])
    return _dense_from_grams(_grams(lam.reshape(-1, m * m), Xt, backend, weight, X), m, D)


# ---------------------------------------------------------------------------------------------
# multilayer perceptrons

def _check_mlp(weights, X, activations):
    Ws, X, activations = check_network(weights, X, activations)
    return Ws, X, activations


def mlp_forward(weights, X, activations, *, slope=0.25, alpha=1.0):
    """Forward pass of an MLP, keeping what the Fisher blocks need (:func:`numeric.nn.mlp.forward_pass`).

    Parameters
    ----------
    weights : list of array_like
        ``W_l`` of shape ``(n_l, n_{l-1} + 1)``, bias last.
    X : array_like, shape (N, n_0)
    activations : list of str
        One per layer (module docstring); ``"softmax"`` only last.

    Other Parameters
    ----------------
    slope, alpha : float
        PReLU slope and ELU scale.

    Returns
    -------
    MLPForward

    Examples
    --------
    >>> import numpy as np
    >>> fw = mlp_forward([np.array([[2.0, 1.0]])], [[1.0]], ["relu"])
    >>> fw.preacts[0], fw.output
    (array([[3.]]), array([[3.]]))
    """
    Ws, X, activations = _check_mlp(weights, X, activations)
    return forward_pass(Ws, X, activations, slope, alpha)


def _output_fisher(fw, softmax, sigma):
    """Lambda_n = Cov_y[d log p / d(top pre-activation)] per sample, (N, n_L, n_L)."""
    out = fw.output
    N, m = out.shape
    if softmax:
        return np.einsum("ni,ik->nik", out, np.eye(m)) - out[:, :, None] * out[:, None, :]
    # Gaussian around mu = f_L(h_L): score wrt h_L is f'(h) (y - mu) / sigma^2
    d = fw.derivs[-1]
    return np.einsum("ni,ik->nik", d * d / sigma**2, np.eye(m))


def _backprop(Ws, fw, e_top):
    """Per-sample d log p / d h_l for every layer, from e_top = d log p / d h_L, (N, n_l)."""
    return [d[:, 0, :] for d in layer_deltas(Ws, fw, e_top[:, None, :])]


def _score_top(fw, y, softmax, sigma):
    """D log p(y | x) / d h_L per sample."""
    if softmax:
        e = -fw.output.copy()
        e[np.arange(len(y)), y] += 1.0
        return e
    return (y - fw.output) * fw.derivs[-1] / sigma**2


def _check_targets(y, fw, softmax, name="y"):
    N, m = fw.output.shape
    if softmax:
        y = np.asarray(y)
        if y.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integer class labels, got dtype {y.dtype}")
        if y.shape != (N,):
            raise ValueError(f"{name} must be {N} integer class labels, got shape {y.shape}")
        if y.min() < 0 or y.max() >= m:
            raise DomainError(f"{name} must lie in [0, {m}), got values in [{y.min()}, {y.max()}]")
        return y
    return as_array(name, y, shape=(N, m))


def nll_and_gradients(weights, X, y, activations, *, sigma=1.0, slope=0.25, alpha=1.0,
                      reduction="mean"):
    r"""Negative log-likelihood of an MLP (mean over samples, or sum for ``reduction="sum"``)
    and its gradient with respect to each ``W_l``.

    Softmax output: cross-entropy with integer labels ``y``; otherwise
    :math:`y \sim N(f_L(h_L), \sigma^2 I)` and the loss includes
    :math:`\tfrac{n}{2}\log(2\pi\sigma^2)`.

    Returns
    -------
    loss : float
    grads : list of ndarray
        Same shapes as ``weights``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, g = nll_and_gradients([np.zeros((2, 1))], np.zeros((1, 0)), np.array([0]),
    ...                             ["softmax"])
    >>> round(loss, 6), g[0].ravel()                    # log 2; d/dz = p - e_y
    (0.693147, array([-0.5,  0.5]))
    """
    Ws, X, activations = _check_mlp(weights, X, activations)
    sigma = _noise_scale(sigma)
    weight = reduction_weight(reduction, X.shape[0])
    softmax = activations[-1] == "softmax"
    fw = forward_pass(Ws, X, activations, slope, alpha)
    y = _check_targets(y, fw, softmax)
    N = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        if softmax:
            Z = fw.preacts[-1]
            zmax = Z.max(axis=1, keepdims=True)
            logp = Z - zmax - np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True))
            loss = -logp[np.arange(N), y].sum() * weight
        else:
            r = y - fw.output
            loss = (0.5 * (r * r).sum() / sigma**2 + 0.5 * N * r.shape[1] * math.log(
                2 * math.pi * sigma**2)) * weight
        gs = _backprop(Ws, fw, _score_top(fw, y, softmax, sigma))
        grads = [-(g.T @ Xt) * weight for g, Xt in zip(gs, fw.inputs, strict=True)]
    refuse_overflow([loss] + [g.max() for g in grads], X, "the loss and its gradient")
    return float(loss), grads


def fisher_blocks(weights, X, activations, *, sigma=1.0, slope=0.25, alpha=1.0, reduction="mean",
                  backend="cpu"):
    r"""Exact layer-diagonal blocks of the Fisher of an MLP, by per-sample Jacobians.

    Block ``l`` is :math:`F_l = \frac1N\sum_n J_{nl}^\top \Lambda_n J_{nl}` with
    :math:`J_{nl} = \partial h_L / \partial \operatorname{vec} W_l = B_{nl} \otimes \tilde
    a_{n,l-1}^\top` and :math:`\Lambda_n` the Fisher of the output distribution in :math:`h_L`
    (:math:`\operatorname{diag}\eta - \eta\eta^\top` for softmax,
    :math:`\operatorname{diag} f_L'(h_L)^2/\sigma^2` for the Gaussian output), hence
    :math:`F_l = \frac1N \sum_n M_n \otimes \tilde a_n \tilde a_n^\top` with
    :math:`M_n = B_{nl}^\top \Lambda_n B_{nl}`. Meant for small networks: memory grows as
    :math:`N n_L n_l` and the block as :math:`(n_l (n_{l-1}+1))^2`.

    Parameters
    ----------
    weights, X, activations
        As :func:`mlp_forward`. The output is categorical if the last activation is
        ``"softmax"``, else Gaussian with standard deviation ``sigma``.
    reduction : {"mean", "sum"}
        ``"sum"`` drops the :math:`1/N`.

    Returns
    -------
    list of ndarray
        ``F_l`` of shape ``(n_l (n_{l-1}+1), n_l (n_{l-1}+1))`` in ``W_l.ravel()`` order.

    Examples
    --------
    >>> import numpy as np
    >>> F = fisher_blocks([np.zeros((1, 2))], [[1.0], [-1.0]], ["linear"], sigma=2.0)
    >>> F[0]                                              # E[x~ x~^T] / sigma^2
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    _check_backend(backend)
    Ws, X, activations = _check_mlp(weights, X, activations)
    sigma = _noise_scale(sigma)
    weight = reduction_weight(reduction, X.shape[0])
    softmax = activations[-1] == "softmax"
    fw = forward_pass(Ws, X, activations, slope, alpha)
    lam = _output_fisher(fw, softmax, sigma)
    out = []
    for B, Xt in zip(output_jacobians(Ws, fw), fw.inputs, strict=True):
        with np.errstate(over="ignore", invalid="ignore"):
            M = np.einsum("noi,nop,npk->nik", B, lam, B, optimize=True)
        n, D = M.shape[1], Xt.shape[1]
        out.append(_dense_from_grams(_grams(M.reshape(-1, n * n), Xt, backend, weight, X), n, D))
    return out


KFACFactors = namedtuple("KFACFactors", "A G")
KFACFactors.__doc__ = """K-FAC factors of one layer: A = E[a~ a~^T] (inputs with bias),
G = E[g g^T] (g = d log p(y|x) / d h_l); the Fisher block is approximated by np.kron(G, A)."""


def kfac_factors(weights, X, activations, *, targets="expected", sigma=1.0, slope=0.25,
                 alpha=1.0, rng=None, reduction="mean"):
    r"""K-FAC factors :math:`A_l = E[\tilde a_{l-1}\tilde a_{l-1}^\top]`,
    :math:`G_l = E[g_l g_l^\top]` of every layer [2]_.

    The layer's Fisher block :math:`E[(g g^\top) \otimes (\tilde a\tilde a^\top)]` is
    approximated by :math:`E[g g^\top] \otimes E[\tilde a \tilde a^\top]` (``np.kron(G, A)`` in
    ``W.ravel()`` order), which ignores the correlation between the two factors across
    samples. It is exact when every sample has the same :math:`\tilde a` (one sample), or the
    same :math:`E_y[g g^\top]` (a linear layer under Gaussian output noise).

    Parameters
    ----------
    weights, X, activations
        As :func:`fisher_blocks`.
    targets : {"expected", "sample"} or array_like
        ``"expected"``: :math:`G_l = \frac1N\sum_n B_{nl}^\top \Lambda_n B_{nl}`, the exact
        expectation over outputs drawn from the model; ``"sample"``: one output per input drawn
        from the model with ``rng`` (the Monte Carlo estimate of [2]_); an array: the given
        labels (integers for softmax, ``(N, n_L)`` values otherwise), which gives the
        empirical-Fisher variant.

    Other Parameters
    ----------------
    sigma, slope, alpha : float
    rng : numpy.random.Generator or int, optional
        For ``targets="sample"``.
    reduction : {"mean", "sum"}
        Of ``G`` over the samples; ``A`` is always the mean, so that ``np.kron(G, A)`` has the
        reduction of :func:`fisher_blocks` (and equals it where K-FAC is exact).

    Returns
    -------
    list of KFACFactors

    Examples
    --------
    >>> import numpy as np
    >>> A, G = kfac_factors([np.zeros((1, 2))], [[1.0], [-1.0]], ["linear"])[0]
    >>> A, G
    (array([[1., 0.],
           [0., 1.]]), array([[1.]]))
    """
    Ws, X, activations = _check_mlp(weights, X, activations)
    sigma = _noise_scale(sigma)
    softmax = activations[-1] == "softmax"
    fw = forward_pass(Ws, X, activations, slope, alpha)
    N = X.shape[0]
    weight = reduction_weight(reduction, N)
    for Xt in fw.inputs:
        _check_products(Xt, X)
    As = [Xt.T @ Xt / N for Xt in fw.inputs]
    if isinstance(targets, str) and targets == "expected":
        lam = _output_fisher(fw, softmax, sigma)
        Gs = [np.einsum("noi,nop,npk->ik", B, lam, B, optimize=True) * weight
              for B in output_jacobians(Ws, fw)]
    else:
        if isinstance(targets, str):
            choice("targets", targets, ("expected", "sample"))
            rng = np.random.default_rng(rng)
            if softmax:
                u = rng.random((N, 1))
                y = np.minimum((fw.output.cumsum(axis=1) < u).sum(axis=1), fw.output.shape[1] - 1)
            else:
                y = fw.output + sigma * rng.standard_normal(fw.output.shape)
        else:
            y = _check_targets(targets, fw, softmax, "targets")
        gs = _backprop(Ws, fw, _score_top(fw, y, softmax, sigma))
        Gs = [g.T @ g * weight for g in gs]
    for A, G in zip(As, Gs, strict=True):
        refuse_overflow(A, X, "the K-FAC factor A")
        refuse_overflow(G, X, "the K-FAC factor G")
    return [KFACFactors(A, G) for A, G in zip(As, Gs, strict=True)]


def _cho(M, shift, name):
    try:
        return scipy.linalg.cho_factor(M + shift * np.eye(M.shape[0]), lower=True)
    except np.linalg.LinAlgError as exc:
        lam = suggested_damping(M)
        raise SingularMatrixError(
            f"{name} + sqrt(damping) I is not positive definite (sqrt(damping) = {shift:g}); "
            f"pass damping > 0, e.g. damping={lam:.3g} (1e-6 x the mean diagonal of {name}, at "
            f"least 1e-8; sqrt(damping) = {math.sqrt(lam):.3g} is added to each factor)"
        ) from exc


def kfac_apply_inverse(A, G, grad, damping=0.0):
    r"""Apply the damped K-FAC inverse to a gradient without forming the Kronecker product.

    Returns :math:`(G + \sqrt\lambda I)^{-1}\, \mathrm{grad}\, (A + \sqrt\lambda I)^{-1}`, which
    is ``(np.kron(G + s I, A + s I))^{-1} @ grad.ravel()`` reshaped, with
    :math:`s = \sqrt\lambda` (factored Tikhonov damping of [2]_ sec. 6.3 with
    :math:`\pi = 1`), at :math:`O(n_{out}^3 + n_{in}^3)` instead of
    :math:`O(n_{out}^3 n_{in}^3)`.

    Parameters
    ----------
    A : array_like, shape (n_in + 1, n_in + 1)
    G : array_like, shape (n_out, n_out)
    grad : array_like, shape (n_out, n_in + 1)
    damping : float
        :math:`\lambda \ge 0`.

    Examples
    --------
    >>> import numpy as np
    >>> kfac_apply_inverse(np.eye(2) * 2, np.eye(1) * 4, [[8.0, 16.0]])
    array([[1., 2.]])
    """
    A = as_array("A", A, ndim=2)
    G = as_array("G", G, ndim=2)
    grad = as_array("grad", grad, ndim=2)
    damping = nonnegative("damping", damping)
    if A.shape[0] != A.shape[1] or G.shape[0] != G.shape[1]:
        raise ValueError(f"A and G must be square, got shapes {A.shape} and {G.shape}")
    if grad.shape != (G.shape[0], A.shape[0]):
        raise ValueError(f"grad must have shape {(G.shape[0], A.shape[0])} (n_out, n_in + 1) to "
                          f"match G {G.shape} and A {A.shape}, got {grad.shape}")
    s = math.sqrt(damping)
    left = scipy.linalg.cho_solve(_cho(G, s, "G"), grad)
    return scipy.linalg.cho_solve(_cho(A, s, "A"), left.T).T


# ---------------------------------------------------------------------------------------------
# batched damped Cholesky solves


def _check_stack(G, name="G"):
    G = as_array(name, G, ndim=3)
    if G.shape[1] != G.shape[2] or G.shape[1] < 1:
        raise ValueError(f"{name} must be a stack of square blocks (m, D, D), got shape {G.shape}")
    return np.ascontiguousarray(G)


def _raise_singular(G, status, damping):
    i = int(np.flatnonzero(status)[0])
    D = G.shape[1]
    raise SingularMatrixError(
        f"block {i} of G (+ damping I, damping={damping:g}) is not positive definite: pivot "
        f"{int(status[i])} of {D} is <= 0 ({int(np.count_nonzero(status))} of {len(status)} "
        f"blocks fail); pass damping > 0, e.g. damping={suggested_damping(G, i):.3g} (1e-6 x the "
        f"mean diagonal of that block, or of all blocks if it is zero, at least 1e-8)"
    )


def cholesky_blocks(G, damping=0.0, *, backend="cpu"):
    r"""Lower Cholesky factors of :math:`G_i + \epsilon I` for a stack of blocks.

    Only the upper triangle of each block is read (the blocks are assumed symmetric).

    Parameters
    ----------
    G : array_like, shape (m, D, D)
    damping : float
        :math:`\epsilon \ge 0`, added to every diagonal.

    Other Parameters
    ----------------
    backend : {"cpu", "cuda"}

    Returns
    -------
    ndarray, shape (m, D, D)
        ``L[i]`` lower triangular with ``L[i] @ L[i].T == G[i] + damping I``.

    Raises
    ------
    symbolic.errors.SingularMatrixError
        If a block is not positive definite; the message names it and suggests a damping
        (:func:`suggested_damping`).

    Examples
    --------
    >>> cholesky_blocks([[[4.0, 2.0], [2.0, 2.0]]])
    array([[[2., 0.],
            [1., 1.]]])
    """
    gpu = _check_backend(backend)
    G = _check_stack(G)
    damping = nonnegative("damping", damping)
    if gpu is not None:
        L, status = gpu.cholesky_blocks(G, damping)
    else:
        L = np.empty_like(G)
        status = np.empty(G.shape[0], dtype=np.int64)
        m, D = G.shape[:2]
        _cpu.launch(_cpu.batch_cholesky, m * D**3 // 3 + m, G, damping, L, status)
    if status.any():
        _raise_singular(G, status, damping)
    return L


def cholesky_solve_blocks(L, g, *, backend="cpu"):
    r"""Solve :math:`L_i L_i^\top d_i = g_i` for every block, given factors from
    :func:`cholesky_blocks`.

    Parameters
    ----------
    L : array_like, shape (m, D, D)
    g : array_like, shape (m, D)
        One right-hand side per block (for a layer: the gradient ``dE/dW``, row ``i`` for
        neuron ``i``).

    Returns
    -------
    ndarray, shape (m, D)

    Examples
    --------
    >>> L = cholesky_blocks([[[4.0, 2.0], [2.0, 2.0]]])
    >>> cholesky_solve_blocks(L, [[6.0, 4.0]])
    array([[1., 1.]])
    """
    gpu = _check_backend(backend)
    L = _check_stack(L, "L")
    g = as_array("g", g, ndim=2)
    if g.shape != L.shape[:2]:
        raise ValueError(f"g must have shape {L.shape[:2]} (one row per block), got {g.shape}")
    diag = np.diagonal(L, axis1=1, axis2=2)
    if not (diag > 0).all():
        raise DomainError("L must have a positive diagonal (factors from cholesky_blocks)")
    if gpu is not None:
        return gpu.cholesky_solve_blocks(L, g)
    x = np.empty_like(g)
    _cpu.launch(_cpu.batch_cholesky_solve, 2 * L.size, L, np.ascontiguousarray(g), x)
    return x


def solve_blocks(G, g, damping=0.0, *, backend="cpu"):
    r"""Batched damped solves :math:`(G_i + \epsilon I)\, d_i = g_i` for all blocks at once.

    Cholesky per block (the blocks are metrics: symmetric positive semi-definite), in parallel
    over blocks. Only the upper triangle of each block is read.

    Parameters
    ----------
    G : array_like, shape (m, D, D)
    g : array_like, shape (m, D)
    damping : float
        :math:`\epsilon \ge 0`. A block that is singular (a dead ReLU neuron, fewer samples
        than inputs) needs ``damping > 0``.

    Other Parameters
    ----------------
    backend : {"cpu", "cuda"}

    Returns
    -------
    ndarray, shape (m, D)

    Raises
    ------
    symbolic.errors.SingularMatrixError
        If some ``G_i + damping I`` is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> solve_blocks(np.zeros((1, 2, 2)), [[1.0, 2.0]], damping=0.5)
    array([[2., 4.]])
    """
    G = _check_stack(G)
    g = as_array("g", g, ndim=2)
    if g.shape != G.shape[:2]:
        raise ValueError(f"g must have shape {G.shape[:2]} (one row per block of G), got {g.shape}")
    return cholesky_solve_blocks(cholesky_blocks(G, damping, backend=backend), g, backend=backend)


# ---------------------------------------------------------------------------------------------
# relative natural gradient descent


def rfim_blocks(weights, X, activations, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
                reduction="mean", backend="cpu", forward=None):
    r"""Per-neuron RFIM blocks of every layer of an MLP, each layer relative to its own input.

    Layer ``l``'s blocks are :func:`neuron_blocks` of ``W_l`` at the layer's input
    :math:`a_{l-1}` [1]_ (sec. 5.1). For a softmax layer, whose outputs are not independent,
    block ``i`` is the ``i``-th diagonal block of :func:`softmax_rfim`,
    :math:`E[\eta_i(1-\eta_i)\tilde a\tilde a^\top]`.

    Parameters
    ----------
    weights, X, activations
        As :func:`mlp_forward`.
    noise : str
        Noise model of every non-softmax layer.

    Other Parameters
    ----------------
    sigma, slope, alpha : float
    reduction : {"mean", "sum"}
    backend : {"cpu", "cuda"}
    forward : MLPForward, optional
        A forward pass already computed on these weights and inputs.

    Returns
    -------
    list of ndarray
        ``(n_l, n_{l-1}+1, n_{l-1}+1)`` per layer.

    Examples
    --------
    >>> import numpy as np
    >>> Ws = [np.zeros((3, 3)), np.zeros((2, 4))]
    >>> [b.shape for b in rfim_blocks(Ws, np.ones((5, 2)), ["tanh", "softmax"], "symmetric")]
    [(3, 3, 3), (2, 4, 4)]
    """
    _check_backend(backend)
    Ws, X, activations = _check_mlp(weights, X, activations)
    sigma = _noise_scale(sigma)
    weight = reduction_weight(reduction, X.shape[0])
    layer_codes = [None if a == "softmax" else codes(a, noise, slope, alpha) for a in activations]
    fw = forward if forward is not None else forward_pass(Ws, X, activations, slope, alpha)
    out = []
    for c, H, Xt, W in zip(layer_codes, fw.preacts, fw.inputs, Ws, strict=True):
        if c is None:
            p = fw.output
            nu = p * (1.0 - p)
        elif backend == "cuda":
            nu = _nu_of_layer(W, Xt, c[0], c[1], sigma, c[2], backend, X)
        else:
            nu = np.empty_like(H)
            _cpu.launch(_cpu.nu_matrix, 16 * H.size, H, c[0], c[1], sigma, c[2], nu)
        out.append(_grams(nu, Xt, backend, weight, X))
    return out


class RNGD:
    r"""Relative natural gradient descent with a running RFIM per neuron ([1]_ sec. 5.1).

    For each neuron :math:`i` of layer :math:`l` the optimiser keeps a metric, initialised to
    the identity and updated at every step from the mini-batch,

    .. math:: G_{li} \leftarrow (1-\lambda)\, G_{li} + \lambda\,
              \overline{\nu_f(w_{li}, h_{l-1})\,\tilde h_{l-1}\tilde h_{l-1}^\top},

    refactors :math:`G_{li} + \epsilon I = L L^\top` every ``period`` steps (and at the first),
    and updates :math:`w_{li} \leftarrow w_{li} - \eta\,(G_{li}+\epsilon I)^{-1}\partial E /
    \partial w_{li}` with the last factor. [1]_ adds :math:`\epsilon I` inside the running
    average instead; at a fixed point that amounts to a damping of :math:`\epsilon/\lambda`
    (e.g. 200 epsilon for lambda = 0.005), so here the damping is applied once, at
    factorisation, and means what it says.

    Parameters
    ----------
    weights : list of ndarray
        The network's weight matrices, updated **in place** by :meth:`step`.
    activations : list of str
        As :func:`mlp_forward`; a softmax output layer uses the diagonal blocks of its RFIM.
    lr : float
        Learning rate :math:`\eta > 0`.
    decay : float
        :math:`\lambda \in (0, 1]`, the weight of the newest mini-batch in the running metric.
    period : int
        :math:`T \ge 1`: steps between refactorisations.
    damping : float
        :math:`\epsilon \ge 0`.

    Other Parameters
    ----------------
    noise, sigma, slope, alpha
        Neuron noise model, as :func:`rfim_blocks`.
    backend : {"cpu", "cuda"}

    Attributes
    ----------
    metrics : list of ndarray
        Running metrics, ``(n_l, n_{l-1}+1, n_{l-1}+1)`` per layer.
    factors : list of ndarray or None
        Cholesky factors of ``metrics + damping I`` from the last refactorisation.
    steps : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((32, 2)); y = (X[:, 0] > 0).astype(int)
    >>> Ws = [0.5 * rng.standard_normal((4, 3)), 0.5 * rng.standard_normal((2, 5))]
    >>> acts = ["tanh", "softmax"]
    >>> opt = RNGD(Ws, acts, lr=0.5, decay=0.1, period=5, damping=1e-3)
    >>> before = nll_and_gradients(Ws, X, y, acts)[0]
    >>> for _ in range(20):
    ...     _ = opt.step(nll_and_gradients(Ws, X, y, acts)[1], X)
    >>> nll_and_gradients(Ws, X, y, acts)[0] < before
    True
    """

    def __init__(self, weights, activations, *, lr=0.1, decay=0.005, period=100, damping=1e-3,
                 noise="gaussian", sigma=1.0, slope=0.25, alpha=1.0, backend="cpu"):
        _check_backend(backend)
        if isinstance(weights, np.ndarray) or not isinstance(weights, list):
            raise TypeError(f"weights must be a list of (n_out, n_in + 1) arrays (updated in place), "
                            f"got {type(weights).__name__}")
        if len(weights) == 0:
            raise ValueError("weights must be a non-empty list of (n_out, n_in + 1) arrays")
        for l, W in enumerate(weights):
            if not (isinstance(W, np.ndarray) and W.dtype == np.float64):
                raise TypeError(f"weights[{l}] must be a float64 numpy array (it is "
                                f"updated in place), got {type(W).__name__}")
            if W.ndim != 2:
                raise ValueError(f"weights[{l}] must be 2-dimensional, got shape {W.shape}")
        # checks names, noise/activation pairs and chained shapes on a dummy input
        _, _, activations = _check_mlp(weights, np.zeros((1, weights[0].shape[1] - 1)), activations)
        for a in activations:
            if a != "softmax":
                codes(a, noise, slope, alpha)
        self.weights = weights
        self.activations = activations
        self.lr = positive("lr", lr)
        self.decay = in_interval("decay", decay, 0.0, 1.0, closed=(False, True))
        self.period = integer("period", period, minimum=1)
        self.damping = nonnegative("damping", damping)
        self.noise, self.sigma, self.slope, self.alpha = noise, _noise_scale(sigma), slope, alpha
        self.backend = backend
        self.metrics = [np.broadcast_to(np.eye(W.shape[1]), (W.shape[0],) + (W.shape[1],) * 2).copy()
                        for W in weights]
        self.factors = None
        self.steps = 0

    def step(self, grads, X):
        r"""One RNGD step from the gradients ``grads`` of the cost at the mini-batch ``X``.

        Parameters
        ----------
        grads : list of array_like
            :math:`\partial E/\partial W_l`, shapes of the weights.
        X : array_like, shape (N, n_0)
            The mini-batch the gradients were computed on (the metric is measured there).

        Returns
        -------
        list of ndarray
            The directions :math:`(G+\epsilon I)^{-1}\partial E/\partial W_l`; the weights
            moved by ``-lr`` times these.
        """
        if len(grads) != len(self.weights):
            raise ValueError(f"grads must hold one array per layer ({len(self.weights)}), "
                             f"got {len(grads)}")
        grads = [as_array(f"grads[{l}]", g, ndim=2) for l, g in enumerate(grads)]
        for l, (g, W) in enumerate(zip(grads, self.weights, strict=True)):
            if g.shape != W.shape:
                raise ValueError(f"grads[{l}] must have the shape of weights[{l}] {W.shape}, "
                                  f"got {g.shape}")
        batch = rfim_blocks(self.weights, X, self.activations, self.noise, sigma=self.sigma,
                            slope=self.slope, alpha=self.alpha, backend=self.backend)
        lam = self.decay
        for G, Gb in zip(self.metrics, batch, strict=True):
            G *= 1.0 - lam
            G += lam * Gb
        if self.factors is None or self.steps % self.period == 0:
            self.factors = [cholesky_blocks(G, self.damping, backend=self.backend)
                            for G in self.metrics]
        directions = []
        for W, L, g in zip(self.weights, self.factors, grads, strict=True):
            d = cholesky_solve_blocks(L, g, backend=self.backend)
            W -= self.lr * d
            directions.append(d)
        self.steps += 1
        return directions
