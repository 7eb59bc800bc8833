r"""Natural-gradient descent, natural-gradient flows, Fisher scoring and mirror descent on
compiled callables.

Everything here takes plain callables of a point ``x`` (a 1-d float array): ``metric(x)``
returns the metric :math:`G(x)` (shape ``(n, n)``), ``gradient(x)`` the Euclidean gradient
:math:`\nabla L(x)` in the same coordinates (shape ``(n,)``), ``inside(x)`` whether ``x`` lies in
the domain. :mod:`manifolds.optim` builds them from a catalog manifold (compiled kernels); this
module does not import ``manifolds``.

The natural gradient is :math:`\tilde\nabla L = G^{-1}\nabla L` [1]_ (with damping,
:math:`(G + \lambda I)^{-1}\nabla L`; with ``method="pinv"``, the Moore-Penrose pseudo-inverse
:math:`G^{+}\nabla L`, the minimum-norm least-squares solution, for a singular metric). The
linear algebra is :func:`numeric.nn.supervised.precondition`, shared with the supervised-model
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

Failures are data, as for geodesics (:mod:`numeric.geodesics.integrate`): every run returns a
:class:`Path` or :class:`FlowPath` with a :class:`OptimizationStatus` and a message that says where it
stopped and what to change; ``throw=True`` raises :class:`OptimizationError` instead. A step
that would leave the domain is never taken: it is halved up to ``backtrack`` times, and
otherwise the run stops with :attr:`OptimizationStatus.LEFT_DOMAIN`.

Flows are integrated with scipy's DOP853 (``solve_ivp``, rtol 1e-10 and atol 1e-12 by
default), the method of :mod:`numeric.geodesics.integrate`, not with a compiled integrator: the flows
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
>>> path = natural_gradient_descent(metric, gradient, [1.0, 2.0], lr=0.5, steps=40,
...                                 inside=lambda x: x[1] > 0)
>>> path.status.name, np.round(path.x, 8)
('SUCCESS', array([0., 1.]))
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from symbolic.errors import OptimizationError

from .linalg import SingularMatrixError, precondition

__all__ = [
    "OptimizationStatus",
    "OptimizationError",
    "SingularMatrixError",
    "Path",
    "FlowPath",
    "natural_gradient",
    "natural_gradient_descent",
    "natural_gradient_flow",
    "fisher_scoring",
    "mirror_descent",
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


_MESSAGES = {
    OptimizationStatus.SUCCESS: "finished",
    OptimizationStatus.LEFT_DOMAIN: (
        "the next step would leave the domain, so it was not taken; lower lr, pass "
        "backtrack=k to halve a step up to k times, or use a chart in which the path stays "
        "inside"),
    OptimizationStatus.NON_FINITE: (
        "the gradient or the metric was not finite at a point inside the domain; check the "
        "loss there, or restrict the domain"),
    OptimizationStatus.MAX_STEPS: "the step limit was reached before convergence; raise max_steps or loosen tol",
    OptimizationStatus.STEP_SIZE_TOO_SMALL: (
        "the integrator's step fell below the resolution of t while the point was inside "
        "the domain: the metric is probably singular there; pass damping > 0"),
    OptimizationStatus.NO_PROGRESS: (
        "no step along the search direction increased the objective after all halvings; "
        "the point is the optimum to rounding, or the metric is a poor model of the "
        "objective here: pass damping > 0 or start elsewhere"),
}


@dataclass(frozen=True, eq=False)
class Path:
    """The iterates of a discrete method.

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
        The objective at the iterates, where an objective was given.
    duals : ndarray, shape (k + 1, n) or None
        For mirror descent: the dual iterates :math:`\\eta_k = \\nabla F(\\theta_k)`.
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
        return self.status == OptimizationStatus.SUCCESS

    @property
    def n_steps(self):
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
    message : str
    n_evaluations : int
        Right-hand-side evaluations.
    """

    t: np.ndarray
    xs: np.ndarray
    status: OptimizationStatus
    t_stop: float
    message: str
    n_evaluations: int

    @property
    def x(self):
        return self.xs[-1]

    @property
    def ok(self):
        return self.status == OptimizationStatus.SUCCESS


# ---------------------------------------------------------------------------- helpers
def _vector(name, value, n=None):
    try:
        v = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 1-d array of real numbers: {exc}") from exc
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{name} must have {n} entries, got {v.shape[0]}")
    return v


def _start(x0, inside):
    x = _vector("x0", x0)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be finite, got {x.tolist()}")
    if inside is not None and not inside(x):
        raise ValueError(f"x0 = {x.tolist()} is outside the domain")
    return x


def _positive(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number > 0, got {value!r}") from exc
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def _count(name, value):
    if isinstance(value, bool) or int(value) != value or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _where(x):
    return "[" + ", ".join(f"{v:.10g}" for v in x) + "]"


def _nonfinite(kind, values):
    bad = [i for i, v in enumerate(np.ravel(values)) if not math.isfinite(v)]
    return f"the {kind} is not finite (entries {bad})"


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
        :func:`numeric.nn.supervised.precondition`).

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> natural_gradient([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0], method="pinv")
    array([1., 0.])
    >>> natural_gradient([[1.0, 0.0], [0.0, 0.0]], [1.0, 1.0])
    Traceback (most recent call last):
    ...
    symbolic.errors.SingularMatrixError: matrix + damping * I is singular ...; pass damping > 0 or method='pinv'
    """
    if metric is None:
        return _vector("gradient", gradient)
    return precondition(metric, gradient, damping=damping, method=method, rtol=rtol)


