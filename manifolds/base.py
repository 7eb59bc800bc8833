"""The object a person holds in the REPL: a statistical model with its geometry."""
from __future__ import annotations

import sympy as sp

from symbolic import (
    RationalAlgebra,
    alpha_connection,
    amari_chentsov_tensor,
    curvature_chain,
    dual_potential,
    expectation_chart,
    expectation_parameters,
    fisher_metric,
    kl_divergence,
    metric_to_christoffel_1st,
    metric_to_christoffel_2nd,
    natural_chart,
    reparametrize,
)
from symbolic.errors import NotClosedFormError
from symbolic.model import ExponentialFamily
from symbolic.parsing import to_sympy
from symbolic.verify import DEFAULT_TIMEOUT, check_answer

__all__ = ["StatisticalManifold"]


class StatisticalManifold:
    """A statistical manifold: a model of the catalog and its exact geometry.

    Derivations are computed once and cached on the object. Index conventions are those of
    :mod:`symbolic.conventions`.

    Examples
    --------
    >>> from manifolds import Normal
    >>> M = Normal()
    >>> M.fisher_metric()
    Matrix([
    [sigma**(-2),           0],
    [          0, 2/sigma**2]])
    >>> M.scalar_curvature()
    -1
    >>> M.check("fisher_metric", "Matrix([[1/sigma**2, 0], [0, 2/sigma**2]])")
    CheckResult(correct)
    """

    def __init__(self, model):
        self.model = model
        self._cache = {}

    # -- identity -------------------------------------------------------------------
    @property
    def name(self):
        """The family's name."""
        return self.model.name

    @property
    def coordinates(self):
        """The coordinate symbols, in declaration order."""
        return self.model.coordinates

    @property
    def parameters(self):
        """The coordinates' :class:`symbolic.model.Parameter` declarations (domains, typical ranges)."""
        return self.model.parameters

    @property
    def dim(self):
        """The number of coordinates."""
        return self.model.dim

    @property
    def is_exponential_family(self):
        """Whether the model is declared as an exponential family (natural parameters known)."""
        return isinstance(self.model, ExponentialFamily)

    def validate(self, point):
        """Check a point against the domain (raises ``DomainError`` naming the parameter)."""
        return self.model.validate(point)

    def random_point(self, rng=None):
        """A random point of the typical range, inside the domain."""
        return self.model.random_point(rng)

    def cached(self, key, compute):
        """``compute()`` the first time ``key`` is asked for, the stored value afterwards.

        Derivations and compiled kernels are cached per manifold object through this; other
        layers (``manifolds.optim``) store their kernels here too.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- metric and connections ----------------------------------------------------
    def fisher_metric(self, method="auto"):
        r"""The Fisher metric :math:`g_{ij} = E[\partial_i\ell\,\partial_j\ell]` (sympy Matrix).

        ``method``: ``"auto"``, ``"score"``, ``"hessian"``, ``"log_partition"``, ``"closed_form"``.
        """
        return self.cached(("metric", method), lambda: fisher_metric(self.model, method))

    def inverse_metric(self):
        """The inverse metric g^ij (cancelled, through the rational-function field)."""
        def compute():
            g = self.fisher_metric()
            A = RationalAlgebra(self.coordinates, list(g), order=0)
            inv = A.inverse(A.matrix(g))
            return sp.Matrix(self.dim, self.dim, [A.expr(v, factor=True) for row in inv for v in row])

        return self.cached("inverse_metric", compute)

    def christoffel(self, kind=2, alpha=0):
        """Christoffel symbols: ``kind=2`` gives ``[k, i, j] = Γ^k_ij``, ``kind=1`` gives
        ``[i, j, k] = Γ_ij,k``; with ``alpha`` those of the alpha-connection.
        """
        if kind not in (1, 2):
            raise ValueError(f"kind must be 1 or 2, got {kind!r}")
        alpha = to_sympy(alpha, "alpha")
        if alpha != 0:
            return self.alpha_connection(alpha, kind=kind)
        if kind == 1:
            return self.cached("christoffel_1st", lambda: metric_to_christoffel_1st(self.fisher_metric(), self.coordinates))
        return self.cached("christoffel_2nd", lambda: metric_to_christoffel_2nd(self.fisher_metric(), self.coordinates))

    def amari_chentsov(self, method="auto"):
        """The Amari-Chentsov tensor ``[i, j, k] = E[∂i l ∂j l ∂k l]``."""
        return self.cached(("amari_chentsov", method), lambda: amari_chentsov_tensor(self.model, method))

    def alpha_connection(self, alpha, kind=1):
        """The alpha-connection, ``kind=1``: ``[i, j, k] = Γ^(α)_ij,k``; ``kind=2``: ``[k, i, j]``.
        ``alpha`` may be a number, a sympy expression or a string (read by the safe parser).
        """
        alpha = to_sympy(alpha, "alpha")
        return self.cached(("alpha", alpha, kind), lambda: alpha_connection(
            self.christoffel(kind=1), self.amari_chentsov(), alpha, self.coordinates,
            metric=self.fisher_metric(), kind=kind))

    # -- curvature ------------------------------------------------------------------
    def _chain(self, alpha):
        alpha = to_sympy(alpha, "alpha")
        if alpha == 0:
            return self.cached(("chain", 0), lambda: curvature_chain(self.fisher_metric(), self.coordinates))
        return self.cached(("chain", alpha), lambda: curvature_chain(
            self.fisher_metric(), self.coordinates, self.amari_chentsov(), alpha))

    def riemann(self, alpha=0):
        """Riemann tensor ``[i, j, k, l] = R^i_jkl`` of the Levi-Civita (or alpha-) connection."""
        return self._chain(alpha)["riemann"]

    def ricci(self, alpha=0):
        """Ricci tensor ``R_jl = R^i_jil``."""
        return self._chain(alpha)["ricci"]

    def scalar_curvature(self, alpha=0):
        """Scalar curvature ``R = g^jl R_jl``."""
        return self._chain(alpha)["scalar"]

    def gaussian_curvature(self, alpha=0):
        """Gaussian curvature ``R/2`` (surfaces only)."""
        if self.dim != 2:
            raise ValueError(f"Gaussian curvature is defined for surfaces; {self.name} has dimension {self.dim}")
        return sp.factor(self.scalar_curvature(alpha) / 2)

    # -- Legendre duality ------------------------------------------------------------
    def _family(self):
        if not self.is_exponential_family:
            raise ValueError(f"{self.name} is not an exponential family: it has no natural parameters, "
                             f"log-partition or dual potential")
        return self.model

    def natural_parameters(self):
        """θ as expressions of the coordinates (column Matrix)."""
        return sp.Matrix(self._family().natural)

    def log_partition(self):
        """F in the natural-parameter symbols ``theta1, theta2, ...``."""
        return self._family().log_partition

    def expectation_parameters(self):
        """η = ∇F as expressions of the coordinates (column Matrix)."""
        return self.cached("eta", lambda: expectation_parameters(self._family()))

    def dual_potential(self):
        """F* in the expectation-parameter symbols ``eta1, eta2, ...``."""
        return self.cached("dual", lambda: dual_potential(self._family()))

    def kl_divergence(self):
        """Closed-form KL(p_x || p_y); y's coordinates carry the suffix ``_2``."""
        return self.cached("kl", lambda: kl_divergence(self.model))

    # -- charts -----------------------------------------------------------------------
    def in_chart(self, name):
        """The same manifold in the ``"natural"`` or ``"expectation"`` chart."""
        charts = {"natural": natural_chart, "expectation": expectation_chart}
        if name not in charts:
            raise ValueError(f"chart must be one of {sorted(charts)}, got {name!r}")
        return self.cached(("chart", name), lambda: StatisticalManifold(charts[name](self._family())))

    def reparametrize(self, old_in_new, parameters, new_in_old=None, name=None):
        """The manifold in new coordinates; ``old_in_new`` gives each old coordinate as an
        expression of the new ones (see :func:`symbolic.reparametrize`).

        Examples
        --------
        >>> import sympy as sp
        >>> from manifolds import Normal
        >>> M = Normal()
        >>> mu, sigma = M.coordinates
        >>> s = sp.Symbol("s", real=True)
        >>> M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s]).fisher_metric()
        Matrix([
        [exp(-2*s), 0],
        [        0, 2]])
        """
        return StatisticalManifold(reparametrize(self.model, old_in_new, parameters, new_in_old, name))

    # -- numerics ---------------------------------------------------------------------
    @property
    def numeric(self):
        """Compiled kernels and integrators for this manifold (see :mod:`manifolds.numerics`)."""
        from .numerics import NumericManifold

        return self.cached("numeric", lambda: NumericManifold(self))

    def numeric_geometry(self, method="auto", tol=1e-12):
        """Compiled geometry by the exact route (:attr:`numeric`) or by quadrature of exact
        integrands (:class:`manifolds.quadrature.QuadratureManifold`).

        Parameters
        ----------
        method : {"auto", "exact", "numeric"}
            ``auto`` takes the exact route unless the exact Fisher metric raises
            :class:`symbolic.errors.NotClosedFormError`, then the numeric one.
        tol : float
            Relative accuracy of the numeric route's expectations.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().numeric_geometry("numeric").metric([2.0]).round(14).tolist()
        [[0.5]]
        """
        from symbolic.validation import choice

        method = choice("method", method, ("auto", "exact", "numeric"))
        if method == "auto":
            try:
                self.fisher_metric()
                return self.numeric
            except NotClosedFormError:
                method = "numeric"
        if method == "exact":
            return self.numeric
        from .quadrature import QuadratureManifold

        return self.cached(("quadrature", float(tol)), lambda: QuadratureManifold(self, tol))

    # -- optimisation (manifolds.optim; imported on first use, it loads scipy) ------------
    def natural_gradient_descent(self, loss, x0, lr, steps, **options):
        """Natural-gradient descent of ``loss`` from ``x0``: :func:`manifolds.optim.natural_gradient_descent`.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> M = Poisson(); lam, = M.coordinates
        >>> path = M.natural_gradient_descent((lam - 3) ** 2, [1.0], lr=0.1, steps=1)
        >>> float(path.x[0])                  # 1 - 0.1 * lam * 2 * (lam - 3), metric 1/lam
        1.4
        """
        from .optim import natural_gradient_descent

        return natural_gradient_descent(self, loss, x0, lr, steps, **options)

    def natural_gradient_flow(self, loss, x0, t1, **options):
        """The natural-gradient flow of ``loss`` from ``x0``: :func:`manifolds.optim.natural_gradient_flow`.

        Examples
        --------
        >>> import numpy as np
        >>> from manifolds import Poisson
        >>> M = Poisson(); lam, = M.coordinates
        >>> flow = M.natural_gradient_flow(lam - 2 * sp.log(lam), [5.0], t1=2.0)   # KL(Poisson(2) || .)
        >>> bool(abs(flow.x[0] - (2 + 3 * np.exp(-2.0))) < 1e-9)
        True
        """
        from .optim import natural_gradient_flow

        return natural_gradient_flow(self, loss, x0, t1, **options)

    def fisher_scoring(self, data, x0, **options):
        """The maximum-likelihood estimate from ``data`` by :func:`manifolds.optim.fisher_scoring`.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> float(Poisson().fisher_scoring([1, 2, 6], [1.0]).x[0])   # the mean
        3.0
        """
        from .optim import fisher_scoring

        return fisher_scoring(self, data, x0, **options)

    def mirror_descent(self, loss, x0, lr, steps, **options):
        """Mirror descent of ``loss`` (in ``self.model.eta``): :func:`manifolds.optim.mirror_descent`.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> M = Poisson(); eta, = M.model.eta
        >>> [float(v) for v in M.mirror_descent((eta - 3) ** 2 / 2, [1.0], lr=0.1, steps=1).duals[:, 0]]
        [1.0, 1.2]
        """
        from .optim import mirror_descent

        return mirror_descent(self, loss, x0, lr, steps, **options)

    # -- exercises and display ----------------------------------------------------------
    _QUANTITIES = {
        "fisher_metric": lambda M: M.fisher_metric(),
        "metric": lambda M: M.fisher_metric(),
        "inverse_metric": lambda M: M.inverse_metric(),
        "christoffel": lambda M: M.christoffel(kind=2),
        "christoffel_2nd": lambda M: M.christoffel(kind=2),
        "christoffel_1st": lambda M: M.christoffel(kind=1),
        "amari_chentsov": lambda M: M.amari_chentsov(),
        "riemann": lambda M: M.riemann(),
        "ricci": lambda M: M.ricci(),
        "scalar_curvature": lambda M: M.scalar_curvature(),
        "gaussian_curvature": lambda M: M.gaussian_curvature(),
        "natural_parameters": lambda M: M.natural_parameters(),
        "log_partition": lambda M: M.log_partition(),
        "expectation_parameters": lambda M: M.expectation_parameters(),
        "dual_potential": lambda M: M.dual_potential(),
        "kl_divergence": lambda M: M.kl_divergence(),
    }

    def quantity(self, name):
        """A derived quantity by name (the names :meth:`check` and :meth:`latex` accept)."""
        if callable(name):
            return name(self)
        try:
            getter = self._QUANTITIES[name]
        except KeyError:
            raise ValueError(f"unknown quantity {name!r}; known: {', '.join(sorted(self._QUANTITIES))}") from None
        return getter(self)

    def symbols(self):
        """The names an answer may use: coordinates, second point, natural and expectation symbols."""
        names = {s.name: s for s in self.coordinates}
        names.update({s.name: s for s in self.model.second_point()})
        for s in self.model.log_density.free_symbols:
            names.setdefault(s.name, s)
        if self.is_exponential_family:
            names.update({s.name: s for s in self.model.theta + self.model.eta})
        return names

    def check(self, quantity, answer, alpha=None, *, timeout=DEFAULT_TIMEOUT):
        """Say whether ``answer`` (a sympy object or a string) equals the derived ``quantity``.

        Symbolic simplification first; when inconclusive, a numeric comparison at random
        points of the domain. The result is truthy when correct and shows the difference
        otherwise. A string is read by the safe parser (:mod:`symbolic.parsing`), never
        executed; the comparison gives up after ``timeout`` seconds with an undecided result
        (:func:`symbolic.verify.check_answer`).

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().check("fisher_metric", "Matrix([[1/lam**2]])")
        CheckResult(incorrect: difference (expected - answer) = Matrix([[(lam - 1)/lam**2]]))
        """
        expected = self.quantity(quantity)
        return check_answer(expected, answer, self.symbols(), self.model, timeout=timeout)

    def latex(self, quantity):
        """LaTeX of a derived quantity, for lecture notes."""
        return sp.latex(self.quantity(quantity))

    def summary(self):
        """Coordinates, domain, metric and scalar curvature as text."""
        lines = [f"{self.name}: coordinates ({', '.join(p.name for p in self.parameters)})",
                 "  domain: " + "; ".join(f"{p.name} {p.domain_text()}" for p in self.parameters)
                 + "".join(f"; {c.text}" for c in self.model.constraints)]
        return "\n".join(lines)

    def __repr__(self):
        return f"{type(self).__name__}: {self.name} ({', '.join(p.name for p in self.parameters)})"

    def _repr_latex_(self):
        g = sp.latex(self.fisher_metric())
        coords = ", ".join(sp.latex(c) for c in self.coordinates)
        return rf"$\text{{{self.name}}}\ ({coords}):\quad g = {g}$"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))
