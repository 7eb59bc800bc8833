r"""Divergences between two members of a family, in closed form where one exists.

For an exponential family every divergence here comes from one function, the skew Jensen
divergence of the log-partition (Nielsen & Boltz 2011):

.. math::

    J_F^{(\lambda)}(\theta_1 : \theta_2) = \lambda F(\theta_1) + (1-\lambda) F(\theta_2)
        - F(\lambda\theta_1 + (1-\lambda)\theta_2),

because the Chernoff coefficient is
:math:`c_\lambda(p:q) = \int p^\lambda q^{1-\lambda} = \exp(-J_F^{(\lambda)}(\theta_p:\theta_q))`
(expand the densities: the base measure and the statistics combine into the density at
:math:`\lambda\theta_p + (1-\lambda)\theta_q`, which integrates to one). The table of
``docs/guide/divergences.md`` lists each kind, its formula and its small-distance factor.

KL of a family that is not exponential uses a declared closed form
(``closed_forms={"kl_divergence": f}`` in the catalog, ``f(xi, xi_2)``) or a bounded attempt
at the integral that raises :class:`NotClosedFormError` within ``timeout`` seconds. Another
kind without an order may be declared the same way (``"chi2_divergence"`` of the Cauchy family).

The second point's coordinates carry the suffix ``_2`` (docs/conventions.md). Amari's sign
convention of alpha: :math:`D_{-1}[p:q] = KL(p\|q)`, :math:`D_{+1}[p:q] = KL(q\|p)`
(Amari 2016, ch. 3).
"""
from __future__ import annotations

import mpmath
import sympy as sp

from . import budget
from .algebra import canonical_functions, simplify_entries
from .curved import CurvedExponentialFamily
from .errors import DerivationError, DomainError, NotClosedFormError
from .expectation import integrate_expectation
from .legendre import _whole_angles, kl_divergence_from_expectation
from .legendre import kl_divergence as _bregman_kl
from .model import ExponentialFamily
from .parsing import to_sympy

__all__ = [
    "DIVERGENCES",
    "KL_TIMEOUT",
    "skew_jensen",
    "chernoff_coefficient",
    "kl_divergence_closed_form",
    "divergence",
    "f_divergence",
    "divergence_by_quadrature",
]

#: Seconds a KL integral of a family without a declared closed form may take before
#: :class:`NotClosedFormError` is raised.
KL_TIMEOUT = 10.0

#: Each kind of :func:`divergence` with its factor ``c`` in ``D(p_x, p_{x+dx}) = c ds^2 + O(dx^3)``,
#: ``ds^2 = g_ij dx^i dx^j`` (a function of the order ``alpha`` where there is one). An
#: f-divergence has ``c = f''(1)/2`` (Amari 2016, ch. 3); the Chernoff and skew Jensen
#: factor follows from the Taylor expansion of ``J_F`` (Nielsen & Boltz 2011).
DIVERGENCES = {
    "kl": lambda a: sp.Rational(1, 2),
    "reverse_kl": lambda a: sp.Rational(1, 2),
    "jeffreys": lambda a: sp.Integer(1),
    "alpha": lambda a: sp.Rational(1, 2),
    "alpha_jensen": lambda a: sp.Rational(1, 2),
    "renyi": lambda a: a / 2,
    "chernoff": lambda a: a * (1 - a) / 2,
    "skew_jensen": lambda a: a * (1 - a) / 2,
    "bhattacharyya": lambda a: sp.Rational(1, 8),
    "burbea_rao": lambda a: sp.Rational(1, 8),
    "hellinger": lambda a: sp.Rational(1, 8),
    "chi2": lambda a: sp.Integer(1),
}
_ORDERED = ("alpha", "alpha_jensen", "renyi", "chernoff", "skew_jensen")


def _points(model):
    return tuple(model.coordinates), tuple(model.second_point())


def _theta_pair(family):
    x, y = _points(family)
    th1 = list(family.natural)
    th2 = [t.subs(dict(zip(x, y, strict=True)), simultaneous=True) for t in th1]
    return th1, th2


def _F(family, theta):
    value = family.log_partition.subs(dict(zip(family.theta, theta, strict=True)), simultaneous=True)
    return canonical_functions(value)


#: Seconds spent putting a divergence in normal form; past them the expression is returned as
#: derived (equal, only longer: the bivariate Normal's takes minutes to normalise).
TIDY_TIMEOUT = 5.0