# --------------------------------------------------------------------------- descent
def natural_gradient_descent(metric, gradient, x0, lr, steps, *, damping=0.0, method="solve",
                             inside=None, backtrack=0, objective=None, throw=False):
    r"""Natural-gradient descent :math:`x_{k+1} = x_k - \gamma\,(G(x_k) + \lambda I)^{-1}\nabla L(x_k)`.

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
        Halve a step that would leave the domain (or reach a non-finite point) up to this many
        times before stopping with :attr:`OptimizationStatus.LEFT_DOMAIN`.
    objective : callable, optional
        ``objective(x)``, recorded in :attr:`Path.values`.
    throw : bool
        Raise :class:`OptimizationError` instead of returning a failed :class:`Path`.

    Returns
    -------
    Path
        ``status`` is ``SUCCESS`` after ``steps`` steps; ``NON_FINITE`` where the gradient or
        metric stopped being finite (the message gives the step and the point);
        ``LEFT_DOMAIN`` where the next step would leave the domain.

    Raises
    ------
    SingularMatrixError
        If the metric is singular, ``damping == 0`` and ``method == "solve"``.

    Examples
    --------
    The metric of the Bernoulli in p is 1/(p(1-p)); the loss p**2 has the natural gradient
    2 p**2 (1 - p). A step too long to stay in (0, 1) is not taken:

    >>> metric = lambda x: np.array([[1 / (x[0] * (1 - x[0]))]])
    >>> gradient = lambda x: np.array([2 * x[0]])
    >>> path = natural_gradient_descent(metric, gradient, [0.5], lr=5.0, steps=3,
    ...                                 inside=lambda x: 0 < x[0] < 1)
    >>> path.status.name, path.n_steps
    ('LEFT_DOMAIN', 0)
    >>> print(path.message)
    step 1 from x = [0.5] (lr = 5) would reach x = [-0.75], outside the domain; ...
    >>> natural_gradient_descent(metric, gradient, [0.5], lr=5.0, steps=3, backtrack=3,
    ...                          inside=lambda x: 0 < x[0] < 1).step_sizes
    array([1.25, 2.5 , 5.  ])
    """
    x = _start(x0, inside)
    lr = _positive("lr", lr)
    steps = _count("steps", steps)
    backtrack = _count("backtrack", backtrack)
    xs, sizes = [x], []
    values = [float(objective(x))] if objective is not None else None
    status, message = OptimizationStatus.SUCCESS, f"{steps} steps taken"
    for k in range(steps):
        g = np.asarray(gradient(x), dtype=np.float64).reshape(-1)
        problem = None
        if not np.all(np.isfinite(g)):
            problem = _nonfinite("gradient", g)
        G = None
        if problem is None and metric is not None:
            G = np.asarray(metric(x), dtype=np.float64)
            if not np.all(np.isfinite(G)):
                problem = _nonfinite("metric", G)
        if problem is not None:
            status = OptimizationStatus.NON_FINITE
            message = f"step {k + 1}: {problem} at x = {_where(x)}; {_MESSAGES[status]}"
            break
        try:
            d = natural_gradient(G, g, damping=damping, method=method)
        except SingularMatrixError as exc:
            raise SingularMatrixError(f"step {k + 1}, x = {_where(x)}: {exc}") from exc
        h = lr
        for _ in range(backtrack + 1):
            new = x - h * d
            if np.all(np.isfinite(new)) and (inside is None or inside(new)):
                break
            h *= 0.5
        else:
            h *= 2.0
            status = OptimizationStatus.LEFT_DOMAIN
            message = (f"step {k + 1} from x = {_where(x)} (lr = {h:g}) would reach x = "
                       f"{_where(x - h * d)}, outside the domain; {_MESSAGES[status]}")
            break
        x = new
        xs.append(x)
        sizes.append(h)
        if values is not None:
            values.append(float(objective(x)))
    path = Path(np.array(xs), status, message, np.array(sizes),
                None if values is None else np.array(values))
    return _finish(path, throw)


