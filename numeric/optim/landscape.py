r"""Loss-landscape diagnostics: Hessian spectrum, critical points, conditioning, sharpness.

Also the textbook experiment behind eq. 11-13 of Ray & Kumar [1]_: gradient descent (GD) and
natural gradient descent (NGD, preconditioned by the exact metric) on quadratics
:math:`L(x) = \tfrac12 (x - x^*)^\top A (x - x^*)` of growing condition number
:math:`\kappa = \lambda_{\max}/\lambda_{\min}`.

Derivation used here (and checked by the tests). Write :math:`e_t = x_t - x^*` in the eigenbasis of
:math:`A` (eigenvalues :math:`\lambda_i`, components :math:`c_i`). GD with step :math:`\eta` gives
:math:`e_{t,i} = (1 - \eta\lambda_i)^t c_i`, so the loss gap is

.. math:: L_t - L^* = \tfrac12 \sum_i \lambda_i (1-\eta\lambda_i)^{2t} c_i^2
          \le q^{2t} (L_0 - L^*), \qquad q = \max_i |1 - \eta\lambda_i|,

and the optimal fixed step :math:`\eta = 2/(\lambda_{\min}+\lambda_{\max})` gives
:math:`q = (\kappa - 1)/(\kappa + 1)`: about :math:`\tfrac{\kappa}{4}\ln(1/\varepsilon)` iterations.
Eq. 12 of [1]_ states the contraction :math:`1 - 2/(\kappa+1) = q` per step for the *loss*; that
is true but loose by a factor of two in the iteration count (the loss contracts by :math:`q^2`).
The natural gradient of the Gaussian model whose negative log-likelihood is :math:`L` uses the
metric :math:`G = A` (the Fisher of :math:`N(x, A^{-1})` in its mean), so
:math:`e_{t+1} = (1-\eta) e_t` and :math:`L_t - L^* = (1-\eta)^{2t}(L_0 - L^*)` for every start
and every :math:`\kappa`. Eq. 13 of [1]_, :math:`((1-2\eta)/(1+\eta))^t`, does not follow: it
predicts a one-step convergence at :math:`\eta = 1/2` and a negative "bound" for
:math:`\eta > 1/2`; the functions here use the derived rate.

References
----------
.. [1] A. K. Ray, V. Kumar, "Information geometry of deep learning optimization landscapes:
   Fisher metrics, natural gradients, and critical point analysis", sec. 2.4, 3.1, 3.4.

Examples
--------
>>> import numpy as np
>>> from numeric.optim.landscape import classify_critical_point
>>> classify_critical_point(np.diag([2.0, -1.0])).kind
'saddle'
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symbolic.errors import DomainError
from symbolic.validation import as_symmetric, as_vector, choice, in_interval, integer, nonnegative, positive

__all__ = [
    "hessian_spectrum",
    "hessian_index",
    "CriticalPoint",
    "classify_critical_point",
    "condition_number",
    "sharpness",
    "numerical_gradient",
    "numerical_hessian",
    "QuadraticRun",
    "quadratic_descent",
    "quadratic_with_condition_number",
    "gd_iteration_bound",
    "ngd_iterations",
    "ConditioningTable",
    "conditioning_table",
]


# ----------------------------------------------------------------------------- spectra
def hessian_spectrum(hessian):
    """Eigenvalues of a symmetric Hessian in ascending order (eq. 9 of [1]_).

    Examples
    --------
    >>> hessian_spectrum([[2.0, 1.0], [1.0, 2.0]])
    array([1., 3.])
    """
    return np.linalg.eigvalsh(as_symmetric("hessian", hessian))


def _signs(eigs, rtol, atol):
    rtol, atol = nonnegative("rtol", rtol), nonnegative("atol", atol)
    tol = atol + rtol * np.max(np.abs(eigs))
    return int(np.sum(eigs < -tol)), int(np.sum(np.abs(eigs) <= tol)), int(np.sum(eigs > tol))


def hessian_index(hessian, *, rtol=1e-8, atol=0.0):
    """Index of a critical point: the number of negative Hessian eigenvalues (sec. 2.4 of [1]_).

    Eigenvalues with ``|lambda| <= atol + rtol * max|lambda|`` count as zero, not negative.

    Examples
    --------
    >>> hessian_index(np.diag([-1.0, -2.0, 3.0]))
    2
    """
    return _signs(hessian_spectrum(hessian), rtol, atol)[0]


@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """Classification of a critical point by its Hessian.

    Attributes
    ----------
    kind : {"minimum", "maximum", "saddle", "degenerate"}
        ``"saddle"`` whenever the Hessian has eigenvalues of both signs (zero eigenvalues do not
        change that: an indefinite Hessian rules out an extremum); ``"degenerate"`` when some
        eigenvalues vanish and the others share one sign, so the second-order test is
        inconclusive (``x**4`` and ``x**3`` both have a zero Hessian at 0).
    index : int
        Number of negative eigenvalues.
    n_zero : int
        Number of eigenvalues within tolerance of zero.
    eigenvalues : ndarray
        Ascending.
    """

    kind: str
    index: int
    n_zero: int
    eigenvalues: np.ndarray

    @property
    def degenerate(self):
        """True when the Hessian is singular (the Morse test does not apply)."""
        return self.n_zero > 0


def classify_critical_point(hessian, gradient=None, *, rtol=1e-8, atol=0.0, gtol=1e-6):
    """Classify a critical point as a minimum, maximum, saddle or degenerate point.

    Parameters
    ----------
    hessian : array_like, shape (D, D)
        Symmetric Hessian at the point.
    gradient : array_like, shape (D,), optional
        If given, checked to vanish: ``|gradient| <= gtol`` or :class:`ValueError`.
    rtol, atol : float
        Eigenvalues with ``|lambda| <= atol + rtol * max|lambda|`` count as zero. Use a
        tolerance above the error of the Hessian (about ``1e-6`` relative for a
        finite-difference Hessian).
    gtol : float

    Returns
    -------
    CriticalPoint

    Notes
    -----
    Sec. 2.4 of [1]_ lists three kinds (all eigenvalues positive, all negative, mixed); a zero
    eigenvalue makes a fourth, the degenerate case, in which higher derivatives decide.

    Examples
    --------
    >>> classify_critical_point(np.diag([1.0, 2.0])).kind
    'minimum'
    >>> cp = classify_critical_point(np.diag([-1.0, 0.0]))
    >>> cp.kind, cp.index, cp.n_zero
    ('degenerate', 1, 1)
    >>> classify_critical_point(np.eye(2), gradient=[1.0, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: gradient must vanish at a critical point: |gradient| = 1 > gtol = 1e-06
    """
    eigs = hessian_spectrum(hessian)
    if gradient is not None:
        g = as_vector("gradient", gradient, eigs.size)
        gn = float(np.linalg.norm(g))
        if gn > gtol:
            raise ValueError(f"gradient must vanish at a critical point: |gradient| = {gn:g} > gtol = {gtol:g}")
    n_neg, n_zero, n_pos = _signs(eigs, rtol, atol)
    if n_neg and n_pos:
        kind = "saddle"
    elif n_zero:
        kind = "degenerate"
    elif n_neg:
        kind = "maximum"
    else:
        kind = "minimum"
    return CriticalPoint(kind, n_neg, n_zero, eigs)


def condition_number(matrix):
    r"""Condition number :math:`\max|\lambda| / \min|\lambda|` of a symmetric matrix.

    For a symmetric positive definite matrix this is eq. 11 of [1]_,
    :math:`\lambda_{\max}/\lambda_{\min}`; taking absolute values makes it the 2-norm condition
    number for indefinite matrices too (the plain ratio can be negative there). A singular
    matrix gives ``inf``.

    Examples
    --------
    >>> condition_number(np.diag([1.0, 10.0]))
    10.0
    >>> condition_number(np.diag([-4.0, 2.0]))
    2.0
    >>> condition_number(np.zeros((2, 2)))
    inf
    """
    a = np.abs(_eigvals("matrix", matrix))
    lo, hi = float(a.min()), float(a.max())
    return math.inf if lo == 0.0 else hi / lo


def _eigvals(name, matrix):
    """Eigenvalues of a symmetric matrix, with ``name`` in error messages."""
    return np.linalg.eigvalsh(as_symmetric(name, matrix))


def sharpness(metric):
    r"""Sharpness :math:`\operatorname{tr} G` of a Fisher (or Hessian) matrix, eq. 19 of [1]_.

    The trace is the sum of the curvatures along any orthonormal basis; it is not invariant
    under reparametrisation (rescaling a parameter by ``c`` scales its diagonal entry by
    ``1/c**2``), so compare sharpness only within one parametrisation.

    Examples
    --------
    >>> sharpness([[2.0, 0.5], [0.5, 3.0]])
    5.0
    """
    return float(np.trace(as_symmetric("metric", metric)))


# ----------------------------------------------------------------------------- finite differences
def numerical_gradient(fun, x, step=None):
    """Central-difference gradient of a scalar function (error O(step**2)).

    Examples
    --------
    >>> np.round(numerical_gradient(lambda v: v[0] ** 2 + 3 * v[1], [1.0, 2.0]), 6)
    array([2., 3.])
    """
    x = as_vector("x", x)
    if step is None:     # eps^(1/3) balances the O(h^2) truncation and the eps/h rounding
        h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))
    else:
        h = np.full(x.size, positive("step", step))
    g = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h[i]
        xp, xm = x + e, x - e
        with np.errstate(over="ignore", invalid="ignore"):
            g[i] = (_value(fun, xp, x) - _value(fun, xm, x)) / _spacing(xp[i], xm[i], i)
    if not np.all(np.isfinite(g)):
        i = int(np.flatnonzero(~np.isfinite(g))[0])
        raise DomainError(f"gradient of fun at x overflows float64 in component {i} "
                          f"(the difference of fun's values is {g[i]}); rescale fun or x")
    return g


def _value(fun, z, x):
    """``fun(z)`` as a float; a non-finite value is refused, since a difference with it is NaN."""
    v = fun(z)
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"fun must return a real number, got {type(v).__name__} {str(v)[:40]}")
    if a.size != 1:
        raise ValueError(f"fun must return a scalar, got shape {a.shape}")
    f = float(a.item())
    if not math.isfinite(f):
        raise DomainError(f"fun must be finite near x, got fun(z) = {f} at z = {z.tolist()} "
                          "(a step of the difference formula around x)")
    return f


def _spacing(zp, zm, i):
    # the step actually taken is the rounded difference of the two points: dividing by it
    # rather than by 2h cancels the rounding of x + h (Numerical Recipes, sec. 5.7)
    d = zp - zm
    if d == 0:
        raise DomainError(f"step is below the float64 spacing of x[{i}] = {zp}: both points of the "
                          "difference round to x; pass a larger step")
    return d


def numerical_hessian(fun, x, step=None):
    r"""Central-difference Hessian of a scalar function (error O(step**2)).

    Uses :math:`H_{ij} \approx [f(x+h_ie_i+h_je_j) - f(x+h_ie_i-h_je_j) - f(x-h_ie_i+h_je_j)
    + f(x-h_ie_i-h_je_j)] / (4 h_i h_j)`; the default step :math:`\varepsilon^{1/4}` balances
    truncation and rounding, for an accuracy of about ``1e-7`` relative.

    Examples
    --------
    >>> np.round(numerical_hessian(lambda v: v[0] ** 2 - v[0] * v[1], [0.3, -0.2]), 6)
    array([[ 2., -1.],
           [-1.,  0.]])
    """
    x = as_vector("x", x)
    n = x.size
    if step is None:
        h = np.finfo(float).eps ** 0.25 * np.maximum(1.0, np.abs(x))
    else:
        h = np.full(n, positive("step", step))
    H = np.empty((n, n))
    E = np.diag(h)
    for i in range(n):
        for j in range(i, n):
            v = (_value(fun, x + E[i] + E[j], x) - _value(fun, x + E[i] - E[j], x)
                 - _value(fun, x - E[i] + E[j], x) + _value(fun, x - E[i] - E[j], x))
            with np.errstate(over="ignore", invalid="ignore"):
                H[i, j] = H[j, i] = v / (_spacing(x[i] + h[i], x[i] - h[i], i)
                                         * _spacing(x[j] + h[j], x[j] - h[j], j))
    if not np.all(np.isfinite(H)):
        raise DomainError("hessian of fun at x overflows float64 (differences of fun's values "
                          "are not finite); rescale fun or x")
    return H


# ----------------------------------------------------------------------------- quadratics
@dataclass(frozen=True, eq=False)
class QuadraticRun:
    """Result of :func:`quadratic_descent`.

    Attributes
    ----------
    iterations : int
        First ``t`` with ``(L_t - L*) <= tol * (L_0 - L*)``; ``max_iter`` if never reached.
    converged : bool
    gaps : ndarray
        Relative loss gaps ``(L_t - L*) / (L_0 - L*)`` for ``t = 0 .. iterations``.
    """

    iterations: int
    converged: bool
    gaps: np.ndarray


def quadratic_descent(A, x0, *, x_star=None, metric=None, step_size, tol=1e-8, max_iter=1_000_000):
    r"""Iterate :math:`x \leftarrow x - \eta\, G^{-1} A (x - x^*)` on :math:`L = \tfrac12 (x-x^*)^\top A (x-x^*)`.

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric positive definite Hessian of the quadratic.
    x0 : array_like, shape (d,)
    x_star : array_like, shape (d,), optional
        Minimiser (default 0).
    metric : array_like, shape (d, d), optional
        Symmetric positive definite preconditioner ``G``; ``None`` is gradient descent
        (``G = I``); ``A`` itself is the natural gradient of the Gaussian model whose negative
        log-likelihood is ``L``.
    step_size : float, > 0
    tol : float, in (0, 1)
        Relative loss-gap target.
    max_iter : int

    Returns
    -------
    QuadraticRun

    Examples
    --------
    >>> A = np.diag([1.0, 100.0])
    >>> quadratic_descent(A, [1.0, 1.0], step_size=2 / 101, tol=1e-6).iterations
    346
    >>> quadratic_descent(A, [1.0, 1.0], metric=A, step_size=0.5, tol=1e-6).iterations
    10
    """
    A = as_symmetric("A", A)
    d = A.shape[0]
    if np.linalg.eigvalsh(A)[0] <= 0:
        raise DomainError(f"A must be positive definite, smallest eigenvalue {np.linalg.eigvalsh(A)[0]:.3g}")
    x0 = as_vector("x0", x0, d)
    xs = np.zeros(d) if x_star is None else as_vector("x_star", x_star, d)
    eta = positive("step_size", step_size)
    tol = in_interval("tol", tol, 0.0, 1.0)
    max_iter = integer("max_iter", max_iter, minimum=1)
    if metric is None:
        P = A
    else:
        G = as_symmetric("metric", metric)
        if G.shape != A.shape:
            raise ValueError(f"metric must have shape {A.shape}, got {G.shape}")
        if np.linalg.eigvalsh(G)[0] <= 0:
            raise DomainError("metric must be positive definite")
        P = np.linalg.solve(G, A)
    step = np.eye(d) - eta * P
    e = x0 - xs
    gap0 = 0.5 * e @ A @ e
    if gap0 == 0:
        return QuadraticRun(0, True, np.array([0.0]))
    gaps = [1.0]
    for t in range(1, int(max_iter) + 1):
        e = step @ e
        gap = 0.5 * (e @ A @ e) / gap0
        gaps.append(gap)
        if gap <= tol:
            return QuadraticRun(t, True, np.array(gaps))
        if not np.isfinite(gap) or gap > 1e100:
            break
    return QuadraticRun(len(gaps) - 1, False, np.array(gaps))


def quadratic_with_condition_number(kappa, dim=8, seed=0):
    r"""A random SPD matrix with eigenvalues log-spaced in :math:`[1, \kappa]` and a start point.

    Returns ``(A, x0)``: ``A = Q diag(lambda) Q^T`` with a random orthogonal ``Q``, and
    ``x0 = Q 1 / sqrt(dim)``, which weighs every eigendirection equally (so the extreme
    eigenvalues, which set the GD rate, are excited).

    Examples
    --------
    >>> A, x0 = quadratic_with_condition_number(100.0, dim=3)
    >>> np.round(np.linalg.eigvalsh(A), 8)
    array([  1.,  10., 100.])
    """
    kappa = in_interval("kappa", kappa, 1.0, closed=(True, False))
    dim = integer("dim", dim, minimum=2)
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    lam = np.logspace(0.0, np.log10(kappa), dim)
    A = (Q * lam) @ Q.T
    return 0.5 * (A + A.T), Q @ np.ones(dim) / np.sqrt(dim)


def gd_iteration_bound(kappa, tol, *, form="tight"):
    r"""Iterations GD with the optimal step needs at most, from the worst-case contraction.

    ``form="tight"``: :math:`\lceil \ln\varepsilon / (2\ln q)\rceil`, :math:`q =
    (\kappa-1)/(\kappa+1)`, derived in the module docstring; ``form="eq12"``: the count implied by
    eq. 12 of [1]_, :math:`\lceil \ln\varepsilon / \ln(1 - 2/(\kappa+1))\rceil`, twice as many.

    Raises
    ------
    DomainError
        ``kappa`` outside :math:`[1, \infty)`, ``tol`` outside :math:`(0, 1)`, or a count above
        :math:`2^{53}` (about :math:`\kappa > 10^{15}`), where float64 no longer holds every
        integer and no float64 run gets that far.

    Examples
    --------
    >>> gd_iteration_bound(100.0, 1e-6), gd_iteration_bound(100.0, 1e-6, form="eq12")
    (346, 691)
    """
    kappa = in_interval("kappa", kappa, 1.0, closed=(True, False))
    tol = in_interval("tol", tol, 0.0, 1.0)
    choice("form", form, ("tight", "eq12"))
    if kappa == 1:
        return 1
    # ln q = ln(1 - 2/(kappa+1)) through log1p: math.log(q) loses every digit once q rounds
    # to 1 (kappa > 2/eps), where it divided by zero
    log_q = math.log1p(-2 / (kappa + 1))
    per_step = 2 * log_q if form == "tight" else log_q
    return _count("kappa", kappa, math.log(tol) / per_step)


def ngd_iterations(step_size, tol):
    r"""Exact NGD iteration count on any quadratic with the exact metric: :math:`(1-\eta)^{2t} \le \varepsilon`.

    Raises
    ------
    DomainError
        ``step_size`` outside :math:`(0, 2)`, ``tol`` outside :math:`(0, 1)`, or a count above
        :math:`2^{53}` (a step within about :math:`10^{-15}` of 0 or 2).

    Examples
    --------
    >>> ngd_iterations(0.5, 1e-6), ngd_iterations(1.0, 1e-6)
    (10, 1)
    """
    eta = positive("step_size", step_size)
    if eta >= 2:
        raise DomainError(f"step_size must be < 2 for NGD to converge, got {step_size!r}")
    tol = in_interval("tol", tol, 0.0, 1.0)
    if eta == 1:
        return 1
    # ln|1 - eta| through log1p, accurate for a step near 0 or 2 (where |1 - eta| rounds to 1)
    log_r = math.log1p(-eta) if eta < 1 else math.log1p(eta - 2)
    return _count("step_size", step_size, math.log(tol) / (2 * log_r))


#: Largest iteration count returned: above 2**53 float64 no longer holds every integer, so the
#: ceiling of the computed ratio is not the exact count, and no float64 run gets that far.
_MAX_COUNT = 2**53


def _count(name, value, ratio):
    if not ratio <= _MAX_COUNT:
        raise DomainError(f"{name} = {value!r} needs about {ratio:.3g} iterations, more than 2**53 "
                          f"(beyond float64's exact integers, and beyond any float64 run); pass a "
                          f"{name} that needs fewer iterations")
    return max(1, math.ceil(ratio))


@dataclass(frozen=True, eq=False)
class ConditioningTable:
    """GD versus NGD iterations to a relative loss gap ``tol``, one row per condition number.

    Columns (arrays of equal length): ``kappa``, ``gd_iterations`` (measured),
    ``gd_bound`` (tight worst-case count), ``gd_eq12`` (count implied by eq. 12 of [1]_),
    ``ngd_iterations`` (measured), ``ngd_predicted`` (:func:`ngd_iterations`).
    """

    kappa: np.ndarray
    gd_iterations: np.ndarray
    gd_bound: np.ndarray
    gd_eq12: np.ndarray
    ngd_iterations: np.ndarray
    ngd_predicted: np.ndarray
    tol: float
    ngd_step: float
    dim: int

    COLUMNS = ("kappa", "gd_iterations", "gd_bound", "gd_eq12", "ngd_iterations", "ngd_predicted")

    def rows(self):
        """The table as a list of tuples in :attr:`COLUMNS` order."""
        return [tuple(float(getattr(self, c)[i]) if c == "kappa" else int(getattr(self, c)[i]) for c in self.COLUMNS)
                for i in range(len(self.kappa))]

    def gd_slope(self):
        """Slope of log(GD iterations) against log(kappa) over the rows with kappa >= 10 (about 1)."""
        m = self.kappa >= 10
        if m.sum() < 2:
            raise ValueError("gd_slope needs at least two rows with kappa >= 10")
        return float(np.polyfit(np.log(self.kappa[m]), np.log(self.gd_iterations[m]), 1)[0])

    def __str__(self):
        head = " ".join(f"{c:>15}" for c in self.COLUMNS)
        lines = [head] + [" ".join(f"{v:>15.6g}" if isinstance(v, float) else f"{v:>15d}" for v in r)
                          for r in self.rows()]
        return "\n".join(lines)


def conditioning_table(kappas, *, dim=8, tol=1e-8, ngd_step=0.5, seed=0, max_iter=1_000_000):
    r"""GD (optimal step :math:`2/(\lambda_{\min}+\lambda_{\max})`) versus NGD (metric ``A``,
    step ``ngd_step``) iterations on quadratics with the given condition numbers.

    GD iterations grow like :math:`\kappa` (eq. 12 of [1]_); NGD iterations do not depend on
    :math:`\kappa` (eq. 13 claims this, with a wrong rate; see the module docstring).

    Parameters
    ----------
    kappas : sequence of float, each >= 1
    dim : int
        Dimension of the quadratics (from :func:`quadratic_with_condition_number`).
    tol : float
        Relative loss-gap target.
    ngd_step : float, in (0, 2)
        ``1.0`` converges in one step (the metric equals the Hessian here).
    seed : int
    max_iter : int

    Returns
    -------
    ConditioningTable

    Examples
    --------
    >>> table = conditioning_table([1.0, 10.0, 100.0], dim=4, tol=1e-6)
    >>> [int(v) for v in table.ngd_iterations], [int(v) for v in table.gd_iterations]
    ([10, 10, 10], [1, 34, 340])
    """
    ks = np.asarray(kappas, dtype=float)
    if ks.ndim != 1 or ks.size == 0:
        raise ValueError(f"kappas must be a non-empty 1-d sequence, got shape {ks.shape}")
    if not np.all(np.isfinite(ks)) or np.any(ks < 1):
        raise DomainError(f"kappas must be finite and >= 1, got {ks}")
    ngd_pred = ngd_iterations(ngd_step, tol)
    gd, bound, eq12, ngd = [], [], [], []
    for k in ks:
        A, x0 = quadratic_with_condition_number(k, dim, seed)
        lam = np.linalg.eigvalsh(A)
        run = quadratic_descent(A, x0, step_size=2.0 / (lam[0] + lam[-1]), tol=tol, max_iter=max_iter)
        if not run.converged:
            raise RuntimeError(f"GD did not reach tol={tol:g} within max_iter={max_iter} for kappa={k:g}; "
                               "raise max_iter")
        gd.append(run.iterations)
        bound.append(gd_iteration_bound(k, tol))
        eq12.append(gd_iteration_bound(k, tol, form="eq12"))
        ngd.append(quadratic_descent(A, x0, metric=A, step_size=ngd_step, tol=tol, max_iter=max_iter).iterations)
    as_int = lambda v: np.array(v, dtype=int)  # noqa: E731
    return ConditioningTable(ks, as_int(gd), as_int(bound), as_int(eq12), as_int(ngd),
                             np.full(ks.size, ngd_pred, dtype=int), float(tol), float(ngd_step), int(dim))
