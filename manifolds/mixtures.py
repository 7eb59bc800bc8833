r"""EM for a finite mixture of one exponential family, as alternating projections.

The complete-data model :math:`p(x, z; \pi, \xi) = \pi_z\, p(x; \xi_z)` is an exponential family;
the data manifold :math:`D = \{\hat p(x)\, q(z \mid x)\}` (the empirical law of the observations
with any assignment law) is mixture-flat. EM alternates (Csiszár & Tusnády 1984; Amari 1995):

* the e-step, the projection of the model point onto :math:`D` that minimises
  :math:`KL(q \| p_{\pi,\xi})` over :math:`q \in D`: :math:`q(z \mid x) = p(z \mid x; \pi, \xi)`, the
  responsibilities;
* the m-step, the m-projection of :math:`q` onto the model, minimising the same KL over the
  parameters: moment matching, :math:`\eta(\xi_k) = \sum_n r_{nk} T(x_n) / \sum_n r_{nk}` and
  :math:`\pi_k = \frac1N\sum_n r_{nk}`, mapped back by the family's closed-form inverse of the
  expectation map.

References
----------
.. [1] I. Csiszár, G. Tusnády, "Information geometry and alternating minimization
   procedures", Statistics and Decisions, Supplement 1, 1984.
.. [2] S. Amari, "Information geometry of the EM and em algorithms for neural networks",
   Neural Networks 8(9), 1995.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import special

from numeric.optim.gradient_methods import OptimizationStatus
from symbolic.errors import DomainError, NotClosedFormError, OptimizationError
from symbolic.validation import as_array

__all__ = ["EMResult", "em"]


@dataclass(frozen=True)
class EMResult:
    """The outcome of :func:`em`.

    Attributes
    ----------
    weights : ndarray, shape (K,)
    points : ndarray, shape (K, n)
        The components' coordinates.
    log_likelihood : ndarray, shape (steps + 1,)
        The mean log-likelihood of the data at the start and after each step.
    responsibilities : ndarray, shape (N, K)
        The last e-step.
    status : OptimizationStatus
        ``SUCCESS`` (the mean log-likelihood rose by less than ``tol``), ``MAX_STEPS``,
        ``LEFT_DOMAIN`` (an m-step gave a point outside the family's domain: a component lost
        its data) or ``NON_FINITE``.
    message : str
    """

    weights: np.ndarray
    points: np.ndarray
    log_likelihood: np.ndarray
    responsibilities: np.ndarray
    status: OptimizationStatus
    message: str

    @property
    def steps(self):
        """The number of EM steps taken."""
        return len(self.log_likelihood) - 1


class _Projections:
    def __init__(self, M):
        model = M.model
        if not M.is_exponential_family:
            raise ValueError(f"{M.name} is not an exponential family: EM by moment matching needs one")
        if model.from_expectation is None:
            raise NotClosedFormError(f"{M.name} declares no closed-form inverse of its expectation map, which the "
                                     f"m-projection (moment matching) needs")
        if len(model.space.variables) != 1:
            raise NotImplementedError(f"EM here takes one observation variable; {M.name} has "
                                      f"{len(model.space.variables)}")
        self.M = model
        x = model.space.variables[0]
        consts = model.constants
        # log(n!) as scipy's gammaln(n + 1), which does not overflow (sympy would turn a
        # loggamma of an integer back into log(gamma))
        gammaln = sp.Function("gammaln")
        logp = model.log_density.subs(consts).replace(
            lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.factorial),
            lambda e: gammaln(e.args[0].args[0] + 1))
        self.log_density = sp.lambdify([*model.coordinates, x], logp, [{"gammaln": special.gammaln}, "scipy", "numpy"])
        self.statistics = [sp.lambdify(x, t.subs(consts), "numpy") for t in model.statistics]
        self.to_point = sp.lambdify(list(model.eta), [e.subs(consts) for e in model.from_expectation], "numpy")

    def e_step(self, data, weights, points):
        logs = np.stack([np.log(w) + np.broadcast_to(self.log_density(*p, data), data.shape)
                         for w, p in zip(weights, points, strict=True)], axis=1)
        top = logs.max(axis=1, keepdims=True)
        total = top + np.log(np.exp(logs - top).sum(axis=1, keepdims=True))
        return np.exp(logs - total), float(total.mean())

    def m_step(self, data, r, T):
        mass = r.sum(axis=0)
        eta = (r.T @ T) / mass[:, None]
        points = np.array([np.asarray(self.to_point(*e), dtype=float) for e in eta])
        return mass / mass.sum(), points


def em(M, data, weights, points, *, max_steps=500, tol=1e-12, throw=False):
    """Fit a mixture of ``len(weights)`` members of the family ``M`` to ``data`` by EM.

    Parameters
    ----------
    M : StatisticalManifold
        An exponential family with a closed-form inverse of its expectation map (Normal,
        Poisson, Exponential, Bernoulli, ...) and one observation variable.
    data : array_like, shape (N,)
    weights : array_like, shape (K,)
        Initial mixing weights, > 0, summing to one.
    points : array_like, shape (K, n)
        Initial components, each inside the family's domain.
    max_steps : int
    tol : float
        Stop when the mean log-likelihood rises by less than ``tol``.
    throw : bool
        Raise :class:`OptimizationError` unless the status is ``SUCCESS``.

    Returns
    -------
    EMResult

    Examples
    --------
    >>> import numpy as np
    >>> from manifolds import Poisson
    >>> data = np.r_[np.full(50, 1.0), np.full(50, 9.0)]
    >>> fit = em(Poisson(), data, [0.5, 0.5], [[2.0], [6.0]])
    >>> fit.status.name, np.round(fit.points.ravel(), 2).tolist(), np.round(fit.weights, 2).tolist()
    ('SUCCESS', [1.0, 8.98], [0.5, 0.5])
    >>> bool(np.all(np.diff(fit.log_likelihood) >= 0))          # EM never lowers the likelihood
    True
    """
    proj = _Projections(M)
    model = M.model
    data = as_array("data", data)
    if data.ndim != 1 or data.size == 0:
        raise ValueError(f"data must be a non-empty array of shape (N,), got shape {data.shape}")
    if not model.space.contains(data[:, None], model.constants).all():
        raise DomainError(f"data must lie in {model.space.describe()}")
    weights = as_array("weights", weights)
    if weights.ndim != 1 or np.any(~(weights > 0)) or abs(weights.sum() - 1) > 1e-12:
        raise DomainError(f"weights must be > 0 and sum to 1, got {weights.tolist()}")
    points = as_array("points", points).reshape(len(weights), -1)
    for p in points:
        M.validate(p)
    T = np.stack([np.broadcast_to(np.asarray(f(data), dtype=float), data.shape) for f in proj.statistics], axis=1)
    r, ll = proj.e_step(data, weights, points)
    history = [ll]
    status, message = OptimizationStatus.MAX_STEPS, f"no convergence within max_steps={max_steps}; raise it"
    for _ in range(max_steps):
        new_weights, new_points = proj.m_step(data, r, T)
        try:
            for p in new_points:
                M.validate(p)
        except DomainError as exc:
            status, message = OptimizationStatus.LEFT_DOMAIN, (
                f"an m-step left the domain ({exc}): a component lost its data; start from other points")
            break
        weights, points = new_weights, new_points
        r, ll = proj.e_step(data, weights, points)
        history.append(ll)
        if not np.isfinite(ll):
            status, message = OptimizationStatus.NON_FINITE, "the log-likelihood is not finite"
            break
        if ll - history[-2] < tol:
            status, message = OptimizationStatus.SUCCESS, "the log-likelihood stopped rising"
            break
    if throw and status != OptimizationStatus.SUCCESS:
        raise OptimizationError(message)
    return EMResult(weights, points, np.array(history), r, status, message)
