r"""Network-scale Fisher blocks: per-neuron RFIM, K-FAC, exact layer blocks, batched solves, RNGD.

Conventions (used by every function here)
-----------------------------------------
* A multilayer perceptron is a list of weight matrices ``W_l`` of shape ``(n_out, n_in + 1)``;
  the last column is the bias, acting on the augmented input :math:`\tilde x = (x, 1)`. Layer
  ``l`` computes :math:`h_l = W_l \tilde a_{l-1}` and :math:`a_l = f_l(h_l)`, with
  :math:`a_0 = x`.
* Inputs ``X`` have shape ``(N, n_in)`` (samples first) and never carry the bias column;
  functions append it. Expectations over inputs are sample **means**.
* Parameters are flattened row by row (``W.ravel()``, C order), so neuron ``i``'s weights
  :math:`w_i` (row ``i``) are contiguous, and the RFIM of a layer is block diagonal with one
  ``(n_in + 1) x (n_in + 1)`` block per neuron. Under this order the K-FAC approximation of a
  layer's Fisher block is ``np.kron(G, A)``; Martens & Grosse stack columns and write
  :math:`A \otimes G` for the same matrix.
* Activations: ``"linear"``, ``"tanh"``, ``"sigmoid"``, ``"relu"``, ``"prelu"`` (slope
  ``slope`` for :math:`h \le 0`), ``"elu"`` (:math:`\alpha(e^h - 1)` for :math:`h \le 0`),
  ``"softplus"``; the last layer may be ``"softmax"`` (categorical output over the logits
  :math:`h_L`). The derivative at a kink is the left one (``relu'(0) = 0``).
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

from symbolic.errors import DomainError

from . import _cpu
from .activations import ACTIVATIONS, NOISES, codes

__all__ = [
    "ACTIVATIONS",
    "NOISES",
    "BACKENDS",
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

BACKENDS = ("cpu", "cuda")
"""``"cpu"``: numba ``prange`` kernels plus BLAS; ``"cuda"``: :mod:`numeric.nn.cuda`."""


# ---------------------------------------------------------------------------------------------
# input checks (kernels assume valid input)


def _finite_array(a, name, ndim=None, shape_hint=""):
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DomainError(f"{name} must be a real array, got {type(a).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise DomainError(f"{name} must be {ndim}-dimensional{shape_hint}, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))
        raise DomainError(
            f"{name} must be finite; found {len(bad)} non-finite entries, first at index "
            f"{tuple(int(i) for i in bad[0])} ({arr[tuple(bad[0])]})"
        )
    return arr


def _positive(value, name):
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise DomainError(f"{name} must be > 0, got {value!r}")
    return v


def _nonnegative(value, name):
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise DomainError(f"{name} must be >= 0, got {value!r}")
    return v


def _check_backend(backend):
    if backend not in BACKENDS:
        raise DomainError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "cuda":
        from . import cuda as gpu

        gpu.require()
        return gpu
    return None


def _with_bias(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _check_layer(W, X, wname="W", xname="X"):
    W = _finite_array(W, wname, 2, " (n_out, n_in + 1)")
    X = _finite_array(X, xname, 2, " (N, n_in)")
    if W.shape[1] < 1 or W.shape[0] < 1:
        raise DomainError(f"{wname} must have at least one row and one column, got shape {W.shape}")
    if X.shape[1] != W.shape[1] - 1:
        raise DomainError(
            f"{wname} has shape {W.shape}, so {xname} must have {W.shape[1] - 1} columns "
            f"(n_in; the bias column is added here), got shape {X.shape}"
        )
    if X.shape[0] < 1:
        raise DomainError(f"{xname} must hold at least one sample, got shape {X.shape}")
    return W, X


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
    sigma = _positive(sigma, "sigma")
    H = _finite_array(H, "H")
    flat = np.ascontiguousarray(H.reshape(-1, 1))
    out = np.empty_like(flat)
    _cpu.launch(_cpu.nu_matrix, 16 * flat.size, flat, act, nz, sigma, param, out)
    return out.reshape(H.shape)


def _grams(nu_w, Xt, backend):
    """mean_n nu_w[n, i] Xt[n] Xt[n]^T (Xt with the bias column), on the given backend."""
    N = Xt.shape[0]
    if backend == "cuda":
        from . import cuda as gpu

        return gpu.weighted_grams(nu_w, Xt)
    return _cpu.weighted_grams(np.ascontiguousarray(nu_w) * (1.0 / N), np.ascontiguousarray(Xt))


def weighted_grams(nu, X, *, backend="cpu"):
    r"""Blocks :math:`G_i = \frac1N \sum_n \nu_{ni}\, \tilde x_n \tilde x_n^\top` for all ``i``.

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
    X = _finite_array(X, "X", 2, " (N, n_in)")
    nu = _finite_array(nu, "nu", 2, " (N, m)")
    if nu.shape[0] != X.shape[0]:
        raise DomainError(
            f"nu must have one row per sample of X ({X.shape[0]}), got shape {nu.shape}"
        )
    if X.shape[0] < 1:
        raise DomainError(f"X must hold at least one sample, got shape {X.shape}")
    return _grams(nu, _with_bias(X), backend)


