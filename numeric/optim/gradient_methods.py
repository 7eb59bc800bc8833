r"""The engines of natural-gradient descent, natural-gradient flows, Fisher scoring and
mirror descent, on plain callables.

The user-facing functions are in :mod:`manifolds.optim` (and the methods of the same names on
a manifold): ``natural_gradient_descent``, ``natural_gradient_flow``, ``fisher_scoring`` and
``mirror_descent`` take a catalog manifold and a loss. They build callables and run the engines
here, whose names say what they take: :func:`metric_descent` and :func:`metric_flow` (a metric
and a gradient), :func:`scoring_steps` (a score and an information), :func:`mirror_steps` (the
gradient of a potential and its inverse).

Everything here takes plain callables of a point ``x`` (a 1-d float array): ``metric(x)``
returns the metric :math:`G(x)` (shape ``(n, n)``), ``gradient(x)`` the Euclidean gradient
:math:`\nabla L(x)` in the same coordinates (shape ``(n,)``), ``inside(x)`` whether ``x`` lies in
the domain. :mod:`manifolds.optim` builds them from a catalog manifold (compiled kernels); this
module does not import ``manifolds``.

The natural gradient is :math:`\tilde\nabla L = G^{-1}\nabla L` [1]_ (with damping,
:math:`(G + \lambda I)^{-1}\nabla L`; with ``method="pinv"``, the Moore-Penrose pseudo-inverse
:math:`G^{+}\nabla L`, the minimum-norm least-squares solution, for a singular metric). The
linear algebra is :func:`numeric.optim.linalg.precondition`, shared with the supervised-model
diagnostics, so a singular metric without damping raises :class:`SingularMatrixError` whose
message suggests ``damping > 0`` or ``method="pinv"``.

Invariance. Under a change of coordinates :math:`x = \varphi(y)` with Jacobian
:math:`J = \partial x/\partial y`, the metric becomes :math:`J^\top G J` and the gradient
:math:`J^\top \nabla L`, so :math:`\tilde\nabla_y L = J^{-1} G^{-1} J^{-\top} J^\top \nabla L
= J^{-1}\tilde\nabla_x L`: the natural gradient is a tangent vector, and the flow
:math:`\dot x = -\tilde\nabla L` traces the same curve of distributions in every chart. A
discrete step is not invariant: :math:`\varphi(y - h J^{-1} v) = x - h v + \tfrac{h^2}{2}
D^2\varphi[J^{-1}v, J^{-1}v] + O(h^3)`, so one step in two charts differs by
:math:`O(h^2)` (and a fixed time horizon, :math:`1/h` steps, by :math:`O(h)`).

Mirror descent [2]_ with a strictly convex potential :math:`F` on the primal variable
:math:`\theta`,

.. math:: \theta_{k+1} = \arg\min_\theta\ \theta^\top\nabla_\theta E(\theta_k)
          + \tfrac{1}{\gamma} B_F(\theta, \theta_k),
          \qquad B_F(\theta, \theta') = F(\theta) - F(\theta') - (\theta - \theta')^\top\nabla F(\theta'),

has the stationarity condition :math:`\nabla F(\theta_{k+1}) = \nabla F(\theta_k) - \gamma
\nabla_\theta E(\theta_k)`: a gradient step on the dual variable :math:`\eta = \nabla F(\theta)`.
Since :math:`\nabla_\theta E = (\partial\eta/\partial\theta)^\top\nabla_\eta E = \nabla^2
F(\theta)\,\nabla_\eta E` and the metric :math:`\nabla^2 F` written in :math:`\eta` is
:math:`G_\eta = (\nabla^2 F)^{-1}`, the step reads :math:`\eta_{k+1} = \eta_k - \gamma
G_\eta^{-1}\nabla_\eta E`: natural-gradient descent in the dual coordinates (Raskutti and
Mukherjee; sec. 6 of [3]_). For an exponential family with log-partition :math:`F`, the
primal variable is the natural parameter, :math:`\eta` the expectation parameter and
:math:`\nabla^2 F` the Fisher metric. (Symmetrically, natural-gradient descent in
:math:`\theta` is mirror descent on :math:`\eta` with the potential :math:`F^*`.)

Failures are data, as for geodesics (:mod:`numeric.geodesics.integrate`): every run returns an
:class:`OptimizationPath` or a :class:`FlowPath` with an :class:`OptimizationStatus` and a
message that says where it stopped and what to change; ``throw=True`` raises
:class:`OptimizationError` instead. A step that would leave the domain is never taken: it is
halved up to ``backtrack`` times, and otherwise the run stops with
:attr:`OptimizationStatus.LEFT_DOMAIN`. No run that met a non-finite loss, gradient or metric
is a success: it stops there with :attr:`OptimizationStatus.NON_FINITE`. Flows stop after
``max_steps`` integrator steps (:attr:`~OptimizationStatus.MAX_STEPS`) or ``max_time``
seconds (:attr:`~OptimizationStatus.TIME_LIMIT`).

Flows are integrated with scipy's DOP853 (rtol 1e-10 and atol 1e-12 by default), the method of :mod:`numeric.geodesics.integrate`, not with a compiled integrator: the flows
here are low-dimensional and a compiled integrator costs about 10 s of compilation per metric
and loss, against milliseconds for the whole integration with scipy.

References
----------
.. [1] S. Amari, "Natural gradient works efficiently in learning", Neural Computation 10
   (1998) 251-276.
.. [2] G. Raskutti and S. Mukherjee, "The information geometry of mirror descent", IEEE
   Trans. Inf. Theory 61 (2015) 1451-1457.
.. [3] K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for learning
   large modular models", ICML 2017, sec. 6.

Examples
--------
Natural-gradient descent for the mean and standard deviation of a Normal, metric
``diag(1/sigma^2, 2/sigma^2)``, loss ``KL(N(0, 1) || N(mu, sigma))``:

>>> import numpy as np
>>> metric = lambda x: np.diag([1 / x[1] ** 2, 2 / x[1] ** 2])
>>> gradient = lambda x: np.array([x[0] / x[1] ** 2, 1 / x[1] - (1 + x[0] ** 2) / x[1] ** 3])
>>> path = metric_descent(metric, gradient, [1.0, 2.0], lr=0.5, steps=40,
...                       inside=lambda x: x[1] > 0)
>>> path.status.name, np.round(path.x, 8)
('SUCCESS', array([0., 1.]))
"""
from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import DOP853

