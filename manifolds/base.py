"""The object a person holds in the REPL: a statistical model with its geometry."""
from __future__ import annotations

import sympy as sp

from symbolic import (
    RationalAlgebra,
    alpha_connection,
    amari_chentsov_tensor,
    budget,
    curvature_chain,
    dual_potential,
    expectation_chart,
    expectation_parameters,
    fisher_metric,
    metric_to_christoffel_1st,
    metric_to_christoffel_2nd,
    natural_chart,
    reparametrize,
)
from symbolic.curved import CurvedExponentialFamily, restrict, statistical_curvature
from symbolic.divergences import divergence, kl_divergence_closed_form
from symbolic.errors import NotClosedFormError
from symbolic.expectation import check_declaration, ways_forward
from symbolic.latex import quantity_latex
from symbolic.legendre import dual_potential_at_coordinates
from symbolic.model import ExponentialFamily
from symbolic.parsing import to_sympy
from symbolic.progress import progress
from symbolic.verify import DEFAULT_FEEDBACK, DEFAULT_TIMEOUT, check_batch, check_quantity
from symbolic.volume import (
    JEFFREYS_TIMEOUT,
    cramer_rao_bound,
    jeffreys_prior,
    metric_to_volume_density,
    sectional_curvature,
)

__all__ = ["StatisticalManifold"]

# verdicts of check_declaration by declaration (see StatisticalManifold.check_declaration)
_DECLARATIONS = {}


