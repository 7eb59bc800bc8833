r"""Optimisation on catalog manifolds: natural-gradient descent and flows, Fisher scoring,
mirror descent.

These are the user-facing optimisers; each is also a method of a manifold
(``M.natural_gradient_descent(loss, x0, lr, steps)`` is ``natural_gradient_descent(M, loss,
x0, lr, steps)``). Each derives what it needs exactly (the Fisher metric, the gradient of a
sympy loss, the score of the log-density, the log-partition and its gradient), compiles it with
:func:`numeric.compile_kernels` (cached on disk) and runs an engine of
:mod:`numeric.optim.gradient_methods` on the compiled callables (:func:`~numeric.optim.
natural_gradient.metric_descent`, ``metric_flow``, ``scoring_steps``, ``mirror_steps``).
Points are validated against the model's domain, data against its sample space; the domain
is compiled too, so a step that would leave it is detected and not taken. A run that meets a
non-finite loss or gradient stops there with ``NON_FINITE``, never with ``SUCCESS``.

Examples
--------
Natural-gradient descent of :math:`\mathrm{KL}(N(0, 1)\,\|\,N(\mu, \sigma))`:

>>> import sympy as sp
>>> from manifolds import Normal
>>> M = Normal()
>>> mu, sigma = M.coordinates
>>> kl = sp.log(sigma) + (1 + mu**2) / (2 * sigma**2) - sp.Rational(1, 2)
>>> path = natural_gradient_descent(M, kl, [1.0, 2.0], lr=0.5, steps=60)
>>> path.status.name, [round(float(v), 8) for v in path.x]
('SUCCESS', [0.0, 1.0])

Mirror descent with the log-partition as mirror map is natural-gradient descent in the
expectation parameters, iterate by iterate:

>>> eta1, eta2 = M.model.eta
>>> loss = (eta1 - 1) ** 2 + (eta2 - 3) ** 2
>>> md = mirror_descent(M, loss, [0.0, 1.0], lr=0.05, steps=20)
>>> ngd = natural_gradient_descent(M.in_chart("expectation"), loss, md.duals[0], lr=0.05, steps=20)
>>> bool(abs(md.duals - ngd.xs).max() < 1e-12)
True
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from numeric import compile_kernels
from numeric.optim.gradient_methods import (
    FlowPath,
    OptimizationError,
    OptimizationPath,
    OptimizationStatus,
    SingularMatrixError,
    legendre_inverse,
    metric_descent,
    metric_flow,
    mirror_steps,
    scoring_steps,
)
from symbolic.errors import DerivationError, DomainError
from symbolic.parsing import to_sympy
from symbolic.validation import as_array, choice

__all__ = [
    "natural_gradient_descent",
    "natural_gradient_flow",
    "fisher_scoring",
    "mirror_descent",
    "OptimizationPath",
    "FlowPath",
    "OptimizationStatus",
    "OptimizationError",
    "SingularMatrixError",
]


# ------------------------------------------------------------------------------ helpers
def _constants(M):
    return {k: sp.sympify(v, strict=True) for k, v in M.model.constants.items()}


def _fixed(M, expr):
    """``expr`` with the model's constants (``n`` of a Binomial, ...) substituted."""
    consts = _constants(M)
    if isinstance(expr, (list, tuple)):
        expr = sp.Array(expr)
    return expr.xreplace(consts) if consts else expr


def _domain_entries(M):
    """Expressions of the coordinates that are all > 0 exactly inside the domain."""
    entries = []
    for p in M.parameters:
        if p.lower is not None:
            entries.append(p.symbol - p.lower)
        if p.upper is not None:
            entries.append(p.upper - p.symbol)
    entries += [c.expr for c in M.model.constraints]
    return entries or [sp.Integer(1)]


def _inside(kernel):
    def inside(x):
        if not np.all(np.isfinite(x)):
            return False
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            v = kernel(x)
        return bool(np.all(v > 0))  # NaN compares false: outside
    return inside


def _compile(M, key, args, build):
    """Compile ``build()`` (a dict of expressions) once per manifold and ``key``."""
    def make():
        exprs = {name: _fixed(M, e) for name, e in build().items()}
        return compile_kernels(tuple(args), exprs)
    return M.cached(("optim",) + key, make)


def _start(M, x0):
    return np.array(M.validate(x0), dtype=np.float64)