from symbolic.errors import DomainError, OptimizationError
from symbolic.validation import as_symmetric, as_vector, boolean, choice, integer, nonnegative, positive

from .linalg import SingularMatrixError, _precondition, precondition

__all__ = [
    "OptimizationStatus",
    "OptimizationError",
    "SingularMatrixError",
    "OptimizationPath",
    "FlowPath",
    "natural_gradient",
    "metric_descent",
    "metric_flow",
    "scoring_steps",
    "mirror_steps",
    "legendre_inverse",
]


class OptimizationStatus(enum.IntEnum):
    """How a run ended."""

    SUCCESS = 0
    LEFT_DOMAIN = 1
    NON_FINITE = 2
    MAX_STEPS = 3
    STEP_SIZE_TOO_SMALL = 4
    NO_PROGRESS = 5
    TIME_LIMIT = 6
    NO_MLE = 7


_MESSAGES = {
    OptimizationStatus.SUCCESS: "finished",
    OptimizationStatus.LEFT_DOMAIN: (
        "the next step would leave the domain, so it was not taken; lower lr, pass "
        "backtrack=k to halve a step up to k times, or use a chart in which the path stays "
        "inside"),
    OptimizationStatus.NON_FINITE: (
        "the loss, the gradient or the metric was not finite at a point inside the domain: the "
        "loss is probably undefined there (the log of a negative number, say); start where it "
        "is finite, or use a chart whose domain is the loss's"),
    OptimizationStatus.MAX_STEPS: "the step limit was reached before the end; raise max_steps, or loosen the tolerances",
    OptimizationStatus.STEP_SIZE_TOO_SMALL: (
        "the integrator's step fell below the resolution of t while the point was inside "
        "the domain: the metric is probably singular there; pass damping > 0"),
    OptimizationStatus.NO_PROGRESS: (
        "no step along the search direction increased the objective after all halvings; "
        "the point is the optimum to rounding, or the metric is a poor model of the "
        "objective here: pass damping > 0 or start elsewhere"),
    OptimizationStatus.TIME_LIMIT: "the wall-clock limit max_time was reached before t1; raise max_time or lower t1",
    OptimizationStatus.NO_MLE: (
        "the iterates run to the boundary of the domain, where the likelihood keeps growing: "
        "the maximum-likelihood estimate does not exist for this sample (all observations "
        "equal, or all in one category, say), and the last iterate is not an estimate"),
}

_METHODS = ("solve", "pinv")


@dataclass(frozen=True, eq=False)
class OptimizationPath:
    r"""The iterates of a discrete method.

    Attributes
    ----------
    xs : ndarray, shape (k + 1, n)
        Iterates, the start included; only steps that were taken.
    status : OptimizationStatus
    message : str
        What happened; for a failure, where (step and point) and what to change.
    step_sizes : ndarray, shape (k,)
        The step size each step used (below ``lr`` where backtracking halved it).
    values : ndarray, shape (k + 1,) or None
        The objective at the iterates, where an objective was given; finite (a run stops
        with :attr:`OptimizationStatus.NON_FINITE` rather than record a non-finite value).
    duals : ndarray, shape (k + 1, n) or None
        For mirror descent: the dual iterates :math:`\eta_k = \nabla F(\theta_k)`.
    extras : dict
        What a caller adds (:func:`manifolds.optim.mirror_descent`: the iterates in the
        manifold's coordinates).
    """

    xs: np.ndarray
    status: OptimizationStatus
    message: str
    step_sizes: np.ndarray
    values: np.ndarray | None = None
    duals: np.ndarray | None = None
    extras: dict = field(default_factory=dict)

    @property
    def x(self):
        """The last iterate."""
        return self.xs[-1]

    @property
    def ok(self):
        """Whether the run ended with :attr:`OptimizationStatus.SUCCESS`."""
        return self.status == OptimizationStatus.SUCCESS

    @property
    def n_steps(self):
        """The number of steps taken."""
        return self.xs.shape[0] - 1


@dataclass(frozen=True, eq=False)
class FlowPath:
    """A natural-gradient flow sampled at the times ``t``.

    Attributes
    ----------
    t : ndarray, shape (m,)
    xs : ndarray, shape (m, n)
        NaN at the times after ``t_stop`` of a failed run.
    status : OptimizationStatus
    t_stop : float
        The time the integration reached.
    message : str
    n_evaluations : int
        Right-hand-side evaluations.
    n_steps : int
        Accepted integrator steps.
    """

    t: np.ndarray
    xs: np.ndarray
    status: OptimizationStatus
    t_stop: float
    message: str
    n_evaluations: int
    n_steps: int

    @property
    def x(self):
        """The point at the last output time (NaN if the run stopped before it)."""
        return self.xs[-1]

    @property
    def ok(self):
        """Whether the flow reached ``t1``."""
        return self.status == OptimizationStatus.SUCCESS


