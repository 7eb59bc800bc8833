"""Fréchet (Karcher) means on a Riemannian manifold given by its exp and log maps.

The weighted Fréchet mean of points ``p_i`` with weights ``w_i`` (summing to 1) minimises
``f(m) = ½ Σ w_i d(m, p_i)²``. Where the log map is defined, the Riemannian gradient of ``f``
is ``-Σ w_i log_m(p_i)`` [1]_, so the Karcher iteration

    m ← exp_m(s Σ w_i log_m(p_i))

is Riemannian gradient descent with step ``s`` (``s = 1`` is Karcher's original fixed-point
iteration [2]_). It converges linearly where the points lie in a geodesically convex ball
(any set of points on a manifold of non-positive curvature, such as the Normal family's
half-plane of curvature -1/2). :func:`karcher_mean` runs it on callables (the batched exp
and log maps and the metric of :class:`manifolds.numerics.NumericManifold`) and says why it
stopped with a :class:`MeanStatus`. After the first step the step length is Barzilai and
Borwein's [3]_ (the inverse of the Hessian's Rayleigh quotient along the last step), halved
whenever ``f`` does not decrease: Karcher's step 1 overshoots on negatively curved families
with spread points (measured on the Normal family: two points at distance 3.1 took 23
iterations with step 1, 6 with these steps; 50 random points 10 and 6).

References
----------
.. [1] H. Karcher, "Riemannian center of mass and mollifier smoothing", *Communications on
   Pure and Applied Mathematics* 30 (1977) 509-541.
.. [2] X. Pennec, "Intrinsic statistics on Riemannian manifolds: basic tools for geometric
   measurements", *Journal of Mathematical Imaging and Vision* 25 (2006) 127-154,
   Section 4.1 (the gradient ``-2 Σ log_m(p_i)`` of the sum of squared distances and the
   Gauss-Newton iteration above).
.. [3] J. Barzilai and J. M. Borwein, "Two-point step size gradient methods", *IMA Journal of
   Numerical Analysis* 8 (1988) 141-148; on manifolds: B. Iannazzo and M. Porcelli, "The
   Riemannian Barzilai-Borwein method with nonmonotone line search and the matrix geometric
   mean computation", *IMA Journal of Numerical Analysis* 38 (2018) 495-517.
"""
import enum
import math
from dataclasses import dataclass

import numpy as np

from symbolic.errors import DomainError, OptimizationError
from symbolic.validation import as_array, integer, positive

__all__ = ["MeanResult", "MeanStatus", "karcher_mean", "mean_weights"]


class MeanStatus(enum.IntEnum):
    """Why a Karcher iteration stopped."""

    SUCCESS = 0
    MAX_ITERATIONS = 1
    LOG_FAILED = 2
    EXP_FAILED = 3
    NO_PROGRESS = 4
    NON_FINITE = 5


_MESSAGES = {
    MeanStatus.SUCCESS: "converged: the Riemannian gradient norm |Σ w_i log_m(p_i)| is below tol",
    MeanStatus.MAX_ITERATIONS: (
        "max_iterations iterations were spent before the gradient norm fell below tol; raise "
        "max_iterations or loosen tol (the gradient cannot fall below the accuracy of the log "
        "map, about its tol times the spread of the points)"),
    MeanStatus.LOG_FAILED: (
        "the log map from the current mean to some point did not converge (the point may be "
        "unreachable by a geodesic inside the chart); check the points, or start from x0 "
        "closer to them"),
    MeanStatus.EXP_FAILED: (
        "every step from the current mean along the gradient left the domain or failed to "
        "integrate, even shortened 30 times"),
    MeanStatus.NO_PROGRESS: (
        "the sum of squared distances did not decrease even with a step shortened 30 times: "
        "the mean is as accurate as the log map allows; loosen tol or tighten the log map's tol"),
    MeanStatus.NON_FINITE: (
        "the metric at the current mean, or the gradient's norm there, is not finite (a mean "
        "at the edge of float64's range); rescale the points"),
}


