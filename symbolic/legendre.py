r"""Legendre duality of exponential families: natural and expectation parameters, the
log-partition :math:`F`, the dual potential :math:`F^*`, Bregman and Kullback-Leibler
divergences (Amari, *Information Geometry and Its Applications*, 2016, ch. 1-2).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .algebra import canonical_functions, simplify_entries
from .errors import NotClosedFormError
from .expectation import expectation_frame
from .model import ExponentialFamily

__all__ = [
    "natural_parameters",
    "expectation_parameters",
    "dual_potential",
    "dual_potential_at_coordinates",
    "bregman_divergence",
    "kl_divergence",
    "kl_divergence_from_expectation",
]


def _need_family(model):
    if not isinstance(model, ExponentialFamily):
        raise ValueError(f"{model.name} is not an exponential family: it has no natural parameters")


def natural_parameters(family):
    r""":math:`\theta(\xi)` as a column Matrix."""
    _need_family(family)
    return sp.Matrix(family.natural)


def expectation_parameters(family):
    r""":math:`\eta(\xi) = \nabla F(\theta(\xi))` as a column Matrix.

    Examples
    --------
    >>> from manifolds import Normal
    >>> expectation_parameters(Normal().model).T
    Matrix([[mu, mu**2 + sigma**2]])
    """
    _need_family(family)
    grad = [family.at_coordinates(sp.diff(family.log_partition, th)) for th in family.theta]
    return sp.Matrix([_whole_angles(e) for e in simplify_entries(grad, family.coordinates)])


def _whole_angles(expr, unsimplified=None):
    r"""Undo the half-angle form of the simplifier, so that the expression is finite on the
    whole domain (``tan(mu/2)`` is infinite at :math:`\mu = \pi`).

    One angle: :math:`\tan(u/2)` becomes :math:`\sin u / (1 + \cos u)` and the result is
    simplified back to :math:`\sin u`, :math:`\cos u` where it can be (the von Mises
    :math:`\eta = A(\kappa)(\cos\mu, \sin\mu)`); kept as it was when ``tan`` survives.
    Several angles (a divergence between two points, where trigsimp takes tens of seconds):
    the expression before the simplifier, ``unsimplified``, is reduced instead by
    :func:`_whole_angle_form`; without it the expression is left as it is.

    Examples
    --------
    >>> mu = sp.Symbol("mu", real=True)
    >>> _whole_angles(2*sp.tan(mu/2)/(1 + sp.tan(mu/2)**2))
    sin(mu)
    """
    angles = {a.args[0] for a in expr.atoms(sp.tan)}
    if not angles:
        return expr
    if len(angles) > 1:
        return expr if unsimplified is None or unsimplified.has(sp.tan) else _whole_angle_form(unsimplified)
    whole = expr.replace(lambda a: isinstance(a, sp.tan), lambda a: sp.sin(2 * a.args[0]) / (1 + sp.cos(2 * a.args[0])))
    whole = sp.trigsimp(sp.cancel(whole))
    return expr if whole.has(sp.tan) else whole


def _whole_angle_form(expr):
    r"""``expr`` with :math:`\sin^2 u = 1 - \cos^2 u` applied to every angle and the sums
    :math:`\cos u\cos v \pm \sin u\sin v` combined to :math:`\cos(u \mp v)` (sympy's
    ``fu.TR10i``): a polynomial reduction in milliseconds where trigsimp takes tens of seconds,
    and no half angles, so the result is finite wherever the terms are.

    Examples
    --------
    >>> mu, nu = sp.symbols("mu nu", real=True)
    >>> _whole_angle_form(sp.sin(mu)**2 + sp.cos(mu)**2 - sp.cos(mu)*sp.cos(nu) - sp.sin(mu)*sp.sin(nu))
    1 - cos(mu - nu)
    """
    from sympy.simplify.fu import TR10i

    e = sp.expand(expr)
    for u in sorted({a.args[0] for a in e.atoms(sp.sin)}, key=sp.default_sort_key):
        s = sp.sin(u)
        e = sp.expand(e.replace(lambda a, s=s: a.is_Pow and a.base == s and a.exp.is_Integer and a.exp >= 2,
                                lambda a, s=s: s ** (a.exp % 2) * (1 - sp.cos(s.args[0]) ** 2) ** (a.exp // 2)))
    return TR10i(e)


def _tidy_logs(expr, samples):
    r"""Logarithms written the way a textbook does: every argument cancelled to one fraction,
    products and quotients expanded into sums of logarithms, and the terms collected by
    logarithm (Bernoulli :math:`F^* = \eta\log\eta + (1-\eta)\log(1-\eta)` rather than
    ``-log(eta1/(1 - eta1) + 1) + ...``).

    Expanding :math:`\log(ab)` is only valid where the factors are positive, so the tidy form is
    kept only when it agrees with ``expr`` to 1e-12 at every point of ``samples`` (substitution
    mappings drawn from the domain); otherwise ``expr`` is returned unchanged.
    """
    if not expr.has(sp.log) or not samples:
        return expr
    tidy = sp.expand(expr.replace(lambda a: isinstance(a, sp.log), lambda a: _split_log(a.args[0], samples[0])))
    if tidy.has(sp.I):
        return expr
    logs = sorted(tidy.atoms(sp.log), key=sp.default_sort_key)
    tidy = sp.collect(tidy, logs, evaluate=False)
    tidy = sp.Add(*[c if k == 1 else sp.factor(c) * k for k, c in tidy.items()])
    for at in samples:
        try:
            a, b = complex(sp.N(expr.subs(at), 30)), complex(sp.N(tidy.subs(at), 30))
        except (TypeError, ValueError):
            return expr
        if not abs(a - b) <= 1e-12 * max(1.0, abs(a)):
            return expr
    return tidy if sp.count_ops(tidy) <= sp.count_ops(expr) else expr


def _split_log(arg, at):
    r""":math:`\log` of a cancelled fraction as a sum of logarithms of its factors, each factor's
    sign chosen so that it is positive at the point ``at`` (:math:`\log(1 - \eta)`, not
    :math:`\log(\eta - 1) + i\pi`); the logarithm unchanged when the signs do not pair up.
    """
    try:
        num, den = sp.fraction(sp.cancel(sp.together(arg)))
        terms, sign = [], 1
        for poly, power in ((num, 1), (den, -1)):
            coeff, factors = sp.factor_list(poly)
            if coeff < 0:
                coeff, sign = -coeff, -sign
            terms.append(power * sp.log(coeff))
            for f, m in factors:
                if complex(sp.N(f.subs(at), 20)).real < 0:
                    f = sp.expand(-f)
                    sign = -sign if m % 2 else sign
                terms.append(power * m * sp.log(f))
    except (sp.PolynomialError, TypeError, ValueError):
        return sp.log(arg)
    return sp.Add(*terms) if sign > 0 else sp.log(arg)


def _samples(model, count=3, second=False):
    """Random points of the model's domain as substitutions (constants included)."""
    rng = np.random.default_rng(2024)
    out = []
    for _ in range(count):
        at = {k: sp.Rational(v) for k, v in zip(model.coordinates, model.random_point(rng), strict=True)}
        if second:
            at.update({k: sp.Rational(v) for k, v in zip(model.second_point(), model.random_point(rng), strict=True)})
        at.update({k: sp.sympify(v, strict=True) for k, v in model.constants.items()})
        out.append(at)
    return out