# ---------------------------------------------------------------------------- helpers
def _start(x0, inside, name="x0"):
    x = as_vector(name, x0)
    if x.shape[0] == 0:
        raise ValueError(f"{name} must have at least one entry")
    if inside is not None and not inside(x):
        raise DomainError(f"{name} = {_where(x)} is outside the domain")
    return x


def _options(damping, method, throw):
    return nonnegative("damping", damping), choice("method", method, _METHODS), boolean("throw", throw)


def _where(x):
    return "[" + ", ".join(f"{v:.10g}" for v in np.ravel(x)) + "]"


def _call(name, fn, x, shape):
    """``fn(x)`` as a float array of ``shape`` (non-finite entries allowed: callers report them)."""
    value = np.asarray(fn(x), dtype=np.float64)
    if value.size != math.prod(shape):
        raise ValueError(f"{name}(x) must return an array of shape {shape}, got shape {value.shape}")
    return value.reshape(shape)


def _scalar(fn, x):
    return float(np.asarray(fn(x), dtype=np.float64).reshape(()))


def _nonfinite(kind, values):
    bad = [i for i, v in enumerate(np.ravel(values)) if not math.isfinite(v)]
    return f"the {kind} is not finite (entries {bad})"


def _direction(metric, gradient, x, damping, method, where):
    """``(d, problem)``: the natural gradient at ``x``, or ``None`` and what was not finite."""
    n = x.shape[0]
    g = _call("gradient", gradient, x, (n,))
    if not np.all(np.isfinite(g)):
        return None, _nonfinite("gradient", g)
    G = None if metric is None else _call("metric", metric, x, (n, n))
    if G is not None and not np.all(np.isfinite(G)):
        return None, _nonfinite("metric", G)
    try:
        # the unchecked solve: an overflowing direction becomes the NON_FINITE status below
        d = g if G is None else _precondition(as_symmetric("metric", G), g, damping, method, None)
    except SingularMatrixError as exc:
        raise SingularMatrixError(f"{where}, x = {_where(x)}: {exc}") from exc
    if not np.all(np.isfinite(d)):          # a finite but nearly singular metric can overflow it
        return None, _nonfinite("natural gradient", d)
    return d, None


def _finish(path, throw):
    if throw and not path.ok:
        raise OptimizationError(path.message)
    return path


def natural_gradient(metric, gradient, *, damping=0.0, method="solve", rtol=None):
    r"""The natural gradient :math:`(G + \lambda I)^{-1}\nabla L` at one point.

    Parameters
    ----------
    metric : array_like, shape (n, n)
        The metric :math:`G` (symmetric positive semi-definite), or ``None`` for the
        Euclidean metric (plain gradient).
    gradient : array_like, shape (n,)
    damping : float, >= 0
        :math:`\lambda`.
    method : {"solve", "pinv"}
        ``"solve"`` raises :class:`SingularMatrixError` for a singular :math:`G + \lambda I`;
        ``"pinv"`` applies the Moore-Penrose pseudo-inverse.
    rtol : float, optional
        Eigenvalue cut-off relative to the largest (see
        :func:`numeric.optim.linalg.precondition`).

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    DomainError
        A negative or non-finite ``damping`` (checked first), a non-finite entry, or a natural
        gradient that overflows float64 (a nearly singular metric; the exact
        ``natural_gradient([[1e-300]], [1e300])`` is ``1e600``).
    SingularMatrixError
        ``method="solve"`` and a numerically singular :math:`G + \lambda I`.

    Examples
    --------
    >>> natural_gradient([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0], method="pinv")
    array([1., 0.])
    >>> natural_gradient([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0])
    Traceback (most recent call last):
    ...
    symbolic.errors.SingularMatrixError: matrix + damping * I is singular ...; pass damping > 0 or method='pinv'
    """
    # damping first, for every metric: a bad damping is a fault of the call even where the
    # Euclidean metric (None) leaves it no matrix to add to
    damping = nonnegative("damping", damping)
    if metric is None:
        return as_vector("gradient", gradient)
    return precondition(metric, gradient, damping=damping, method=method, rtol=rtol)


def _candidate(x, inside, objective):
    """``(status, what, value)`` of a trial point: ``status`` None when it can be taken."""
    if not np.all(np.isfinite(x)):
        return OptimizationStatus.NON_FINITE, "is not finite", None
    if inside is not None and not inside(x):
        return OptimizationStatus.LEFT_DOMAIN, "is outside the domain", None
    if objective is not None:
        value = _scalar(objective, x)
        if not math.isfinite(value):
            return OptimizationStatus.NON_FINITE, f"has the loss {value}", None
        return None, "", value
    return None, "", None


def _first_value(objective, x, name):
    """The objective at the start, or the message of a run that cannot start."""
    if objective is None:
        return None, None
    value = _scalar(objective, x)
    if not math.isfinite(value):
        return None, (f"the loss is not finite at the start, {name} = {_where(x)} (it is {value}); "
                      f"{_MESSAGES[OptimizationStatus.NON_FINITE]}")
    return value, None