# ------------------------------------------------------------------------------ flow
class _Flag(Exception):
    pass


def natural_gradient_flow(metric, gradient, x0, t1, *, t_eval=None, damping=0.0, method="solve",
                          inside=None, rtol=1e-10, atol=1e-12, throw=False):
    r"""The natural-gradient flow :math:`\dot x = -(G(x) + \lambda I)^{-1}\nabla L(x)` from
    ``t = 0`` to ``t1``.

    Integrated with scipy's DOP853 (``solve_ivp``); the right-hand side is NaN outside the
    domain, so the integrator shrinks its step towards the boundary and the run stops there
    with :attr:`OptimizationStatus.LEFT_DOMAIN`.

    Parameters
    ----------
    metric, gradient : callable
        As for :func:`natural_gradient_descent` (``metric=None`` gives the gradient flow).
    x0 : array_like, shape (n,)
    t1 : float, > 0

    Other Parameters
    ----------------
    t_eval : None, int or array_like
        Output times: ``None`` for ``(0, t1)``, an int ``m`` for ``m`` equally spaced times,
        or increasing times in ``[0, t1]``.
    damping, method, inside, throw
        As for :func:`natural_gradient_descent`.
    rtol, atol : float
        Tolerances of DOP853.

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
    >>> flow = natural_gradient_flow(metric, gradient, [1.0, 2.0], t1=1.0)
    >>> flow.status.name, bool(abs(flow.x[0] - np.exp(-1.0)) < 1e-9)
    ('SUCCESS', True)
    """
    x = _start(x0, inside)
    t1 = _positive("t1", t1)
    if t_eval is None:
        times = np.array([0.0, t1])
    elif isinstance(t_eval, (int, np.integer)) and not isinstance(t_eval, bool):
        if t_eval < 2:
            raise ValueError(f"t_eval as a count must be >= 2, got {t_eval}")
        times = np.linspace(0.0, t1, int(t_eval))
    else:
        times = _vector("t_eval", t_eval)
        if np.any(np.diff(times) < 0) or times.min() < 0 or times.max() > t1:
            raise ValueError(f"t_eval must be increasing times in [0, {t1}], got {t_eval!r}")
    n = x.shape[0]
    flags = []      # (kind, t, x) of the last right-hand side that could not be evaluated
    count = [0]

    def rhs(t, y):
        count[0] += 1
        if inside is not None and not inside(y):
            flags.append((OptimizationStatus.LEFT_DOMAIN, t, y.copy(), "outside the domain"))
            return np.full(n, np.nan)
        g = np.asarray(gradient(y), dtype=np.float64).reshape(-1)
        G = None if metric is None else np.asarray(metric(y), dtype=np.float64)
        if not np.all(np.isfinite(g)) or (G is not None and not np.all(np.isfinite(G))):
            what = _nonfinite("gradient", g) if not np.all(np.isfinite(g)) else _nonfinite("metric", G)
            flags.append((OptimizationStatus.NON_FINITE, t, y.copy(), what))
            return np.full(n, np.nan)
        try:
            return -natural_gradient(G, g, damping=damping, method=method)
        except SingularMatrixError as exc:
            raise SingularMatrixError(f"t = {t:.10g}, x = {_where(y)}: {exc}") from exc

    sol = solve_ivp(rhs, (0.0, t1), x, method="DOP853", dense_output=True, rtol=rtol, atol=atol)
    t_stop = float(sol.t[-1])
    xs = np.full((times.shape[0], n), np.nan)
    reached = times <= t_stop
    if sol.sol is not None and reached.any():
        xs[reached] = sol.sol(times[reached]).T      # DOP853's 7th-order dense output
    xs[times == 0.0] = x
    if sol.status == 0:
        status, message = OptimizationStatus.SUCCESS, "reached t1"
    else:
        # scipy gives up when its step falls below the resolution of t; the last right-hand
        # side it could not evaluate says why
        status, where = OptimizationStatus.STEP_SIZE_TOO_SMALL, ""
        if flags:
            status, _, y_bad, what = flags[-1]
            where = f"; last rejected evaluation at x = {_where(y_bad)} ({what})"
        message = (f"{status.name} after t = {t_stop:.10g} (scipy: {sol.message}){where}; "
                   f"{_MESSAGES[status]}")
    path = FlowPath(times, xs, status, t_stop, message, count[0])
    return _finish(path, throw)