def _loss(M, loss, symbols, what):
    # a string is read by the safe parser with the manifold's own symbols (so "mu**2" means
    # the coordinate mu, assumptions included), never executed
    names = {s.name: s for s in M.model.constants}
    names.update({s.name: s for s in symbols})
    loss = to_sympy(loss, "loss", names, new_symbols=False)
    if not isinstance(loss, sp.Expr):
        raise TypeError(f"loss must be a scalar expression in {what}, got {type(loss).__name__}")
    if loss.has(sp.I):
        # the descent compares loss values and compiles real kernels; a complex loss has no
        # order, so it is refused here, where the message can name the argument
        raise DomainError(f"loss must be a real expression in {what}, got one with the imaginary unit I: {str(loss)[:80]}")
    allowed = set(symbols) | set(M.model.constants)
    extra = sorted(s.name for s in loss.free_symbols - allowed)
    if extra:
        names = ", ".join(s.name for s in symbols)
        raise ValueError(f"the loss must be an expression in {what} ({names}); it also has {', '.join(extra)}"
                         + ("; write it with M.model.eta" if what == "the expectation parameters" else ""))
    return loss


def _use_fisher(metric):
    return choice("metric", metric, ("fisher", "euclidean")) == "fisher"


def _is_expression(loss):
    return isinstance(loss, sp.Basic) or not callable(loss)


def _kernels_for_loss(M, loss):
    """``(kernels, gradient, objective)``: the objective is None for a gradient callable."""
    coords = M.coordinates
    if not _is_expression(loss):
        ks = _compile(M, ("metric",), coords, lambda: {"metric": M.fisher_metric(),
                                                        "domain": _domain_entries(M)})

        def gradient(x):
            return np.asarray(loss(np.asarray(x)), dtype=np.float64).reshape(-1)
        return ks, gradient, None
    loss = _loss(M, loss, coords, "the coordinates")
    ks = _compile(M, ("loss", sp.srepr(loss)), coords, lambda: {
        "metric": M.fisher_metric(), "domain": _domain_entries(M), "loss": loss,
        "gradient": sp.Array([sp.diff(loss, c) for c in coords])})
    return ks, ks["gradient"], ks["loss"]


# ---------------------------------------------------------------------- public functions
def natural_gradient_descent(M, loss, x0, lr, steps, *, damping=0.0, method="solve", metric="fisher",
                             backtrack=0, throw=False):
    r"""Natural-gradient descent :math:`x_{k+1} = x_k - \gamma\,(G(x_k) + \lambda I)^{-1}\nabla L(x_k)`
    on a catalog manifold, :math:`G` its Fisher metric.

    Parameters
    ----------
    M : StatisticalManifold
    loss : sympy expression or callable
        A sympy expression in ``M.coordinates`` (its gradient is derived and compiled), or a
        callable returning the Euclidean gradient :math:`\nabla L(x)` at a point ``x``.
    x0 : array_like, shape (n,)
        Start, in ``M.coordinates``; validated against the domain.
    lr : float, > 0
    steps : int, >= 0

    Other Parameters
    ----------------
    damping : float, >= 0
        :math:`\lambda`.
    method : {"solve", "pinv"}
        ``"pinv"``: Moore-Penrose pseudo-inverse of a singular metric.
    metric : {"fisher", "euclidean"}
        ``"euclidean"`` gives plain gradient descent, for comparison.
    backtrack : int, >= 0
        Halve a step that would leave the domain (or reach a point where the loss is not
        finite) up to this many times.
    throw : bool
        Raise :class:`OptimizationError` on failure.

    Returns
    -------
    OptimizationPath
        ``values`` holds the loss when it is a sympy expression. ``NON_FINITE`` where the loss
        or its gradient is not finite (at the start included): a loss undefined on part of
        the domain, like ``log(mu)`` for a Normal mean.

    Raises
    ------
    DomainError
        If ``x0`` is outside the domain.
    SingularMatrixError
        If the metric is singular, ``damping == 0`` and ``method == "solve"``.

    Examples
    --------
    The Bernoulli natural gradient of ``L(p)`` is ``p (1 - p) L'(p)``:

    >>> import sympy as sp
    >>> from manifolds import Bernoulli
    >>> M = Bernoulli(); p, = M.coordinates
    >>> path = natural_gradient_descent(M, (p - sp.Rational(1, 4)) ** 2, [0.5], lr=1.0, steps=1)
    >>> float(path.x[0]), 0.5 - 0.5 * 0.5 * 2 * (0.5 - 0.25)
    (0.375, 0.375)
    """
    x = _start(M, x0)
    ks, gradient, objective = _kernels_for_loss(M, loss)
    return metric_descent(
        ks["metric"] if _use_fisher(metric) else None, gradient, x, lr, steps,
        damping=damping, method=method, inside=_inside(ks["domain"]), backtrack=backtrack,
        objective=objective, throw=throw)