def _nu_of_layer(W, Xt, act, nz, sigma, param, backend):
    if backend == "cuda":
        from . import cuda as gpu

        return gpu.nu_from_codes(W, Xt, act, nz, sigma, param)
    H = Xt @ W.T
    out = np.empty_like(H)
    _cpu.launch(_cpu.nu_matrix, 16 * H.size, H, act, nz, sigma, param, out)
    return out


def neuron_blocks(W, X, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
                  backend="cpu"):
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
    sigma = _positive(sigma, "sigma")
    W, X = _check_layer(W, X)
    Xt = _with_bias(X)
    nu = _nu_of_layer(W, Xt, act, nz, sigma, param, backend)
    return _grams(nu, Xt, backend)


def block_diag(blocks):
    """Dense block-diagonal matrix of a stack of square blocks, shape (m*D, m*D).

    Examples
    --------
    >>> block_diag(np.ones((2, 1, 1)))
    array([[1., 0.],
           [0., 1.]])
    """
    blocks = np.asarray(blocks, dtype=np.float64)
    if blocks.ndim != 3 or blocks.shape[1] != blocks.shape[2]:
        raise DomainError(f"blocks must have shape (m, D, D), got {blocks.shape}")
    return scipy.linalg.block_diag(*blocks)


def layer_rfim(W, X, activation, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
               backend="cpu"):
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
                                    alpha=alpha, backend=backend))


def _softmax(Z):
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _dense_from_grams(Gq, m, D):
    """(m*m, D, D) grams of weights Lambda[n, i, k] -> dense (m*D, m*D) in W.ravel() order."""
    return Gq.reshape(m, m, D, D).transpose(0, 2, 1, 3).reshape(m * D, m * D)


def softmax_rfim(W, X, *, backend="cpu"):
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
    Xt = _with_bias(X)
    m, D = W.shape
    eta = _softmax(Xt @ W.T)
    lam = (np.einsum("ni,ik->nik", eta, np.eye(m)) - eta[:, :, None] * eta[:, None, :])
    return _dense_from_grams(_grams(lam.reshape(-1, m * m), Xt, backend), m, D)


# ---------------------------------------------------------------------------------------------
# multilayer perceptrons

MLPForward = namedtuple("MLPForward", "inputs preacts derivs output")
MLPForward.__doc__ = """Forward pass of an MLP (:func:`mlp_forward`).

inputs : list of (N, n_in_l + 1) arrays, the augmented inputs of each layer (bias column last)
preacts : list of (N, n_out_l) arrays, pre-activations h_l
derivs : list of (N, n_out_l) arrays f_l'(h_l), None for a softmax layer
output : (N, n_out_L) network output: f_L(h_L), or the class probabilities for softmax
"""


