"""The numeric route of a manifold: ``M.numeric_geometry(method="numeric")``.

:class:`QuadratureManifold` is a :class:`manifolds.numerics.NumericManifold` whose metric,
Christoffel symbols and Amari-Chentsov tensor are expectations taken by quadrature
(:mod:`numeric.quadrature`) of exact integrands (:mod:`symbolic.integrands`), for models
whose expectations have no closed form: mixtures, truncated laws, the Weibull in both
parameters. Everything else is inherited unchanged: the geodesic integrator, the shooting
log map, distances, the log-density and the score; natural-gradient descent and Fisher
scoring run on the same engines (:mod:`numeric.optim.gradient_methods`) as for the catalog.

Beyond :class:`~manifolds.numerics.NumericManifold`'s quantities it gives the curvature of
any α-connection (:meth:`QuadratureManifold.riemann`, ``ricci``, ``scalar_curvature``) from
expectations of the exact third derivatives of the log-density, and the KL divergence
(compiled and batched for one continuous variable, else by mpmath quadrature). ``M.numeric`` falls back on this route by itself when an exact
derivation runs out of its time budget (``M.numeric.route``, docs/guide/any-density.md).

Accuracy: ``tol`` is the relative accuracy of every expectation (each moment within ``tol``
times the largest of its kind, see :mod:`numeric.quadrature.engine`); the ``*_estimate``
methods return the values with their error estimates, and :meth:`QuadratureManifold.geodesic_error`
says how much the quadrature moves a geodesic's end point.

Examples
--------
>>> from manifolds import Normal
>>> K = Normal().numeric_geometry("numeric")
>>> (K.metric([0.0, 2.0]).round(13) + 0.0).tolist()
[[0.25, 0.0], [0.0, 0.5]]
"""
from __future__ import annotations

import functools

import numpy as np

from numeric.optim.gradient_methods import metric_descent, scoring_steps
from numeric.quadrature import Estimate, QuadratureStatus, compile_expectations
from symbolic.errors import DerivationError
from symbolic.integrands import model_to_score_jet
from symbolic.validation import positive

from .numerics import NumericManifold

__all__ = ["QuadratureManifold"]