def natural_gradient_flow(M, loss, x0, t1, *, t_eval=None, damping=0.0, method="solve",
                          metric="fisher", rtol=1e-10, atol=1e-12, max_steps=10_000, max_time=60.0,
                          throw=False):
    r"""The natural-gradient flow :math:`\dot x = -G(x)^{-1}\nabla L(x)` on a catalog manifold.

    The flow is a curve of distributions independent of the chart (see
    :mod:`numeric.optim.gradient_methods`); ``metric="euclidean"`` gives the plain gradient flow,
    which is not. Integrated with scipy's DOP853 at ``rtol``, ``atol``.

    Parameters
    ----------
    M : StatisticalManifold
    loss : sympy expression or callable
        As for :func:`natural_gradient_descent`.
    x0 : array_like, shape (n,)
    t1 : float, > 0

    Other Parameters
    ----------------
    t_eval : None, int or array_like
        Output times (``None``: ``0`` and ``t1``; an int: that many equally spaced times).
    damping, method, metric, throw
        As for :func:`natural_gradient_descent`.
    rtol, atol : float, > 0
    max_steps : int, >= 1
        Integrator steps before stopping with ``MAX_STEPS``.
    max_time : float, > 0
        Seconds before stopping with ``TIME_LIMIT``.

    Returns
    -------
    FlowPath
        ``NON_FINITE`` at the first point inside the domain where the loss or its gradient is
        not finite (the start included).

    Examples
    --------
    In the expectation parameters of the Poisson (the mean), the natural-gradient flow of
    ``KL(Poisson(2) || Poisson(eta))`` is ``eta(t) = 2 + (eta0 - 2) exp(-t)``:

    >>> import sympy as sp
    >>> from manifolds import Poisson
    >>> E = Poisson().in_chart("expectation"); eta, = E.coordinates
    >>> flow = natural_gradient_flow(E, eta - 2 * sp.log(eta), [5.0], t1=2.0)
    >>> bool(abs(flow.x[0] - (2 + 3 * np.exp(-2.0))) < 1e-9)
    True
    """
    x = _start(M, x0)
    ks, gradient, objective = _kernels_for_loss(M, loss)
    return metric_flow(
        ks["metric"] if _use_fisher(metric) else None, gradient, x, t1, t_eval=t_eval,
        damping=damping, method=method, inside=_inside(ks["domain"]), objective=objective,
        rtol=rtol, atol=atol, max_steps=max_steps, max_time=max_time, throw=throw)


def _kronecker_as_piecewise(expr):
    return expr.replace(sp.KroneckerDelta,
                        lambda a, b: sp.Piecewise((1, sp.Eq(a, b)), (0, True)))


def _where(x):
    return "[" + ", ".join(f"{v:.10g}" for v in np.ravel(x)) + "]"


def _in_sample_space(M, X):
    """Which rows of ``X`` lie in the model's sample space (open intervals, as described)."""
    return M.model.space.contains(X, M.model.constants)


def _data(M, data):
    variables = M.model.space.variables
    names = ", ".join(v.name for v in variables)
    X = as_array("data", data)
    if X.ndim == 1 and len(variables) == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != len(variables) or X.shape[0] == 0:
        raise ValueError(f"data of {M.name} must have shape (N, {len(variables)}) with N >= 1 "
                         f"(columns {names}), got shape {X.shape}")
    ok = _in_sample_space(M, X)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise DomainError(f"data must lie in the sample space of {M.name}, {M.model.space.describe()}; "
                          f"observation {i} is {_where(X[i])} ({int((~ok).sum())} of {X.shape[0]} "
                          f"observations are outside)")
    return X