def _tidy(expr, model):
    x, y = _points(model)
    with budget.time_limit(TIDY_TIMEOUT):
        raw = sp.expand(sp.expand_log(sp.powsimp(canonical_functions(expr)), force=False))
        # the simplifier writes angles as tan(u/2), infinite at u = pi: whole angles instead
        return _whole_angles(simplify_entries([raw], x + y, factor=False)[0], raw)
    return expr


def _has_log_partition(model):
    # a curved family's members are members of its ambient exponential family
    return isinstance(model, (ExponentialFamily, CurvedExponentialFamily))


def _need_family(model, kind):
    if not _has_log_partition(model):
        raise NotClosedFormError(
            f"the {kind} divergence of {model.name} has a closed form here only for exponential "
            f"families (through the log-partition); use divergence_by_quadrature(model, {kind!r}, x, y) "
            f"for its value at two points")


def _order(alpha, kind, lower=None, upper=None):
    if alpha is None:
        raise ValueError(f"the {kind} divergence needs its order: pass alpha")
    a = to_sympy(alpha, "alpha")
    if a.is_number:
        if not a.is_real:
            raise DomainError(f"alpha must be a real number, got {alpha!r}")
        if (lower is not None and not a > lower) or (upper is not None and not a < upper):
            hi = "oo" if upper is None else upper
            raise DomainError(f"alpha of the {kind} divergence must be in ({lower}, {hi}), got {alpha!r}")
    return a


def skew_jensen(family, alpha):
    r"""The skew Jensen divergence of the log-partition,
    :math:`J_F^{(\alpha)} = \alpha F(\theta) + (1-\alpha)F(\theta_2) - F(\alpha\theta + (1-\alpha)\theta_2)`.

    It equals the Chernoff divergence :math:`-\log\int p^\alpha q^{1-\alpha}` of an exponential
    family (Nielsen & Boltz 2011).

    Examples
    --------
    >>> import sympy as sp
    >>> from manifolds import Poisson
    >>> sp.factor(skew_jensen(Poisson().model, sp.Rational(1, 2)))
    (-2*sqrt(lam)*sqrt(lam_2) + lam + lam_2)/2
    """
    if not _has_log_partition(family):
        raise ValueError(f"{family.name} is not an exponential family: it has no log-partition")
    a = to_sympy(alpha, "alpha")
    th1, th2 = _theta_pair(family)
    mixed = [a * t1 + (1 - a) * t2 for t1, t2 in zip(th1, th2, strict=True)]
    value = a * _F(family, th1) + (1 - a) * _F(family, th2) - _F(family, mixed)
    return _tidy(value, family)


def chernoff_coefficient(family, alpha):
    r""":math:`c_\alpha = \int p_\xi^\alpha\, p_{\xi_2}^{1-\alpha} = \exp(-J_F^{(\alpha)})`.

    Examples
    --------
    >>> import sympy as sp
    >>> from manifolds import Exponential
    >>> sp.simplify(chernoff_coefficient(Exponential().model, sp.Rational(1, 2)))
    2*sqrt(lam)*sqrt(lam_2)/(lam + lam_2)
    """
    return sp.exp(-skew_jensen(family, alpha))


def kl_divergence_closed_form(model, timeout=KL_TIMEOUT):
    r""":math:`KL(p_\xi \| p_{\xi_2})` in closed form, or :class:`NotClosedFormError` within
    ``timeout`` seconds.

    The order of attempts: a closed form declared with the family
    (``closed_forms={"kl_divergence": f}``), the Bregman divergence of the log-partition for an
    exponential family, then the expectation of the log-likelihood ratio, given ``timeout``
    seconds (``None``: no limit).

    Examples
    --------
    >>> from manifolds import Cauchy
    >>> kl_divergence_closed_form(Cauchy().model)
    -log(4*gamma*gamma_2) + log((gamma + gamma_2)**2 + (x0 - x0_2)**2)
    """
    if "kl_divergence" in model.closed_forms or isinstance(model, ExponentialFamily):
        return _bregman_kl(model)
    try:
        with budget.time_limit(timeout):
            return kl_divergence_from_expectation(model)
    except (DerivationError, ValueError, TypeError, NotImplementedError) as exc:
        raise NotClosedFormError(
            f"no closed form of KL for {model.name}: the integral failed ({exc}); use "
            f"divergence_by_quadrature(model, 'kl', x, y) for its value at two points") from exc
    raise NotClosedFormError(
        f"no closed form of KL for {model.name} within {timeout} s (none is declared with the "
        f"family); use divergence_by_quadrature(model, 'kl', x, y) for its value at two points")