def _check_mlp(weights, X, activations):
    if isinstance(weights, np.ndarray) or len(weights) == 0:
        raise DomainError("weights must be a non-empty list of (n_out, n_in + 1) arrays")
    if isinstance(activations, str) or len(activations) != len(weights):
        raise DomainError(
            f"activations must be a list with one name per layer ({len(weights)}), "
            f"got {activations!r}"
        )
    for l, a in enumerate(activations):
        if a == "softmax":
            if l != len(weights) - 1:
                raise DomainError(f"activations[{l}] = 'softmax' is allowed in the last layer only")
        elif a not in ACTIVATIONS:
            raise DomainError(
                f"activations[{l}] must be one of {ACTIVATIONS + ('softmax',)}, got {a!r}"
            )
    X = _finite_array(X, "X", 2, " (N, n_in)")
    Ws = []
    n_in = X.shape[1]
    for l, W in enumerate(weights):
        W = _finite_array(W, f"weights[{l}]", 2, " (n_out, n_in + 1)")
        if W.shape[1] != n_in + 1:
            raise DomainError(
                f"weights[{l}] must have {n_in + 1} columns (the {n_in} outputs of the layer "
                f"below, or of X, plus the bias), got shape {W.shape}"
            )
        Ws.append(W)
        n_in = W.shape[0]
    if X.shape[0] < 1:
        raise DomainError(f"X must hold at least one sample, got shape {X.shape}")
    return Ws, X


def _forward(Ws, X, activations, slope, alpha):
    inputs, preacts, derivs = [], [], []
    a = X
    for W, name in zip(Ws, activations):
        Xt = _with_bias(a)
        H = Xt @ W.T
        inputs.append(Xt)
        preacts.append(H)
        if name == "softmax":
            derivs.append(None)
            a = _softmax(H)
        else:
            act, _, param = codes(name, "gaussian", slope, alpha)
            f = np.empty_like(H)
            df = np.empty_like(H)
            _cpu.launch(_cpu.activation_matrix, 32 * H.size, H, act, param, f, df)
            derivs.append(df)
            a = f
    return MLPForward(inputs, preacts, derivs, a)


def mlp_forward(weights, X, activations, *, slope=0.25, alpha=1.0):
    """Forward pass of an MLP, keeping what the Fisher blocks need.

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
    Ws, X = _check_mlp(weights, X, activations)
    return _forward(Ws, X, list(activations), slope, alpha)


def _output_fisher(fw, softmax, sigma):
    """Lambda_n = Cov_y[d log p / d(top pre-activation)] per sample, (N, n_L, n_L)."""
    out = fw.output
    N, m = out.shape
    if softmax:
        return np.einsum("ni,ik->nik", out, np.eye(m)) - out[:, :, None] * out[:, None, :]
    # Gaussian around mu = f_L(h_L): score wrt h_L is f'(h) (y - mu) / sigma^2
    d = fw.derivs[-1]
    return np.einsum("ni,ik->nik", d * d / sigma**2, np.eye(m))


def _jacobians(Ws, fw):
    """B_l[n] = d h_L / d h_l, shape (N, n_L, n_l), for every layer (top first computed)."""
    N, m = fw.preacts[-1].shape
    B = np.broadcast_to(np.eye(m), (N, m, m)).copy()
    out = [B]
    for l in range(len(Ws) - 1, 0, -1):
        B = (B @ Ws[l][:, :-1]) * fw.derivs[l - 1][:, None, :]
        out.append(B)
    return out[::-1]


def _backprop(Ws, fw, e_top):
    """Per-sample d log p / d h_l for every layer, from e_top = d log p / d h_L, (N, n_l)."""
    gs = [e_top]
    g = e_top
    for l in range(len(Ws) - 1, 0, -1):
        g = (g @ Ws[l][:, :-1]) * fw.derivs[l - 1]
        gs.append(g)
    return gs[::-1]


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
        if y.shape != (N,) or not np.issubdtype(y.dtype, np.integer):
            raise DomainError(f"{name} must be {N} integer class labels, got shape {y.shape} "
                              f"dtype {y.dtype}")
        if y.min() < 0 or y.max() >= m:
            raise DomainError(f"{name} must lie in [0, {m}), got values in [{y.min()}, {y.max()}]")
        return y
    y = _finite_array(y, name, 2, f" ({N}, {m})")
    if y.shape != (N, m):
        raise DomainError(f"{name} must have shape {(N, m)}, got {y.shape}")
    return y


def nll_and_gradients(weights, X, y, activations, *, sigma=1.0, slope=0.25, alpha=1.0):
    r"""Mean negative log-likelihood of an MLP and its gradient with respect to each ``W_l``.

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
    Ws, X = _check_mlp(weights, X, activations)
    sigma = _positive(sigma, "sigma")
    softmax = activations[-1] == "softmax"
    fw = _forward(Ws, X, list(activations), slope, alpha)
    y = _check_targets(y, fw, softmax)
    N = X.shape[0]
    if softmax:
        Z = fw.preacts[-1]
        zmax = Z.max(axis=1, keepdims=True)
        logp = Z - zmax - np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(N), y].mean()
    else:
        r = y - fw.output
        loss = 0.5 * (r * r).sum(axis=1).mean() / sigma**2 + 0.5 * r.shape[1] * math.log(
            2 * math.pi * sigma**2)
    gs = _backprop(Ws, fw, _score_top(fw, y, softmax, sigma))
    grads = [-(g.T @ Xt) / N for g, Xt in zip(gs, fw.inputs)]
    return float(loss), grads