# --------------------------------------------------------------------------- descent
def metric_descent(metric, gradient, x0, lr, steps, *, damping=0.0, method="solve",
                   inside=None, backtrack=0, objective=None, throw=False):
    r"""Natural-gradient descent on callables,
    :math:`x_{k+1} = x_k - \gamma\,(G(x_k) + \lambda I)^{-1}\nabla L(x_k)`.

    The engine behind :func:`manifolds.optim.natural_gradient_descent`, which builds the
    callables from a catalog manifold.

    Parameters
    ----------
    metric : callable or None
        ``metric(x)`` returns :math:`G(x)`, shape ``(n, n)``; ``None`` gives plain gradient
        descent (for comparisons).
    gradient : callable
        ``gradient(x)`` returns :math:`\nabla L(x)`, shape ``(n,)``.
    x0 : array_like, shape (n,)
    lr : float, > 0
        The step size :math:`\gamma`.
    steps : int, >= 0

    Other Parameters
    ----------------
    damping : float, >= 0
    method : {"solve", "pinv"}
        See :func:`natural_gradient`.
    inside : callable, optional
        ``inside(x)`` is true in the domain; a step that would leave it is not taken.
    backtrack : int, >= 0
        Halve a step that would leave the domain (or reach a point where the objective is not
        finite) up to this many times before stopping.
    objective : callable, optional
        ``objective(x)``, the loss, recorded in :attr:`OptimizationPath.values`; a point
        where it is not finite is never an iterate.
    throw : bool
        Raise :class:`OptimizationError` instead of returning a failed path.

    Returns
    -------
    OptimizationPath
        ``status`` is ``SUCCESS`` after ``steps`` steps; ``NON_FINITE`` where the loss,
        gradient or metric stopped being finite (at the start included; the message gives the
        step and the point); ``LEFT_DOMAIN`` where the next step would leave the domain.

    Raises
    ------
    SingularMatrixError
        If the metric is singular, ``damping == 0`` and ``method == "solve"``.
    DomainError
        If ``x0`` is not finite or outside the domain, ``lr`` is not > 0, ...

    Examples
    --------
    Natural-gradient descent for the mean and standard deviation of a Normal, metric
    ``diag(1/sigma^2, 2/sigma^2)``, loss ``KL(N(0, 1) || N(mu, sigma))``:

    >>> metric = lambda x: np.diag([1 / x[1] ** 2, 2 / x[1] ** 2])
    >>> gradient = lambda x: np.array([x[0] / x[1] ** 2, 1 / x[1] - (1 + x[0] ** 2) / x[1] ** 3])
    >>> path = metric_descent(metric, gradient, [1.0, 2.0], lr=0.5, steps=40,
    ...                       inside=lambda x: x[1] > 0)
    >>> path.status.name, np.round(path.x, 8)
    ('SUCCESS', array([0., 1.]))

    The metric of the Bernoulli in p is 1/(p(1-p)); the loss p**2 has the natural gradient
    2 p**2 (1 - p). A step too long to stay in (0, 1) is not taken:

    >>> metric = lambda x: np.array([[1 / (x[0] * (1 - x[0]))]])
    >>> gradient = lambda x: np.array([2 * x[0]])
    >>> path = metric_descent(metric, gradient, [0.5], lr=5.0, steps=3,
    ...                       inside=lambda x: 0 < x[0] < 1)
    >>> path.status.name, path.n_steps
    ('LEFT_DOMAIN', 0)
    >>> print(path.message)
    step 1 from x = [0.5] (lr = 5) would reach x = [-0.75], which is outside the domain; ...
    >>> metric_descent(metric, gradient, [0.5], lr=5.0, steps=3, backtrack=3,
    ...                inside=lambda x: 0 < x[0] < 1).step_sizes
    array([1.25, 2.5 , 5.  ])
    """
    x = _start(x0, inside)
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=0)
    backtrack = integer("backtrack", backtrack, minimum=0)
    damping, method, throw = _options(damping, method, throw)
    xs, sizes = [x], []
    value, problem = _first_value(objective, x, "x0")
    values = None if objective is None else [value]
    if problem is not None:
        path = OptimizationPath(np.array(xs), OptimizationStatus.NON_FINITE, problem, np.zeros(0), np.zeros(0))
        return _finish(path, throw)
    status, message = OptimizationStatus.SUCCESS, f"{steps} steps taken"
    for k in range(steps):
        d, problem = _direction(metric, gradient, x, damping, method, f"step {k + 1}")
        if problem is not None:
            status = OptimizationStatus.NON_FINITE
            message = f"step {k + 1}: {problem} at x = {_where(x)}; {_MESSAGES[status]}"
            break
        h = lr
        for _ in range(backtrack + 1):
            failure, what, value = _candidate(x - h * d, inside, objective)
            if failure is None:
                break
            h *= 0.5
        else:
            h *= 2.0
            status = failure
            message = (f"step {k + 1} from x = {_where(x)} (lr = {h:g}) would reach x = "
                       f"{_where(x - h * d)}, which {what}; {_MESSAGES[status]}")
            break
        x = x - h * d
        xs.append(x)
        sizes.append(h)
        if values is not None:
            values.append(value)
    path = OptimizationPath(np.array(xs), status, message, np.array(sizes),
                            None if values is None else np.array(values))
    return _finish(path, throw)


# ------------------------------------------------------------------------------ flow
class _NonFinite(Exception):
    """Raised by a flow's right-hand side to end the integration at once."""

    def __init__(self, t, x, what):
        super().__init__(what)
        self.t, self.x, self.what = t, x, what