def divergence(model, kind="kl", alpha=None, timeout=KL_TIMEOUT):
    r"""A divergence :math:`D(p_\xi, p_{\xi_2})` in closed form (second point: suffix ``_2``).

    Parameters
    ----------
    model : StatisticalModel
    kind : str
        One of :data:`DIVERGENCES`: ``"kl"``, ``"reverse_kl"``, ``"jeffreys"`` (KL both ways),
        ``"alpha"`` (Amari's alpha-divergence, any real ``alpha``; ``alpha = -1`` is KL, ``+1``
        the reverse KL), ``"alpha_jensen"`` (the alpha-divergence of the dually flat structure
        of F, ``-1 < alpha < 1``, below), ``"renyi"`` (order ``alpha > 0``; 1 is KL), ``"chernoff"`` and
        ``"skew_jensen"`` (``0 < alpha < 1``; equal for exponential families),
        ``"bhattacharyya"`` and ``"burbea_rao"`` (their ``alpha = 1/2``), ``"hellinger"``
        (:math:`1 - \int\sqrt{pq}`), ``"chi2"`` (Pearson, :math:`\int q^2/p - 1`).
    alpha : number, sympy expression or str, optional
        The order, for ``alpha``, ``renyi``, ``chernoff``, ``skew_jensen``.
    timeout : float or None
        Seconds a KL integral may take (families without a closed form declared).

    Returns
    -------
    sympy expression in the coordinates and the second point's coordinates.

    Raises
    ------
    NotClosedFormError
        a kind other than KL and Jeffreys for a family that is not exponential, or a KL with
        no closed form; :func:`divergence_by_quadrature` gives its value at two points.

    Notes
    -----
    For an exponential family with :math:`J = J_F^{(\lambda)}(\theta : \theta_2)`
    (:func:`skew_jensen`): Chernoff :math:`= J`, Bhattacharyya :math:`= J^{(1/2)}`,
    Rényi :math:`= J/(1-\lambda)`, Hellinger :math:`= 1 - e^{-J^{(1/2)}}`, Amari
    :math:`D_\alpha = \tfrac{4}{1-\alpha^2}(1 - e^{-J^{((1-\alpha)/2)}})`; the alpha-divergence
    induced by F (Zhang 2004; Amari 2016, ch. 4),
    :math:`\tfrac{4}{1-\alpha^2}[\tfrac{1-\alpha}{2}F(\theta) + \tfrac{1+\alpha}{2}F(\theta_2) -
    F(\tfrac{1-\alpha}{2}\theta + \tfrac{1+\alpha}{2}\theta_2)] = \tfrac{4}{1-\alpha^2} J^{((1-\alpha)/2)}`
    (``"alpha_jensen"``), agrees with Amari's to second order only, and tends to the KL
    divergences (the Bregman divergences of F) as alpha tends to -1 and 1; Pearson
    :math:`\chi^2 = \exp(F(2\theta_2 - \theta) - 2F(\theta_2) + F(\theta)) - 1`, finite where
    :math:`2\theta_2 - \theta` is a natural parameter (Nielsen & Nock 2014). Likewise a Rényi
    order above 1 (and an Amari alpha outside (-1, 1)) extrapolates :math:`\lambda\theta +
    (1-\lambda)\theta_2` beyond the segment: the integral is finite, and the expression real,
    only where that point is a natural parameter.

    References
    ----------
    .. [1] S. Amari, *Information Geometry and Its Applications*, Springer 2016, ch. 3-4.
    .. [2] F. Nielsen, S. Boltz, "The Burbea-Rao and Bhattacharyya centroids", IEEE Trans.
       Inf. Theory 57(8), 2011.
    .. [3] J. Zhang, "Divergence function, duality, and convex analysis", Neural Computation
       16(1), 2004.
    .. [4] F. Nielsen, R. Nock, "On the chi square and higher-order chi distances for
       approximating f-divergences", IEEE Signal Process. Lett. 21(1), 2014.

    Examples
    --------
    >>> import sympy as sp
    >>> from manifolds import Poisson
    >>> sp.factor(divergence(Poisson().model, "bhattacharyya"))
    (-2*sqrt(lam)*sqrt(lam_2) + lam + lam_2)/2
    >>> divergence(Poisson().model, "chi2")
    exp((lam**2 - 2*lam*lam_2 + lam_2**2)/lam) - 1
    """
    if kind not in DIVERGENCES:
        raise ValueError(f"kind must be one of {', '.join(DIVERGENCES)}; got {kind!r}")
    x, y = _points(model)
    swap = dict(zip(x + y, y + x, strict=True))
    if kind in ("kl", "reverse_kl", "jeffreys"):
        kl = kl_divergence_closed_form(model, timeout)
        reverse = kl.subs(swap, simultaneous=True)
        return {"kl": kl, "reverse_kl": reverse, "jeffreys": kl + reverse}[kind]
    declared = model.closed_forms.get(f"{kind}_divergence")
    if declared is not None and kind not in _ORDERED:
        return sp.sympify(declared(x, y), strict=True)
    _need_family(model, kind)
    if kind == "alpha":
        a = _order(alpha, kind)
        if a == -1:
            return divergence(model, "kl", timeout=timeout)
        if a == 1:
            return divergence(model, "reverse_kl", timeout=timeout)
        return 4 / (1 - a**2) * (1 - chernoff_coefficient(model, (1 - a) / 2))
    if kind == "alpha_jensen":
        a = _order(alpha, kind, lower=-1, upper=1)
        return 4 / (1 - a**2) * skew_jensen(model, (1 - a) / 2)
    if kind == "renyi":
        a = _order(alpha, kind, lower=0)
        if a == 1:
            return divergence(model, "kl", timeout=timeout)
        return skew_jensen(model, a) / (1 - a)
    if kind in ("chernoff", "skew_jensen"):
        return skew_jensen(model, _order(alpha, kind, lower=0, upper=1))
    half = sp.Rational(1, 2)
    if kind in ("bhattacharyya", "burbea_rao"):
        return skew_jensen(model, half)
    if kind == "hellinger":
        return 1 - chernoff_coefficient(model, half)
    th1, th2 = _theta_pair(model)
    out = [2 * b - a for a, b in zip(th1, th2, strict=True)]
    return sp.exp(_tidy(_F(model, out) - 2 * _F(model, th2) + _F(model, th1), model)) - 1


