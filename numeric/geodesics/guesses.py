r"""First guesses of log maps, for families whose geodesics are close to known ones.

:func:`numeric.geodesics.shooting.shoot` solves ``exp_x(v) = y`` by Newton's method with
continuation; for far pairs most of its work goes into the continuation stages that bring
Newton's iterate near the solution. A family whose geodesics are close to a known closed form
declares a first guess (``StatisticalManifold.shooting_guess``, a function ``guess(x, y)`` of
points in the family's own coordinates): ``M.numeric.log`` starts Newton's method from it
(``shoot(..., v0=...)``). The guess changes only the cost: the answer is still the velocity
whose integrated geodesic meets ``y`` to the solver's tolerance, and a guess from which
Newton's method does not converge costs one failed step before the usual continuation.

Every function takes points ``x, y`` of shape ``(..., n)`` in the catalog's coordinates and
returns velocities of shape ``(..., n)``, NaN where it has no guess (then the default start
is used).

- :func:`half_plane_log`: the log map of the Poincaré half-plane ``(du² + dy²)/y²`` in closed
  form (the geodesics are half-circles centred on the axis, or vertical lines); a constant
  factor of the metric does not change it.
- :func:`von_mises_log_guess`: the von Mises metric ``diag(kappa A(kappa), A'(kappa))``
  (``A = I1/I0``) is a surface of revolution about the uniform law (``kappa = 0``); in
  geodesic polar coordinates ``(mu, s)``, ``s`` the distance from the uniform law
  (:func:`von_mises_radius`), it is ``ds² + F(s)² dmu²``, flat near ``s = 0`` and of
  curvature -1/2 far from it. The guess is the closed-form log map of a plane of constant
  curvature ``-c`` in the same polar coordinates, ``c`` from 0 to 1/2 by where the pair's
  geodesic runs; exact for equal and for opposite means. Over the far box of
  ``benchmarks/scale.py --only far``: within 1.6% of the log map (median), and Newton's
  method needs 4.6 integrations per pair instead of 5.9 (77 integrator steps instead of 84).
- :func:`von_mises_wrapped_normal_guess`: for large concentration the von Mises law is close
  to the wrapped normal with ``sigma² = 1/kappa``; its metric tends to
  ``kappa dmu² + dkappa²/(2 kappa²)``, the Normal family's ``(dmu² + 2 dsigma²)/sigma²``
  under ``sigma = kappa^(-1/2)``, a half-plane in ``(mu/√2, sigma)`` (the family's guess
  before :func:`von_mises_log_guess`; 11% off over the far box, median).
- :func:`normal_log_guess`: the Calvo-Oller embedding [1]_
  ``N(mu, Sigma) -> P = [[Sigma + mu muᵀ, mu], [muᵀ, 1]]`` is an isometry of the family onto
  the submanifold ``P[d, d] = 1`` of the positive definite matrices of size d + 1 with the
  metric ``½ tr((P⁻¹ dP)²)`` [1]_. That submanifold is not totally geodesic, but the geodesic
  of the whole cone between the embedded points (closed form,
  ``P1^½ log(P1^-½ P2 P1^-½) P1^½``) stays close to it; its initial velocity projected
  orthogonally onto the submanifold's tangent space (``V - V[d, d] p pᵀ`` with ``p`` the last
  column of ``P1``: the normal space is spanned by ``P1 e eᵀ P1``) is the guess. The same
  projection of the whole curve is Nielsen's approximation of the Fisher-Rao distance [2]_.
  Measured over the far box of ``benchmarks/scale.py --only far`` (200 pairs): the guess is
  within 17% of the log map (median relative error), and Newton's method needs 5.5
  integrations per pair instead of 12.6 (73 integrator steps instead of 206).

References
----------
.. [1] M. Calvo and J. M. Oller, "A distance between multivariate normal distributions based
   in an embedding into the Siegel group", *Journal of Multivariate Analysis* 35 (1990)
   223-242.
.. [2] F. Nielsen, "A simple approximation method for the Fisher-Rao distance between
   multivariate normal distributions", *Entropy* 25(4) (2023) 654.
"""
import functools

import numpy as np
from numpy.polynomial.chebyshev import chebinterpolate, chebval