def _times(t_eval, t1):
    if t_eval is None:
        return np.array([0.0, t1])
    if isinstance(t_eval, (int, np.integer)) and not isinstance(t_eval, (bool, np.bool_)):
        count = integer("t_eval", t_eval, minimum=2)
        return np.linspace(0.0, t1, count)
    times = as_vector("t_eval", t_eval)
    if np.any(np.diff(times) < 0) or times.min() < 0 or times.max() > t1:
        raise DomainError(f"t_eval must be increasing times in [0, t1 = {t1:g}], got {_where(times)}")
    return times


def metric_flow(metric, gradient, x0, t1, *, t_eval=None, damping=0.0, method="solve",
                inside=None, objective=None, rtol=1e-10, atol=1e-12, max_steps=10_000,
                max_time=60.0, throw=False):
    r"""The natural-gradient flow :math:`\dot x = -(G(x) + \lambda I)^{-1}\nabla L(x)` from
    ``t = 0`` to ``t1``, on callables.

    The engine behind :func:`manifolds.optim.natural_gradient_flow`. Integrated with scipy's
    DOP853 one step at a time, so that the step count and the wall-clock time are bounded.
    The right-hand side is NaN outside the domain, so the integrator shrinks its step towards
    the boundary and the run stops there with :attr:`OptimizationStatus.LEFT_DOMAIN`; a
    non-finite loss, gradient or metric inside the domain (at the start included) ends the
    run at once with :attr:`OptimizationStatus.NON_FINITE`.

    Parameters
    ----------
    metric, gradient : callable
        As for :func:`metric_descent` (``metric=None`` gives the gradient flow).
    x0 : array_like, shape (n,)
    t1 : float, > 0

    Other Parameters
    ----------------
    t_eval : None, int or array_like
        Output times: ``None`` for ``(0, t1)``, an int ``m`` for ``m`` equally spaced times,
        or increasing times in ``[0, t1]``.
    damping, method, inside, objective, throw
        As for :func:`metric_descent`.
    rtol, atol : float
        Tolerances of DOP853.
    max_steps : int, >= 1
        Accepted integrator steps before stopping with :attr:`OptimizationStatus.MAX_STEPS`.
    max_time : float, > 0
        Seconds of wall-clock time before stopping with
        :attr:`OptimizationStatus.TIME_LIMIT` (checked between steps).

    Returns
    -------
    FlowPath

    Examples
    --------
    The natural-gradient flow of ``KL(N(0, 1) || N(mu, sigma))`` in the expectation
    parameters :math:`\eta = (\mu, \mu^2 + \sigma^2)` is :math:`\eta(t) = \eta^* + (\eta(0) -
    \eta^*) e^{-t}`, so :math:`\mu(t) = \mu_0 e^{-t}`:

    >>> metric = lambda x: np.diag([1 / x[1] ** 2, 2 / x[1] ** 2])
    >>> gradient = lambda x: np.array([x[0] / x[1] ** 2, 1 / x[1] - (1 + x[0] ** 2) / x[1] ** 3])
    >>> flow = metric_flow(metric, gradient, [1.0, 2.0], t1=1.0)
    >>> flow.status.name, bool(abs(flow.x[0] - np.exp(-1.0)) < 1e-9)
    ('SUCCESS', True)

    A gradient that is not finite at the start ends the run before any step:

    >>> metric_flow(None, lambda x: np.array([np.inf]), [1.0], t1=1.0).status.name
    'NON_FINITE'
    """
    x = _start(x0, inside)
    t1 = positive("t1", t1)
    times = _times(t_eval, t1)
    damping, method, throw = _options(damping, method, throw)
    rtol, atol = positive("rtol", rtol), positive("atol", atol)
    max_steps = integer("max_steps", max_steps, minimum=1)
    max_time = positive("max_time", max_time)
    n = x.shape[0]
    rejected = []     # (status, x, what) of the last right-hand side that was refused
    count = [0]

    def rhs(t, y):
        count[0] += 1
        if inside is not None and not inside(y):
            rejected[:] = [(OptimizationStatus.LEFT_DOMAIN, y.copy(), "outside the domain")]
            return np.full(n, np.nan)
        d, problem = _direction(metric, gradient, y, damping, method, f"t = {t:.10g}")
        if problem is None and objective is not None:
            value = _scalar(objective, y)
            if not math.isfinite(value):
                problem = f"the loss is {value}"
        if problem is not None:
            raise _NonFinite(t, y.copy(), problem)
        return -d

    xs = np.full((times.shape[0], n), np.nan)
    xs[times == 0.0] = x
    clock = time.monotonic()
    status, detail, n_steps, t_stop = None, "", 0, 0.0
    try:
        solver = DOP853(rhs, 0.0, x, t1, rtol=rtol, atol=atol)
        while solver.status == "running":
            if n_steps >= max_steps:
                status = OptimizationStatus.MAX_STEPS
                detail = (f"{max_steps} steps taken; near an equilibrium an explicit integrator's step "
                          f"is bounded by its stability (about 6 / the largest decay rate), so a long t1 "
                          f"costs many steps: lower t1 if the flow has settled")
                break
            if time.monotonic() - clock > max_time:
                status, detail = OptimizationStatus.TIME_LIMIT, f"{max_time:g} s"
                break
            t_old = solver.t
            failure = solver.step()
            t_stop = float(solver.t)
            if solver.status == "failed":
                break
            n_steps += 1
            now = (times > t_old) & (times <= solver.t)
            if now.any():
                xs[now] = solver.dense_output()(times[now]).T     # DOP853's 7th-order dense output
    except _NonFinite as exc:
        status = OptimizationStatus.NON_FINITE
        detail = f"{exc.what} at t = {exc.t:.10g}, x = {_where(exc.x)}"
    if status is None and solver.status == "finished":
        status, message = OptimizationStatus.SUCCESS, f"reached t1 in {n_steps} steps"
    elif status is None:
        # scipy gives up when its step falls below the resolution of t; the last right-hand
        # side it could not evaluate says why
        status, where = OptimizationStatus.STEP_SIZE_TOO_SMALL, ""
        if rejected:
            status, y_bad, what = rejected[-1]
            where = f"; last rejected evaluation at x = {_where(y_bad)} ({what})"
        message = (f"{status.name} after t = {t_stop:.10g} (scipy: {failure}){where}; "
                   f"{_MESSAGES[status]}")
    else:
        message = f"{status.name} after t = {t_stop:.10g}: {detail}; {_MESSAGES[status]}"
    path = FlowPath(times, xs, status, t_stop, message, count[0], n_steps)
    return _finish(path, throw)