def dual_potential_at_coordinates(family):
    r""":math:`F^* = \theta\cdot\eta - F(\theta)` as an expression of the coordinates
    (always available, unlike :func:`dual_potential`).
    """
    _need_family(family)
    eta = expectation_parameters(family)
    value = sum(t * e for t, e in zip(family.natural, eta, strict=True)) - family.log_partition_at_coordinates()
    return simplify_entries([sp.expand(value)], family.coordinates, factor=False)[0]


def dual_potential(family):
    r""":math:`F^*(\eta)` in the symbols ``eta1, eta2, ...``.

    Needs the coordinates as closed-form functions of :math:`\eta` (``from_expectation``).

    Raises
    ------
    NotClosedFormError
        when the expectation map has no closed-form inverse (Gamma, Beta, Dirichlet, von
        Mises); :func:`dual_potential_at_coordinates` still gives :math:`F^*` in the
        coordinates.

    Examples
    --------
    >>> from manifolds import Poisson
    >>> dual_potential(Poisson().model)
    eta1*log(eta1) - eta1
    """
    _need_family(family)
    if family.from_expectation is None:
        raise NotClosedFormError(
            f"the expectation parameters of {family.name} have no closed-form inverse, so F* has "
            f"no closed form in eta; F* in the coordinates "
            f"{', '.join(p.name for p in family.parameters)} is M.dual_potential_at_coordinates() "
            f"(symbolic.dual_potential_at_coordinates(model)), and M.numeric.expectation(point) gives "
            f"eta at a point"
        )
    at = dict(zip(family.coordinates, family.from_expectation, strict=True))
    value = dual_potential_at_coordinates(family).subs(at, simultaneous=True)
    value = sp.expand(sp.expand_log(canonical_functions(value), force=True))
    value = simplify_entries([value], family.eta, factor=False)[0]
    # samples in eta: the expectation map at random points of the domain
    eta = expectation_parameters(family)
    samples = [{e: sp.N(v.subs(at_xi), 30) for e, v in zip(family.eta, eta, strict=True)}
               for at_xi in _samples(family)]
    return _tidy_logs(value, samples)


