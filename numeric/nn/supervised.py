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
* Every loss and matrix is aggregated over the samples with ``reduction="mean"`` (the default,
  docs/conventions.md) or ``reduction="sum"``; eq. 1 of [1]_ and the formulas above are sums.
  (Eq. 1 of [2]_ writes "the Fisher" with the expectation over the data for both ``x`` and
  ``y``: that is the empirical Fisher of [1]_; its eq. 3, labels drawn from the model, is the
  Fisher here.)
* ``X`` has shape ``(N, n_inputs)``; network outputs ``f`` have shape ``(N, M)``; Jacobians
  ``(N, M, D)``; per-sample gradients ``(N, D)``; matrices ``(D, D)``.
* The network and its parameter layout are :class:`numeric.nn.mlp.MLP`'s, shared with
  :mod:`numeric.nn.blocks`: ``theta`` concatenates the layers' matrices ``W_l`` of shape
  ``(n_l, n_{l-1} + 1)`` (bias in the last column) row by row. Hidden layers apply the
  activation, the last layer is linear and its output ``f = h_L`` is the parameter of the
  likelihood: the mean for the Gaussian, the logit for the Bernoulli, the logits for the
  categorical. So ``SupervisedModel(MLP(sizes, act), "gaussian").fisher(theta, X)`` restricted
  to layer ``l`` is ``blocks.fisher_blocks(net.unflatten(theta), X, net.activations)[l]``.
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
>>> F = model.fisher(theta, X)                          # mean over the 20 samples
>>> bool(np.allclose(F, model.ggn(theta, X, y)))       # Proposition 1 of Kunstner et al.
True
>>> bool(np.allclose(20 * F, model.fisher(theta, X, reduction="sum")))
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
from symbolic.validation import as_array, choice, integer, nonnegative, positive

from ..optim.linalg import precondition
from .mlp import MLP, REDUCTIONS, linear_model, reduction_weight, refuse_overflow, vjp