@dataclass(frozen=True)
class MeanResult:
    """A Fréchet mean and how it was found.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The mean (the last iterate when the iteration failed: check :attr:`status`).
    status : MeanStatus
    gradient_norm : float
        ``|Σ w_i log_x(p_i)|_g`` at ``x``: the Riemannian norm of the gradient of
        ``½ Σ w_i d(x, p_i)²`` (``inf`` when it could not be computed at the first iterate).
    objective : float
        ``½ Σ w_i d(x, p_i)²`` at ``x``.
    iterations : int
        Karcher steps taken.
    """

    x: np.ndarray
    status: MeanStatus
    gradient_norm: float
    objective: float
    iterations: int

    @property
    def ok(self):
        """True if the iteration converged."""
        return self.status == MeanStatus.SUCCESS

    @property
    def message(self):
        """What happened, and for a failure what to change."""
        return f"{self.status.name}: {_MESSAGES[self.status]}"


def mean_weights(weights, count):
    """``weights`` as an array of ``count`` non-negative floats summing to 1 (uniform for None).

    Raises
    ------
    ValueError
        a shape other than ``(count,)``.
    DomainError
        a negative, NaN or infinite weight, or weights summing to 0.

    Examples
    --------
    >>> mean_weights([1, 3], 2).tolist()
    [0.25, 0.75]
    """
    if weights is None:
        return np.full(count, 1.0 / count)
    w = as_array("weights", weights, ndim=1)
    if w.shape != (count,):
        raise ValueError(f"weights must have shape ({count},), one per point, got shape {w.shape}")
    if (w < 0).any():
        raise DomainError(f"weights must be >= 0, got {w.tolist()}")
    total = float(w.sum())
    if total <= 0.0:
        raise DomainError(f"weights must have a positive sum, got {w.tolist()}")
    return w / total


