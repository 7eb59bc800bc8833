r"""Fisher diagnostics for supervised models :math:`p(y \mid f(x, \theta))`.

The model is a prediction function :math:`f(x, \theta) \in \mathbb{R}^M` (a linear model or a
small multilayer perceptron, :class:`MLP`) followed by an exponential-family likelihood whose
parameter is the network output (:class:`GaussianLikelihood`, :class:`BernoulliLikelihood`,
:class:`CategoricalLikelihood`). For such models this module computes, exactly and in plain
numpy, the matrices compared by Kunstner, Balles & Hennig [1]_:

* the Fisher (their eq. 2) :math:`F = \sum_n E_{y \sim p(\cdot|f_n)}[\nabla_\theta \log p\,
  \nabla_\theta \log p^\top] = \sum_n J_n^\top \Lambda(f_n) J_n`, with :math:`J_n = \partial
  f(x_n,\theta)/\partial\theta` and :math:`\Lambda(f) = \operatorname{Cov}_{y\sim p(\cdot|f)}
  [\nabla_f \log p(y|f)]` the Fisher of the likelihood in the output space;
* its Monte Carlo estimate with labels drawn from the model (their sec. 6, Martens & Grosse);
* the empirical Fisher (their eq. 3) :math:`\tilde F = \sum_n g_n g_n^\top`, :math:`g_n =
  \nabla_\theta \log p(y_n | f(x_n, \theta))` at the training labels;
* the generalised Gauss-Newton matrix of the canonical split (their eq. 10 and 12)
  :math:`G = \sum_n J_n^\top \nabla_f^2 \ell(y_n, f_n) J_n`, :math:`\ell = -\log p`;
* the Hessian (their eq. 9) :math:`\nabla^2 L = G + \sum_{n,m} [\nabla_f \ell(y_n, f_n)]_m
  \nabla_\theta^2 f^{(m)}(x_n, \theta)`, the second term by forward-over-reverse
  differentiation of the back-propagation.

Conventions
-----------
* The loss is the **sum** of the negative log-likelihoods over the samples (eq. 1 of [1]_), and
  every matrix above is a sum over samples; divide by ``N`` for per-sample averages. (Eq. 1 of
  [2]_ writes "the Fisher" with the expectation over the data for both ``x`` and ``y``: that is
  the empirical Fisher of [1]_; its eq. 3, labels drawn from the model, is the Fisher here.)
* ``X`` has shape ``(N, n_inputs)``; network outputs ``f`` have shape ``(N, M)``; Jacobians
  ``(N, M, D)``; per-sample gradients ``(N, D)``; matrices ``(D, D)``.
* Parameter order: ``theta`` is the concatenation, layer by layer from the input, of the weight
  matrix ``W_l`` (shape ``(n_l, n_{l-1})``, raveled row by row, C order) followed by its bias
  ``b_l`` (shape ``(n_l,)``). A layer computes ``z_l = a_{l-1} @ W_l.T + b_l``; hidden layers
  apply the activation, the last layer is linear and its output ``f = z_L`` is the parameter of
  the likelihood: the mean for the Gaussian, the logit for the Bernoulli, the logits for the
  categorical.
* For the three likelihoods :math:`\nabla_f^2 \ell(y, f)` does not depend on :math:`y` and
  equals :math:`\Lambda(f)`, because :math:`f` is an affine function of the natural parameter
  (the Gaussian's natural parameter is :math:`f/\sigma^2`). This is Proposition 1 of [1]_:
  Fisher = GGN. The module computes the two through different methods of the likelihood
  (covariance of the output score and Hessian of the loss) so that the identity can be tested.

References
----------
.. [1] F. Kunstner, L. Balles, P. Hennig, "Limitations of the empirical Fisher approximation
   for natural gradient descent", NeurIPS 2019.
.. [2] A. K. Ray, V. Kumar, "Information geometry of deep learning optimization landscapes".

Examples
--------
>>> import numpy as np
>>> from numeric.nn.supervised import MLP, SupervisedModel
>>> model = SupervisedModel(MLP((2, 3, 1), activation="tanh"), "bernoulli")
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(20, 2)); y = rng.integers(0, 2, size=20)
>>> theta = rng.normal(size=model.n_params)
>>> F = model.fisher(theta, X)
>>> bool(np.allclose(F, model.ggn(theta, X, y)))       # Proposition 1 of Kunstner et al.
True
>>> H = model.hessian(theta, X, y)
>>> bool(np.allclose(H, F + model.residual_hessian(theta, X, y)))
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp, softmax

from symbolic.errors import DomainError

from ..optim.linalg import precondition

__all__ = [
    "MLP",
    "linear_model",
    "Likelihood",
    "GaussianLikelihood",
    "BernoulliLikelihood",
    "CategoricalLikelihood",
    "likelihood_from_name",
    "SupervisedModel",
    "cosine_similarity",
    "PRECONDITIONERS",
    "preconditioned_direction",
    "DescentPath",
    "descend",
    "direction_cosines",
]


# ----------------------------------------------------------------------------- validation
def _finite(name, value, *, shape=None, ndim=None):
    """``value`` as a float array, checked to be finite and of the given shape or rank."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise DomainError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    return arr


