"""Means on a statistical manifold: Fréchet (Karcher) means, geodesic interpolation and the
sided Bregman (KL) centroids of exponential families.

The methods ``frechet_mean``, ``interpolate`` and ``bregman_centroid`` of ``M.numeric``
(:class:`manifolds.numerics.NumericManifold`) delegate here; see docs/guide/means-and-transport.md.
The sided centroids are the closed forms of Nielsen and Nock [1]_.

References
----------
.. [1] F. Nielsen and R. Nock, "Sided and symmetrized Bregman centroids", *IEEE Transactions
   on Information Theory* 55 (2009) 2882-2904, Theorem 3.1 (the right-type centroid
   ``argmin_c Σ w_i B_F(p_i, c)`` is the centre of mass, the left-type
   ``argmin_c Σ w_i B_F(c, p_i)`` is ``∇F^{-1}(Σ w_i ∇F(p_i))``) and Section 4 (the sided KL
   centroids of an exponential family through ``KL(p_θ || p_θ') = B_F(θ', θ)``).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from numeric.compile.kernels import compile_kernels
from numeric.geodesics.means import karcher_mean, mean_weights
from numeric.optim.gradient_methods import legendre_inverse
from symbolic.errors import DomainError
from symbolic.validation import as_array, choice

__all__ = ["bregman_centroid", "frechet_mean", "interpolate"]


def _points(K, points):
    P = K.validate(points, "points")
    if P.ndim != 2 or P.shape[0] == 0:
        raise ValueError(f"points must have shape (m, {K.dim}) with m >= 1, got shape {P.shape}")
    return P


def frechet_mean(K, points, weights=None, *, x0=None, tol=1e-10, max_iterations=100, step=1.0,
                 log_tol=1e-12, throw=False):
    """Weighted Fréchet (Karcher) mean of ``points`` for the Fisher-Rao distance of ``K``
    (:class:`manifolds.numerics.NumericManifold`); see
    :meth:`manifolds.numerics.NumericManifold.frechet_mean`.
    """
    P = _points(K, points)
    w = mean_weights(weights, P.shape[0])
    if x0 is None:
        # the weighted coordinate average where the domain holds it (boxes and simplices are
        # convex), else the heaviest point
        x0 = w @ P
        try:
            x0 = K.validate(x0, "x0")
        except DomainError:
            x0 = P[int(np.argmax(w))]
    else:
        x0 = K.validate(x0, "x0")
        if x0.shape != (K.dim,):
            raise ValueError(f"x0 must have shape ({K.dim},), got shape {x0.shape}")

    def log(X, Y, guess=None):
        return K.log(X, Y, throw=False, tol=log_tol, v0=guess)

    return karcher_mean(K.exp, log, K.metric, P, w, x0, tol=tol, max_iterations=max_iterations,
                        step=step, warm_start=True, throw=throw)


def interpolate(K, x, y, t, *, alpha=0.0, **options):
    """Points ``exp_x(t log_x(y))`` of the (α-)geodesic from ``x`` (t = 0) to ``y`` (t = 1);
    see :meth:`manifolds.numerics.NumericManifold.interpolate`.
    """
    x = K.validate(x, "x")
    y = K.validate(y, "y")
    t = as_array("t", t)
    if t.ndim > 1:
        raise ValueError(f"t must be a number or a 1-d array of times, got shape {t.shape}")
    x, y = np.broadcast_arrays(x, y)
    v = K.log(x, y, alpha=alpha, **options)
    if t.ndim == 0:
        return K.exp(x, float(t) * v, alpha=alpha)
    return K.exp(np.broadcast_to(x[..., None, :], x.shape[:-1] + (t.size, K.dim)),
                 t[:, None] * v[..., None, :], alpha=alpha)


def _dual_maps(K):
    """Compiled maps of an exponential family (cached on ``K``): θ(x), η(x), x(θ), and
    x(η) where declared, else ∇F and its Hessian for Newton's method on ∇F(θ) = η.
    """
    return K.manifold.cached(("numeric", "dual_maps"), lambda: _compile_dual_maps(K))


def _compile_dual_maps(K):
    M = K.manifold
    if not M.is_exponential_family:
        raise ValueError(f"{M.name} is not an exponential family: it has no Bregman centroids "
                         f"(use frechet_mean)")
    family = M.model
    if family.from_natural is None:
        raise ValueError(f"{M.name} declares no inverse of its natural-parameter map "
                         f"(from_natural in manifolds/catalog.py)")
    theta = tuple(family.theta)
    F = K._subs(family.log_partition)
    maps = {"from_natural": compile_kernels(theta, {"x": K._subs(sp.Array(family.from_natural))})["x"]}
    if family.from_expectation is not None:
        maps["from_expectation"] = compile_kernels(
            tuple(family.eta), {"x": K._subs(sp.Array(family.from_expectation))})["x"]
    else:
        kernels = compile_kernels(theta, {"grad": sp.Array([sp.diff(F, s) for s in theta]),
                                          "hess": sp.hessian(F, theta)})
        maps["grad_F"], maps["hess_F"] = kernels["grad"], kernels["hess"]
    return maps


def bregman_centroid(K, points, weights=None, side="right"):
    """The sided KL centroid of ``points`` in an exponential family; see
    :meth:`manifolds.numerics.NumericManifold.bregman_centroid`.
    """
    side = choice("side", side, ("right", "left"))
    P = _points(K, points)
    w = mean_weights(weights, P.shape[0])
    maps = _dual_maps(K)
    theta_bar = w @ K.natural(P)
    x_left = np.asarray(maps["from_natural"](theta_bar), dtype=np.float64).reshape(K.dim)
    if side == "left":
        return K.validate(x_left, "the left centroid")
    eta_bar = w @ K.expectation(P)
    if "from_expectation" in maps:
        x = np.asarray(maps["from_expectation"](eta_bar), dtype=np.float64).reshape(K.dim)
    else:
        n = len(theta_bar)
        theta = legendre_inverse(lambda t: np.asarray(maps["grad_F"](t)).reshape(n),
                                 lambda t: np.asarray(maps["hess_F"](t)).reshape(n, n),
                                 eta_bar, theta_bar,
                                 inside=lambda t: _inside_natural(K, maps, t))
        if theta is None:
            raise DomainError(f"Newton's method on grad F(theta) = eta did not converge for the "
                              f"mean expectation parameters {eta_bar.tolist()}")
        x = np.asarray(maps["from_natural"](theta), dtype=np.float64).reshape(K.dim)
    return K.validate(x, "the right centroid")


def _inside_natural(K, maps, theta):
    x = np.asarray(maps["from_natural"](theta), dtype=np.float64).reshape(K.dim)
    try:
        K.validate(x)
    except DomainError:
        return False
    return True