__all__ = [
    "MLP",
    "linear_model",
    "REDUCTIONS",
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


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


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
        """Labels ``y`` checked against ``n_samples`` and ``n_outputs``, in the shape the other methods take."""
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
        self.sigma = positive("sigma", sigma)

    def __repr__(self):
        return f"GaussianLikelihood(sigma={self.sigma!r})"

    def check_labels(self, y, n_samples, n_outputs):
        """Labels as a float array ``(N, M)``; a vector ``(N,)`` is accepted for one output."""
        y = as_array("y", y)
        if n_outputs == 1 and y.shape == (n_samples,):
            y = y[:, None]
        if y.shape != (n_samples, n_outputs):
            raise ValueError(f"y must have shape ({n_samples}, {n_outputs}), got {y.shape}")
        return y

    def nll(self, f, y):
        """Negative log-density per sample, ``|y - f|^2 / (2 sigma^2) + (M/2) log(2 pi sigma^2)``."""
        M = f.shape[-1]
        return 0.5 * np.sum((y - f) ** 2, axis=-1) / self.sigma**2 + 0.5 * M * np.log(2 * np.pi * self.sigma**2)

    def nll_gradient(self, f, y):
        """Gradient in ``f``: ``(f - y) / sigma^2``."""
        return (f - y) / self.sigma**2

    def nll_hessian(self, f, y):
        """Hessian in ``f``: ``I / sigma^2`` for every sample, shape ``(..., M, M)``."""
        M = f.shape[-1]
        return np.broadcast_to(np.eye(M) / self.sigma**2, np.broadcast_shapes(f.shape, y.shape)[:-1] + (M, M)).copy()

    def output_fisher(self, f):
        """Output Fisher ``I / sigma^2``, shape ``(..., M, M)``."""
        # Cov[(f - y)/sigma^2] = sigma^2 I / sigma^4.
        M = f.shape[-1]
        return np.broadcast_to(np.eye(M) / self.sigma**2, f.shape[:-1] + (M, M)).copy()

    def sample(self, f, rng, n_samples):
        """``n_samples`` draws of ``y ~ N(f, sigma^2 I)``, shape ``(n_samples,) + f.shape``."""
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
        """Raise ``ValueError`` unless the network has exactly one output."""
        if n_outputs != 1:
            raise ValueError(f"the Bernoulli likelihood needs a network with 1 output, got {n_outputs}")

    def check_labels(self, y, n_samples, n_outputs):
        """Labels as a float vector ``(N,)`` of 0 and 1 (``(N, 1)`` accepted); ``DomainError`` for other values."""
        y = as_array("y", y)
        if y.shape == (n_samples, 1):
            y = y[:, 0]
        if y.shape != (n_samples,):
            raise ValueError(f"y must have shape ({n_samples},), got {y.shape}")
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise DomainError(f"y must contain only 0 and 1 (Bernoulli labels), got {y[bad[0]]} at index {bad[0]}")
        return y

    def nll(self, f, y):
        """Negative log-likelihood per sample, ``log(1 + e^f) - y f``, without overflow."""
        return np.logaddexp(0.0, f[..., 0]) - y * f[..., 0]

    def nll_gradient(self, f, y):
        """Gradient in ``f``: ``sigmoid(f) - y``, shape ``(..., 1)``."""
        return (expit(f[..., 0]) - y)[..., None]

    def nll_hessian(self, f, y):
        """Hessian in ``f``: ``p (1 - p)`` with ``p = sigmoid(f)``, shape ``(..., 1, 1)``."""
        p = expit(f[..., 0])
        h = p * (1.0 - p)
        return np.broadcast_to(h, np.broadcast_shapes(h.shape, np.shape(y)))[..., None, None].copy()

    def output_fisher(self, f):
        """Output Fisher ``Var(y) = p (1 - p)``, shape ``(..., 1, 1)``."""
        # Var(y) for y ~ Bernoulli(p).
        p = expit(f[..., 0])
        return (p - p * p)[..., None, None]

    def sample(self, f, rng, n_samples):
        """``n_samples`` labels (0.0 or 1.0) drawn with ``p = sigmoid(f)``, shape ``(n_samples,) + f.shape[:-1]``."""
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
        """Raise ``ValueError`` unless the network has at least two outputs (the logits)."""
        if n_outputs < 2:
            raise ValueError(f"the categorical likelihood needs a network with >= 2 outputs, got {n_outputs}")

    def check_labels(self, y, n_samples, n_outputs):
        """Labels as integer class indices ``(N,)`` in ``[0, C)``; ``DomainError`` for other values."""
        y = as_array("y", y)
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
        """Negative log-likelihood per sample, ``logsumexp(f) - f_y``."""
        y = np.asarray(y, dtype=np.intp)
        f_y = np.take_along_axis(np.broadcast_to(f, y.shape + f.shape[-1:]), y[..., None], axis=-1)[..., 0]
        return logsumexp(f, axis=-1) - f_y

    def nll_gradient(self, f, y):
        """Gradient in ``f``: ``softmax(f) - e_y``."""
        y = np.asarray(y, dtype=np.intp)
        return softmax(f, axis=-1) - np.eye(f.shape[-1])[y]

    def nll_hessian(self, f, y):
        """Hessian in ``f``: ``diag(p) - p p^T`` with ``p = softmax(f)``, whatever ``y``."""
        p = softmax(f, axis=-1)
        h = p[..., :, None] * (np.eye(f.shape[-1]) - p[..., None, :])
        return np.broadcast_to(h, np.broadcast_shapes(h.shape[:-2], np.shape(y)) + h.shape[-2:]).copy()

    def output_fisher(self, f):
        """Output Fisher, the covariance of the one-hot label: ``diag(p) - p p^T``."""
        # Covariance of the one-hot vector e_y: diag(p) - p p^T.
        p = softmax(f, axis=-1)
        return np.einsum("...i,ij->...ij", p, np.eye(f.shape[-1])) - p[..., :, None] * p[..., None, :]

    def sample(self, f, rng, n_samples):
        """``n_samples`` class indices drawn from ``softmax(f)``, shape ``(n_samples,) + f.shape[:-1]``."""
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
def _sandwich(J, Lam, weight, X):
    """The sum ``weight * sum_n J_n^T Lam_n J_n`` for J (N, M, D), Lam (N, M, M), exactly symmetric."""
    with np.errstate(over="ignore", invalid="ignore"):
        A = np.einsum("nmd,nmk,nke->de", J, Lam, J, optimize=True) * weight
    refuse_overflow(A, X, "the Fisher products J^T Lambda J")
    return 0.5 * (A + A.T)


@dataclass(frozen=True)
class SupervisedModel:
    r"""A supervised model :math:`p(y \mid f(x, \theta))`: a network and a likelihood.

    Parameters
    ----------
    network : MLP
        The prediction function; see :class:`numeric.nn.mlp.MLP` for the layout of ``theta``.
    likelihood : Likelihood or str
        A likelihood instance or a name accepted by :func:`likelihood_from_name`.

    Notes
    -----
    Every method takes ``theta`` (shape ``(D,)``), ``X`` (shape ``(N, n_inputs)``) and, where
    the labels matter, ``y``; losses, gradients and matrices are aggregated over the ``N``
    samples with ``reduction="mean"`` (default) or ``"sum"``.

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> model.fisher(np.zeros(2), X, reduction="sum")     # sum_n [x, 1][x, 1]^T / sigma^2
    array([[5., 3.],
           [3., 2.]])
    >>> model.fisher(np.zeros(2), X)                      # the mean, the default
    array([[2.5, 1.5],
           [1.5, 1. ]])
    >>> model.empirical_fisher(np.zeros(2), X, y, reduction="sum")   # sum_n r_n^2 [x, 1][x, 1]^T
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
        """The length of ``theta``, that of the network."""
        return self.network.n_params

    # --- shared preparation -------------------------------------------------------------
    def _prepare(self, theta, X, y=None, reduction="mean"):
        """Checked arguments, the forward pass and the reduction weight."""
        net = self.network
        X = net.check_inputs(X)
        weight = reduction_weight(reduction, X.shape[0])
        Ws, fw = net.run(theta, X)
        if y is not None:
            y = self.likelihood.check_labels(y, X.shape[0], net.n_outputs)
        return Ws, fw, y, X, weight

    @staticmethod
    def _jacobian(Ws, fw):
        N, M = fw.output.shape
        return vjp(Ws, fw, np.broadcast_to(np.eye(M), (N, M, M)))

    # --- values and gradients -----------------------------------------------------------
    def outputs(self, theta, X):
        """Network outputs ``f(X, theta)``, shape ``(N, M)``."""
        return self.network.forward(theta, X)

    def jacobian(self, theta, X):
        """Per-sample output Jacobians, shape ``(N, M, D)``; see :meth:`MLP.jacobian`."""
        return self.network.jacobian(theta, X)

    def loss(self, theta, X, y, *, reduction="mean"):
        r"""Negative log-likelihood :math:`L = -\sum_n \log p(y_n | f(x_n, \theta))` (eq. 1 of [1]),
        divided by ``N`` for ``reduction="mean"``.
        """
        _, fw, y, _, weight = self._prepare(theta, X, y, reduction)
        return float(np.sum(self.likelihood.nll(fw.output, y)) * weight)

    def per_sample_gradients(self, theta, X, y):
        r"""Gradients :math:`\nabla_\theta \ell(y_n, f(x_n, \theta))`, shape ``(N, D)`` (not aggregated)."""
        Ws, fw, y, _, _ = self._prepare(theta, X, y)
        r = self.likelihood.nll_gradient(fw.output, y)
        return vjp(Ws, fw, r[:, None, :])[:, 0, :]

    def gradient(self, theta, X, y, *, reduction="mean"):
        r"""Gradient of the loss, :math:`\nabla L = \sum_n J_n^\top \nabla_f \ell(y_n, f_n)` (over ``N`` for the mean)."""
        g = self.per_sample_gradients(theta, X, y)
        return g.sum(axis=0) * reduction_weight(reduction, g.shape[0])

    # --- curvature matrices ---------------------------------------------------------------
    def fisher(self, theta, X, *, reduction="mean"):
        r"""Exact Fisher :math:`F = \sum_n J_n^\top \Lambda(f_n) J_n` (eq. 2 and Prop. 1 of [1]),
        divided by ``N`` for ``reduction="mean"``.

        ``Lambda`` is the covariance of the output score under the model; the labels are not
        needed because the expectation over :math:`y \sim p(\cdot | f_n)` is taken exactly.
        """
        Ws, fw, _, X, weight = self._prepare(theta, X, reduction=reduction)
        return _sandwich(self._jacobian(Ws, fw), self.likelihood.output_fisher(fw.output), weight, X)

    def fisher_mc(self, theta, X, n_samples=1, seed=None, *, reduction="mean"):
        r"""Monte Carlo Fisher with ``n_samples`` labels per input drawn from the model.

        :math:`\hat F = \sum_n \frac1S \sum_s g_{ns} g_{ns}^\top`, :math:`g_{ns} = J_n^\top
        \nabla_f \ell(\tilde y_{ns}, f_n)`, :math:`\tilde y_{ns} \sim p(\cdot | f_n)`; unbiased,
        with error :math:`O(S^{-1/2})`. ``seed``: int, None or a numpy Generator.
        """
        S = integer("n_samples", n_samples, minimum=1)
        Ws, fw, _, X, weight = self._prepare(theta, X, reduction=reduction)
        f = fw.output
        labels = self.likelihood.sample(f, _rng(seed), S)
        r = self.likelihood.nll_gradient(f, labels)                    # (S, N, M)
        C = np.einsum("snm,snk->nmk", r, r) / S
        return _sandwich(self._jacobian(Ws, fw), C, weight, X)

    def sample_labels(self, theta, X, seed=None):
        """Labels ``y_n ~ p(y | f(x_n, theta))``, one per input."""
        return self.likelihood.sample(self.network.forward(theta, X), _rng(seed), 1)[0]

    def empirical_fisher(self, theta, X, y, *, reduction="mean"):
        r"""Empirical Fisher :math:`\tilde F = \sum_n g_n g_n^\top` at the training labels (eq. 3 of [1]),
        divided by ``N`` for ``reduction="mean"``.

        Not a Monte Carlo estimate of the Fisher: the labels come from the data, not the model.
        """
        g = self.per_sample_gradients(theta, X, y)
        weight = reduction_weight(reduction, g.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            A = (g.T @ g) * weight
        return refuse_overflow(A, X, "the empirical Fisher g g^T")

    def ggn(self, theta, X, y, *, reduction="mean"):
        r"""Generalised Gauss-Newton of the canonical split (eq. 10, 12 of [1]).

        :math:`G = \sum_n J_n^\top \nabla_f^2 \ell(y_n, f_n) J_n` (over ``N`` for the mean).
        For the likelihoods here it equals :meth:`fisher` (Proposition 1 of [1]).
        """
        Ws, fw, y, X, weight = self._prepare(theta, X, y, reduction)
        return _sandwich(self._jacobian(Ws, fw), self.likelihood.nll_hessian(fw.output, y), weight, X)

    def residual_hessian(self, theta, X, y, *, reduction="mean"):
        r"""The part of the Hessian that the GGN drops (second sum of eq. 9 of [1]).

        :math:`R = \sum_n \sum_m [\nabla_f \ell(y_n, f_n)]_m \nabla_\theta^2 f^{(m)}(x_n, \theta)`
        (over ``N`` for the mean); zero for a linear model.
        """
        Ws, fw, y, X, weight = self._prepare(theta, X, y, reduction)
        e = self.likelihood.nll_gradient(fw.output, y)
        return refuse_overflow(self.network.output_hessian_contracted(Ws, fw, e) * weight, X,
                               "the residual Hessian")

    def hessian(self, theta, X, y, *, reduction="mean"):
        r"""Exact Hessian of the loss, :math:`\nabla^2 L = G + R` (eq. 9 of [1]).

        Meant for small networks: the forward-over-reverse pass holds ``O(N * width * D)``
        numbers per layer and costs ``O(N * width * D)`` per layer on top of the ``D x D`` result.

        Examples
        --------
        >>> model = SupervisedModel(MLP((1, 2, 1), "tanh"), "gaussian")
        >>> theta = np.array([0.5, 0.1, -1.0, 0.2, 1.0, 2.0, 0.3])
        >>> X = np.array([[0.5], [-1.0]]); y = np.array([1.0, 0.0])
        >>> H = model.hessian(theta, X, y)
        >>> h = 1e-5; e = np.eye(7)
        >>> fd = np.array([(model.gradient(theta + h * e[i], X, y) - model.gradient(theta - h * e[i], X, y)) / (2 * h)
        ...                for i in range(7)])
        >>> bool(np.allclose(H, fd, atol=1e-8))
        True
        """
        return (self.ggn(theta, X, y, reduction=reduction)
                + self.residual_hessian(theta, X, y, reduction=reduction))


def cosine_similarity(u, v):
    """Cosine of the angle between two non-zero vectors.

    Examples
    --------
    >>> cosine_similarity([1.0, 0.0], [1.0, 1.0])
    0.7071067811865475
    """
    u, v = as_array("u", u, ndim=1), as_array("v", v, ndim=1)
    if u.shape != v.shape:
        raise ValueError(f"u and v must have the same shape, got {u.shape} and {v.shape}")
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        raise DomainError("u and v must be non-zero vectors: the cosine of a zero vector is undefined "
                          "(a zero gradient means a critical point)")
    # Clip the rounding excess so that the result is a valid cosine.
    return float(np.clip(u @ v / (nu * nv), -1.0, 1.0))


PRECONDITIONERS = ("none", "fisher", "empirical_fisher", "ggn", "hessian")


def _curvature(model, name, theta, X, y, reduction):
    if name == "fisher":
        return model.fisher(theta, X, reduction=reduction)
    if name == "empirical_fisher":
        return model.empirical_fisher(theta, X, y, reduction=reduction)
    if name == "ggn":
        return model.ggn(theta, X, y, reduction=reduction)
    if name == "hessian":
        return model.hessian(theta, X, y, reduction=reduction)
    raise ValueError(f"preconditioner must be one of {PRECONDITIONERS}, got {name!r}")


def preconditioned_direction(model, theta, X, y, *, preconditioner="fisher", damping=0.0, method="solve",
                             reduction="mean"):
    r"""The update direction :math:`(B + \lambda I)^{-1} \nabla L` (descent goes along minus it).

    ``preconditioner`` is one of :data:`PRECONDITIONERS`: ``"none"`` (the gradient),
    ``"fisher"`` (natural gradient, eq. 6 of [2]), ``"empirical_fisher"`` (EF-preconditioned
    gradient of [1]), ``"ggn"`` or ``"hessian"`` (Newton). ``B`` and the gradient use the same
    ``reduction``, so without damping the direction does not depend on it (except for the
    empirical Fisher, which scales as ``N`` times the mean, and ``"none"``).

    Examples
    --------
    >>> model = SupervisedModel(linear_model(1, 1), "gaussian")
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])   # y = 2x + 1
    >>> theta = np.zeros(2)
    >>> theta - preconditioned_direction(model, theta, X, y)   # one natural-gradient step: exact
    array([2., 1.])
    """
    choice("preconditioner", preconditioner, PRECONDITIONERS)
    g = model.gradient(theta, X, y, reduction=reduction)
    if preconditioner == "none":
        return g
    B = _curvature(model, preconditioner, theta, X, y, reduction)
    return precondition(B, g, damping=damping, method=method)


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
            method="solve", reduction="mean"):
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
    reduction : {"mean", "sum"}
        Of the loss, its gradient and the curvature (the sum makes plain GD steps ``N`` times
        longer; natural-gradient steps do not change without damping).

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
    choice("preconditioner", preconditioner, PRECONDITIONERS)
    choice("reduction", reduction, REDUCTIONS)
    gamma = positive("step_size", step_size)
    T = integer("n_steps", n_steps, minimum=0)
    lam = nonnegative("damping", damping)
    theta = model.network.check_theta(theta0, "theta0")
    X = model.network.check_inputs(X)
    y = model.likelihood.check_labels(y, X.shape[0], model.network.n_outputs)

    thetas, losses, gnorms = [theta], [model.loss(theta, X, y, reduction=reduction)], []
    status, message = "completed", f"{T} steps taken"
    for t in range(T):
        g = model.gradient(theta, X, y, reduction=reduction)
        # A diverging run overflows here first (refused with DomainError by the network, or
        # inf in the solve); that is reported through status, not raised or warned about.
        with np.errstate(over="ignore", invalid="ignore"):
            gnorms.append(np.linalg.norm(g))
            try:
                if preconditioner == "none":
                    d = g
                else:
                    B = _curvature(model, preconditioner, theta, X, y, reduction)
                    d = precondition(B, g, damping=lam, method=method)
                new = theta - gamma * d
                loss = model.loss(new, X, y, reduction=reduction) if np.all(np.isfinite(new)) else np.inf
            except DomainError:
                loss = np.inf
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
            gnorms.append(np.linalg.norm(model.gradient(theta, X, y, reduction=reduction)))
    return DescentPath(np.array(thetas), np.array(losses), np.array(gnorms), preconditioner,
                       gamma, lam, method, status, message)


def direction_cosines(model, thetas, X, y, *, damping=0.0, method="solve", reduction="mean"):
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
    reduction : {"mean", "sum"}
        Of the gradient and both matrices (the cosine depends on it only through damping).

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
    thetas = as_array("thetas", thetas, ndim=2)
    out = np.empty(thetas.shape[0])
    for t, theta in enumerate(thetas):
        g = model.gradient(theta, X, y, reduction=reduction)
        nat = precondition(model.fisher(theta, X, reduction=reduction), g, damping=damping, method=method)
        ef = precondition(model.empirical_fisher(theta, X, y, reduction=reduction), g, damping=damping,
                          method=method)
        out[t] = cosine_similarity(nat, ef)
    return out