# ---------------------------------------------------------------------- Fisher scoring
_BOUNDARY_REACH = 100.0


def _toward_boundary(x, directions, inside):
    """Whether ``x + 100 d`` leaves the domain for two of the recent scoring steps ``d``.

    One is not enough: a single Newton-like step can land on an interior maximum that lies
    half-way to the boundary (Poisson counts 0 and 1 from the rate 1).
    """
    if inside is None:
        return False
    out = 0
    for d in directions:
        beyond = x + _BOUNDARY_REACH * d
        out += not (np.all(np.isfinite(beyond)) and inside(beyond))
    return out >= 2


def scoring_steps(score, information, x0, *, loglik=None, inside=None, max_steps=100, xtol=1e-10,
                  ftol=1e-14, damping=0.0, method="solve", max_halvings=40, throw=False):
    r"""Maximum likelihood by Fisher scoring on callables,
    :math:`x_{k+1} = x_k + h_k\,I(x_k)^{-1} s(x_k)`.

    The engine behind :func:`manifolds.optim.fisher_scoring`. :math:`s` is the score of the
    whole sample (summed over the observations) and :math:`I` the Fisher information of the
    whole sample (``N`` times the metric). The step :math:`h_k = 2^{-j}` is the longest that
    stays in the domain and, when ``loglik`` is given, does not lower the log-likelihood (up
    to rounding).

    Parameters
    ----------
    score, information : callable
        ``score(x)``, shape ``(n,)``, and ``information(x)``, shape ``(n, n)``.
    x0 : array_like, shape (n,)

    Other Parameters
    ----------------
    loglik : callable, optional
        The log-likelihood of the sample, for the step-halving safeguard.
    inside : callable, optional
        The domain test.
    max_steps : int, >= 0
    xtol : float, > 0
        Converged when an accepted step satisfies :math:`|\Delta x|_\infty \le`
        ``xtol`` :math:`(1 + |x|_\infty)`, or when the log-likelihood changed by at most
        ``ftol`` :math:`(1 + |\ell|)` (the rounding level of a sum; a step may lower
        :math:`\ell` by that much). The second test ends runs on likelihoods with kinks (the
        Laplace median), where the step does not shrink.
    ftol : float, > 0
    damping, method
        As for :func:`natural_gradient`.
    max_halvings : int, >= 0
    throw : bool

    Returns
    -------
    OptimizationPath
        ``SUCCESS`` on convergence; ``NO_MLE`` when the iterates converge to the boundary of
        the domain (see Notes); ``MAX_STEPS``, ``NON_FINITE``, ``LEFT_DOMAIN`` or
        ``NO_PROGRESS`` otherwise. ``values`` holds the log-likelihood when given.

    Notes
    -----
    Steps shrink both near a maximum and when the iterates run geometrically to the boundary
    (the standard deviation of identical observations halves at every step). The two are told
    apart where the run stops: near an interior maximum the scoring step :math:`I^{-1}s` is
    tiny, and 100 times it stays inside the domain; on a run to the boundary the scoring step
    is a fixed fraction of the distance to the boundary (half the standard deviation), and 100
    times it leaves the domain. The test is made with the last three scoring steps, and at
    least two must point out: close to the boundary the log-likelihood and the score lose
    their accuracy (they are differences of terms of order :math:`1/\sigma^2`), so the very
    last step can be rounding noise, while one step alone can land on an interior maximum
    half-way to the boundary. The same test decides whether a singular
    information, or a step that no halving makes acceptable, means that the MLE does not
    exist. An estimate closer to the boundary than 100 times two of the last three scoring
    steps is reported as ``NO_MLE`` too.

    Examples
    --------
    Poisson rate from counts with sum 12 over 4 observations; the MLE is the mean, 3:

    >>> score = lambda x: np.array([12 / x[0] - 4])
    >>> information = lambda x: np.array([[4 / x[0]]])
    >>> path = scoring_steps(score, information, [1.0], inside=lambda x: x[0] > 0)
    >>> path.status.name, float(path.x[0])
    ('SUCCESS', 3.0)

    Four zero counts: the likelihood grows as the rate falls to 0, outside the domain:

    >>> score = lambda x: np.array([-4.0])
    >>> scoring_steps(score, information, [1.0], inside=lambda x: x[0] > 0).status.name
    'NO_MLE'
    """
    x = _start(x0, inside)
    max_steps = integer("max_steps", max_steps, minimum=0)
    xtol = positive("xtol", xtol)
    ftol = positive("ftol", ftol)
    max_halvings = integer("max_halvings", max_halvings, minimum=0)
    damping, method, throw = _options(damping, method, throw)
    xs, sizes = [x], []
    ll, problem = _first_value(loglik, x, "x0")
    values = None if loglik is None else [ll]
    if problem is not None:
        path = OptimizationPath(np.array(xs), OptimizationStatus.NON_FINITE,
                                problem.replace("the loss", "the log-likelihood"), np.zeros(0), np.zeros(0))
        return _finish(path, throw)
    status = OptimizationStatus.MAX_STEPS
    message = f"{max_steps} steps taken without convergence; {_MESSAGES[status]}"
    d, recent = None, []      # the scoring step and the last three
    for k in range(max_steps):
        # the scoring step is the natural-gradient step of -loglik: d = I^-1 s
        try:
            d, problem = _direction(information, score, x, damping, method, f"step {k + 1}")
        except SingularMatrixError:
            # the information degenerates at the boundary the iterates run to (a category
            # probability -> 0): that is the missing MLE, not a call for damping
            if not _toward_boundary(x, recent, inside):
                raise
            status = OptimizationStatus.NO_MLE
            message = (f"step {k + 1}: the information became singular at x = {_where(x)}, near the "
                       f"boundary; {_MESSAGES[status]}")
            break
        if problem is not None:
            status = OptimizationStatus.NON_FINITE
            problem = (problem.replace("the natural gradient", "the scoring step")
                       .replace("the gradient", "the score").replace("the metric", "the information"))
            message = f"step {k + 1}: {problem} at x = {_where(x)}; {_MESSAGES[status]}"
            break
        h, accepted, failure = 1.0, False, OptimizationStatus.NO_PROGRESS
        for _ in range(max_halvings + 1):
            failure, what, new_ll = _candidate(x + h * d, inside, loglik)
            if failure is None:
                if new_ll is None or new_ll >= ll - ftol * (1.0 + abs(ll)):
                    accepted = True
                    break
                failure = OptimizationStatus.NO_PROGRESS
            h *= 0.5
        if not accepted:
            out = _toward_boundary(x, recent + [d], inside)
            status = OptimizationStatus.NO_MLE if out else failure
            message = (f"step {k + 1} from x = {_where(x)}: {max_halvings} halvings of the scoring "
                       f"step {_where(d)} failed; {_MESSAGES[status]}")
            break
        step = h * d
        recent = recent[-2:] + [d]
        flat = ll is not None and abs(new_ll - ll) <= ftol * (1.0 + abs(ll))
        x, ll = x + step, new_ll
        xs.append(x)
        sizes.append(h)
        if values is not None:
            values.append(ll)
        if flat or np.max(np.abs(step)) <= xtol * (1.0 + np.max(np.abs(x))):
            if _toward_boundary(x, recent, inside):
                status = OptimizationStatus.NO_MLE
                message = (f"step {k + 1}: the steps shrank at x = {_where(x)}, where the scoring steps "
                           f"point out of the domain; {_MESSAGES[status]}")
            else:
                status, message = OptimizationStatus.SUCCESS, f"converged after {k + 1} steps"
            break
    path = OptimizationPath(np.array(xs), status, message, np.array(sizes),
                            None if values is None else np.array(values))
    return _finish(path, throw)