def karcher_mean(exp, log, metric, points, weights, x0, *, tol=1e-10, max_iterations=100,
                 step=1.0, warm_start=False, throw=False):
    """Weighted Fréchet mean of ``points`` by the Karcher iteration.

    Parameters
    ----------
    exp : callable
        ``exp(x, v) -> y``, shape (n,); raises (``IntegrationError``, ``ValueError``) where the
        geodesic leaves the domain.
    log : callable
        Batched log map ``log(X, P) -> V`` for ``X, P`` of shape (m, n), NaN rows where it
        fails; with ``warm_start``, ``log(X, P, V0)`` with first iterates ``V0``.
    metric : callable
        ``metric(x) -> g``, shape (n, n).
    points : ndarray, shape (m, n)
        Valid points (checked by the caller).
    weights : ndarray, shape (m,)
        Non-negative, summing to 1 (:func:`mean_weights`).
    x0 : ndarray, shape (n,)
        The first iterate.

    Other Parameters
    ----------------
    tol : float
        Stop when the Riemannian norm of the gradient, ``|Σ w_i log_x(p_i)|_g``, is at most
        ``tol``. For the Fisher metric it is a length free of units and of the chart.
    max_iterations : int
    step : float
        The first step length ``s`` in ``exp_x(s Σ w_i log_x(p_i))``, in (0, 1]; later steps
        are Barzilai-Borwein's; each is halved whenever the objective does not decrease.
    warm_start : bool
        Start the log maps at a candidate ``x + dx`` from ``V - dx``, the last iterate's
        tangent vectors ``V = log_x(P)`` moved by the step (exact to first order: ``exp_x(v)
        = x + v + O(|v|^2)``), instead of the log map's own first guess. Newton's method then
        starts next to the solution: fewer integrations per iteration (the benchmark
        ``benchmarks/geodesics.py --means`` prints the counts), the same mean.
    throw : bool
        Raise :class:`symbolic.errors.OptimizationError` instead of returning a failed result.

    Returns
    -------
    MeanResult

    Examples
    --------
    In the Euclidean plane (exp and log are vector sums) the Fréchet mean is the weighted
    average, reached in one step:

    >>> import numpy as np
    >>> P = np.array([[0.0, 0.0], [4.0, 2.0]])
    >>> r = karcher_mean(lambda x, v: x + v, lambda X, Y: Y - X, lambda x: np.eye(2),
    ...                  P, np.array([0.75, 0.25]), np.zeros(2))
    >>> r.x.tolist(), r.status.name, r.iterations
    ([1.0, 0.5], 'SUCCESS', 1)
    """
    tol = positive("tol", tol)
    max_iterations = integer("max_iterations", max_iterations, minimum=1)
    step = positive("step", step)
    if step > 1.0:
        raise DomainError(f"step must be in (0, 1], got {step!r}")
    points = as_array("points", points, ndim=2)
    x = np.array(x0, dtype=np.float64)

    def evaluate(x, guess=None):
        X = np.broadcast_to(x, points.shape)
        V = log(X, points) if guess is None else log(X, points, guess)
        if not np.isfinite(V).all():
            return None
        g = metric(x)
        gradient = weights @ V
        norm = float(np.sqrt(max(gradient @ g @ gradient, 0.0)))
        objective = 0.5 * float(weights @ np.einsum("mi,ij,mj->m", V, g, V))
        if not (np.isfinite(g).all() and math.isfinite(norm) and math.isfinite(objective)):
            return MeanStatus.NON_FINITE
        return gradient, norm, objective, V

    def finish(x, status, norm, objective, iterations):
        result = MeanResult(x, status, norm, objective, iterations)
        if throw and not result.ok:
            raise OptimizationError(result.message)
        return result

    state = evaluate(x)
    if state is None or state is MeanStatus.NON_FINITE:
        status = MeanStatus.LOG_FAILED if state is None else state
        return finish(x, status, np.inf, np.inf, 0)
    gradient, norm, objective, V = state
    s_next = step
    for iteration in range(max_iterations):
        if norm <= tol:
            return finish(x, MeanStatus.SUCCESS, norm, objective, iteration)
        s = s_next
        failure = None
        for _ in range(30):
            try:
                candidate = np.asarray(exp(x, s * gradient), dtype=np.float64)
            except (RuntimeError, ValueError):
                failure = MeanStatus.EXP_FAILED
                s *= 0.5
                continue
            new = evaluate(candidate, V - (candidate - x) if warm_start else None)
            if new is None or new is MeanStatus.NON_FINITE:
                failure = MeanStatus.LOG_FAILED if new is None else new
                s *= 0.5
                continue
            # a decrease, or one within rounding of the objective: the gradient's norm
            # decides convergence, the objective only guards against overshooting
            if new[2] <= objective * (1.0 + 1e-14) + 1e-300:
                s_next = _barzilai_borwein(s * gradient, new[0] - gradient, metric(candidate), step)
                x, (gradient, norm, objective, V) = candidate, new
                failure = None
                break
            failure = MeanStatus.NO_PROGRESS
            s *= 0.5
        if failure is not None:
            return finish(x, failure, norm, objective, iteration)
    status = MeanStatus.SUCCESS if norm <= tol else MeanStatus.MAX_ITERATIONS
    return finish(x, status, norm, objective, max_iterations)


def _barzilai_borwein(dx, dd, g, step):
    """The next step length from the last step ``dx`` and the change ``dd`` of the descent
    direction ``Σ w_i log(p_i)`` (Barzilai and Borwein 1988; on manifolds, Iannazzo and
    Porcelli 2018, with the tangent spaces identified through the coordinates, exact to first
    order): ``<dx, dx> / <dx, -dd>``, the inverse of the Hessian's Rayleigh quotient along
    the step. Step 1 is Karcher's iteration, which overshoots where that Hessian exceeds 2
    (negatively curved families, spread points) and crawls where it is small; ``step`` where
    the curvature estimate is not positive, clipped to [step / 64, 4].
    """
    curvature = -float(dx @ g @ dd)
    if not curvature > 0.0:
        return step
    return min(max(float(dx @ g @ dx) / curvature, step / 64), 4.0)