def fisher_blocks(weights, X, activations, *, sigma=1.0, slope=0.25, alpha=1.0, backend="cpu"):
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
    Ws, X = _check_mlp(weights, X, activations)
    sigma = _positive(sigma, "sigma")
    softmax = activations[-1] == "softmax"
    fw = _forward(Ws, X, list(activations), slope, alpha)
    lam = _output_fisher(fw, softmax, sigma)
    out = []
    for B, Xt in zip(_jacobians(Ws, fw), fw.inputs):
        M = np.einsum("noi,nop,npk->nik", B, lam, B, optimize=True)
        n, D = M.shape[1], Xt.shape[1]
        out.append(_dense_from_grams(_grams(M.reshape(-1, n * n), Xt, backend), n, D))
    return out


KFACFactors = namedtuple("KFACFactors", "A G")
KFACFactors.__doc__ = """K-FAC factors of one layer: A = E[a~ a~^T] (inputs with bias),
G = E[g g^T] (g = d log p(y|x) / d h_l); the Fisher block is approximated by np.kron(G, A)."""


def kfac_factors(weights, X, activations, *, targets="expected", sigma=1.0, slope=0.25,
                 alpha=1.0, rng=None):
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
    Ws, X = _check_mlp(weights, X, activations)
    sigma = _positive(sigma, "sigma")
    softmax = activations[-1] == "softmax"
    fw = _forward(Ws, X, list(activations), slope, alpha)
    N = X.shape[0]
    As = [Xt.T @ Xt / N for Xt in fw.inputs]
    if isinstance(targets, str) and targets == "expected":
        lam = _output_fisher(fw, softmax, sigma)
        Gs = [np.einsum("noi,nop,npk->ik", B, lam, B, optimize=True) / N for B in _jacobians(Ws, fw)]
    else:
        if isinstance(targets, str):
            if targets != "sample":
                raise DomainError(f"targets must be 'expected', 'sample' or an array, got {targets!r}")
            rng = np.random.default_rng(rng)
            if softmax:
                u = rng.random((N, 1))
                y = np.minimum((fw.output.cumsum(axis=1) < u).sum(axis=1), fw.output.shape[1] - 1)
            else:
                y = fw.output + sigma * rng.standard_normal(fw.output.shape)
        else:
            y = _check_targets(targets, fw, softmax, "targets")
        gs = _backprop(Ws, fw, _score_top(fw, y, softmax, sigma))
        Gs = [g.T @ g / N for g in gs]
    return [KFACFactors(A, G) for A, G in zip(As, Gs)]