# ---------------------------------------------------------------------- mirror descent
def legendre_inverse(grad_potential, hess_potential, eta, theta0, *, inside=None, tol=1e-13,
                     max_steps=100):
    r"""Solve :math:`\nabla F(\theta) = \eta` for :math:`\theta` by Newton's method.

    For a strictly convex :math:`F` this is the unique minimiser of :math:`F(\theta) -
    \theta^\top\eta`, i.e. :math:`\nabla F^*(\eta)`; used where :math:`F^*` has no closed form
    (Gamma, Beta, Dirichlet, von Mises). Steps are halved to stay in the domain.

    Returns
    -------
    ndarray, shape (n,), or None when Newton's method did not converge (``eta`` outside the
    image of :math:`\nabla F`, typically).

    Examples
    --------
    Poisson: :math:`F = e^\theta`, so :math:`\theta = \log\eta`:

    >>> th = legendre_inverse(lambda t: np.exp(t), lambda t: np.diag(np.exp(t)), [2.0], [0.0])
    >>> bool(abs(th[0] - np.log(2.0)) < 1e-13)
    True
    """
    eta = as_vector("eta", eta)
    n = eta.shape[0]
    theta = as_vector("theta0", theta0, n).copy()
    tol = positive("tol", tol)
    max_steps = integer("max_steps", max_steps, minimum=1)
    for _ in range(max_steps):
        r = _call("grad_potential", grad_potential, theta, (n,)) - eta
        H = _call("hess_potential", hess_potential, theta, (n, n))
        if not (np.all(np.isfinite(r)) and np.all(np.isfinite(H))):
            return None
        try:
            d = np.linalg.solve(H, r)
        except np.linalg.LinAlgError:
            return None
        h = 1.0
        for _ in range(60):
            new = theta - h * d
            if np.all(np.isfinite(new)) and (inside is None or inside(new)):
                r_new = _call("grad_potential", grad_potential, new, (n,)) - eta
                if h < 1e-3 or (np.all(np.isfinite(r_new)) and np.linalg.norm(r_new) < np.linalg.norm(r)):
                    break
            h *= 0.5
        else:
            return None
        theta = new
        if np.max(np.abs(h * d)) <= tol * (1.0 + np.max(np.abs(theta))):
            return theta
    return None