class StatisticalManifold:
    """A statistical manifold: a model of the catalog and its exact geometry.

    Derivations are computed once and cached on the object. Index conventions are those of
    :mod:`symbolic.conventions`. Before the first derivation the declaration is checked
    (:meth:`check_declaration`); every derivation runs under a time budget (``timeout=``
    seconds, by default :func:`symbolic.budget.default_budget`) after which it raises
    :class:`~symbolic.errors.NotClosedFormError` naming the integral that was running and the
    ways forward.

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

    #: Chart in which ``M.numeric.log`` (and every distance by shooting) solves its log maps,
    #: ``"natural"`` or ``"expectation"`` (see :meth:`in_chart`), or None for the family's
    #: own coordinates. A family declares it where its coordinates are singular on the
    #: manifold or wrap around it (:func:`numeric.geodesics.shooting.shoot_in_chart`).
    shooting_chart = None

    #: First guess of the log map, ``guess(x, y)`` of points of shape (m, n) in the family's
    #: own coordinates, returning velocities of shape (m, n) (NaN rows: no guess), or None.
    #: ``M.numeric.log`` starts Newton's method of the Fisher-Rao log map from it (mapped into
    #: the shooting chart); only the cost changes, not the answer. A family declares it where
    #: its geodesics are close to known ones (:mod:`numeric.geodesics.guesses`).
    shooting_guess = None

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

    def _derive(self, key, quantity, compute, timeout=None):
        """:meth:`cached` for a symbolic derivation: the declaration checked first, then
        ``compute()`` under the time budget. A derivation called from inside another one
        shares the outer budget unless it is given its own ``timeout``.
        """
        if key in self._cache:
            return self._cache[key]
        seconds = budget.resolve_budget(timeout) if (timeout is not None or not budget.active()) else None
        limit = None
        try:
            with budget.deadline(seconds) as limit:
                # the declaration check is part of the first derivation's budget
                self.check_declaration()
                value = compute()
        except budget.OutOfTime as exc:
            if limit is None or exc.deadline is not limit:  # an enclosing budget ran out: it reports
                raise
            where = f" while evaluating {exc.step}" if exc.step else ""
            raise NotClosedFormError(
                f"{quantity} of {self.name} did not finish within {seconds:g} s{where}; "
                f"{ways_forward(self.model, quantity)}") from None
        self._cache[key] = value
        return value

    #: True for the families this library declares (the catalog, :class:`manifolds.Neuron`):
    #: the test suite checks their declarations with symbolic constants
    #: (``tests/symbolic/test_own_model.py``), so :meth:`check_declaration` does not check them
    #: again at each constructor value, where its numeric stage can fail for reasons that are
    #: not the declaration's (a quadrature of the total mass of ``Laplace(b=1e308)``, a
    #: saturated neuron's ``log(1 - tanh(2000))`` at 15 digits).
    library_declaration = False

    def check_declaration(self):
        """Refuse a declaration that is not a family of densities (a parameter the density does
        not use, a mass other than one, a density undefined on its sample space): see
        :func:`symbolic.expectation.check_declaration`. Runs once per object, before the first
        derivation; returns how the mass was checked, or that the declaration is the library's
        (:attr:`library_declaration`).

        Examples
        --------
        >>> import sympy as sp
        >>> from symbolic.model import SampleSpace, StatisticalModel, parameter
        >>> lam, k = parameter("lam", 0), sp.Symbol("k", integer=True, nonnegative=True)
        >>> logp = k*sp.log(lam.symbol) - lam.symbol - sp.log(sp.factorial(k))
        >>> StatisticalManifold(StatisticalModel("MyPoisson", [lam], SampleSpace.integers(k, 0), logp)).check_declaration()
        'exact'
        >>> from manifolds import Poisson
        >>> Poisson().check_declaration()
        'library declaration (checked by the test suite)'
        """
        if self.library_declaration:
            return "library declaration (checked by the test suite)"

        def compute():
            m = self.model
            # one check per declaration and process: the catalog builds fresh objects often
            key = (type(m), m.log_density, m.space, m.parameters, tuple(sorted(m.constants.items(), key=str)))
            if key not in _DECLARATIONS:
                _DECLARATIONS[key] = check_declaration(m)
            return _DECLARATIONS[key]

        return self.cached("declaration", compute)

    # -- metric and connections ----------------------------------------------------
    def fisher_metric(self, method="auto", *, timeout=None):
        r"""The Fisher metric :math:`g_{ij} = E[\partial_i\ell\,\partial_j\ell]` (sympy Matrix).

        ``method``: ``"auto"``, ``"score"``, ``"hessian"``, ``"log_partition"``, ``"closed_form"``;
        ``timeout``: the budget in seconds (see the class).
        """
        return self._derive(("metric", method), "fisher_metric", lambda: fisher_metric(self.model, method), timeout)

    def inverse_metric(self, *, timeout=None):
        """The inverse metric g^ij (cancelled, through the rational-function field)."""
        def compute():
            g = self.fisher_metric()
            A = RationalAlgebra(self.coordinates, list(g), order=0)
            inv = A.inverse(A.matrix(g))
            return sp.Matrix(self.dim, self.dim, [A.expr(v, factor=True) for row in inv for v in row])

        return self._derive("inverse_metric", "inverse_metric", compute, timeout)

    def christoffel(self, kind=2, alpha=0, *, timeout=None):
        """Christoffel symbols: ``kind=2`` gives ``[k, i, j] = Γ^k_ij``, ``kind=1`` gives
        ``[i, j, k] = Γ_ij,k``; with ``alpha`` those of the alpha-connection.
        """
        if kind not in (1, 2):
            raise ValueError(f"kind must be 1 or 2, got {kind!r}")
        alpha = to_sympy(alpha, "alpha")
        if alpha != 0:
            return self.alpha_connection(alpha, kind=kind, timeout=timeout)
        if kind == 1:
            return self._derive("christoffel_1st", "christoffel", lambda: metric_to_christoffel_1st(
                self.fisher_metric(), self.coordinates), timeout)
        return self._derive("christoffel_2nd", "christoffel", lambda: metric_to_christoffel_2nd(
            self.fisher_metric(), self.coordinates), timeout)

    def amari_chentsov(self, method="auto", *, timeout=None):
        """The Amari-Chentsov tensor ``[i, j, k] = E[∂i l ∂j l ∂k l]``."""
        def compute():
            # the exponential-family route uses the metric: the cached one, not a second derivation
            flat_route = method == "log_partition" or (method == "auto" and self.is_exponential_family
                                                       and "amari_chentsov" not in self.model.closed_forms)
            return amari_chentsov_tensor(self.model, method, metric=self.fisher_metric() if flat_route else None)

        return self._derive(("amari_chentsov", method), "amari_chentsov", compute, timeout)

    def alpha_connection(self, alpha, kind=1, *, timeout=None):
        """The alpha-connection, ``kind=1``: ``[i, j, k] = Γ^(α)_ij,k``; ``kind=2``: ``[k, i, j]``.
        ``alpha`` may be a number, a sympy expression or a string (read by the safe parser).
        """
        alpha = to_sympy(alpha, "alpha")
        return self._derive(("alpha", alpha, kind), "alpha_connection", lambda: alpha_connection(
            self.christoffel(kind=1), self.amari_chentsov(), alpha, self.coordinates,
            metric=self.fisher_metric(), kind=kind), timeout)

    # -- curvature ------------------------------------------------------------------
    def _chain(self, alpha, quantity, timeout):
        alpha = to_sympy(alpha, "alpha")
        if alpha == 0:
            return self._derive(("chain", 0), quantity, lambda: self._progress(
                "curvature", curvature_chain, self.fisher_metric(), self.coordinates), timeout)
        return self._derive(("chain", alpha), quantity, lambda: self._progress(
            "curvature", curvature_chain, self.fisher_metric(), self.coordinates, self.amari_chentsov(), alpha),
            timeout)

    def _progress(self, what, compute, *args):
        # a progress line (symbolic.progress) if the derivation takes more than a second
        with progress(f"{self.name}: deriving the {what}"):
            return compute(*args)

    def riemann(self, alpha=0, *, timeout=None):
        """Riemann tensor ``[i, j, k, l] = R^i_jkl`` of the Levi-Civita (or alpha-) connection."""
        return self._chain(alpha, "riemann", timeout)["riemann"]

    def ricci(self, alpha=0, *, timeout=None):
        """Ricci tensor ``R_jl = R^i_jil``."""
        return self._chain(alpha, "ricci", timeout)["ricci"]

    def scalar_curvature(self, alpha=0, *, timeout=None):
        """Scalar curvature ``R = g^jl R_jl``."""
        return self._chain(alpha, "scalar_curvature", timeout)["scalar"]

    def gaussian_curvature(self, alpha=0, *, timeout=None):
        """Gaussian curvature ``R/2`` (surfaces only)."""
        if self.dim != 2:
            raise ValueError(f"Gaussian curvature is defined for surfaces; {self.name} has dimension {self.dim}")
        return sp.factor(self.scalar_curvature(alpha, timeout=timeout) / 2)

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

    def expectation_parameters(self, *, timeout=None):
        """η = ∇F as expressions of the coordinates (column Matrix)."""
        return self._derive("eta", "expectation_parameters", lambda: expectation_parameters(self._family()), timeout)

    def dual_potential(self, *, timeout=None):
        """F* in the expectation-parameter symbols ``eta1, eta2, ...``; where the expectation map
        has no closed-form inverse, :meth:`dual_potential_at_coordinates` gives F* in the coordinates.
        """
        return self._derive("dual", "dual_potential", lambda: dual_potential(self._family()), timeout)

    def dual_potential_at_coordinates(self, *, timeout=None):
        """F* = θ·η − F as an expression of the coordinates (every exponential family).

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().dual_potential_at_coordinates()
        lam*log(lam) - lam
        """
        return self._derive("dual_at_coordinates", "dual_potential",
                            lambda: dual_potential_at_coordinates(self._family()), timeout)

    def kl_divergence(self, timeout=None):
        """Closed-form KL(p_x || p_y); y's coordinates carry the suffix ``_2``.

        A family without a closed form raises ``NotClosedFormError`` within ``timeout`` seconds
        (the session's budget by default, like every derivation), naming the integral that was
        running (:func:`symbolic.divergences.kl_divergence_closed_form`).
        """
        seconds = budget.resolve_budget(timeout)
        return self._derive("kl", "kl_divergence", lambda: kl_divergence_closed_form(self.model, seconds), timeout)

    def divergence(self, kind="kl", alpha=None, timeout=None):
        """A divergence between the point and a second point (suffix ``_2``) in closed form:
        :func:`symbolic.divergences.divergence` (kinds, conventions and references there).

        Examples
        --------
        >>> from manifolds import Exponential
        >>> Exponential().divergence("renyi", alpha=2)      # log of lam^2 / (lam_2 (2 lam - lam_2))
        2*log(lam) - log(lam_2) - log(2*lam - lam_2)
        """
        alpha = None if alpha is None else to_sympy(alpha, "alpha")
        seconds = budget.resolve_budget(timeout)
        return self._derive(("divergence", kind, alpha), f"the {kind} divergence",
                            lambda: divergence(self.model, kind, alpha, seconds), timeout)

    # -- volume, priors, bounds ----------------------------------------------------------
    def volume_form(self):
        """The density sqrt(det g) of the Riemannian volume form in the coordinates."""
        return self.cached("volume", lambda: metric_to_volume_density(self.fisher_metric()))

    def jeffreys_prior(self, timeout=JEFFREYS_TIMEOUT):
        """The Jeffreys prior with its normalising constant, or the statement that it is improper:
        :func:`symbolic.volume.jeffreys_prior`.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().jeffreys_prior()
        JeffreysPrior(Poisson: 1/sqrt(lam), improper)
        """
        return self.cached("jeffreys", lambda: jeffreys_prior(self.model, self.fisher_metric(), timeout))

    def cramer_rao(self, parameters=None, n=1):
        """The Cramér-Rao bound for ``parameters`` (names; all by default) from ``n`` observations,
        the others being nuisance parameters: :func:`symbolic.volume.cramer_rao_bound`.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().cramer_rao(n=10)
        Matrix([
        [sigma**2/10,           0],
        [          0, sigma**2/20]])
        """
        return cramer_rao_bound(self.fisher_metric(), self.coordinates, parameters, n)

    def sectional_curvature(self, u, v):
        """The sectional curvature of the plane spanned by ``u`` and ``v`` (of the Levi-Civita
        connection): :func:`symbolic.volume.sectional_curvature`.

        Examples
        --------
        >>> from manifolds import Categorical
        >>> Categorical(3).sectional_curvature([1, 0], [0, 1])     # a piece of the sphere of radius 2
        1/4
        """
        return sectional_curvature(self.riemann(), self.fisher_metric(), u, v, self.coordinates)
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
        if self.is_exponential_family and len(parameters) < len(self.model.natural):
            return self.restrict(old_in_new, parameters, name)
        return StatisticalManifold(reparametrize(self.model, old_in_new, parameters, new_in_old, name))

    # -- curved exponential families ------------------------------------------------------
    @property
    def is_curved_exponential_family(self):
        """Whether the model is an exponential family restricted to a submanifold (:meth:`restrict`)."""
        return isinstance(self.model, CurvedExponentialFamily)

    def restrict(self, old_in_new, parameters, name=None):
        """The curved exponential family on the submanifold ``old_in_new`` of fewer coordinates:
        :func:`symbolic.curved.restrict` (:meth:`reparametrize` to fewer coordinates than the
        natural parameters comes here too).

        Examples
        --------
        >>> import sympy as sp
        >>> from manifolds import Normal
        >>> t = sp.Symbol("t", positive=True)
        >>> C = Normal().restrict([t, t], [t])            # N(t, sigma = t)
        >>> C.is_exponential_family, C.is_curved_exponential_family, C.statistical_curvature()
        (False, True, 2/27)
        """
        return StatisticalManifold(restrict(self._family(), old_in_new, parameters, name))

    def statistical_curvature(self):
        """Efron's statistical curvature squared of a curved exponential family:
        :func:`symbolic.curved.statistical_curvature`.
        """
        return self.cached("efron", lambda: statistical_curvature(self.model))

    # -- numerics ---------------------------------------------------------------------
    def with_constants(self, **values):
        """A copy of the family with values for its symbolic constants, for the numeric layer.

        ``Binomial()`` keeps ``n`` a symbol; its numeric layer refuses to run until ``n`` has a
        value, given in the constructor (``Binomial(10)``) or here. The copy's symbolic layer
        keeps the symbol; ``numeric`` substitutes the value
        (:func:`manifolds.numerics.bind_constants`).

        Examples
        --------
        >>> from manifolds import StudentT
        >>> M = StudentT().with_constants(nu=5)
        >>> M.name
        'StudentT(nu), nu = 5'
        >>> M.numeric.metric([0.0, 1.0]).round(12).tolist()   # (nu+1)/((nu+3) s^2), 2 nu/((nu+3) s^2)
        [[0.75, 0.0], [0.0, 1.25]]
        """
        from .numerics import bind_constants

        return bind_constants(self, values)

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

    def mixture_em(self, data, weights, points, **options):
        """A mixture of members of this exponential family fitted to ``data`` by EM, as alternating
        e- and m-projections: :func:`manifolds.mixtures.em`.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> fit = Poisson().mixture_em([0, 1, 1, 8, 9, 10], [0.5, 0.5], [[1.0], [5.0]])
        >>> fit.status.name, [round(float(v), 3) for v in fit.points[:, 0]]
        ('SUCCESS', [0.666, 8.982])
        """
        from .mixtures import em

        return em(self, data, weights, points, **options)

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

    #: The quantities that take the alpha of the alpha-connection (docs/conventions.md).
    ALPHA_QUANTITIES = {
        "christoffel": lambda M, a: M.christoffel(kind=2, alpha=a),
        "christoffel_2nd": lambda M, a: M.christoffel(kind=2, alpha=a),
        "christoffel_1st": lambda M, a: M.christoffel(kind=1, alpha=a),
        "alpha_connection": lambda M, a: M.alpha_connection(a, kind=1),
        "riemann": lambda M, a: M.riemann(a),
        "ricci": lambda M, a: M.ricci(a),
        "scalar_curvature": lambda M, a: M.scalar_curvature(a),
        "gaussian_curvature": lambda M, a: M.gaussian_curvature(a),
    }

    def quantity(self, name, alpha=None):
        """A derived quantity by name (the names :meth:`check` and :meth:`latex` accept);
        ``alpha`` for the quantities of the alpha-connection (Christoffel symbols, curvature).
        """
        if callable(name):
            return name(self)
        if alpha is not None:
            if name not in self.ALPHA_QUANTITIES:
                raise ValueError(f"{name!r} takes no alpha; the quantities that do: "
                                 f"{', '.join(sorted(self.ALPHA_QUANTITIES))}")
            return self.ALPHA_QUANTITIES[name](self, alpha)
        try:
            getter = self._QUANTITIES[name]
        except KeyError:
            known = sorted({*self._QUANTITIES, *self.ALPHA_QUANTITIES})
            raise ValueError(f"unknown quantity {name!r}; known: {', '.join(known)}") from None
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

    def check(self, quantity, answer, alpha=None, *, feedback=DEFAULT_FEEDBACK, timeout=DEFAULT_TIMEOUT):
        """Grade ``answer`` (a string, a sympy object or a nested list) against the derived
        ``quantity``: :func:`symbolic.verify.check_quantity`, guide in ``docs/guide/grading.md``.

        The answer may be written in the coordinates, in ``theta1, ...``, in ``eta1, ...`` or
        a mix; ``alpha`` (a number, or symbolic) selects the alpha-connection, and an answer
        that uses ``alpha`` is compared with the alpha-dependent quantity. ``feedback``:
        ``"verdict"`` (default, for auto-grading) or ``"difference"`` (self-study: shows
        expected - answer). The result is truthy when correct; ``how`` says whether it was
        decided ``exact``, ``numeric at N points`` or is ``undecided``.

        Examples
        --------
        >>> from manifolds import Normal, Poisson
        >>> Poisson().check("fisher_metric", "1/lam")
        CheckResult(correct)
        >>> Poisson().check("fisher_metric", "Matrix([[1/lam**2]])", feedback="difference")
        CheckResult(incorrect, numeric at 1 point: difference (expected - answer) = Matrix([[(lam - 1)/lam**2]]))
        >>> Normal().check("scalar_curvature", "alpha**2 - 1")
        CheckResult(correct)
        """
        return check_quantity(self, quantity, answer, alpha, feedback=feedback, timeout=timeout)

    def check_batch(self, answers, quantity=None, alpha=None, *, feedback=DEFAULT_FEEDBACK, timeout=DEFAULT_TIMEOUT):
        """Grade a list of answers to ``quantity``, or of ``(quantity, answer)`` pairs or
        ``(quantity, answer, options)`` triples, and report each
        (:func:`symbolic.verify.check_batch`); an unreadable answer is reported as
        ``malformed`` instead of stopping the batch.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> [r.verdict for r in Poisson().check_batch(["1/lam", "lam", "1/lambda"], "fisher_metric")]
        ['correct', 'incorrect', 'malformed']
        """
        def grade(q, a, **options):
            options = {"alpha": alpha, "feedback": feedback, "timeout": timeout, **options}
            return self.check(q, a, options.pop("alpha"), **options)

        return check_batch(grade, answers, quantity)

    def latex(self, quantity):
        r"""LaTeX of a derived quantity, for lecture notes: Greek coordinates (``\lambda`` for
        ``lam``), ``\psi^{(n)}`` for polygamma, and the components of Christoffel symbols, the
        Amari-Chentsov tensor and the Riemann tensor with their index labels
        (:func:`symbolic.latex.quantity_latex`).

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().latex("fisher_metric")
        '\\left[\\begin{matrix}\\frac{1}{\\lambda}\\end{matrix}\\right]'
        """
        name = quantity if isinstance(quantity, str) else None
        return quantity_latex(self.quantity(quantity), name, self.coordinates)

    def summary(self, *, timeout=None):
        """Coordinates, domain, sample space, Fisher metric and scalar curvature as text.

        A quantity that does not finish within ``timeout`` seconds (the session's budget by
        default) is reported as such instead.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> print(Poisson().summary())
        Poisson: coordinates (lam)
          domain: lam > 0
          sample space: x in {0, 1, ..., oo}
          Fisher metric: [[1/lam]]
          scalar curvature: 0
        """
        lines = [f"{self.name}: coordinates ({', '.join(p.name for p in self.parameters)})",
                 "  domain: " + "; ".join(f"{p.name} {p.domain_text()}" for p in self.parameters)
                 + "".join(f"; {c.text}" for c in self.model.constraints),
                 f"  sample space: {self.model.space.describe()}"]
        for label, get in (("Fisher metric", lambda: self.fisher_metric(timeout=timeout)),
                           ("scalar curvature", lambda: self.scalar_curvature(timeout=timeout))):
            try:
                value = get()
            except NotClosedFormError as exc:
                value = f"not derived ({str(exc).split(';')[0]})"
            else:
                value = sp.sstr(value.tolist() if isinstance(value, sp.MatrixBase) else value)
                value = value if len(value) <= 200 else value[:200] + f"... ({len(value)} characters)"
            lines.append(f"  {label}: {value}")
        return "\n".join(lines)

    def __repr__(self):
        return f"{type(self).__name__}: {self.name} ({', '.join(p.name for p in self.parameters)})"

    def show(self, *quantities):
        """Derived quantities as a table a notebook typesets (:class:`manifolds.display.Quantities`);
        by default the metric and the scalar curvature.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().show("gaussian_curvature")
        gaussian_curvature: -1/2
        """
        from .display import Quantities

        return Quantities(self, quantities or ("fisher_metric", "scalar_curvature"))

    def _repr_latex_(self):
        from .display import manifold_latex

        return manifold_latex(self)

    def _repr_html_(self):
        from .display import manifold_html

        return manifold_html(self)

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))