def fisher_scoring(M, data, x0, *, max_steps=100, xtol=1e-10, damping=0.0, method="solve",
                   throw=False):
    r"""Maximum likelihood by Fisher scoring: :math:`x \leftarrow x + h\,(N G(x))^{-1}
    \sum_i \nabla_x \log p(d_i; x)`.

    The score is derived from the symbolic log-density and compiled together with the
    observation variables as extra coordinates, so it is evaluated over the whole sample in
    one parallel call; :math:`G` is the Fisher metric. The step :math:`h = 2^{-j}` is the
    longest that stays in the domain and does not lower the log-likelihood. For an
    exponential family in its natural parameters one scoring step with ``h = 1`` is a Newton
    step, and the MLE matches moments.

    Parameters
    ----------
    M : StatisticalManifold
    data : array_like, shape (N,) or (N, d)
        Observations, columns in the order of ``M.model.space.variables``; each must lie in
        the sample space (``M.model.space.describe()``; intervals are open).
    x0 : array_like, shape (n,)
        Start, validated against the domain.

    Other Parameters
    ----------------
    max_steps : int, >= 0
    xtol : float, > 0
        Convergence: an accepted step below ``xtol * (1 + |x|_inf)``.
    damping, method, throw
        As for :func:`natural_gradient_descent`.

    Returns
    -------
    OptimizationPath
        ``x`` the estimate, ``values`` the log-likelihood (up to terms free of the parameters).
        ``NO_MLE`` when the iterates run to the boundary of the domain: the sample has no
        maximum-likelihood estimate (identical observations of a Normal, Bernoulli
        observations all 0); see :func:`numeric.optim.gradient_methods.scoring_steps`.

    Raises
    ------
    DomainError
        If an observation lies outside the sample space, or ``x0`` outside the domain.
    DerivationError
        If the log-density or its score cannot be compiled.

    Examples
    --------
    >>> from manifolds import Exponential, Normal
    >>> path = fisher_scoring(Exponential(), [0.5, 1.0, 1.5, 1.0], [3.0])
    >>> path.status.name, round(float(path.x[0]), 12)       # 1 / mean
    ('SUCCESS', 1.0)
    >>> fisher_scoring(Normal(), [2.0, 2.0, 2.0], [0.0, 1.0]).status.name
    'NO_MLE'
    >>> fisher_scoring(Exponential(), [0.5, -1.0], [3.0])
    Traceback (most recent call last):
    ...
    symbolic.errors.DomainError: data must lie in the sample space of Exponential, x in (0, oo); observation 1 is [-1] ...
    """
    x = _start(M, x0)
    X = _data(M, data)
    coords, variables = M.coordinates, M.model.space.variables
    n_data = X.shape[0]

    def build():
        logp = _kronecker_as_piecewise(_fixed(M, M.model.log_density))
        _, dependent = logp.as_independent(*coords, as_Add=True)
        return {"score": sp.Array([sp.diff(dependent, c) for c in coords]), "loglik": dependent}

    try:
        ks = _compile(M, ("score",), tuple(coords) + tuple(variables), build)
        kg = _compile(M, ("metric",), coords, lambda: {"metric": M.fisher_metric(),
                                                       "domain": _domain_entries(M)})
    except (ValueError, TypeError, NotImplementedError, sp.SympifyError) as exc:
        raise DerivationError(f"the log-density of {M.name} could not be compiled into a score: {exc}; "
                              f"maximise the likelihood numerically instead") from exc

    def points(x):
        return np.hstack([np.broadcast_to(x, (n_data, x.shape[0])), X])

    def score(x):
        return ks["score"](points(x)).sum(axis=0)

    def loglik(x):
        return float(ks["loglik"](points(x)).sum())

    def information(x):
        return n_data * kg["metric"](x)

    return scoring_steps(score, information, x, loglik=loglik, inside=_inside(kg["domain"]),
                         max_steps=max_steps, xtol=xtol, damping=damping, method=method, throw=throw)