__all__ = ["half_plane_log", "normal_log_guess", "von_mises_log_guess", "von_mises_radius",
           "von_mises_wrapped_normal_guess"]


def half_plane_log(p, q):
    """Log map of the Poincaré half-plane ``(du² + dy²)/y²`` (any constant factor) in closed
    form: the initial velocity, in ``(u, y)``, of the geodesic from ``p`` reaching ``q`` at
    t = 1.

    Parameters
    ----------
    p, q : array_like, shape (..., 2)
        Points ``(u, y)`` with ``y > 0``.

    Returns
    -------
    ndarray, shape (..., 2)
        NaN where a point has ``y <= 0`` or is not finite.

    Examples
    --------
    Along the vertical geodesic ``y = e^t``; between (-1, 1) and (1, 1) the speed ``|v| / y``
    is the length ``arccosh(1 + 2²/(2·1·1)) = log(3 + √8)``:

    >>> half_plane_log([0.0, 1.0], [0.0, np.e]).round(12).tolist()
    [0.0, 1.0]
    >>> v = half_plane_log([-1.0, 1.0], [1.0, 1.0])
    >>> bool(np.isclose(np.hypot(*v) / 1.0, np.log(3 + np.sqrt(8))))
    True
    """
    p, q = np.broadcast_arrays(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64))
    u1, y1, u2, y2 = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        du, dy = u2 - u1, y2 - y1
        dist = np.arccosh(1.0 + (du * du + dy * dy) / (2.0 * y1 * y2))
        # the half-circle through p and q centred at (c, 0): its tangent at p is
        # (y1, c - u1) / R (pointing towards q), and the Euclidean speed of a unit-speed
        # geodesic at p is y1
        c = (u2 * u2 + y2 * y2 - u1 * u1 - y1 * y1) / (2.0 * du)
        radius = np.hypot(u1 - c, y1)
        sign = np.sign(du)
        circle = np.stack([sign * y1 / radius, sign * (c - u1) / radius], axis=-1)
        vertical = np.abs(du) <= 1e-12 * np.maximum(y1, y2)
        line = np.stack([np.zeros_like(dy), np.sign(dy)], axis=-1)
        direction = np.where(vertical[..., None], line, circle)
        v = (dist * y1)[..., None] * direction
    bad = ~((y1 > 0) & (y2 > 0) & np.isfinite(v).all(axis=-1))
    v[bad] = np.nan
    v[(du == 0) & (dy == 0)] = 0.0
    return v


# A'(kappa) = 1 - A/kappa - A² cancels to 1/(2 kappa²) for large kappa (a relative error of
# about 4 eps kappa²); from kappa = 100 on, its asymptotic series in 1/kappa (from the
# Hankel expansions of I0 and I1; the first omitted term is below 1e-11 relative there).
_APRIME_SERIES = (0.5, 0.25, 3 / 8, 25 / 32, 65 / 32, 3219 / 512, 721 / 32, 375733 / 4096)
_APRIME_SWITCH = 100.0
# s(kappa): Chebyshev fits on (0, 4), (4, 100), (100, inf) (_radius_fits) of a quadrature
# with Gauss-Legendre nodes on (0, min(kappa, 4)) and, beyond 4, in log kappa, where
# sqrt(A'(e^y)) e^y - 1/√2 decays like e^-y (accurate to about 1e-13 relative for kappa up
# to 1e8, checked against mpmath in the tests)
_RADIUS_KNEE = 4.0
_NODES_NEAR = np.polynomial.legendre.leggauss(30)
_NODES_FAR = np.polynomial.legendre.leggauss(64)
# the model surface's curvature -c: c = s̄² / (2 (s̄² + 4)), s̄ the mean radius of the model
# geodesic of curvature -1/5 (its value at 9 points); fitted over the far box of
# benchmarks/scale.py (see the docstring of von_mises_log_guess)
_MODEL_PROBE_CURVATURE = 0.2
_MODEL_HALF_WIDTH_SQUARED = 4.0
_MODEL_PROBES = np.linspace(0.0, 1.0, 9)