def f_divergence(model, f, timeout=KL_TIMEOUT):
    r""":math:`D_f(p_\xi \| p_{\xi_2}) = E_{p_\xi}[f(p_{\xi_2}/p_\xi)]` by exact integration.

    ``f`` is a callable taking and returning sympy expressions, convex with ``f(1) = 0``
    (Csiszár 1967). Gives :class:`NotClosedFormError` when sympy cannot finish within
    ``timeout`` seconds.

    Examples
    --------
    >>> import sympy as sp
    >>> from manifolds import Exponential
    >>> sp.factor(f_divergence(Exponential().model, lambda t: (sp.sqrt(t) - 1) ** 2))   # 2 - 2 BC
    2*(-2*sqrt(lam)*sqrt(lam_2) + lam + lam_2)/(lam + lam_2)
    """
    x, y = _points(model)
    l1 = model.log_density
    l2 = l1.subs(dict(zip(x, y, strict=True)), simultaneous=True)
    ratio = sp.powsimp(sp.exp(sp.expand(l2 - l1)))
    try:
        with budget.time_limit(timeout):
            value = integrate_expectation(model, sp.expand(f(ratio)))
            return _tidy(value, model)
    except (DerivationError, ValueError, NotImplementedError) as exc:
        raise NotClosedFormError(f"sympy could not integrate the f-divergence of {model.name}: {exc}") from exc
    raise NotClosedFormError(f"sympy did not integrate the f-divergence of {model.name} within "
                             f"{timeout} s; use divergence_by_quadrature")


def _quadrature_integrand(kind, alpha):
    """``(g, post)``: the divergence is ``post(∫ g(log p, log q))``."""
    exp, log = mpmath.exp, mpmath.log
    if kind in ("kl", "reverse_kl", "jeffreys"):
        forms = {"kl": lambda lp, lq: exp(lp) * (lp - lq),
                 "reverse_kl": lambda lp, lq: exp(lq) * (lq - lp),
                 "jeffreys": lambda lp, lq: (exp(lp) - exp(lq)) * (lp - lq)}
        return forms[kind], lambda v: v
    if kind == "chi2":
        return (lambda lp, lq: exp(2 * lq - lp)), lambda v: v - 1
    if kind in ("bhattacharyya", "burbea_rao", "hellinger"):
        lam = mpmath.mpf(1) / 2
    elif kind in ("alpha", "alpha_jensen"):
        lam = (1 - mpmath.mpf(alpha)) / 2
    else:
        lam = mpmath.mpf(alpha)
    post = {"bhattacharyya": lambda c: -log(c), "burbea_rao": lambda c: -log(c), "hellinger": lambda c: 1 - c,
            "chernoff": lambda c: -log(c), "skew_jensen": lambda c: -log(c),
            "renyi": lambda c: log(c) / (lam - 1),
            "alpha": lambda c: 4 / (1 - mpmath.mpf(alpha) ** 2) * (1 - c),
            "alpha_jensen": lambda c: -4 / (1 - mpmath.mpf(alpha) ** 2) * log(c)}[kind]
    return (lambda lp, lq: exp(lam * lp + (1 - lam) * lq)), post