def mirror_descent(M, loss, x0, lr, steps, *, backtrack=0, throw=False):
    r"""Mirror descent on the natural parameters of an exponential family, mirror map the log-partition.

    With :math:`F` the log-partition,

    .. math:: \theta_{k+1} = \arg\min_\theta\ \theta^\top\nabla_\theta E(\theta_k)
              + \tfrac1\gamma B_F(\theta, \theta_k)
              \iff \eta_{k+1} = \eta_k - \gamma\,\nabla_\theta E(\theta_k),

    with :math:`\eta = \nabla F(\theta)` the expectation parameters. This is natural-gradient
    descent in the expectation chart (see :mod:`numeric.optim.gradient_methods` for the derivation),
    which tests check iterate by iterate.

    Parameters
    ----------
    M : StatisticalManifold
        An exponential family.
    loss : sympy expression or callable
        A sympy expression in the expectation-parameter symbols ``M.model.eta``
        (:math:`\nabla_\theta E = \nabla^2F\,\nabla_\eta E` is derived by the chain rule), or a
        callable returning :math:`\nabla_\theta E` at the natural parameters :math:`\theta`.
    x0 : array_like, shape (n,)
        Start, in ``M.coordinates``.
    lr : float, > 0
    steps : int, >= 0

    Other Parameters
    ----------------
    backtrack, throw
        As for :func:`natural_gradient_descent`.

    Returns
    -------
    OptimizationPath
        ``xs`` the natural parameters :math:`\theta_k`, ``duals`` the expectation parameters
        :math:`\eta_k`, ``extras["coordinates"]`` the iterates in ``M.coordinates``,
        ``values`` the loss (for an expression). ``NON_FINITE`` where the loss or its gradient
        is not finite (at the start included).

    Notes
    -----
    :math:`\theta = \nabla F^*(\eta)` is evaluated in closed form where the family declares
    its coordinates in terms of :math:`\eta`, and otherwise by Newton's method on
    :math:`\nabla F(\theta) = \eta` (Gamma, Beta, Dirichlet, von Mises).

    Examples
    --------
    >>> import sympy as sp
    >>> from manifolds import Poisson
    >>> M = Poisson(); eta, = M.model.eta
    >>> path = mirror_descent(M, (eta - 3) ** 2 / 2, [1.0], lr=0.1, steps=2)
    >>> np.round(path.duals[:, 0], 12)          # eta - lr * eta * (eta - 3)
    array([1.   , 1.2  , 1.416])
    >>> mirror_descent(M, sp.log(eta - 5), [1.0], lr=0.1, steps=2).status.name   # log of -4
    'NON_FINITE'
    """
    if not M.is_exponential_family:
        raise ValueError(f"{M.name} is not an exponential family: mirror descent with the "
                         f"log-partition needs natural parameters")
    fam = M.model
    theta, eta = fam.theta, fam.eta
    xi = _start(M, x0)
    F = fam.log_partition
    grad_F = [sp.diff(F, t) for t in theta]
    from_natural = sp.Array(fam.from_natural)
    at_natural = dict(zip(M.coordinates, from_natural, strict=True))
    domain = [e.xreplace(at_natural) for e in _domain_entries(M)]
    expression = _is_expression(loss)

    def build_theta():
        out = {"grad_F": sp.Array(grad_F), "hess_F": sp.hessian(F, theta),
               "coordinates": from_natural, "domain": sp.Array(domain)}
        if expression:
            E = _loss(M, loss, eta, "the expectation parameters").xreplace(dict(zip(eta, grad_F, strict=True)))
            out["E"] = E
            out["grad_E"] = sp.Array([sp.diff(E, t) for t in theta])
        return out

    key = ("mirror", sp.srepr(loss) if isinstance(loss, sp.Basic) else "callable")
    if expression and not isinstance(loss, sp.Basic):
        key = ("mirror", "text", str(loss))
    ks = _compile(M, key, theta, build_theta)
    to_theta = _compile(M, ("natural",), M.coordinates, lambda: {"natural": sp.Array(fam.natural)})
    inside = _inside(ks["domain"])
    if expression:
        gradient, objective = ks["grad_E"], ks["E"]
    else:
        def gradient(t):
            return np.asarray(loss(np.asarray(t)), dtype=np.float64).reshape(-1)
        objective = None

    if fam.from_expectation is not None:
        theta_of_eta = sp.Array(fam.natural).xreplace(dict(zip(M.coordinates, fam.from_expectation, strict=True)))
        inverse_kernel = _compile(M, ("theta_of_eta",), eta, lambda: {"theta": theta_of_eta})["theta"]

        def inverse(e):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                return inverse_kernel(e)
    else:
        last = {}

        def inverse(e):
            start = last.get("theta", theta0)
            t = legendre_inverse(ks["grad_F"], ks["hess_F"], e, start, inside=inside)
            if t is not None:
                last["theta"] = t
            return t

    theta0 = np.atleast_1d(to_theta["natural"](xi)).reshape(-1)
    path = mirror_steps(ks["grad_F"], inverse, gradient, theta0, lr, steps, inside=inside,
                        backtrack=backtrack, objective=objective, throw=throw)
    path.extras["coordinates"] = np.atleast_2d(ks["coordinates"](path.xs)).reshape(path.xs.shape[0], -1)
    return path