def _cho(M, damping, name):
    try:
        return scipy.linalg.cho_factor(M + damping * np.eye(M.shape[0]), lower=True)
    except np.linalg.LinAlgError as exc:
        raise np.linalg.LinAlgError(
            f"{name} + sqrt(damping) I is not positive definite (sqrt(damping) = {damping:g}); "
            f"pass damping > 0, e.g. damping={max(1e-8, 1e-6 * np.trace(M) / len(M)) ** 2:.3g}"
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
    A = _finite_array(A, "A", 2)
    G = _finite_array(G, "G", 2)
    grad = _finite_array(grad, "grad", 2)
    damping = _nonnegative(damping, "damping")
    if A.shape[0] != A.shape[1] or G.shape[0] != G.shape[1]:
        raise DomainError(f"A and G must be square, got shapes {A.shape} and {G.shape}")
    if grad.shape != (G.shape[0], A.shape[0]):
        raise DomainError(f"grad must have shape {(G.shape[0], A.shape[0])} (n_out, n_in + 1) to "
                          f"match G {G.shape} and A {A.shape}, got {grad.shape}")
    s = math.sqrt(damping)
    left = scipy.linalg.cho_solve(_cho(G, s, "G"), grad)
    return scipy.linalg.cho_solve(_cho(A, s, "A"), left.T).T


# ---------------------------------------------------------------------------------------------
# batched damped Cholesky solves


def _check_stack(G, name="G"):
    G = _finite_array(G, name, 3, " (m, D, D)")
    if G.shape[1] != G.shape[2] or G.shape[1] < 1:
        raise DomainError(f"{name} must be a stack of square blocks (m, D, D), got shape {G.shape}")
    return np.ascontiguousarray(G)


def _raise_singular(G, status, damping):
    i = int(np.flatnonzero(status)[0])
    D = G.shape[1]
    scale = max(float(np.trace(G[i])) / D, 1e-300)
    raise np.linalg.LinAlgError(
        f"block {i} of G (+ damping I, damping={damping:g}) is not positive definite: pivot "
        f"{int(status[i])} of {D} is <= 0 ({int(np.count_nonzero(status))} of {len(status)} "
        f"blocks fail); pass damping > 0, e.g. damping={1e-6 * scale:.3g} (1e-6 x the mean "
        f"diagonal of that block)"
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
    numpy.linalg.LinAlgError
        If a block is not positive definite; the message names it and suggests a damping.

    Examples
    --------
    >>> cholesky_blocks([[[4.0, 2.0], [2.0, 2.0]]])
    array([[[2., 0.],
            [1., 1.]]])
    """
    gpu = _check_backend(backend)
    G = _check_stack(G)
    damping = _nonnegative(damping, "damping")
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
    g = _finite_array(g, "g", 2, " (m, D)")
    if g.shape != L.shape[:2]:
        raise DomainError(f"g must have shape {L.shape[:2]} (one row per block), got {g.shape}")
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
    numpy.linalg.LinAlgError
        If some ``G_i + damping I`` is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> solve_blocks(np.zeros((1, 2, 2)), [[1.0, 2.0]], damping=0.5)
    array([[2., 4.]])
    """
    G = _check_stack(G)
    g = _finite_array(g, "g", 2, " (m, D)")
    if g.shape != G.shape[:2]:
        raise DomainError(f"g must have shape {G.shape[:2]} (one row per block of G), got {g.shape}")
    return cholesky_solve_blocks(cholesky_blocks(G, damping, backend=backend), g, backend=backend)


# ---------------------------------------------------------------------------------------------
# relative natural gradient descent


def rfim_blocks(weights, X, activations, noise="gaussian", *, sigma=1.0, slope=0.25, alpha=1.0,
                backend="cpu", forward=None):
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
    Ws, X = _check_mlp(weights, X, activations)
    sigma = _positive(sigma, "sigma")
    layer_codes = [None if a == "softmax" else codes(a, noise, slope, alpha) for a in activations]
    fw = forward if forward is not None else _forward(Ws, X, list(activations), slope, alpha)
    out = []
    for c, H, Xt, W in zip(layer_codes, fw.preacts, fw.inputs, Ws):
        if c is None:
            p = fw.output
            nu = p * (1.0 - p)
        elif backend == "cuda":
            nu = _nu_of_layer(W, Xt, c[0], c[1], sigma, c[2], backend)
        else:
            nu = np.empty_like(H)
            _cpu.launch(_cpu.nu_matrix, 16 * H.size, H, c[0], c[1], sigma, c[2], nu)
        out.append(_grams(nu, Xt, backend))
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
        if isinstance(weights, np.ndarray) or len(weights) == 0:
            raise DomainError("weights must be a non-empty list of (n_out, n_in + 1) arrays")
        for l, W in enumerate(weights):
            if not (isinstance(W, np.ndarray) and W.dtype == np.float64 and W.ndim == 2):
                raise DomainError(f"weights[{l}] must be a 2-d float64 numpy array (it is "
                                  f"updated in place), got {type(W).__name__}")
        # checks names, noise/activation pairs and chained shapes on a dummy input
        _check_mlp(weights, np.zeros((1, weights[0].shape[1] - 1)), activations)
        for a in activations:
            if a != "softmax":
                codes(a, noise, slope, alpha)
        self.weights = weights
        self.activations = list(activations)
        self.lr = _positive(lr, "lr")
        decay = float(decay)
        if not (0.0 < decay <= 1.0):
            raise DomainError(f"decay must be in (0, 1], got {decay!r}")
        self.decay = decay
        if int(period) != period or period < 1:
            raise DomainError(f"period must be an integer >= 1, got {period!r}")
        self.period = int(period)
        self.damping = _nonnegative(damping, "damping")
        self.noise, self.sigma, self.slope, self.alpha = noise, _positive(sigma, "sigma"), slope, alpha
        self.backend = backend
        self.metrics = [np.broadcast_to(np.eye(W.shape[1]), (W.shape[0],) + (W.shape[1],) * 2).copy()
                        for W in weights]
        self.factors = None
        self.steps = 0

    def step(self, grads, X):
        """One RNGD step from the gradients ``grads`` of the cost at the mini-batch ``X``.

        Parameters
        ----------
        grads : list of array_like
            :math:`\\partial E/\\partial W_l`, shapes of the weights.
        X : array_like, shape (N, n_0)
            The mini-batch the gradients were computed on (the metric is measured there).

        Returns
        -------
        list of ndarray
            The directions :math:`(G+\\epsilon I)^{-1}\\partial E/\\partial W_l`; the weights
            moved by ``-lr`` times these.
        """
        if len(grads) != len(self.weights):
            raise DomainError(f"grads must hold one array per layer ({len(self.weights)}), "
                              f"got {len(grads)}")
        grads = [_finite_array(g, f"grads[{l}]", 2) for l, g in enumerate(grads)]
        for l, (g, W) in enumerate(zip(grads, self.weights)):
            if g.shape != W.shape:
                raise DomainError(f"grads[{l}] must have the shape of weights[{l}] {W.shape}, "
                                  f"got {g.shape}")
        batch = rfim_blocks(self.weights, X, self.activations, self.noise, sigma=self.sigma,
                            slope=self.slope, alpha=self.alpha, backend=self.backend)
        lam = self.decay
        for G, Gb in zip(self.metrics, batch):
            G *= 1.0 - lam
            G += lam * Gb
        if self.factors is None or self.steps % self.period == 0:
            self.factors = [cholesky_blocks(G, self.damping, backend=self.backend)
                            for G in self.metrics]
        directions = []
        for W, L, g in zip(self.weights, self.factors, grads):
            d = cholesky_solve_blocks(L, g, backend=self.backend)
            W -= self.lr * d
            directions.append(d)
        self.steps += 1
        return directions