def _nonnegative(name, value):
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise DomainError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


# ----------------------------------------------------------------------------- activations
@dataclass(frozen=True)
class _Activation:
    """An elementwise activation with its first two derivatives, all as functions of z."""

    name: str
    f: object
    d1: object
    d2: object


def _sigmoid_d1(z):
    s = expit(z)
    return s * (1.0 - s)


def _sigmoid_d2(z):
    s = expit(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


_ACTIVATIONS = {
    "tanh": _Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2,
                        lambda z: -2.0 * np.tanh(z) * (1.0 - np.tanh(z) ** 2)),
    "sigmoid": _Activation("sigmoid", expit, _sigmoid_d1, _sigmoid_d2),
    # logaddexp(0, z) = log(1 + e^z) without overflow for large z.
    "softplus": _Activation("softplus", lambda z: np.logaddexp(0.0, z), expit, _sigmoid_d1),
    # ReLU: second derivative zero away from the kink; finite differences across a kink differ.
    "relu": _Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float),
                        np.zeros_like),
    "identity": _Activation("identity", lambda z: z, np.ones_like, np.zeros_like),
}


# ----------------------------------------------------------------------------- networks
@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` with a linear output.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths from the input to the output, at least two entries (two entries make a
        linear model).
    activation : {"tanh", "sigmoid", "softplus", "relu", "identity"}
        Activation of the hidden layers (unused by a linear model).
    bias : bool
        Whether every layer has a bias vector.

    Notes
    -----
    Parameter order in the flat vector ``theta``: ``W_1`` raveled row by row (shape
    ``(sizes[1], sizes[0])``), ``b_1``, ``W_2``, ``b_2``, ... (see the module docstring).

    Examples
    --------
    >>> net = MLP((3, 4, 2))
    >>> net.n_params, net.shapes
    (26, [(4, 3), (4,), (2, 4), (2,)])
    >>> theta = net.init(seed=0)
    >>> [w.shape for w in net.unflatten(theta)]
    [(4, 3), (4,), (2, 4), (2,)]
    >>> bool(np.array_equal(net.flatten(net.unflatten(theta)), theta))
    True
    """

    sizes: tuple
    activation: str = "tanh"
    bias: bool = True

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and output widths, got {sizes}")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
                raise DomainError(f"sizes must be integers >= 1, got {sizes}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}")
        object.__setattr__(self, "sizes", tuple(int(s) for s in sizes))

    @property
    def n_inputs(self):
        return self.sizes[0]

    @property
    def n_outputs(self):
        return self.sizes[-1]

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    @property
    def shapes(self):
        """Shapes of the weight arrays in ``theta`` order."""
        out = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            out.append((n_out, n_in))
            if self.bias:
                out.append((n_out,))
        return out

    @property
    def n_params(self):
        return int(sum(np.prod(s) for s in self.shapes))

    def _offsets(self):
        """Per layer, the offsets of ``W_l`` and ``b_l`` (None without bias) in ``theta``."""
        offsets, pos = [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            ow = pos
            pos += n_in * n_out
            ob = None
            if self.bias:
                ob = pos
                pos += n_out
            offsets.append((ow, ob))
        return offsets

    def check_theta(self, theta, name="theta"):
        """``theta`` as a finite float vector of length :attr:`n_params`."""
        return _finite(name, theta, shape=(self.n_params,))

    def check_inputs(self, X, name="X"):
        """``X`` as a finite float array of shape ``(N, n_inputs)`` with ``N >= 1``."""
        X = _finite(name, X, ndim=2)
        if X.shape[1] != self.n_inputs or X.shape[0] < 1:
            raise ValueError(f"{name} must have shape (N, {self.n_inputs}) with N >= 1, got {X.shape}")
        return X

    def unflatten(self, theta):
        """Split ``theta`` into the list of weight arrays ``[W_1, b_1, W_2, b_2, ...]``."""
        theta = self.check_theta(theta)
        out, pos = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            out.append(theta[pos:pos + size].reshape(shape))
            pos += size
        return out

    def flatten(self, weights):
        """Concatenate a list of weight arrays (``theta`` order) into ``theta``."""
        weights = list(weights)
        if len(weights) != len(self.shapes):
            raise ValueError(f"weights must hold {len(self.shapes)} arrays {self.shapes}, got {len(weights)}")
        parts = [_finite(f"weights[{i}]", w, shape=s).ravel() for i, (w, s) in enumerate(zip(weights, self.shapes))]
        return np.concatenate(parts)

    def init(self, seed=None, scale=1.0):
        """Random parameters: ``W_l ~ N(0, scale**2 / n_{l-1})`` (LeCun), biases zero."""
        rng = _rng(seed)
        scale = _nonnegative("scale", scale)
        weights = []
        for shape in self.shapes:
            if len(shape) == 2:
                weights.append(rng.normal(scale=scale / np.sqrt(shape[1]), size=shape))
            else:
                weights.append(np.zeros(shape))
        return self.flatten(weights)

    # --- internals on validated input -------------------------------------------------
    def _layers(self, theta):
        ws, layers, k = self.unflatten(theta), [], 0
        for _ in range(self.n_layers):
            W = ws[k]
            b = ws[k + 1] if self.bias else None
            k += 2 if self.bias else 1
            layers.append((W, b))
        return layers

    def _forward(self, layers, X):
        """Pre-activations ``z[l]`` and layer inputs ``a[l]`` (``a[0] = X``); output ``z[-1]``."""
        act = _ACTIVATIONS[self.activation]
        z, a = [], [X]
        for l, (W, b) in enumerate(layers):
            zl = a[-1] @ W.T
            if b is not None:
                zl = zl + b
            z.append(zl)
            if l < self.n_layers - 1:
                a.append(act.f(zl))
        return z, a

    def _backprop(self, layers, z, a, seed):
        """Reverse mode: ``seed`` (N, K, M) -> ``seed @ d f / d theta`` of shape (N, K, D)."""
        act = _ACTIVATIONS[self.activation]
        N, K = seed.shape[:2]
        blocks = []
        delta = seed
        for l in reversed(range(self.n_layers)):
            W = layers[l][0]
            layer = [(delta[:, :, :, None] * a[l][:, None, None, :]).reshape(N, K, -1)]
            if self.bias:
                layer.append(delta)
            blocks.append(layer)
            if l > 0:
                delta = (delta @ W) * act.d1(z[l - 1])[:, None, :]
        return np.concatenate([blk for layer in reversed(blocks) for blk in layer], axis=-1)

    def _output_hessian_contracted(self, layers, z, a, e):
        r"""Exact :math:`\sum_n \sum_m e_{nm} \nabla_\theta^2 f^{(m)}(x_n, \theta)` of shape (D, D).

        Forward-over-reverse: the reverse pass that computes the gradient of
        :math:`s(\theta) = \sum_n e_n \cdot f(x_n, \theta)` (``e`` held fixed) is differentiated
        in forward mode along all ``D`` coordinate directions at once. ``T[l] = dz_l/dtheta``,
        ``S[l] = da_l/dtheta`` are the forward tangents, ``Dd`` the tangent of the adjoint.
        """
        act = _ACTIVATIONS[self.activation]
        N, D = a[0].shape[0], self.n_params
        offsets = self._offsets()
        # Index of W_l[i, j] in theta, per layer: offW + i * n_in + j.
        w_index = [ow + np.arange(W.shape[0])[:, None] * W.shape[1] + np.arange(W.shape[1])[None, :]
                   for (ow, _), (W, _) in zip(offsets, layers)]

        S = [np.zeros((N, a[0].shape[1], D))]
        T = []
        for l, (W, b) in enumerate(layers):
            n_out = W.shape[0]
            Tl = np.einsum("ij,njd->nid", W, S[l])
            # d z_l[i] / d W_l[i, j] = a_{l-1}[j]; d z_l[i] / d b_l[i] = 1.
            Tl[:, np.arange(n_out)[:, None], w_index[l]] += a[l][:, None, :]
            if b is not None:
                Tl[:, np.arange(n_out), offsets[l][1] + np.arange(n_out)] += 1.0
            T.append(Tl)
            if l < self.n_layers - 1:
                S.append(act.d1(z[l])[:, :, None] * Tl)

        H = np.zeros((D, D))
        delta = e
        Dd = np.zeros(e.shape + (D,))
        for l in reversed(range(self.n_layers)):
            W = layers[l][0]
            n_out, n_in = W.shape
            ow, ob = offsets[l]
            # gradient wrt W_l[i, j] is sum_n delta[n, i] a_{l-1}[n, j]; differentiate the product.
            DgW = np.einsum("nid,nj->ijd", Dd, a[l]) + np.einsum("ni,njd->ijd", delta, S[l])
            H[ow:ow + n_out * n_in] = DgW.reshape(n_out * n_in, D)
            if ob is not None:
                H[ob:ob + n_out] = Dd.sum(axis=0)
            if l > 0:
                u = delta @ W
                Du = np.einsum("nid,ij->njd", Dd, W)
                # d (delta @ W)[j] / d W[i, j] = delta[i].
                Du[:, np.arange(n_in)[None, :], w_index[l]] += delta[:, :, None]
                d1, d2 = act.d1(z[l - 1]), act.d2(z[l - 1])
                Dd = Du * d1[:, :, None] + (u * d2)[:, :, None] * T[l - 1]
                delta = u * d1
        # Rounding leaves H asymmetric at the 1e-16 level; the exact Hessian is symmetric.
        return 0.5 * (H + H.T)

    # --- public -----------------------------------------------------------------------
    def forward(self, theta, X):
        """Network outputs ``f(X, theta)`` of shape ``(N, n_outputs)``."""
        theta, X = self.check_theta(theta), self.check_inputs(X)
        return self._forward(self._layers(theta), X)[0][-1]

    def jacobian(self, theta, X):
        """Per-sample Jacobians ``d f(x_n) / d theta`` of shape ``(N, n_outputs, n_params)``.

        Exact, by back-propagation seeded with each output direction.

        Examples
        --------
        >>> net = linear_model(2, 1)
        >>> net.jacobian(np.array([1.0, 2.0, 3.0]), np.array([[4.0, 5.0]]))   # [x, 1]
        array([[[4., 5., 1.]]])
        """
        theta, X = self.check_theta(theta), self.check_inputs(X)
        layers = self._layers(theta)
        z, a = self._forward(layers, X)
        M = self.n_outputs
        seed = np.broadcast_to(np.eye(M), (X.shape[0], M, M))
        return self._backprop(layers, z, a, seed)


def linear_model(n_inputs, n_outputs=1, bias=True):
    """The linear model ``f(x) = W x + b`` as a one-layer :class:`MLP`.

    Examples
    --------
    >>> linear_model(3, 2).shapes
    [(2, 3), (2,)]
    """
    return MLP((n_inputs, n_outputs), activation="identity", bias=bias)


# ----------------------------------------------------------------------------- likelihoods
class Likelihood:
    r"""An exponential-family likelihood :math:`p(y \mid f)` parametrised by the output ``f``.

    Subclasses implement, vectorised over leading axes of ``f`` (``(..., M)``) and ``y``:
    ``nll`` (:math:`\ell = -\log p`), ``nll_gradient`` (:math:`\nabla_f \ell`),
    ``nll_hessian`` (:math:`\nabla_f^2 \ell`), ``output_fisher``
    (:math:`\Lambda = \operatorname{Cov}_{y \sim p(\cdot|f)}[\nabla_f \ell]`) and ``sample``.
    """

    name = "likelihood"

    def check_outputs(self, n_outputs):
        """Raise if the likelihood cannot use a network with ``n_outputs`` outputs."""

    def check_labels(self, y, n_samples, n_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class GaussianLikelihood(Likelihood):
    r"""Regression :math:`y \sim N(f, \sigma^2 I_M)` with fixed noise standard deviation ``sigma``.

    :math:`\ell = \lVert y - f\rVert^2 / (2\sigma^2) + \tfrac{M}{2}\log(2\pi\sigma^2)`,
    :math:`\nabla_f \ell = (f - y)/\sigma^2`, :math:`\nabla_f^2\ell = \Lambda = I/\sigma^2`.
    Labels: real array of shape ``(N, M)`` (``(N,)`` when ``M == 1``).

    Examples
    --------
    >>> lik = GaussianLikelihood(sigma=2.0)
    >>> lik.output_fisher(np.zeros((1, 2)))
    array([[[0.25, 0.  ],
            [0.  , 0.25]]])
    """

    name = "gaussian"

    def __init__(self, sigma=1.0):
        s = float(sigma)
        if not np.isfinite(s) or s <= 0:
            raise DomainError(f"sigma must be > 0, got {sigma!r}")
        self.sigma = s

    def __repr__(self):
        return f"GaussianLikelihood(sigma={self.sigma!r})"

    def check_labels(self, y, n_samples, n_outputs):
        y = _finite("y", y)
        if n_outputs == 1 and y.shape == (n_samples,):
            y = y[:, None]
        if y.shape != (n_samples, n_outputs):
            raise ValueError(f"y must have shape ({n_samples}, {n_outputs}), got {y.shape}")
        return y

    def nll(self, f, y):
        M = f.shape[-1]
        return 0.5 * np.sum((y - f) ** 2, axis=-1) / self.sigma**2 + 0.5 * M * np.log(2 * np.pi * self.sigma**2)

    def nll_gradient(self, f, y):
        return (f - y) / self.sigma**2

    def nll_hessian(self, f, y):
        M = f.shape[-1]
        return np.broadcast_to(np.eye(M) / self.sigma**2, np.broadcast_shapes(f.shape, y.shape)[:-1] + (M, M)).copy()

    def output_fisher(self, f):
        # Cov[(f - y)/sigma^2] = sigma^2 I / sigma^4.
        M = f.shape[-1]
        return np.broadcast_to(np.eye(M) / self.sigma**2, f.shape[:-1] + (M, M)).copy()

    def sample(self, f, rng, n_samples):
        return f + self.sigma * rng.standard_normal((n_samples,) + f.shape)


class BernoulliLikelihood(Likelihood):
    r"""Logistic regression: :math:`y \in \{0, 1\}`, :math:`p(y=1|f) = \sigma(f)`, one output.

    :math:`\ell = \log(1 + e^f) - y f`, :math:`\nabla_f \ell = \sigma(f) - y`,
    :math:`\nabla_f^2 \ell = \sigma(f)(1-\sigma(f))`, and :math:`\Lambda = \operatorname{Var}(y)`
    is the same number. Labels: shape ``(N,)`` (or ``(N, 1)``) with values 0 and 1.

    Examples
    --------
    >>> BernoulliLikelihood().output_fisher(np.zeros((1, 1)))
    array([[[0.25]]])
    """

    name = "bernoulli"

    def check_outputs(self, n_outputs):
        if n_outputs != 1:
            raise ValueError(f"the Bernoulli likelihood needs a network with 1 output, got {n_outputs}")

    def check_labels(self, y, n_samples, n_outputs):
        y = _finite("y", y)
        if y.shape == (n_samples, 1):
            y = y[:, 0]
        if y.shape != (n_samples,):
            raise ValueError(f"y must have shape ({n_samples},), got {y.shape}")
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise DomainError(f"y must contain only 0 and 1 (Bernoulli labels), got {y[bad[0]]} at index {bad[0]}")
        return y

    def nll(self, f, y):
        return np.logaddexp(0.0, f[..., 0]) - y * f[..., 0]

    def nll_gradient(self, f, y):
        return (expit(f[..., 0]) - y)[..., None]

    def nll_hessian(self, f, y):
        p = expit(f[..., 0])
        h = p * (1.0 - p)
        return np.broadcast_to(h, np.broadcast_shapes(h.shape, np.shape(y)))[..., None, None].copy()

    def output_fisher(self, f):
        # Var(y) for y ~ Bernoulli(p).
        p = expit(f[..., 0])
        return (p - p * p)[..., None, None]

    def sample(self, f, rng, n_samples):
        p = expit(f[..., 0])
        return (rng.random((n_samples,) + p.shape) < p).astype(float)


class CategoricalLikelihood(Likelihood):
    r"""Softmax classification: :math:`y \in \{0, \dots, C-1\}`, :math:`p(y=c|f) =
    \operatorname{softmax}(f)_c`, ``C >= 2`` outputs (the logits).

    :math:`\ell = \operatorname{logsumexp}(f) - f_y`, :math:`\nabla_f \ell = p - e_y`,
    :math:`\nabla_f^2\ell = \Lambda = \operatorname{diag}(p) - p p^\top`, which is singular
    (the logits are defined up to a common shift), so the Fisher of a model with ``C`` free
    logits is singular too: use damping or the pseudo-inverse.
    Labels: integer class indices of shape ``(N,)``.

    Examples
    --------
    >>> CategoricalLikelihood().output_fisher(np.zeros((1, 2)))
    array([[[ 0.25, -0.25],
            [-0.25,  0.25]]])
    """

    name = "categorical"

    def check_outputs(self, n_outputs):
        if n_outputs < 2:
            raise ValueError(f"the categorical likelihood needs a network with >= 2 outputs, got {n_outputs}")

    def check_labels(self, y, n_samples, n_outputs):
        y = _finite("y", y)
        if y.shape == (n_samples, 1):
            y = y[:, 0]
        if y.shape != (n_samples,):
            raise ValueError(f"y must have shape ({n_samples},), got {y.shape}")
        bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= n_outputs))
        if bad.size:
            raise DomainError(f"y must contain integer class labels in [0, {n_outputs}), "
                              f"got {y[bad[0]]} at index {bad[0]}")
        return y.astype(np.intp)

    def nll(self, f, y):
        y = np.asarray(y, dtype=np.intp)
        f_y = np.take_along_axis(np.broadcast_to(f, y.shape + f.shape[-1:]), y[..., None], axis=-1)[..., 0]
        return logsumexp(f, axis=-1) - f_y

    def nll_gradient(self, f, y):
        y = np.asarray(y, dtype=np.intp)
        return softmax(f, axis=-1) - np.eye(f.shape[-1])[y]

    def nll_hessian(self, f, y):
        p = softmax(f, axis=-1)
        h = p[..., :, None] * (np.eye(f.shape[-1]) - p[..., None, :])
        return np.broadcast_to(h, np.broadcast_shapes(h.shape[:-2], np.shape(y)) + h.shape[-2:]).copy()

    def output_fisher(self, f):
        # Covariance of the one-hot vector e_y: diag(p) - p p^T.
        p = softmax(f, axis=-1)
        return np.einsum("...i,ij->...ij", p, np.eye(f.shape[-1])) - p[..., :, None] * p[..., None, :]

    def sample(self, f, rng, n_samples):
        p = softmax(f, axis=-1)
        u = rng.random((n_samples,) + p.shape[:-1] + (1,))
        # Inverse-CDF sampling; the min guards against a cumulative sum that rounds below 1.
        return np.minimum((u > np.cumsum(p, axis=-1)).sum(axis=-1), f.shape[-1] - 1).astype(np.intp)


_LIKELIHOOD_NAMES = {
    "gaussian": GaussianLikelihood,
    "regression": GaussianLikelihood,
    "bernoulli": BernoulliLikelihood,
    "logistic": BernoulliLikelihood,
    "categorical": CategoricalLikelihood,
    "softmax": CategoricalLikelihood,
}


def likelihood_from_name(name, **params):
    """A likelihood from its name.

    Parameters
    ----------
    name : {"gaussian", "regression", "bernoulli", "logistic", "categorical", "softmax"}
    **params
        Passed to the class (``sigma`` for the Gaussian).

    Examples
    --------
    >>> likelihood_from_name("logistic")
    BernoulliLikelihood()
    >>> likelihood_from_name("gaussian", sigma=0.5)
    GaussianLikelihood(sigma=0.5)
    """
    try:
        cls = _LIKELIHOOD_NAMES[name]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"likelihood must be one of {sorted(_LIKELIHOOD_NAMES)} or a Likelihood, "
                         f"got {name!r}") from exc
    return cls(**params)


# ----------------------------------------------------------------------------- the model
def _sandwich(J, Lam):
    """sum_n J_n^T Lam_n J_n for J (N, M, D), Lam (N, M, M), exactly symmetric."""
    A = np.einsum("nmd,nmk,nke->de", J, Lam, J, optimize=True)
    return 0.5 * (A + A.T)


@dataclass(frozen=True)
class SupervisedModel:
    r"""A supervised model :math:`p(y \mid f(x, \theta))`: a network and a likelihood.

    Parameters
    ----------
    network : MLP
        The prediction function; see :class:`MLP` for the order of ``theta``.
    likelihood : Likelihood or str
        A likelihood instance or a name accepted by :func:`likelihood_from_name`.

    Notes
    -----
    Every method takes ``theta`` (shape ``(D,)``), ``X`` (shape ``(N, n_inputs)``) and, where
    the labels matter, ``y``; losses and matrices are sums over the ``N`` samples.

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> model.fisher(np.zeros(2), X)                  # sum_n [x, 1][x, 1]^T / sigma^2
    array([[5., 3.],
           [3., 2.]])
    >>> model.empirical_fisher(np.zeros(2), X, y)     # sum_n r_n^2 [x, 1][x, 1]^T
    array([[37., 19.],
           [19., 10.]])
    """

    network: MLP
    likelihood: Likelihood

    def __post_init__(self):
        if not isinstance(self.network, MLP):
            raise TypeError(f"network must be an MLP, got {type(self.network).__name__}")
        lik = self.likelihood
        if not isinstance(lik, Likelihood):
            lik = likelihood_from_name(lik)
        lik.check_outputs(self.network.n_outputs)
        object.__setattr__(self, "likelihood", lik)

    @property
    def n_params(self):
        return self.network.n_params

    # --- shared preparation -------------------------------------------------------------
    def _prepare(self, theta, X, y=None):
        net = self.network
        theta, X = net.check_theta(theta), net.check_inputs(X)
        if y is not None:
            y = self.likelihood.check_labels(y, X.shape[0], net.n_outputs)
        layers = net._layers(theta)
        z, a = net._forward(layers, X)
        return layers, z, a, y

    def _jacobian(self, layers, z, a):
        N, M = a[0].shape[0], self.network.n_outputs
        return self.network._backprop(layers, z, a, np.broadcast_to(np.eye(M), (N, M, M)))

    # --- values and gradients -----------------------------------------------------------
    def outputs(self, theta, X):
        """Network outputs ``f(X, theta)``, shape ``(N, M)``."""
        return self.network.forward(theta, X)

    def jacobian(self, theta, X):
        """Per-sample output Jacobians, shape ``(N, M, D)``; see :meth:`MLP.jacobian`."""
        return self.network.jacobian(theta, X)

    def loss(self, theta, X, y):
        r"""Negative log-likelihood :math:`L = -\sum_n \log p(y_n | f(x_n, \theta))` (eq. 1 of [1])."""
        _, z, _, y = self._prepare(theta, X, y)
        return float(np.sum(self.likelihood.nll(z[-1], y)))

    def per_sample_gradients(self, theta, X, y):
        r"""Gradients :math:`\nabla_\theta \ell(y_n, f(x_n, \theta))`, shape ``(N, D)``."""
        layers, z, a, y = self._prepare(theta, X, y)
        r = self.likelihood.nll_gradient(z[-1], y)
        return self.network._backprop(layers, z, a, r[:, None, :])[:, 0, :]

    def gradient(self, theta, X, y):
        r"""Gradient of the loss, :math:`\nabla L = \sum_n J_n^\top \nabla_f \ell(y_n, f_n)`."""
        return self.per_sample_gradients(theta, X, y).sum(axis=0)

    # --- curvature matrices ---------------------------------------------------------------
    def fisher(self, theta, X):
        r"""Exact Fisher :math:`F = \sum_n J_n^\top \Lambda(f_n) J_n` (eq. 2 and Prop. 1 of [1]).

        ``Lambda`` is the covariance of the output score under the model; the labels are not
        needed because the expectation over :math:`y \sim p(\cdot | f_n)` is taken exactly.
        """
        layers, z, a, _ = self._prepare(theta, X)
        return _sandwich(self._jacobian(layers, z, a), self.likelihood.output_fisher(z[-1]))

    def fisher_mc(self, theta, X, n_samples=1, seed=None):
        r"""Monte Carlo Fisher with ``n_samples`` labels per input drawn from the model.

        :math:`\hat F = \sum_n \frac1S \sum_s g_{ns} g_{ns}^\top`, :math:`g_{ns} = J_n^\top
        \nabla_f \ell(\tilde y_{ns}, f_n)`, :math:`\tilde y_{ns} \sim p(\cdot | f_n)`; unbiased,
        with error :math:`O(S^{-1/2})`. ``seed``: int, None or a numpy Generator.
        """
        S = int(n_samples)
        if S < 1 or S != n_samples:
            raise DomainError(f"n_samples must be an integer >= 1, got {n_samples!r}")
        layers, z, a, _ = self._prepare(theta, X)
        f = z[-1]
        labels = self.likelihood.sample(f, _rng(seed), S)
        r = self.likelihood.nll_gradient(f, labels)                    # (S, N, M)
        C = np.einsum("snm,snk->nmk", r, r) / S
        return _sandwich(self._jacobian(layers, z, a), C)

    def sample_labels(self, theta, X, seed=None):
        """Labels ``y_n ~ p(y | f(x_n, theta))``, one per input."""
        _, z, _, _ = self._prepare(theta, X)
        out = self.likelihood.sample(z[-1], _rng(seed), 1)[0]
        return out

    def empirical_fisher(self, theta, X, y):
        r"""Empirical Fisher :math:`\tilde F = \sum_n g_n g_n^\top` at the training labels (eq. 3 of [1]).

        Not a Monte Carlo estimate of the Fisher: the labels come from the data, not the model.
        """
        g = self.per_sample_gradients(theta, X, y)
        return g.T @ g

    def ggn(self, theta, X, y):
        r"""Generalised Gauss-Newton of the canonical split (eq. 10, 12 of [1]).

        :math:`G = \sum_n J_n^\top \nabla_f^2 \ell(y_n, f_n) J_n`. For the likelihoods here it
        equals :meth:`fisher` (Proposition 1 of [1]).
        """
        layers, z, a, y = self._prepare(theta, X, y)
        return _sandwich(self._jacobian(layers, z, a), self.likelihood.nll_hessian(z[-1], y))

    def residual_hessian(self, theta, X, y):
        r"""The part of the Hessian that the GGN drops (second sum of eq. 9 of [1]).

        :math:`R = \sum_n \sum_m [\nabla_f \ell(y_n, f_n)]_m \nabla_\theta^2 f^{(m)}(x_n, \theta)`;
        zero for a linear model.
        """
        layers, z, a, y = self._prepare(theta, X, y)
        e = self.likelihood.nll_gradient(z[-1], y)
        return self.network._output_hessian_contracted(layers, z, a, e)

    def hessian(self, theta, X, y):
        r"""Exact Hessian of the loss, :math:`\nabla^2 L = G + R` (eq. 9 of [1]).

        Meant for small networks: the forward-over-reverse pass holds ``O(N * width * D)``
        numbers per layer and costs ``O(N * width * D)`` per layer on top of the ``D x D`` result.

        Examples
        --------
        >>> model = SupervisedModel(MLP((1, 2, 1), "tanh"), "gaussian")
        >>> theta = np.array([0.5, -1.0, 0.1, 0.2, 1.0, 2.0, 0.3])
        >>> X = np.array([[0.5], [-1.0]]); y = np.array([1.0, 0.0])
        >>> H = model.hessian(theta, X, y)
        >>> h = 1e-5; e = np.eye(7)
        >>> fd = np.array([(model.gradient(theta + h * e[i], X, y) - model.gradient(theta - h * e[i], X, y)) / (2 * h)
        ...                for i in range(7)])
        >>> bool(np.allclose(H, fd, atol=1e-8))
        True
        """
        layers, z, a, y = self._prepare(theta, X, y)
        f = z[-1]
        J = self._jacobian(layers, z, a)
        G = _sandwich(J, self.likelihood.nll_hessian(f, y))
        R = self.network._output_hessian_contracted(layers, z, a, self.likelihood.nll_gradient(f, y))
        return G + R


def cosine_similarity(u, v):
    """Cosine of the angle between two non-zero vectors.

    Examples
    --------
    >>> cosine_similarity([1.0, 0.0], [1.0, 1.0])
    0.7071067811865475
    """
    u, v = _finite("u", u, ndim=1), _finite("v", v, ndim=1)
    if u.shape != v.shape:
        raise ValueError(f"u and v must have the same shape, got {u.shape} and {v.shape}")
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        raise DomainError("u and v must be non-zero vectors: the cosine of a zero vector is undefined "
                          "(a zero gradient means a critical point)")
    # Clip the rounding excess so that the result is a valid cosine.
    return float(np.clip(u @ v / (nu * nv), -1.0, 1.0))


PRECONDITIONERS = ("none", "fisher", "empirical_fisher", "ggn", "hessian")


def _curvature(model, name, theta, X, y):
    if name == "fisher":
        return model.fisher(theta, X)
    if name == "empirical_fisher":
        return model.empirical_fisher(theta, X, y)
    if name == "ggn":
        return model.ggn(theta, X, y)
    if name == "hessian":
        return model.hessian(theta, X, y)
    raise ValueError(f"preconditioner must be one of {PRECONDITIONERS}, got {name!r}")


def preconditioned_direction(model, theta, X, y, *, preconditioner="fisher", damping=0.0, method="solve"):
    r"""The update direction :math:`(B + \lambda I)^{-1} \nabla L` (descent goes along minus it).

    ``preconditioner`` is one of :data:`PRECONDITIONERS`: ``"none"`` (the gradient),
    ``"fisher"`` (natural gradient, eq. 6 of [2]), ``"empirical_fisher"`` (EF-preconditioned
    gradient of [1]), ``"ggn"`` or ``"hessian"`` (Newton).

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])   # y = 2x + 1
    >>> theta = np.zeros(2)
    >>> theta - preconditioned_direction(model, theta, X, y)   # one natural-gradient step: exact
    array([2., 1.])
    """
    g = model.gradient(theta, X, y)
    if preconditioner == "none":
        return g
    return precondition(_curvature(model, preconditioner, theta, X, y), g, damping=damping, method=method)


@dataclass(frozen=True, eq=False)
class DescentPath:
    """The result of :func:`descend`.

    Attributes
    ----------
    thetas : ndarray, shape (T + 1, D)
        Iterates, the start included.
    losses : ndarray, shape (T + 1,)
    gradient_norms : ndarray, shape (T + 1,)
    preconditioner, step_size, damping, method
        The settings used.
    status : {"completed", "diverged"}
        ``"diverged"`` when an iterate or its loss stopped being finite; the path ends at the last
        finite iterate and ``message`` says what to change.
    message : str
    """

    thetas: np.ndarray
    losses: np.ndarray
    gradient_norms: np.ndarray
    preconditioner: str
    step_size: float
    damping: float
    method: str
    status: str
    message: str

    @property
    def theta(self):
        """The last iterate."""
        return self.thetas[-1]


def descend(model, theta0, X, y, *, preconditioner="none", step_size=1.0, n_steps=100, damping=0.0,
            method="solve"):
    r"""Preconditioned gradient descent, :math:`\theta_{t+1} = \theta_t - \gamma (B_t + \lambda I)^{-1} \nabla L`.

    Parameters
    ----------
    model : SupervisedModel
    theta0 : array_like, shape (D,)
    X, y : training inputs and labels
    preconditioner : str
        One of :data:`PRECONDITIONERS`; ``"none"`` is gradient descent (GD), ``"fisher"`` natural
        gradient descent (NGD), ``"empirical_fisher"`` EF-preconditioned descent (EFGD).
    step_size : float, > 0
    n_steps : int, >= 0
    damping : float, >= 0
    method : {"solve", "pinv"}
        See :func:`precondition`.

    Returns
    -------
    DescentPath
        Divergence is reported as ``status="diverged"``, not raised.

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> path = descend(model, np.zeros(2), X, y, preconditioner="fisher", step_size=0.5, n_steps=3)
    >>> path.thetas[-1]                           # (1 - 0.5)^3 of the way left
    array([1.75 , 0.875])
    """
    if not isinstance(model, SupervisedModel):
        raise TypeError(f"model must be a SupervisedModel, got {type(model).__name__}")
    if preconditioner not in PRECONDITIONERS:
        raise ValueError(f"preconditioner must be one of {PRECONDITIONERS}, got {preconditioner!r}")
    gamma = float(step_size)
    if not np.isfinite(gamma) or gamma <= 0:
        raise DomainError(f"step_size must be > 0, got {step_size!r}")
    T = int(n_steps)
    if T < 0 or T != n_steps:
        raise DomainError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    lam = _nonnegative("damping", damping)
    theta = model.network.check_theta(theta0, "theta0")
    X = model.network.check_inputs(X)
    y = model.likelihood.check_labels(y, X.shape[0], model.network.n_outputs)

    thetas, losses, gnorms = [theta], [model.loss(theta, X, y)], []
    status, message = "completed", f"{T} steps taken"
    for t in range(T):
        g = model.gradient(theta, X, y)
        # A diverging run overflows here first; that is reported through status, not warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            gnorms.append(np.linalg.norm(g))
            if preconditioner == "none":
                d = g
            else:
                d = precondition(_curvature(model, preconditioner, theta, X, y), g, damping=lam, method=method)
            new = theta - gamma * d
            loss = model.loss(new, X, y) if np.all(np.isfinite(new)) else np.inf
        if not np.isfinite(loss):
            status = "diverged"
            message = (f"step {t + 1} left the finite range (step_size={gamma:g}, damping={lam:g}); "
                       "decrease step_size or increase damping")
            break
        theta = new
        thetas.append(theta)
        losses.append(loss)
    if len(gnorms) < len(thetas):          # the last iterate's gradient is not computed yet
        with np.errstate(over="ignore"):
            gnorms.append(np.linalg.norm(model.gradient(theta, X, y)))
    return DescentPath(np.array(thetas), np.array(losses), np.array(gnorms), preconditioner,
                       gamma, lam, method, status, message)


def direction_cosines(model, thetas, X, y, *, damping=0.0, method="solve"):
    r"""Cosine between the natural-gradient and the EF-preconditioned directions at each point.

    For every row :math:`\theta_t` of ``thetas`` returns :math:`\cos\angle\big((F + \lambda I)^{-1}
    \nabla L, (\tilde F + \lambda I)^{-1}\nabla L\big)` (Fig. 3, second row, of [1]); values
    near -1 mean the EF step points against the natural gradient.

    Parameters
    ----------
    model : SupervisedModel
    thetas : array_like, shape (T, D)
        Points along an optimisation path, e.g. ``descend(...).thetas``.
    X, y : data
    damping : float, >= 0
        Added to both matrices.
    method : {"solve", "pinv"}

    Returns
    -------
    ndarray, shape (T,)

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> c = direction_cosines(model, [[0.0, 0.0], [1.0, 2.0]], X, y)
    >>> bool(np.all((-1 <= c) & (c <= 1)))
    True
    """
    thetas = _finite("thetas", thetas, ndim=2)
    out = np.empty(thetas.shape[0])
    for t, theta in enumerate(thetas):
        g = model.gradient(theta, X, y)
        nat = precondition(model.fisher(theta, X), g, damping=damping, method=method)
        ef = precondition(model.empirical_fisher(theta, X, y), g, damping=damping, method=method)
        out[t] = cosine_similarity(nat, ef)
    return out