def divergence_by_quadrature(model, kind, x, y, alpha=None, dps=30):
    r"""A divergence at two points by mpmath quadrature (or summation) over the sample space.

    An independent reference for :func:`divergence` and its value where no closed form exists.
    Handles sample spaces of one variable (finite, integers, intervals); an interval is split
    at the location of both points when the family declares one (the kink of a Laplace).

    Parameters
    ----------
    model : StatisticalModel
    kind : str
        As :func:`divergence` (``alpha`` and ``renyi`` at their orders ±1 and 1 are not
        available here: ask for ``kl`` or ``reverse_kl``).
    x, y : sequence of float
        The two points, validated against the domain.
    alpha : float, optional
    dps : int
        Working decimal digits.

    Returns
    -------
    mpmath.mpf

    Examples
    --------
    >>> from manifolds import Poisson
    >>> v = divergence_by_quadrature(Poisson().model, "kl", [2.0], [3.0])
    >>> abs(float(v) - (3 - 2 + 2 * mpmath.log(2 / 3.0))) < 1e-15
    True
    """
    if kind not in DIVERGENCES:
        raise ValueError(f"kind must be one of {', '.join(DIVERGENCES)}; got {kind!r}")
    missing = model.unbound_constants()
    if missing:
        names = ", ".join(m.name for m in missing)
        raise ValueError(f"{model.name} has the symbolic constant {names} without a value, and quadrature "
                         f"needs numbers: bind it, M.with_constants({', '.join(m.name + '=...' for m in missing)}), "
                         f"or construct the family with a number")
    if kind in _ORDERED:
        lower = {"alpha": None, "alpha_jensen": -1}.get(kind, 0)
        a = float(_order(alpha, kind, lower=lower,
                         upper=1 if kind in ("chernoff", "skew_jensen", "alpha_jensen") else None))
        if (kind == "alpha" and abs(a) == 1) or (kind == "renyi" and a == 1):
            raise ValueError(f"the {kind} divergence of order {a:g} is a KL divergence: ask for 'kl' or 'reverse_kl'")
    space = model.space
    if len(space.variables) != 1 or space.kind not in ("finite", "integers", "interval"):
        raise NotImplementedError(f"quadrature over {space.describe()} is not implemented; one observation "
                                  f"variable (finite, integers or an interval) is")
    # exact binary values: a sympy Float would round log(x) and the like to 15 digits
    px, py = ({k: sp.Rational(v) if isinstance(v, float) else v for k, v in model.substitutions(p).items()}
              for p in (x, y))
    var = space.variables[0]
    logp = sp.lambdify(var, model.log_density.subs(px), modules="mpmath")
    logq = sp.lambdify(var, model.log_density.subs(py), modules="mpmath")
    g, post = _quadrature_integrand(kind, alpha)
    with mpmath.workdps(dps):
        def h(t):
            return g(logp(t), logq(t))

        if space.kind == "finite":
            total = mpmath.fsum(h(mpmath.mpf(v)) for v in space.values)
        elif space.kind == "integers":
            lo = int(space.lower.subs(model.constants))
            hi = space.upper.subs(model.constants)
            if hi.is_finite:
                total = mpmath.fsum(h(mpmath.mpf(v)) for v in range(lo, int(hi) + 1))
            else:
                total = mpmath.nsum(h, [lo, mpmath.inf])
        else:
            lo, hi = (mpmath.mpf(float(b)) if b.is_finite else (mpmath.inf if b > 0 else -mpmath.inf)
                      for b in (space.lower.subs(model.constants), space.upper.subs(model.constants)))
            cuts = []
            if model.location_scale is not None:
                cuts = sorted({float(model.location_scale[0].subs(p)) for p in (px, py)})
            total = mpmath.quad(h, [lo, *[mpmath.mpf(c) for c in cuts if lo < c < hi], hi])
        return post(total)