class QuadratureManifold(NumericManifold):
    """Batched geometry and geodesics of a manifold by quadrature of exact integrands.

    Parameters
    ----------
    manifold : manifolds.StatisticalManifold
    tol : float
        Relative accuracy of the expectations (default 1e-12), inside the geodesic
        integrator too.

    Notes
    -----
    Made by ``M.numeric_geometry("numeric", tol=...)``, cached per ``tol``; the module is
    compiled on first use and cached on disk, one for every ``tol`` (the tolerance is an
    argument of the compiled quadrature).
    """

    def __init__(self, manifold, tol=1e-12):
        super().__init__(manifold)
        self.tol = positive("tol", tol)

    def __repr__(self):
        return f"QuadratureManifold({self.manifold.name}, tol={self.tol!r})"

    @functools.cached_property
    def engine(self):
        """The compiled :class:`numeric.quadrature.ExpectationEngine`."""
        jet = model_to_score_jet(self.manifold.model, self._constants)
        return compile_expectations(jet, self.domain, self.tol)

    # -- estimates -------------------------------------------------------------------------
    def metric_estimate(self, x, tol=None):
        """The metric with its error estimate (:class:`numeric.quadrature.Estimate`)."""
        return self.engine.metric(self.validate(x), tol)

    def christoffel_estimate(self, x, alpha=0.0, tol=None, kind=2):
        """Christoffel symbols of the α-connection with error estimates: of the second kind
        ``[k, i, j]`` (default) or of the first kind ``[i, j, k]``.
        """
        x = self.validate(x)
        if kind == 1:
            return self.engine.christoffel_first(x, alpha, tol)
        return self.engine.christoffel(x, alpha, tol)

    def amari_chentsov_estimate(self, x, tol=None):
        """``T_ijk = E[s_i s_j s_k]`` with its error estimate."""
        return self.engine.amari_chentsov(self.validate(x), tol)

    @staticmethod
    def _value(estimate, what):
        # NON_FINITE marks nodes whose integrand overflowed where the weight was not zero;
        # they are left out (the tails of a mixture, where the score is 0/0 in float64, and
        # the reference agrees to 1e-16 there); the status stays visible in *_estimate
        if np.any(np.asarray(estimate.status) == QuadratureStatus.WORK_LIMIT):
            raise DerivationError(f"{what}: {estimate.message} (the *_estimate methods return the "
                                  f"value with its error)")
        return estimate.value

    # -- the quantities of NumericManifold ---------------------------------------------------
    def metric(self, x):
        """Fisher metric ``g_ij``, shape (..., n, n), to :attr:`tol`.

        Raises
        ------
        DerivationError
            where the quadrature reached its work limit before the tolerance (see
            :meth:`metric_estimate`).
        """
        return self._value(self.metric_estimate(x), "the metric")

    def inverse_metric(self, x):
        """Inverse metric ``g^ij``, shape (..., n, n)."""
        return np.linalg.inv(self.metric(x))

    def christoffel(self, x, alpha=0.0):
        """Christoffel symbols ``[..., k, i, j] = Γ^k_ij`` of the α-connection."""
        alpha = self._solver_for(alpha)[1]
        return self._value(self.christoffel_estimate(x, alpha[0] if alpha else 0.0),
                           "the Christoffel symbols")

    def christoffel_first(self, x, alpha=0.0):
        """Christoffel symbols of the first kind ``[..., i, j, k] = Γ_ij,k`` of the
        α-connection.
        """
        return self._value(self.christoffel_estimate(x, float(alpha), kind=1),
                           "the Christoffel symbols")

    def amari_chentsov(self, x):
        """The Amari-Chentsov tensor ``T_ijk``, shape (..., n, n, n)."""
        return self._value(self.amari_chentsov_estimate(x), "the Amari-Chentsov tensor")

    # -- curvature from the metric's derivatives, as expectations ---------------------------
    #: Default relative tolerance of the curvature's moments: the fourth-order moments behind
    #: the derivatives of the connection do not reach 1e-12 within the work limit.
    CURVATURE_TOL = 1e-9

    def _connection_jet(self, x, alpha, tol, strict=True):
        """Γ^k_ij of the α-connection and its derivatives ∂_m Γ^k_ij ``[..., k, i, j, m]``
        from the level-2 moments (docs/conventions.md): ∂_m g_ab = T_mab + A_ma,b + A_mb,a,
        ∂_m Γ_ij,k = ∂_m A_ij,k + (1 - α)/2 ∂_m T_ijk, ∂_m g^-1 = -g^-1 (∂_m g) g^-1.
        """
        E = self.engine
        E._smooth("the curvature")
        tol = max(self.tol, self.CURVATURE_TOL) if tol is None else tol
        total, error, status = E.moments(self.validate(x), 2, tol)
        if strict and np.any(status == QuadratureStatus.WORK_LIMIT):
            raise DerivationError(f"the curvature: {Estimate(total, error, status).message}")
        half = 0.5 * (1.0 - float(alpha))
        g = E._part(total, "metric", 2)
        A, T = E._part(total, "A", 3), E._part(total, "T", 3)
        dA, dT = E._part(total, "dA", 4), E._part(total, "dT", 4)
        ginv = np.linalg.inv(g)
        first = A + half * T
        dfirst = dA + half * dT                               # [m, i, j, k]
        dg = T + A + np.swapaxes(A, -1, -2)                   # [m, a, b]
        gamma = np.einsum("...kl,...ijl->...kij", ginv, first)
        dginv = -np.einsum("...ka,...mab,...bl->...mkl", ginv, dg, ginv)
        dgamma = (np.einsum("...mkl,...ijl->...kijm", dginv, first)
                  + np.einsum("...kl,...mijl->...kijm", ginv, dfirst))
        return g, gamma, dgamma

    def riemann(self, x, alpha=0.0, tol=None):
        """Riemann tensor of the α-connection ``[..., i, j, k, l] = R^i_jkl`` (docs/
        conventions.md), from expectations of exact third derivatives of the log-density.
        """
        _, gamma, dgamma = self._connection_jet(x, alpha, tol)
        # R^i_jkl = ∂k Γ^i_lj − ∂l Γ^i_kj + Γ^i_km Γ^m_lj − Γ^i_lm Γ^m_kj
        return (np.einsum("...iljk->...ijkl", dgamma) - np.einsum("...ikjl->...ijkl", dgamma)
                + np.einsum("...ikm,...mlj->...ijkl", gamma, gamma)
                - np.einsum("...ilm,...mkj->...ijkl", gamma, gamma))

    def ricci(self, x, alpha=0.0, tol=None):
        """Ricci tensor ``R_jl = R^i_jil``, shape (..., n, n)."""
        return np.einsum("...ijil->...jl", self.riemann(x, alpha, tol))

    def scalar_curvature(self, x, alpha=0.0, tol=None, *, strict=True):
        """Scalar curvature ``R = g^jl R_jl`` of the α-connection, shape (...); its moments
        to ``tol`` (default :attr:`CURVATURE_TOL` or :attr:`tol` if larger).
        """
        g, gamma, dgamma = self._connection_jet(x, alpha, tol, strict)
        R = (np.einsum("...iljk->...ijkl", dgamma) - np.einsum("...ikjl->...ijkl", dgamma)
             + np.einsum("...ikm,...mlj->...ijkl", gamma, gamma)
             - np.einsum("...ilm,...mkj->...ijkl", gamma, gamma))
        return np.einsum("...jl,...ijil->...", np.linalg.inv(g), R)

    def scalar_curvature_estimate(self, x, alpha=0.0, factor=1e-2):
        """The scalar curvature with an error estimate: the difference between the values
        with the moments at the curvature's tolerance and at ``factor`` times it (the same
        compiled module; the tolerance is an argument of the quadrature).
        """
        tol = max(self.tol, self.CURVATURE_TOL)
        value = self.scalar_curvature(x, alpha, tol)
        # the finer values only measure the change: a work limit there still improves them
        finer = self.scalar_curvature(x, alpha, max(tol * factor, 1e-15), strict=False)
        status = self.engine.moments(self.validate(x), 0)[2]
        return Estimate(value, np.abs(finer - value), status)

    # -- divergences by quadrature -------------------------------------------------------------
    def kl_divergence_estimate(self, x, y, tol=None):
        """``KL(p_x || p_y)`` compiled and batched (``x`` and ``y`` broadcast), with its error
        estimate (:meth:`numeric.quadrature.ExpectationEngine.kl_divergence`; one continuous
        variable).
        """
        return self.engine.kl_divergence(self.validate(x), self.validate(y, "y"), tol)

    def kl_divergence(self, x, y, dps=None):
        """``KL(p_x || p_y) = E_x[log p_x - log p_y]``.

        For one continuous variable and ``dps`` None: compiled and batched over pairs, to
        :attr:`tol` (:meth:`kl_divergence_estimate`); else by mpmath quadrature of the exact
        log-densities at ``dps`` digits (default 30), one pair of points at a time
        (:meth:`manifolds.numerics.NumericManifold.divergence` with ``method="quadrature"``).

        Raises
        ------
        DerivationError
            where the compiled rule did not converge (a kink, a tail heavier than
            exponential): pass ``dps`` for mpmath.

        Examples
        --------
        >>> from manifolds import Normal
        >>> K = Normal().numeric_geometry("numeric")
        >>> round(K.kl_divergence([0.0, 1.0], [1.0, 2.0]), 12)   # log 2 + (1 + 1)/8 - 1/2
        0.44314718056
        """
        if dps is None and self.engine.variables == 1:
            estimate = self.kl_divergence_estimate(x, y)
            if np.any(np.asarray(estimate.status) != QuadratureStatus.CONVERGED):
                raise DerivationError(f"the KL divergence: {estimate.message}; pass dps=30 "
                                      f"for mpmath quadrature")
            value = estimate.value
            return float(value) if value.ndim == 0 else value
        return self.divergence("kl", x, y, method="quadrature", dps=30 if dps is None else dps)

    @functools.cached_property
    def _metric_kernels(self):
        return {"metric": self.metric, "inverse_metric": self.inverse_metric}

    def _compile_solver(self, with_alpha):
        # one solver for every α: its parameters are (alpha, tol), tol bound to self.tol
        return self.engine.solver()

    @property
    def closed_form_distance(self):
        """None: the numeric route shoots every distance."""
        return None

    def _checked(self, key, value, points, what, core_ndim, params=()):
        # no exact expression to fall back on: a non-finite value is reported as it is
        return value

    def geodesic_error(self, x0, v0, t1=1.0, *, alpha=0.0, rtol=1e-12, factor=0.1):
        """How much the quadrature moves the end points of geodesics.

        The geodesics are integrated twice, with the quadrature at :attr:`tol` and at
        ``factor * tol`` (the same compiled module), and the difference of the end points
        is returned, shape (..., n): the error that the quadrature adds to
        ``geodesic(x0, v0, t1).x[..., -1, :]`` (the integrator's own error, ``rtol``, comes
        on top). A finer tolerance much below 1e-13 is slow: near the rounding of float64
        sums the moments reach their panel limit at every step.
        """
        factor = positive("factor", factor)
        a = self.geodesic(x0, v0, t1, alpha=alpha, rtol=rtol, throw=True).x[..., -1, :]
        finer = self.engine.solver(max(self.tol * factor, 1e-15))
        alpha = self._solver_for(alpha)[1]
        b = finer(self.validate(x0, "x0"), v0, t1, params=alpha, rtol=rtol, throw=True).x[..., -1, :]
        return np.abs(a - b)

    # -- optimisation on the same engines as the catalog's ------------------------------------
    def natural_gradient_descent(self, gradient, x0, lr, steps, **options):
        """Natural-gradient descent with this metric:
        :func:`numeric.optim.gradient_methods.metric_descent` with ``gradient(x)`` the
        Euclidean gradient of the loss.
        """
        x0 = self.validate(x0, "x0")
        return metric_descent(self.metric, gradient, x0, lr, steps,
                              inside=self._inside, **options)

    def fisher_scoring(self, data, x0, **options):
        """Maximum likelihood from ``data`` by Fisher scoring
        (:func:`numeric.optim.gradient_methods.scoring_steps`), information ``N g(x)``.
        """
        x0 = self.validate(x0, "x0")
        data = np.asarray(data, dtype=np.float64)
        count = data.shape[0]

        def score(x):
            return self.score(x, data).sum(axis=0)

        def loglik(x):
            return float(self.log_density(x, data).sum())

        return scoring_steps(score, lambda x: count * self.metric(x), x0, loglik=loglik,
                             inside=self._inside, **options)

    def _inside(self, x):
        try:
            self.validate(x)
        except (ValueError, TypeError):
            return False
        return True

    def reference(self, dps=30, rule="auto"):
        """The same expectations with mpmath at ``dps`` digits, and the geodesics, log map
        and distance they define, to certify this route; slow
        (:class:`numeric.quadrature.reference.ReferenceExpectations`, a
        :class:`numeric.geodesics.reference.ReferenceGeodesics` whose Christoffel symbols
        are quadratures, as :meth:`manifolds.numerics.NumericManifold.reference` is for
        exact families). ``rule``: the quadrature over the line, ``"tanh-sinh"``
        (``mpmath.quad``), ``"trapezoid"`` or ``"auto"`` (tanh-sinh for the moments asked
        for directly, the trapezoidal rule inside the geodesic integrator).
        """
        from numeric.quadrature.reference import ReferenceExpectations

        return ReferenceExpectations(model_to_score_jet(self.manifold.model, self._constants),
                                     dps=dps, rule=rule)