def mirror_steps(grad_potential, inverse_grad_potential, gradient, theta0, lr, steps, *,
                 inside=None, backtrack=0, objective=None, throw=False):
    r"""Mirror descent on callables, with the Bregman divergence of a potential :math:`F`:
    :math:`\nabla F(\theta_{k+1}) = \nabla F(\theta_k) - \gamma\nabla_\theta E(\theta_k)`.

    The engine behind :func:`manifolds.optim.mirror_descent`.

    Parameters
    ----------
    grad_potential : callable
        :math:`\theta \mapsto \eta = \nabla F(\theta)`.
    inverse_grad_potential : callable
        :math:`\eta \mapsto \theta = \nabla F^*(\eta)`; may return ``None`` or a non-finite
        array for an :math:`\eta` outside the image of :math:`\nabla F`.
    gradient : callable
        :math:`\theta \mapsto \nabla_\theta E(\theta)`.
    theta0 : array_like, shape (n,)
    lr : float, > 0
    steps : int, >= 0

    Other Parameters
    ----------------
    inside : callable, optional
        Domain test on :math:`\theta`.
    objective : callable, optional
        :math:`\theta \mapsto E(\theta)`, recorded in ``values``; a point where it is not
        finite is never an iterate.
    backtrack, throw
        As for :func:`metric_descent`.

    Returns
    -------
    OptimizationPath
        ``xs`` the primal iterates :math:`\theta_k`, ``duals`` the :math:`\eta_k`;
        ``NON_FINITE`` where the gradient or the objective stopped being finite (at the start
        included), ``LEFT_DOMAIN`` where :math:`\eta` would leave the image of
        :math:`\nabla F`.

    Examples
    --------
    Poisson, :math:`F(\theta) = e^\theta`, :math:`E = (\eta - 3)^2/2` so
    :math:`\nabla_\theta E = e^\theta(e^\theta - 3)`: the dual iterates are those of
    natural-gradient descent in :math:`\eta`, :math:`\eta_{k+1} = \eta_k - \gamma\,\eta_k(\eta_k - 3)`
    (the metric in :math:`\eta` is :math:`1/\eta`):

    >>> path = mirror_steps(np.exp, np.log, lambda t: np.exp(t) * (np.exp(t) - 3),
    ...                     [0.0], lr=0.1, steps=2)
    >>> np.round(path.duals[:, 0], 12)
    array([1.   , 1.2  , 1.416])
    """
    theta = _start(theta0, inside, "theta0")
    n = theta.shape[0]
    lr = positive("lr", lr)
    steps = integer("steps", steps, minimum=0)
    backtrack = integer("backtrack", backtrack, minimum=0)
    throw = boolean("throw", throw)
    eta = _call("grad_potential", grad_potential, theta, (n,))
    thetas, etas, sizes = [theta], [eta], []
    value, problem = _first_value(objective, theta, "theta0")
    values = None if objective is None else [value]
    if problem is None and not np.all(np.isfinite(eta)):
        problem = f"{_nonfinite('gradient of the potential', eta)} at theta0 = {_where(theta)}"
    if problem is not None:
        path = OptimizationPath(np.array(thetas), OptimizationStatus.NON_FINITE, problem, np.zeros(0),
                                None if values is None else np.zeros(0), duals=np.array(etas))
        return _finish(path, throw)
    status, message = OptimizationStatus.SUCCESS, f"{steps} steps taken"
    for k in range(steps):
        g = _call("gradient", gradient, theta, (n,))
        if not np.all(np.isfinite(g)):
            status = OptimizationStatus.NON_FINITE
            message = f"step {k + 1}: {_nonfinite('gradient', g)} at theta = {_where(theta)}; {_MESSAGES[status]}"
            break
        h = lr
        for _ in range(backtrack + 1):
            eta_new = eta - h * g
            new = inverse_grad_potential(eta_new) if np.all(np.isfinite(eta_new)) else None
            if new is not None:
                new = np.asarray(new, dtype=np.float64).reshape(-1)
            # the inverse map is undefined (None, NaN) off the image of grad F
            if new is None or not np.all(np.isfinite(new)):
                failure, what = OptimizationStatus.LEFT_DOMAIN, "is outside the image of grad F"
            else:
                failure, what, value = _candidate(new, inside, objective)
                if failure == OptimizationStatus.LEFT_DOMAIN:
                    what = "is outside the image of grad F"
                elif failure is not None:
                    what = f"maps to theta = {_where(new)}, which {what}"
            if failure is None:
                break
            h *= 0.5
        else:
            h *= 2.0
            status = failure
            place = " (the domain of the dual parameters)" if failure == OptimizationStatus.LEFT_DOMAIN else ""
            message = (f"step {k + 1} from theta = {_where(theta)} (lr = {h:g}) would reach "
                       f"eta = {_where(eta - h * g)}, which {what}{place}; {_MESSAGES[status]}")
            break
        theta, eta = new, eta_new
        thetas.append(theta)
        etas.append(eta)
        sizes.append(h)
        if values is not None:
            values.append(value)
    path = OptimizationPath(np.array(thetas), status, message, np.array(sizes),
                            None if values is None else np.array(values), duals=np.array(etas))
    return _finish(path, throw)
