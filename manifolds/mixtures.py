r"""Mixtures: mixture families as m-flat manifolds, and EM for a finite mixture of one
exponential family as alternating projections.

:class:`MixtureFamily` is the manifold of the mixtures of fixed components (any catalog
densities at fixed parameters, or distributions on a finite set): its weights are m-affine
coordinates and the negative entropy its potential (:mod:`symbolic.mixture_family`); where
the potential has no closed form, :meth:`MixtureFamily.potential` integrates it and its
gradient by adaptive quadrature (docs/guide/mixture-families.md).

EM:

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

import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import integrate, special

from numeric.optim.gradient_methods import OptimizationStatus
from symbolic.errors import DeclarationError, DomainError, NotClosedFormError, OptimizationError
from symbolic.mixture_family import (
    NEGATIVE_ENTROPY_TIMEOUT,
    MixtureFamilyModel,
    mixture_to_negative_entropy,
    potential_to_bregman,
    potential_to_gradient,
)
from symbolic.model import SampleSpace
from symbolic.validation import as_array, positive

from .base import StatisticalManifold

__all__ = ["EMResult", "em", "MixtureFamily", "MixturePotential"]


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


def _lambdify_log_density(args, logp):
    """A numpy function of a log-density; log(n!) as scipy's gammaln(n + 1), which does not
    overflow (sympy would turn a loggamma of an integer back into log(gamma)).
    """
    gammaln = sp.Function("gammaln")
    logp = logp.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.factorial),
                        lambda e: gammaln(e.args[0].args[0] + 1))
    return sp.lambdify(args, logp, [{"gammaln": special.gammaln}, "scipy", "numpy"])


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
        self.log_density = _lambdify_log_density([*model.coordinates, x], model.log_density.subs(consts))
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


# -- mixture families -----------------------------------------------------------------------

@dataclass(frozen=True)
class MixturePotential:
    r"""The potential of a mixture family at one point, by quadrature.

    Attributes
    ----------
    value : float
        :math:`\varphi(w) = \int p \log p` (the negative entropy).
    gradient : ndarray, shape (k,)
        The dual coordinates :math:`\eta_i = \int (p_i - p_0) \log p`.
    error : ndarray, shape (k + 1,)
        Estimates of the absolute errors of ``value`` and of each ``gradient`` entry (the sum
        of the adaptive rule's estimates over the pieces (one bound for all entries, the
        maximum norm); the mass left out of a sum over the integers; zero for a finite sum).
    """

    value: float
    gradient: np.ndarray
    error: np.ndarray


def _component(manifold, point):
    """The density of ``manifold`` at ``point`` (exact numbers), its variable and sample space."""
    if not isinstance(manifold, StatisticalManifold):
        raise TypeError(f"a component must be a pair (manifold, point), got {type(manifold).__name__} {manifold!r}")
    model = manifold.model
    values = model.validate(point)
    # exact binary values: a float parameter stays exactly that number in the density
    at = {c: sp.Rational(v) for c, v in zip(model.coordinates, values, strict=True)}
    logp = model.log_density.subs(model.constants).subs(at)
    if len(model.space.variables) != 1:
        raise NotImplementedError(f"mixture families of one observation variable are implemented; "
                                  f"{manifold.name} has {len(model.space.variables)}")
    location = None
    if model.location_scale is not None:
        location = float(sp.sympify(model.location_scale[0], strict=True).subs(model.constants).subs(at))
    label = f"{manifold.name}({', '.join(f'{v:g}' for v in values)})"
    return logp, model.space, location, label


def _same_space(a, b):
    return (a.kind, a.lower, a.upper, tuple(a.values)) == (b.kind, b.lower, b.upper, tuple(b.values))


class MixtureFamily(StatisticalManifold):
    r"""The mixture family :math:`p(x; w) = (1 - \sum_i w_i) p_0 + \sum_i w_i p_i` of fixed
    components, a dually flat manifold with the weights as m-affine coordinates
    (:mod:`symbolic.mixture_family`).

    Parameters
    ----------
    components : sequence of (StatisticalManifold, point)
        The densities :math:`p_0, \dots, p_k`: members of catalog families (or one's own
        models) at fixed points, on one sample space of one variable. The first is
        :math:`p_0`, whose weight :math:`w_0 = 1 - \sum w_i` is not a coordinate.
    name : str, optional

    Notes
    -----
    The exact geometry (``fisher_metric()``, ``christoffel(alpha=-1)``, ...) is derived as for
    any model; where the component densities make its integrals non-elementary (Gaussian
    components) the numeric route ``numeric_geometry("numeric")`` computes the metric and
    connections by quadrature, and :meth:`potential` the Legendre pair.
    :meth:`finite` declares mixtures of distributions on a finite set.

    Examples
    --------
    >>> from manifolds import Normal
    >>> M = MixtureFamily([(Normal(), [0, 1]), (Normal(), [3, 1])])
    >>> M.name, M.coordinates
    ('MixtureFamily(Normal(0, 1), Normal(3, 1))', (w1,))
    >>> P = M.potential([0.5])
    >>> round(P.value, 12)     # minus the entropy of 0.5 N(0,1) + 0.5 N(3,1); mpmath: -1.945715839726046...
    -1.945715839726
    """

    def __init__(self, components, name=None):
        components = list(components)
        if len(components) < 2:
            raise DeclarationError(f"a mixture family needs at least two components, got {len(components)}")
        parts = []
        for item in components:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"each component must be a pair (manifold, point), got {item!r}")
            parts.append(_component(*item))
        space = parts[0][1]
        x = space.variables[0]
        logs = []
        for logp, other, _, label in parts:
            if not _same_space(other, space) or other.variables[0].assumptions0 != x.assumptions0:
                raise DeclarationError(f"the components must share one sample space: {label} lives on "
                                       f"{other.describe()}, the first on {space.describe()}")
            logs.append(logp.subs(other.variables[0], x))
        name = name or f"MixtureFamily({', '.join(p[3] for p in parts)})"
        densities = [sp.exp(sp.expand_log(lp, force=False)) for lp in logs]
        super().__init__(MixtureFamilyModel(name, densities, space))
        self._log_components = logs
        self._locations = sorted({p[2] for p in parts if p[2] is not None})

    @classmethod
    def finite(cls, probabilities, values=None, name=None):
        """The mixture family of distributions on a finite set.

        Parameters
        ----------
        probabilities : array_like, shape (k + 1, m)
            Row ``i`` is the component :math:`p_i` on the ``m`` values (exact fractions are
            kept: pass integers or sympy Rationals for exact geometry; floats are taken as the
            binary numbers they are).
        values : sequence, optional
            The sample space (``1, ..., m`` by default, as :class:`~manifolds.Categorical`).

        Examples
        --------
        >>> import sympy as sp
        >>> M = MixtureFamily.finite([[0, 0, 1], [1, 0, 0], [0, 1, 0]])   # the point masses
        >>> M.negative_entropy()                                           # Categorical(3)'s F*
        w1*log(w1) + w2*log(w2) + (-w1 - w2 + 1)*log(-w1 - w2 + 1)
        """
        rows = [list(r) for r in probabilities]
        m = len(rows[0]) if rows else 0
        if len(rows) < 2 or m < 2 or any(len(r) != m for r in rows):
            raise ValueError(f"probabilities must be a table of shape (k + 1, m) with k >= 1 and m >= 2, got {probabilities!r}")
        table = [[sp.Rational(v) if isinstance(v, float) else sp.sympify(v, strict=True) for v in r] for r in rows]
        for i, r in enumerate(table):
            if any(not (v.is_number and v.is_nonnegative) for v in r) or sp.nsimplify(sum(r)) != 1:
                raise DomainError(f"row {i} of probabilities must be >= 0 and sum to 1, got {rows[i]}")
        values = list(range(1, m + 1)) if values is None else list(values)
        if len(values) != m or len(set(values)) != m:
            raise ValueError(f"values must list {m} distinct points, got {values!r}")
        x = sp.Symbol("x", integer=True) if all(float(v).is_integer() for v in values) else sp.Symbol("x", real=True)
        space = SampleSpace.finite(x, values)
        densities = [sum(p * sp.KroneckerDelta(x, v) for p, v in zip(r, values, strict=True)) for r in table]
        self = cls.__new__(cls)
        StatisticalManifold.__init__(self, MixtureFamilyModel(name or f"MixtureFamily.finite({m})", densities, space))
        self._log_components = None
        self._locations = []
        return self

    def numeric_geometry(self, method="auto", tol=1e-12):
        """As :meth:`StatisticalManifold.numeric_geometry`, except that ``"auto"`` takes the
        numeric route at once where the sample space is not finite: the Fisher integral of a
        mixture of continuous (or Poisson) components has no closed form in general, and the
        exact route would spend its whole time budget finding that out.

        Examples
        --------
        >>> from manifolds import Normal
        >>> MixtureFamily([(Normal(), [0, 1]), (Normal(), [3, 1])]).numeric_geometry()
        QuadratureManifold(MixtureFamily(Normal(0, 1), Normal(3, 1)), tol=1e-12)
        """
        if method == "auto" and self.model.space.kind != "finite":
            method = "numeric"
        return super().numeric_geometry(method, tol)

    # -- the Legendre pair, exact ----------------------------------------------------------------
    def negative_entropy(self, timeout=NEGATIVE_ENTROPY_TIMEOUT):
        """The potential ``phi(w) = int p log p``: :func:`symbolic.mixture_family.mixture_to_negative_entropy`
        (:class:`~symbolic.errors.NotClosedFormError` where there is no closed form; then :meth:`potential`).
        """
        self.check_declaration()
        return self.cached("negative_entropy", lambda: mixture_to_negative_entropy(self.model, timeout))

    def dual_coordinates(self):
        """The e-affine coordinates ``eta = grad phi`` as expressions of the weights (column Matrix)."""
        return self.cached("mixture_eta", lambda: potential_to_gradient(self.negative_entropy(), self.coordinates))

    def canonical_divergence(self):
        """``B_phi(w : w_2)``, equal to ``KL(p_w || p_w2)``; the second point's weights carry the suffix ``_2``."""
        return self.cached("canonical", lambda: potential_to_bregman(self.negative_entropy(), self.coordinates,
                                                                     self.model.second_point()))

    # -- the Legendre pair, numeric ---------------------------------------------------------------
    def _log_parts(self):
        """Numpy functions ``x -> log p_i(x)`` of the components."""
        def build():
            x = self.model.space.variables[0]
            if self._log_components is None:       # a finite family: the table itself
                values = self.model.space.values
                table = np.array([[float(c.subs(x, v)) for v in values] for c in self.model.components])
                with np.errstate(divide="ignore"):
                    return np.log(table)
            return [_lambdify_log_density([x], lp) for lp in self._log_components]
        return self.cached("log_components", build)

    def _integrands(self, w):
        """``x -> [p log p, (p_1 - p_0) log p, ...]``, stable where the densities underflow."""
        parts = self._log_parts()
        logc = np.log(np.r_[1.0 - w.sum(), w])

        def f(x):
            x = np.atleast_1d(np.asarray(x, dtype=float))
            L = np.stack([np.broadcast_to(np.asarray(g(x), dtype=float), x.shape) for g in parts])
            logp = special.logsumexp(L + logc[:, None], axis=0)
            dens = np.exp(L)
            return np.vstack([np.exp(logp) * logp, (dens[1:] - dens[0]) * logp])
        return f

    def potential(self, w, tol=1e-12):
        """The negative entropy and its gradient (the dual coordinates) at ``w``, by quadrature.

        Sums exactly over a finite sample space; over an interval, integrates each of the
        ``k + 1`` integrands together by adaptive Gauss-Kronrod (``scipy.integrate.quad_vec``),
        the line split at the components' locations; over the integers, sums outward until the
        mass left is below ``tol``.

        Parameters
        ----------
        w : array_like, shape (k,)
            Weights in the open simplex.
        tol : float
            Accuracy asked of each integral, relative, with ``tol`` as an absolute floor (an
            entry of the gradient may vanish).

        Returns
        -------
        MixturePotential

        Examples
        --------
        >>> M = MixtureFamily.finite([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
        >>> P = M.potential([0.2, 0.3])
        >>> bool(abs(P.value - (0.2 * np.log(0.2) + 0.3 * np.log(0.3) + 0.5 * np.log(0.5))) < 1e-15)
        True
        >>> np.round(P.gradient, 12).tolist()          # log(w_i / w_0): Categorical's theta
        [-0.916290731874, -0.510825623766]
        """
        w = np.asarray(self.validate(w), dtype=float)
        tol = positive("tol", tol)
        space = self.model.space
        if space.kind == "finite":
            L = self._log_parts()
            logc = np.log(np.r_[1.0 - w.sum(), w])
            with np.errstate(invalid="ignore"):
                logp = special.logsumexp(L + logc[:, None], axis=0)
            p, dens = np.exp(logp), np.exp(L)
            value = float(np.sum(np.where(p > 0, p * logp, 0.0)))
            grad = np.sum(np.where(p > 0, (dens[1:] - dens[0]) * logp, 0.0), axis=1)
            return MixturePotential(value, grad, np.zeros(len(w) + 1))
        f = self._integrands(w)
        if space.kind == "integers":
            return self._sum(f, w, tol)
        lo, hi = (float(b) for b in (space.lower, space.upper))
        cuts = [c for c in self._locations if lo < c < hi] or [0.5 * (lo + hi) if np.isfinite(lo + hi) else
                                                                (lo + 1 if np.isfinite(lo) else (hi - 1 if np.isfinite(hi) else 0.0))]
        edges = [lo, *cuts, hi]
        totals, errors = np.zeros(len(w) + 1), np.zeros(len(w) + 1)
        with warnings.catch_warnings():
            # the roundoff warning of the adaptive rule: the error estimate is reported instead
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            for a, b in zip(edges[:-1], edges[1:], strict=True):
                value, error = integrate.quad_vec(lambda t: f(t)[:, 0], a, b, epsabs=tol, epsrel=tol,
                                                  norm="max", limit=2000)
                totals += value
                errors += error
        return MixturePotential(float(totals[0]), totals[1:], errors)

    def _sum(self, f, w, tol, chunk=4096, max_terms=10**7):
        lo = int(self.model.space.lower)
        hi = self.model.space.upper
        totals, mass, start = np.zeros(len(w) + 1), 0.0, lo
        while start <= (int(hi) if hi.is_finite else lo + max_terms):
            stop = start + chunk if not hi.is_finite else min(start + chunk, int(hi) + 1)
            x = np.arange(start, stop, dtype=float)
            values = f(x)
            totals += values.sum(axis=1)
            parts = np.exp(np.stack([g(x) for g in self._log_parts()]))
            mass += float(np.dot(np.r_[1.0 - w.sum(), w], parts.sum(axis=1)))
            start = stop
            if 1.0 - mass < tol:
                break
        return MixturePotential(float(totals[0]), totals[1:], np.full(len(w) + 1, abs(1.0 - mass)))

    def canonical_divergence_at(self, w, w2, tol=1e-12):
        """``B_phi(w : w2) = phi(w) - phi(w2) - eta(w2).(w - w2)``, which is ``KL(p_w || p_w2)``, by
        quadrature (:meth:`potential` at both points).

        Examples
        --------
        >>> M = MixtureFamily.finite([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
        >>> kl = 0.2 * np.log(0.2 / 0.4) + 0.3 * np.log(0.3 / 0.1) + 0.5 * np.log(0.5 / 0.5)
        >>> bool(abs(M.canonical_divergence_at([0.2, 0.3], [0.4, 0.1]) - kl) < 1e-15)
        True
        """
        a, b = self.potential(w, tol), self.potential(w2, tol)
        d = np.asarray(w, dtype=float) - np.asarray(w2, dtype=float)
        return float(a.value - b.value - b.gradient @ d)