def _bessel_ratio(kappa):
    """A(kappa) = I1(kappa) / I0(kappa) and A'(kappa) for kappa >= 0 (arrays)."""
    from scipy.special import i0e, i1e

    a = i1e(kappa) / i0e(kappa)
    with np.errstate(invalid="ignore", divide="ignore"):
        positive = kappa > 0
        over = np.where(positive, a / np.where(positive, kappa, 1.0), 0.5)  # A/kappa -> 1/2
        u = 1.0 / np.maximum(kappa, _APRIME_SWITCH)
        series = np.polyval(_APRIME_SERIES[::-1], u) * u * u
    return a, np.where(kappa < _APRIME_SWITCH, 1.0 - over - a * a, series)


def von_mises_radius(kappa):
    r"""Fisher-Rao distance of ``VonMises(mu, kappa)`` from the uniform law (``kappa = 0``):
    ``s(kappa) = ∫_0^kappa sqrt(A'(t)) dt``, ``A = I1/I0``.

    In ``(mu, s)`` the von Mises metric is ``ds² + F(s)² dmu²`` with ``F² = kappa A(kappa)``:
    geodesic polar coordinates about the uniform law. ``s ~ kappa/√2`` for small ``kappa``,
    ``s ~ log(kappa)/√2 + 0.8056`` for large. Chebyshev fits on (0, 4), (4, 100) and beyond
    (in ``kappa²``, ``log kappa``, ``1/kappa``) of a Gauss-Legendre quadrature: within about
    1e-13 relative of mpmath's quadrature for ``kappa`` from 1e-6 to 1e6; about 0.1 µs a
    point.

    Parameters
    ----------
    kappa : array_like
        Concentrations, ``kappa >= 0``; NaN where not (or not finite).

    Returns
    -------
    ndarray
        ``s``, the shape of ``kappa``.

    Examples
    --------
    >>> von_mises_radius([0.5, 1.0]).round(12).tolist()
    [0.348176982903, 0.667252327485]
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    good = np.isfinite(kappa) & (kappa >= 0)
    k = np.where(good, kappa, 1.0)
    near, middle, far = _radius_fits()
    with np.errstate(over="ignore", invalid="ignore"):  # the branches np.where does not take
        y = np.log(np.maximum(k, _RADIUS_KNEE))
        s = np.where(
            k <= _RADIUS_KNEE, k * chebval(np.minimum(k * k / (0.5 * _RADIUS_KNEE**2) - 1.0, 1.0), near),
            np.where(k <= _APRIME_SWITCH,
                     chebval(np.minimum(2.0 * (y - np.log(_RADIUS_KNEE))
                                        / np.log(_APRIME_SWITCH / _RADIUS_KNEE) - 1.0, 1.0), middle),
                     chebval(2.0 * _APRIME_SWITCH / np.maximum(k, _APRIME_SWITCH) - 1.0, far)
                     + y * np.sqrt(0.5)))
    return np.where(good, s, np.nan)


@functools.cache
def _radius_fits():
    """Chebyshev coefficients of s(kappa) (von_mises_radius), interpolated at Chebyshev
    points from _radius_by_quadrature: s/kappa in kappa² on (0, 16); s in log kappa on
    (4, 100); s - log(kappa)/√2 in 100/kappa on (0, 1) (there a power series in 1/kappa up
    to e^(-2 kappa)). Each to about 1e-13 relative (the quadrature's accuracy).
    """
    knee2 = _RADIUS_KNEE**2
    near = chebinterpolate(lambda z: _radius_by_quadrature(np.sqrt(0.5 * knee2 * (z + 1.0)))
                           / np.sqrt(0.5 * knee2 * (z + 1.0)), 30)
    lo, hi = np.log(_RADIUS_KNEE), np.log(_APRIME_SWITCH)
    middle = chebinterpolate(lambda z: _radius_by_quadrature(np.exp(lo + 0.5 * (z + 1.0) * (hi - lo))), 40)
    far = chebinterpolate(lambda z: _radius_by_quadrature(2.0 * _APRIME_SWITCH / (z + 1.0))
                          - np.log(2.0 * _APRIME_SWITCH / (z + 1.0)) * np.sqrt(0.5), 16)
    return near, middle, far


def _radius_by_quadrature(kappa):
    """s(kappa) by Gauss-Legendre quadrature (the nodes above): about 1e-13 relative for kappa
    up to 1e8; slow (94 evaluations of A' per point), so only the Chebyshev fits of
    von_mises_radius are computed with it.
    """
    kappa = np.asarray(kappa, dtype=np.float64)
    good = np.isfinite(kappa) & (kappa >= 0)
    k = np.where(good, kappa, 1.0)
    t, w = _NODES_NEAR
    near = np.minimum(k, _RADIUS_KNEE)
    _, ap = _bessel_ratio(near[..., None] * (0.5 * (t + 1.0)))
    s = 0.5 * near * np.sum(w * np.sqrt(ap), axis=-1)
    t, w = _NODES_FAR
    length = np.log(np.maximum(k, _RADIUS_KNEE) / _RADIUS_KNEE)
    e = _RADIUS_KNEE * np.exp(0.5 * length[..., None] * (t + 1.0))
    _, ap = _bessel_ratio(e)
    s = s + 0.5 * length * np.sum(w * (np.sqrt(ap) * e - np.sqrt(0.5)), axis=-1) + length * np.sqrt(0.5)
    return np.where(good, s, np.nan)


def _polar_log(s1, s2, dphi, c):
    """Log map, in geodesic polar coordinates ``(phi, s)`` (metric ``ds² + f(s)² dphi²``,
    ``f = sinh(√c s)/√c``), of the plane of constant curvature ``-c`` (c > 0; as c -> 0 the
    Euclidean plane): the velocity ``(dphi, ds)`` at ``(0, s1)`` of the geodesic reaching
    ``(dphi, s2)`` at t = 1. Written with the half-angle forms of the hyperbolic law of
    cosines, so that near points lose no digits.
    """
    rc = np.sqrt(c)
    r1, r2 = rc * s1, rc * s2
    half = np.sin(0.5 * dphi) ** 2
    # on the hyperboloid: sinh²(d/2) = sinh²((r1 - r2)/2) + sinh r1 sinh r2 sin²(dphi/2), and
    # the velocity is d / sinh(d) times the tangent part of the second point
    h = np.sinh(0.5 * (r1 - r2)) ** 2 + np.sinh(r1) * np.sinh(r2) * half
    d = 2.0 * np.arcsinh(np.sqrt(h))
    ratio = np.where(d > 0, d / np.sinh(np.where(d > 0, d, 1.0)), 1.0)
    ds = ratio * (np.sinh(r2 - r1) - 2.0 * np.sinh(r2) * np.cosh(r1) * half) / rc
    dphi_dt = ratio * np.sinh(r2) * np.sin(dphi) / np.sinh(r1)
    return dphi_dt, ds, d / rc


def _model_curvature(s1, s2, dphi):
    """The curvature -c of the model plane for a pair: c (see von_mises_log_guess)."""
    c0 = _MODEL_PROBE_CURVATURE
    rc = np.sqrt(c0)
    r1, r2 = rc * s1, rc * s2
    # the probe geodesic on the hyperboloid: cosh r(t) = cosh(t d) cosh r1 + sinh(t d) w,
    # w = (cosh r2 - cosh d cosh r1) / sinh d (its time component)
    _, _, length = _polar_log(s1, s2, dphi, c0)
    d = rc * length
    ch1, ch2, chd = np.cosh(r1), np.cosh(r2), np.cosh(d)
    sd = np.sinh(d)
    w = np.where(sd > 0, (ch2 - chd * ch1) / np.where(sd > 0, sd, 1.0), 0.0)
    t = _MODEL_PROBES
    radius = np.arccosh(np.maximum(np.cosh(t * d[..., None]) * ch1[..., None]
                                   + np.sinh(t * d[..., None]) * w[..., None], 1.0)) / rc
    mean = radius.mean(axis=-1)
    return mean * mean / (2.0 * (mean * mean + _MODEL_HALF_WIDTH_SQUARED))


def von_mises_log_guess(x, y):
    r"""First guess of the von Mises log map in ``(mu, kappa)``: the log map of a plane of
    constant curvature ``-c`` in geodesic polar coordinates about the uniform law.

    In ``(mu, s)``, ``s = von_mises_radius(kappa)`` the distance from the uniform law, the
    metric is ``ds² + F(s)² dmu²`` with ``F² = kappa A(kappa)`` (``A = I1/I0``): a surface
    of revolution whose curvature ``-F''/F`` goes from 0 at the uniform law (``F ~ s``: the
    metric tends to the flat polar ``(dkappa² + kappa² dmu²)/2``) to -1/2 for large ``kappa``
    (the wrapped normal limit, :func:`von_mises_wrapped_normal_guess`); it is -0.06 at
    ``kappa = 1``, -0.23 at 2, -0.40 at 3. The guess replaces ``F`` by ``sinh(√c s)/√c``, the plane
    of curvature ``-c``, whose log map is closed-form, with ``c = s̄²/(2 (s̄² + 4))`` where
    ``s̄`` is the mean radius of the model geodesic of curvature -1/5 between the points
    (flat near the uniform law, -1/2 far from it; the form and the 4 fitted over the far box
    of ``benchmarks/scale.py``). It is exact for equal means (``kappa`` moves along a
    meridian, the geodesic ``s(t) = s1 + t (s2 - s1)``) and for opposite ones (the meridian
    through the uniform law, ``s1 + s2`` long), and tends to the flat log map as both
    ``kappa`` tend to 0. Over the far box (200 pairs, ``mu`` in (-3.6, 3.6), ``kappa`` in
    (0.5, 10)) it is within 1.6% of the log map (median; 4.6% at the 90th percentile,
    relative in the Fisher norm) against 11% (and 38%) for the wrapped normal guess; for
    ``kappa`` in (0.05, 1), 0.015% against 45%.

    Parameters
    ----------
    x, y : array_like, shape (..., 2)
        Points ``(mu, kappa)``; ``y``'s mean is taken to the copy nearest ``x``'s.

    Returns
    -------
    ndarray, shape (..., 2)
        Velocities ``(dmu, dkappa)`` at ``x``; NaN where a point has ``kappa <= 0`` or is not
        finite.

    Examples
    --------
    At equal means ``kappa`` moves along the meridian at constant speed in ``s``, so the
    guess is ``(s(4) - s(1)) / sqrt(A'(1))``, and the geodesic's length is ``s(4) - s(1)``:

    >>> from scipy.special import i0, i1
    >>> a = i1(1.0) / i0(1.0)
    >>> ap = 1.0 - a - a * a  # A'(1) = 1 - A(1)/1 - A(1)²
    >>> v = von_mises_log_guess([0.0, 1.0], [0.0, 4.0])
    >>> s1, s4 = von_mises_radius([1.0, 4.0])
    >>> bool(v[0] == 0.0 and np.isclose(v[1] * np.sqrt(ap), s4 - s1, rtol=1e-14))
    True

    Half a turn apart the geodesic runs through the uniform law: straight inwards,
    ``s(1) + s(4)`` long:

    >>> v = von_mises_log_guess([0.0, 1.0], [np.pi, 4.0])
    >>> bool(abs(v[0]) < 1e-12 and np.isclose(-v[1] * np.sqrt(ap), s1 + s4, rtol=1e-14))
    True
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    k1, k2 = x[..., 1], y[..., 1]
    good = (np.isfinite(x).all(axis=-1) & np.isfinite(y).all(axis=-1) & (k1 > 0) & (k2 > 0))
    k1, k2 = np.where(good, k1, 1.0), np.where(good, k2, 1.0)
    dmu = np.where(good, y[..., 0] - x[..., 0], 0.0)
    dmu = dmu - 2.0 * np.pi * np.round(dmu / (2.0 * np.pi))  # the nearest copy
    s1, s2 = von_mises_radius(k1), von_mises_radius(k2)
    # far out (kappa ~ 1e300) or at the uniform law (kappa ~ 5e-324) the model's sinh and
    # 1/sinh overflow: no guess there (NaN), and no warning
    with np.errstate(all="ignore"):
        c = np.maximum(_model_curvature(s1, s2, dmu), 1e-12)
        dmu_dt, ds, _ = _polar_log(s1, s2, dmu, c)
        _, ap = _bessel_ratio(k1)
        v = np.stack([dmu_dt, ds / np.sqrt(ap)], axis=-1)
    v[~(good & np.isfinite(v).all(axis=-1))] = np.nan
    return v


def von_mises_wrapped_normal_guess(x, y):
    """The von Mises log map in ``(mu, kappa)`` of the large-concentration limit: the
    half-plane log map (the module docstring), mapped back from ``(mu/√2, kappa^-½)``. It was
    the family's first guess before :func:`von_mises_log_guess`; it is 45% off (median)
    for ``kappa`` in (0.05, 1), where the metric is nearly flat, not hyperbolic.

    Examples
    --------
    At one mean the limit metric ``dkappa²/(2 kappa²)`` moves kappa geometrically,
    ``kappa(t) = kappa1 (kappa2/kappa1)^t``, so the velocity is ``kappa1 log(kappa2/kappa1)``:

    >>> von_mises_wrapped_normal_guess([0.0, 1.0], [0.0, 4.0]).round(12).tolist()
    [0.0, 1.38629436112]
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    root2 = np.sqrt(2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.stack([x[..., 0] / root2, x[..., 1] ** -0.5], axis=-1)
        q = np.stack([y[..., 0] / root2, y[..., 1] ** -0.5], axis=-1)
        w = half_plane_log(p, q)
        # dmu = √2 du; dkappa = -2 kappa^(3/2) dsigma
        return np.stack([root2 * w[..., 0], -2.0 * x[..., 1] ** 1.5 * w[..., 1]], axis=-1)


def _unpack(points, d):
    mu = points[..., :d]
    sigma = np.zeros(points.shape[:-1] + (d, d))
    k = d
    for i in range(d):
        for j in range(i + 1):
            sigma[..., i, j] = sigma[..., j, i] = points[..., k]
            k += 1
    return mu, sigma


def _symmetric_function(a, f):
    w, u = np.linalg.eigh(a)
    return np.einsum("...ij,...j,...kj->...ik", u, f(w), u)


def normal_log_guess(x, y, d):
    """First guess of the log map of ``MultivariateNormal(d)`` (coordinates mu1..mud, then the
    covariance's lower triangle row by row): the Calvo-Oller embedding's cone geodesic,
    projected (the module docstring).

    Examples
    --------
    For d = 1 (the Normal family in ``(mu, sigma²)``) and equal means it is exact: the
    variance moves along ``sigma²(t) = sigma1² (sigma2²/sigma1²)^t``.

    >>> normal_log_guess([0.0, 1.0], [0.0, 4.0], 1).round(12).tolist()
    [0.0, 1.38629436112]
    """
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    m1, s1 = _unpack(x, d)
    m2, s2 = _unpack(y, d)

    def embed(m, s):
        p = np.zeros(m.shape[:-1] + (d + 1, d + 1))
        p[..., :d, :d] = s + m[..., :, None] * m[..., None, :]
        p[..., :d, d] = p[..., d, :d] = m
        p[..., d, d] = 1.0
        return p

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p1, p2 = embed(m1, s1), embed(m2, s2)
        good = np.isfinite(p1).all(axis=(-2, -1)) & np.isfinite(p2).all(axis=(-2, -1))
        p1[~good] = p2[~good] = np.eye(d + 1)
        root = _symmetric_function(p1, np.sqrt)
        inv_root = _symmetric_function(p1, lambda w: 1.0 / np.sqrt(w))
        inner = inv_root @ p2 @ inv_root
        inner = 0.5 * (inner + np.swapaxes(inner, -1, -2))
        # points far out (overflow) or not positive definite: no guess, and no LinAlgError
        good &= np.isfinite(inner).all(axis=(-2, -1))
        inner[~good] = np.eye(d + 1)
        v = root @ _symmetric_function(inner, np.log) @ root
        # orthogonal projection onto the tangent space of P[d, d] = 1
        col = p1[..., :, d]
        v = v - v[..., d, d][..., None, None] * col[..., :, None] * col[..., None, :]
        dmu = v[..., :d, d]
        dsigma = v[..., :d, :d] - dmu[..., :, None] * m1[..., None, :] - m1[..., :, None] * dmu[..., None, :]
        out = np.concatenate([dmu] + [dsigma[..., i, j][..., None] for i in range(d) for j in range(i + 1)],
                             axis=-1)
    out[~(good & np.isfinite(out).all(axis=-1))] = np.nan
    return out