def bregman_divergence(F, variables, p, q):
    r""":math:`B_F(p, q) = F(p) - F(q) - \nabla F(q)\cdot(p - q)`.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y, z = sp.symbols("x y z")
    >>> bregman_divergence(x**2, [x], [y], [z])
    (y - z)**2
    """
    at_p, at_q = dict(zip(variables, p, strict=True)), dict(zip(variables, q, strict=True))
    Fp = F.subs(at_p, simultaneous=True)
    Fq = F.subs(at_q, simultaneous=True)
    grad = [sp.diff(F, v).subs(at_q, simultaneous=True) for v in variables]
    return sp.factor(sp.expand(Fp - Fq - sum(g * (a - b) for g, a, b in zip(grad, p, q, strict=True))))


def kl_divergence(model):
    r"""Closed form :math:`KL(p_\xi \| p_{\xi_2})`, the second point's coordinates with suffix ``_2``.

    A closed form declared with the family (``closed_forms={"kl_divergence": f}``, ``f(xi, xi_2)``;
    ``None`` declares that there is none) comes first; then, for an exponential family, the
    Bregman divergence :math:`B_F(\theta(\xi_2), \theta(\xi))`; otherwise the expectation of
    the log-likelihood ratio (:func:`symbolic.divergences.kl_divergence_closed_form` bounds its
    time).

    Examples
    --------
    >>> from manifolds import Exponential
    >>> kl_divergence(Exponential().model)
    log(lam) - log(lam_2) - 1 + lam_2/lam
    """
    if "kl_divergence" in model.closed_forms:
        form = model.closed_forms["kl_divergence"]
        if form is None:
            raise NotClosedFormError(f"{model.name} declares that its KL divergence has no closed form "
                                     f"here; symbolic.divergences.divergence_by_quadrature gives its value")
        return sp.sympify(form(model.coordinates, model.second_point()), strict=True)
    if not isinstance(model, ExponentialFamily):
        return kl_divergence_from_expectation(model)
    second = model.second_point()
    to2 = dict(zip(model.coordinates, second, strict=True))
    th1 = list(model.natural)
    th2 = [t.subs(to2, simultaneous=True) for t in th1]
    F = model.log_partition
    Fat = lambda th: canonical_functions(F.subs(dict(zip(model.theta, th, strict=True)), simultaneous=True))
    grad = expectation_parameters(model)
    if "log_partition_at_coordinates" in model.closed_forms:
        # the declared F(theta(xi)) (matrix form), so that its atoms are those of the density
        F1 = model.log_partition_at_coordinates()
        F_1, F_2 = F1, F1.subs(to2, simultaneous=True)
    else:
        F_1, F_2 = Fat(th1), Fat(th2)
    value = F_2 - F_1 - sum(g * (a - b) for g, a, b in zip(grad, th2, th1, strict=True))
    raw = sp.expand(sp.expand_log(value, force=False))
    value = sp.expand(simplify_entries([raw], model.coordinates + tuple(second), factor=False)[0])
    return _tidy_logs(_whole_angles(value, raw), _samples(model, second=True))


def kl_divergence_from_expectation(model, method="auto"):
    r""":math:`E_\xi[\ell(x;\xi) - \ell(x;\xi_2)]` through the expectation engine."""
    second = model.second_point()
    if method == "auto":
        method = "moments" if isinstance(model, ExponentialFamily) else "integrate"
    if method == "moments":
        # E_xi[l(t; xi) - l(t; xi_2)] is linear in t: E[t] = grad F(theta(xi))
        t = model.statistic_symbols()
        l = model.log_density_in_statistics()
        ratio = l - l.subs(dict(zip(model.coordinates, second, strict=True)), simultaneous=True)
        eta = expectation_parameters(model)
        value = sp.expand(ratio).subs(dict(zip(t, eta, strict=True)), simultaneous=True)
    else:
        l = model.log_density
        ratio = l - l.subs(dict(zip(model.coordinates, second, strict=True)), simultaneous=True)
        value = expectation_frame(model, method).expect(sp.expand(ratio))
    raw = sp.expand(sp.expand_log(canonical_functions(value), force=False))
    value = simplify_entries([raw], model.coordinates + tuple(second), factor=False)[0]
    return _tidy_logs(_whole_angles(value, raw), _samples(model, second=True))