# ---------------------------------------------------------------------- Fisher scoring
def fisher_scoring(score, information, x0, *, loglik=None, inside=None, max_steps=100, xtol=1e-10,
                   ftol=1e-14, damping=0.0, method="solve", max_halvings=40, throw=False):
    r"""Maximum likelihood by Fisher scoring, :math:`x_{k+1} = x_k + h_k\,I(x_k)^{-1} s(x_k)`.

    :math:`s` is the score of the whole sample (summed over the observations) and :math:`I`
    the Fisher information of the whole sample (``N`` times the metric). The step
    :math:`h_k = 2^{-j}` is the longest that stays in the domain and, when ``loglik`` is
    given, does not lower the log-likelihood (up to rounding).

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
    max_steps : int
    xtol : float
        Converged when an accepted step satisfies :math:`|\Delta x|_\infty \le`
        ``xtol`` :math:`(1 + |x|_\infty)`, or when the log-likelihood changed by at most
        ``ftol`` :math:`(1 + |\ell|)` (the rounding level of a sum; a step may lower
        :math:`\ell` by that much). The second test ends runs on likelihoods with kinks (the
        Laplace median), where the step does not shrink.
    damping, method
        As for :func:`natural_gradient`.
    max_halvings : int
    throw : bool

    Returns
    -------
    Path
        ``SUCCESS`` on convergence; ``MAX_STEPS``, ``NON_FINITE``, ``LEFT_DOMAIN`` or
        ``NO_PROGRESS`` otherwise. ``values`` holds the log-likelihood when given.

    Examples
    --------
    Poisson rate from counts with sum 12 over 4 observations; the MLE is the mean, 3:

    >>> score = lambda x: np.array([12 / x[0] - 4])
    >>> information = lambda x: np.array([[4 / x[0]]])
    >>> path = fisher_scoring(score, information, [1.0], inside=lambda x: x[0] > 0)
    >>> path.status.name, float(path.x[0])
    ('SUCCESS', 3.0)
    """
    x = _start(x0, inside)
    max_steps = _count("max_steps", max_steps)
    xtol = _positive("xtol", xtol)
    ftol = _positive("ftol", ftol)
    max_halvings = _count("max_halvings", max_halvings)
    xs, sizes = [x], []
    ll = float(loglik(x)) if loglik is not None else None
    values = [ll] if loglik is not None else None
    status = OptimizationStatus.MAX_STEPS
    message = f"{max_steps} steps taken without convergence; {_MESSAGES[status]}"
    for k in range(max_steps):
        s = np.asarray(score(x), dtype=np.float64).reshape(-1)
        info = np.asarray(information(x), dtype=np.float64)
        if not np.all(np.isfinite(s)) or not np.all(np.isfinite(info)):
            what = _nonfinite("score", s) if not np.all(np.isfinite(s)) else _nonfinite("information", info)
            status = OptimizationStatus.NON_FINITE
            message = f"step {k + 1}: {what} at x = {_where(x)}; {_MESSAGES[status]}"
            break
        try:
            d = natural_gradient(info, s, damping=damping, method=method)
        except SingularMatrixError as exc:
            raise SingularMatrixError(f"step {k + 1}, x = {_where(x)}: {exc}") from exc
        h, accepted, outside = 1.0, False, False
        for _ in range(max_halvings + 1):
            new = x + h * d
            if np.all(np.isfinite(new)) and (inside is None or inside(new)):
                outside = False
                new_ll = float(loglik(new)) if loglik is not None else None
                if new_ll is None or new_ll >= ll - ftol * (1.0 + abs(ll)):
                    accepted = True
                    break
            else:
                outside = True
            h *= 0.5
        if not accepted:
            status = OptimizationStatus.LEFT_DOMAIN if outside else OptimizationStatus.NO_PROGRESS
            message = (f"step {k + 1} from x = {_where(x)}: {max_halvings} halvings of the scoring "
                       f"step {_where(d)} failed; {_MESSAGES[status]}")
            break
        step = new - x
        flat = ll is not None and abs(new_ll - ll) <= ftol * (1.0 + abs(ll))
        x, ll = new, new_ll
        xs.append(x)
        sizes.append(h)
        if values is not None:
            values.append(ll)
        if flat or np.max(np.abs(step)) <= xtol * (1.0 + np.max(np.abs(x))):
            status, message = OptimizationStatus.SUCCESS, f"converged after {k + 1} steps"
            break
    path = Path(np.array(xs), status, message, np.array(sizes),
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
    eta = _vector("eta", eta)
    theta = _vector("theta0", theta0, eta.shape[0]).copy()
    for _ in range(max_steps):
        r = np.asarray(grad_potential(theta), dtype=np.float64).reshape(-1) - eta
        H = np.asarray(hess_potential(theta), dtype=np.float64)
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
                r_new = np.asarray(grad_potential(new), dtype=np.float64).reshape(-1) - eta
                if h < 1e-3 or (np.all(np.isfinite(r_new)) and np.linalg.norm(r_new) < np.linalg.norm(r)):
                    break
            h *= 0.5
        else:
            return None
        theta = new
        if np.max(np.abs(h * d)) <= tol * (1.0 + np.max(np.abs(theta))):
            return theta
    return None


def mirror_descent(grad_potential, inverse_grad_potential, gradient, theta0, lr, steps, *,
                   inside=None, backtrack=0, throw=False):
    r"""Mirror descent with the Bregman divergence of a potential :math:`F`:
    :math:`\nabla F(\theta_{k+1}) = \nabla F(\theta_k) - \gamma\nabla_\theta E(\theta_k)`.

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
    steps : int

    Other Parameters
    ----------------
    inside : callable, optional
        Domain test on :math:`\theta`.
    backtrack, throw
        As for :func:`natural_gradient_descent`.

    Returns
    -------
    Path
        ``xs`` the primal iterates :math:`\theta_k`, ``duals`` the :math:`\eta_k`.

    Examples
    --------
    Poisson, :math:`F(\theta) = e^\theta`, :math:`E = (\eta - 3)^2/2` so
    :math:`\nabla_\theta E = e^\theta(e^\theta - 3)`: the dual iterates are those of
    natural-gradient descent in :math:`\eta`, :math:`\eta_{k+1} = \eta_k - \gamma\,\eta_k(\eta_k - 3)`
    (the metric in :math:`\eta` is :math:`1/\eta`):

    >>> path = mirror_descent(np.exp, np.log, lambda t: np.exp(t) * (np.exp(t) - 3),
    ...                       [0.0], lr=0.1, steps=2)
    >>> np.round(path.duals[:, 0], 12)
    array([1.   , 1.2  , 1.416])
    """
    theta = _start(theta0, inside)
    lr = _positive("lr", lr)
    steps = _count("steps", steps)
    backtrack = _count("backtrack", backtrack)
    eta = np.asarray(grad_potential(theta), dtype=np.float64).reshape(-1)
    thetas, etas, sizes = [theta], [eta], []
    status, message = OptimizationStatus.SUCCESS, f"{steps} steps taken"
    for k in range(steps):
        g = np.asarray(gradient(theta), dtype=np.float64).reshape(-1)
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
                if np.all(np.isfinite(new)) and (inside is None or inside(new)):
                    break
            h *= 0.5
        else:
            h *= 2.0
            status = OptimizationStatus.LEFT_DOMAIN
            message = (f"step {k + 1} from theta = {_where(theta)} (lr = {h:g}) would reach "
                       f"eta = {_where(eta - h * g)}, outside the image of grad F (the domain of the "
                       f"dual parameters); {_MESSAGES[status]}")
            break
        theta, eta = new, eta_new
        thetas.append(theta)
        etas.append(eta)
        sizes.append(h)
    path = Path(np.array(thetas), status, message, np.array(sizes), duals=np.array(etas))
    return _finish(path, throw)
