"""Compiled numerics of a statistical manifold: ``M.numeric``.

:class:`NumericManifold` turns the exact geometry of a manifold of the catalog into batched
numba kernels and integrators. Everything is compiled lazily, on first use, and cached on
disk (see :mod:`numeric.compile.kernels`), so a second process only loads it:

- ``metric(x)``, ``inverse_metric(x)``: one module, compiled on the first call of either;
- ``christoffel(x)``, ``geodesic``, ``exp``, ``log``, ``distance``: one module holding the
  Christoffel symbols, their derivatives and a DOP853 integrator of the geodesic equation
  with its variational equations (:func:`numeric.geodesics.integrate.compile_geodesic`); the
  variational part gives the Jacobian of the exp map for the shooting log map
  (:mod:`numeric.geodesics.shooting`);
- ``christoffel(x, alpha=a)``, ``geodesic(..., alpha=a)``: the same for the α-connection,
  with α a run-time parameter (one compilation serves every α);
- ``natural(x)``, ``expectation(x)`` and the e- and m-geodesics of exponential families.

Conventions (docs/conventions.md): batch axes first, coordinates last (``x.shape == (..., n)``) in the
manifold's declaration order; ``christoffel(x)[..., k, i, j] = Γ^k_ij``; the Fisher metric
without a factor 4, so ``distance`` is the Fisher-Rao geodesic distance. Constants of a
family (``n`` of ``Binomial()``) take the values in ``M.model.constants``, which only the
user sets (``Binomial(10)``, ``Binomial().with_constants(n=10)``): a constant without a value
is refused (``ValueError`` naming it and both ways to give it), never replaced by a default.

Input is checked at this boundary: a wrong type (a string, ``None``, complex numbers) raises
``TypeError``, a wrong shape ``ValueError``; NaN, infinity and points outside the domain raise
:class:`symbolic.errors.DomainError` naming the parameter and its domain. Integration failures are returned as status codes (``throw=False``) or raised.

Output is checked too. A value whose magnitude exceeds the float64 range at a point inside the
domain comes back as ``±inf``, the IEEE rounding of that value (``metric([0, 1e-170])`` of
the Normal family is ``1/sigma**2 = 1e340``, returned as ``inf``); one below the range comes
back as ``0``. Where only an intermediate overflowed, the point is evaluated again at high
precision (see :class:`NumericManifold`). A NaN never comes back: where no value can be
given, :class:`symbolic.errors.DomainError` names the quantity and the point.

Examples
--------
>>> from manifolds import Normal
>>> K = Normal().numeric
>>> K.metric([0.0, 2.0]).tolist()
[[0.25, 0.0], [0.0, 0.5]]
>>> round(float(K.distance([0.0, 1.0], [0.0, 2.0])), 12)   # closed form: sqrt(2) log 2
0.980258143469
"""
from __future__ import annotations

import copy
import functools
import inspect
import math
import uuid
import warnings

import mpmath
import numpy as np
import sympy as sp

from numeric.compile.kernels import compile_kernels
from numeric.compile.printer import rewrite_quotients
from numeric.geodesics.integrate import BACKENDS, compile_geodesic
from numeric.geodesics.line import shoot_line
from numeric.geodesics.shooting import ShootingStatus, shoot, shoot_in_chart
from symbolic.errors import DomainError, NotClosedFormError, SingularMatrixError
from symbolic.parsing import to_sympy
from symbolic.validation import as_array, positive, real

__all__ = ["NumericManifold", "MIN_LOG_TOL", "bind_constants"]

#: Smallest ``tol`` of :meth:`NumericManifold.log`: the residual is relative, and the computed
#: endpoint carries a rounding error of a few float64 epsilons (2.2e-16) whatever the
#: integrator's accuracy; below this a tol is met by chance or never.
MIN_LOG_TOL = 1e-15

# the keyword options of NumericManifold.log (those of shoot, less what log supplies itself)
_LOG_OPTIONS = frozenset(inspect.signature(shoot).parameters) - {"solver", "x", "y", "params"} \
    | {"full_output", "backend"}


def _constant_value(symbol, value):
    """``value`` checked against the assumptions of ``symbol`` (positive, integer, ...)."""
    name = symbol.name
    if isinstance(value, (sp.MatrixBase, sp.NDimArray, list, tuple, dict)) or value is None:
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    v = to_sympy(value, name, new_symbols=False)
    if not v.is_number or v.is_real is False or not v.is_finite:
        raise DomainError(f"{name} must be a finite real number, got {value!r}")
    if symbol.is_integer and not v.is_integer:
        raise DomainError(f"{name} must be an integer, got {value!r}")
    if symbol.is_positive and not v > 0:
        raise DomainError(f"{name} must be > 0, got {value!r}")
    if symbol.is_nonnegative and v < 0:
        raise DomainError(f"{name} must be >= 0, got {value!r}")
    return v


def bind_constants(manifold, values):
    """A copy of ``manifold`` whose symbolic constants take ``values`` (``{"n": 10}``) in the
    numeric layer; :meth:`manifolds.StatisticalManifold.with_constants` calls it.

    The symbolic layer of the copy is that of ``manifold`` (``n`` stays a symbol in its
    metric); its numeric layer substitutes the values. Each value is checked against the
    symbol's assumptions (``n`` of a Binomial: an integer > 0).

    Raises
    ------
    ValueError
        A name that is not a constant of the model.
    DomainError
        A value outside the constant's domain.

    Examples
    --------
    >>> from manifolds import Binomial
    >>> M = Binomial().with_constants(n=10)
    >>> M.fisher_metric()
    Matrix([[-n/(p*(p - 1))]])
    >>> M.numeric.metric([0.5]).tolist()
    [[40.0]]
    """
    model = manifold.model
    known = {s.name: s for s in (*model.unbound_constants(), *model.constants)}
    bound = dict(model.constants)
    for name, value in values.items():
        if name not in known:
            have = ", ".join(sorted(known)) or "none"
            raise ValueError(f"{name} is not a constant of {manifold.name} (its constants: {have})")
        bound[known[name]] = _constant_value(known[name], value)
    new_model = copy.copy(model)
    new_model.constants = bound
    new_model.name = model.name + "".join(f", {k} = {v}" for k, v in bound.items() if k.name in values)
    new = copy.copy(manifold)
    new.model = new_model
    new._cache = {}
    return new


def _refuse_unbound(manifold):
    missing = manifold.model.unbound_constants()
    if not missing:
        return
    names = ", ".join(s.name for s in missing)
    binding = ", ".join(f"{s.name}=..." for s in missing)
    ways = f"M.with_constants({binding})"
    cls = type(manifold)
    try:
        arguments = set(inspect.signature(cls).parameters)
    except (TypeError, ValueError):
        arguments = set()
    hint = getattr(cls, "constructor_binding", None)
    if hint is not None:
        ways = f"{hint(missing)} or " + ways
    elif cls.__module__ == "manifolds.catalog" and {s.name for s in missing} <= arguments:
        ways = f"{cls.__name__}({binding}) or " + ways
    raise ValueError(
        f"{manifold.name} has the symbolic constant{'s' if len(missing) > 1 else ''} {names} without a "
        f"value, and the numeric layer substitutes no default: give {'them values' if len(missing) > 1 else 'it a value'}, "
        f"{ways}")


class NumericManifold:
    """Batched compiled kernels, geodesics, exp/log maps and distances of a manifold.

    Parameters
    ----------
    manifold : manifolds.StatisticalManifold

    Notes
    -----
    Made by ``M.numeric`` (cached on ``M``); building it compiles nothing.

    The compiled kernels work in float64, so an intermediate can overflow where the result
    itself is representable (``christoffel`` at ``sigma = 1e150`` squares ``sigma``). Where a
    compiled ``metric``, ``inverse_metric``, ``christoffel``, ``natural`` or ``expectation``
    has a non-finite entry at a point, that point alone is evaluated again from the same
    symbolic expression with mpmath (``sympy.lambdify`` to mpmath, built on first need and
    cached per quantity), at :attr:`EXACT_DPS` digits and then twice as many, doubling up to
    :attr:`EXACT_MAX_DPS` until two evaluations agree; that value is rounded to float64:
    ``±inf`` only where its magnitude exceeds float64's range, 0 where it underflows. Where no
    two agree (or mpmath gives no number), :class:`symbolic.errors.DomainError` names the
    point. The same exact evaluation serves every point with a coordinate (or ``alpha``) of
    magnitude beyond :attr:`EXTREME` or below its reciprocal (subnormals included): there a
    finite compiled value may be wrong without being flagged (``lam / mu**3`` of the inverse
    Gaussian at ``mu = 1e150`` underflows to 0 in float64 where the value is 1e-150; ``a / b**2``
    at ``b = 1e-160`` passes through a subnormal ``b**2`` and keeps five digits). Other points
    with finite compiled values take the fast path alone, so a finite value that float64
    cancellation made inaccurate there is not detected.

    Examples
    --------
    In float64 the inverse metric of the Gamma family at ``a = 1e-300`` is NaN (its entry
    ``a/b**2`` is computed through an overflowing trigamma(a) ~ 1/a**2); the exact value is
    representable:

    >>> from manifolds import Gamma
    >>> Gamma().numeric.inverse_metric([1e-300, 1.0]).tolist()
    [[0.0, 1e-300], [1e-300, 9.999999999999999e+299]]
    """

    def __init__(self, manifold):
        _refuse_unbound(manifold)
        self.manifold = manifold
        self.coordinates = tuple(manifold.coordinates)
        self.dim = len(self.coordinates)
        self._constants = dict(manifold.model.constants)
        # compiled geodesic solvers by ``with_alpha``, owned by this instance (an lru_cache on
        # the method would keep every instance alive in a class-level cache)
        self._solvers = {}
        # mpmath functions of the quantities, for points where the compiled value is not finite
        self._exact = {}
        self._token = uuid.uuid4().hex
        # the numeric route (manifolds.quadrature) once an exact derivation ran out of budget
        self._fallback = None

    def __repr__(self):
        return f"NumericManifold({self.manifold.name})"

    # compiled modules do not pickle: a copy (a Dask worker's) starts without them and loads
    # them from the disk cache on first use; derivations travel with the manifold's cache.
    # Copies of one object share its token, under which a process keeps the solvers it
    # built (_PROCESS_SOLVERS), so that a worker receiving it again skips that work.
    _PICKLED = ("manifold", "coordinates", "dim", "_constants", "_token")

    def __getstate__(self):
        return {key: self.__dict__[key] for key in self._PICKLED}

    def __setstate__(self, state):
        # the manifold may still be half-restored here (it holds this object): only store
        self.__dict__.update(state, _solvers={}, _exact={}, _fallback=None)

    # -- symbolic inputs, constants substituted ------------------------------------------
    def _subs(self, expr):
        if not self._constants:
            return expr
        if isinstance(expr, (sp.MatrixBase, sp.NDimArray)):
            return expr.applyfunc(lambda e: sp.sympify(e, strict=True).subs(self._constants))
        return sp.sympify(expr, strict=True).subs(self._constants)

    @functools.cached_property
    def domain(self):
        """The domain as a sympy condition (per-parameter bounds and the joint constraints)."""
        # evaluate=False: the symbols carry their domain (sigma is positive), so sympy would
        # turn sigma > 0 into True and the integrator would not stop at the boundary
        conditions = []
        for p in self.manifold.parameters:
            if p.lower is not None:
                conditions.append(sp.StrictGreaterThan(p.symbol, p.lower, evaluate=False))
            if p.upper is not None:
                conditions.append(sp.StrictLessThan(p.symbol, p.upper, evaluate=False))
        for c in self.manifold.model.constraints:
            conditions.append(sp.StrictGreaterThan(self._subs(c.expr), 0, evaluate=False))
        if not conditions:
            return sp.true
        return sp.And(*conditions, evaluate=False) if len(conditions) > 1 else conditions[0]

    @functools.cached_property
    def _periods(self):
        """(n,) period of each coordinate (an angle's ``2*pi``), 0 where it has none."""
        index = {c: k for k, c in enumerate(self.coordinates)}
        periods = np.zeros(self.dim)
        for p in self.manifold.parameters:
            if p.symbol in index and getattr(p, "period", None):
                periods[index[p.symbol]] = p.period
        return periods

    def nearest_copy(self, x, y):
        """``y`` with each angle coordinate moved by whole periods to within half a period of
        ``x`` (``mu`` of the von Mises family): the same distribution, and the end of the
        shortest geodesic from ``x``. :meth:`log` and :meth:`distance` use it.

        Examples
        --------
        >>> from manifolds import VonMises
        >>> VonMises().numeric.nearest_copy([3.0, 1.0], [-3.0, 2.0]).round(6).tolist()
        [3.283185, 2.0]
        """
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        P = self._periods
        if not P.any():
            return y
        with np.errstate(invalid="ignore"):
            shift = np.where(P > 0, np.round((y - x) / np.where(P > 0, P, 1.0)) * P, 0.0)
        return y - shift

    @functools.cached_property
    def _bounds(self):
        """(n, 2) lower and upper bound of each coordinate, ±inf where there is none."""
        bounds = np.tile([-np.inf, np.inf], (self.dim, 1))
        index = {c: k for k, c in enumerate(self.coordinates)}
        for p in self.manifold.parameters:
            k = index.get(p.symbol)
            if k is None:
                continue
            for side, value in ((0, p.lower), (1, p.upper)):
                if value is not None and sp.sympify(value, strict=True).is_finite:
                    bounds[k, side] = float(value)
        return bounds

    @functools.cached_property
    def _constraint_functions(self):
        return [(sp.lambdify(self.coordinates, self._subs(c.expr), "numpy"), c.text, c.expr)
                for c in self.manifold.model.constraints]

    def _constraint_exact(self, expr, point):
        """A constraint's value at one point in mpmath (where float64 overflows)."""
        import mpmath

        f = sp.lambdify(self.coordinates, self._subs(expr), "mpmath")
        with mpmath.workdps(30):
            return f(*(mpmath.mpf(float(v)) for v in point))

    # -- input checks ------------------------------------------------------------------------
    def validate(self, x, name="x"):
        """``x`` as a float64 array of shape (..., n) inside the domain.

        Raises
        ------
        TypeError
            not an array of real numbers (a string, ``None``, complex numbers, an array of
            strings or objects).
        ValueError
            a wrong shape.
        DomainError
            NaN or infinite entries, or a point outside the domain; the message names the
            parameter and its domain.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().numeric.validate([[0.0, 1.0], [0.0, -1.0]])
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: x[1]: sigma must be > 0, got -1.0
        """
        n = self.dim
        arr = _real_array(x, name)
        if arr.ndim == 0 and n == 1:
            arr = arr.reshape(1)
        if arr.ndim == 0 or arr.shape[-1] != n:
            names = ", ".join(p.name for p in self.manifold.parameters)
            raise ValueError(
                f"{name} must have shape (..., {n}), the last axis holding the coordinates "
                f"({names}) of {self.manifold.name}; got shape {arr.shape}")
        arr = as_array(name, arr)

        def label(index):
            where = np.unravel_index(index, arr.shape[:-1]) if arr.ndim > 1 else ()
            return f"{name}[{', '.join(str(int(i)) for i in where)}]" if where else name

        flat = arr.reshape(-1, n)
        for k, p in enumerate(self.manifold.parameters):
            values = flat[:, k]
            inside = np.ones(values.shape, dtype=bool)
            if p.lower is not None:
                inside &= values > p.lower
            if p.upper is not None:
                inside &= values < p.upper
            if not inside.all():
                i = int(np.flatnonzero(~inside)[0])
                raise DomainError(
                    f"{label(i)}: {p.name} must be {p.domain_text()}, got {float(values[i])!r}")
        for function, text, expr in self._constraint_functions:
            with np.errstate(over="ignore", invalid="ignore"):
                values = np.array(np.broadcast_to(function(*flat.T), flat.shape[:1]), dtype=float)
            # an overflowing term (sigma11 sigma22 at 1e308) is inf, or NaN against another
            # inf: the sign of such a row comes from an exact evaluation
            for i in np.flatnonzero(~np.isfinite(values)):
                values[i] = 1.0 if self._constraint_exact(expr, flat[i]) > 0 else -1.0
            if not (values > 0).all():
                i = int(np.flatnonzero(~(values > 0))[0])
                raise DomainError(
                    f"{label(i)}: the point {flat[i].tolist()} violates the constraint {text}")
        return arr

    # -- kernels ---------------------------------------------------------------------------
    #: Decimal digits of the first high-precision evaluation (see the class notes).
    EXACT_DPS = 50
    #: The most digits tried (a bound on the time one point may take): a point whose
    #: coordinates span more than about 360 decades gets no certified value and is refused.
    EXACT_MAX_DPS = 800
    #: Coordinates of magnitude above this or below its reciprocal send their point to the
    #: exact evaluation (see the class notes): the compiled kernels take products of up to
    #: four coordinates, and 1e75**4 stays within float64's normal range.
    EXTREME = 1e75

    def _exact_function(self, key):
        """The quantity ``key`` lambdified to mpmath (constants substituted), built on first
        use and cached: ``f(*coordinates, *params)`` returns the flattened entries.
        """
        if key not in self._exact:
            M = self.manifold
            if key == "christoffel_alpha":
                expr, params = M.alpha_connection(self._alpha_symbol, kind=2), (self._alpha_symbol,)
            else:
                expr, params = {
                    "metric": M.fisher_metric, "inverse_metric": M.inverse_metric,
                    "christoffel": lambda: M.christoffel(kind=2),
                    "natural": lambda: sp.Matrix(M.natural_parameters()),
                    "expectation": lambda: sp.Matrix(M.expectation_parameters()),
                }[key](), ()
            entries = list(sp.flatten(sp.Array(self._subs(expr))))
            # lambdify of sympy objects (no string is parsed); cse shares the subexpressions
            self._exact[key] = sp.lambdify(self.coordinates + params, entries, cse=True,
                                           modules=[{"polygamma": _polygamma, "psi": _polygamma}, "mpmath"])
        return self._exact[key]

    def _exact_at(self, f, args, shape):
        """``f`` at ``args`` rounded to float64, from the first two evaluations (digits doubling
        from :attr:`EXACT_DPS`) that agree to float64's precision; None if none agree.
        """
        previous = None
        # Sums such as a + b of coordinates decades apart need as many digits as the decades
        # they span before any digit of the result is right (Beta at (1e8, 1e-300): 308), so
        # the first precision covers that spread; two precisions agreeing on a value wrongly
        # cancelled to zero would otherwise certify it.
        sizes = [abs(float(a)) for a in args if float(a) != 0.0 and math.isfinite(float(a))]
        # and so do expressions such as a psi'(a) - 1 ~ 1/(2a) at a single huge or tiny coordinate
        spread = (max(math.log10(max(sizes)) - math.log10(min(sizes)),
                      abs(math.log10(max(sizes))), abs(math.log10(min(sizes)))) if sizes else 0.0)
        dps = max(self.EXACT_DPS, 40 + int(math.ceil(spread)))
        if 2 * dps > self.EXACT_MAX_DPS:
            return None  # no two precisions fit the budget: refused, never guessed
        while dps <= self.EXACT_MAX_DPS:
            with mpmath.workdps(dps):
                try:
                    current = _to_float64(f(*[mpmath.mpf(float(a)) for a in args]), shape)
                except (ZeroDivisionError, OverflowError, ValueError):
                    current = np.full(shape, np.nan)
            if previous is not None and not np.isnan(current).any():
                with np.errstate(all="ignore"):
                    scale = np.max(np.abs(current[np.isfinite(current)]), initial=0.0)
                    close = (previous == current) | (np.abs(previous - current)
                                                     <= 1e-15 * np.abs(current) + 1e-25 * scale)
                if close.all():
                    return current
            previous = current
            dps *= 2
        return None

    def _checked(self, key, value, points, what, core_ndim, params=()):
        """``value`` (a compiled quantity at ``points``) with every point that holds a
        non-finite entry evaluated again exactly (see the class notes); DomainError where
        it has no exact value either.
        """
        value = np.asarray(value)
        if self._fallback is not None:   # no exact expression to evaluate again
            return _no_nan(value, points, what, core_ndim)
        core_axes = tuple(range(value.ndim - core_ndim, value.ndim))
        bad = ~np.isfinite(value).all(axis=core_axes) if core_ndim else ~np.isfinite(value)
        bad = bad | self._extreme(points, params, bad.shape)
        if not bad.any():
            return value
        f = self._exact_function(key)
        value = value.copy()
        for index in map(tuple, np.argwhere(bad)):
            exact = self._exact_at(f, list(points[index]) + list(params), value[index].shape)
            # no two precisions agree: no certified value, refused below
            value[index] = np.nan if exact is None else exact
        return _no_nan(value, points, what, core_ndim)

    def _extreme(self, points, params, shape):
        """Where a point (or a parameter such as alpha) has a coordinate too large or too
        small in magnitude for the compiled kernels to be trusted (:attr:`EXTREME`).
        """
        with np.errstate(all="ignore"):
            size = np.abs(np.asarray(points, dtype=float))
            far = ((size > self.EXTREME) | ((size > 0) & (size < 1 / self.EXTREME))) & np.isfinite(size)
            far = far.any(axis=-1)
        if any(abs(float(p)) > self.EXTREME or 0 < abs(float(p)) < 1 / self.EXTREME for p in params):
            far = np.ones_like(far)
        return np.broadcast_to(far, shape)

    @property
    def route(self):
        """``"exact"``, or ``"numeric"`` once an exact expectation was not found within its
        time budget and the quadrature of :mod:`manifolds.quadrature` took over.
        """
        return "exact" if self._fallback is None else "numeric"

    def _exact_or_numeric(self, exact, numeric):
        """``exact()``; where an exact derivation raises NotClosedFormError, ``numeric(K)``
        with ``K = M.numeric_geometry("numeric")`` from then on (with a warning, once).
        """
        if self._fallback is None:
            try:
                return exact()
            except NotClosedFormError as exc:
                self._fallback = self.manifold.numeric_geometry("numeric")
                warnings.warn(f"{self.manifold.name}: {exc.args[0].split(';')[0]}; M.numeric "
                              f"continues by quadrature of the exact score "
                              f"(M.numeric_geometry('numeric'), docs/guide/any-density.md)",
                              RuntimeWarning, stacklevel=4)
        return numeric(self._fallback)

    @functools.cached_property
    def _metric_kernels(self):
        def exact():
            exprs = {"metric": self._subs(self.manifold.fisher_metric())}
            try:
                exprs["inverse_metric"] = self._subs(self.manifold.inverse_metric())
            except ZeroDivisionError:
                pass  # a singular metric (a neuron's rank-one RFIM): inverse_metric refuses
            return compile_kernels(self.coordinates, exprs)

        return self._exact_or_numeric(exact, lambda K: K._metric_kernels)

    def metric(self, x):
        """Fisher metric ``g_ij``, shape (..., n, n).

        Entries beyond the float64 range are ``±inf`` (see the module notes); a point where
        no value can be given raises :class:`symbolic.errors.DomainError`.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().numeric.metric([0.0, 1e-170]).tolist()     # 1/sigma**2 overflows
        [[inf, 0.0], [0.0, inf]]
        """
        x = self.validate(x)
        return self._checked("metric", self._metric_kernels["metric"](x), x, "the metric", 2)

    def inverse_metric(self, x):
        """Inverse metric ``g^ij``, shape (..., n, n); ``±inf`` and errors as :meth:`metric`."""
        x = self.validate(x)
        if "inverse_metric" not in self._metric_kernels:
            raise SingularMatrixError(f"the Fisher metric of {self.manifold.name} is singular (a symbolic "
                                      f"inverse does not exist), so it has no inverse metric")
        return self._checked("inverse_metric", self._metric_kernels["inverse_metric"](x), x,
                             "the inverse metric", 2)

    @functools.cached_property
    def _alpha_symbol(self):
        names = {s.name for s in self.coordinates} | {str(s) for s in self._constants}
        name = "alpha"
        while name in names:
            name += "_"
        return sp.Symbol(name, real=True)

    def _solver(self, with_alpha):
        """Geodesic integrator with variational equations; α a parameter if ``with_alpha``."""
        with_alpha = bool(with_alpha)
        if with_alpha not in self._solvers:
            key = (self._token, with_alpha)
            if key not in _PROCESS_SOLVERS:
                _PROCESS_SOLVERS[key] = self._compile_solver(with_alpha)
            self._solvers[with_alpha] = _PROCESS_SOLVERS[key]
        return self._solvers[with_alpha]

    def _compile_solver(self, with_alpha):
        return self._exact_or_numeric(lambda: self._compile_exact_solver(with_alpha),
                                      lambda K: K._compile_solver(with_alpha))

    def _compile_exact_solver(self, with_alpha):
        if with_alpha:
            a = self._alpha_symbol
            gamma = self._subs(self.manifold.alpha_connection(a, kind=2))
            params = (a,)
        else:
            gamma = self._subs(self.manifold.christoffel(kind=2))
            params = ()
        return compile_geodesic(self.coordinates, sp.Array(gamma), self.domain, params=params,
                                variational=True)

    def _solver_for(self, alpha):
        try:
            alpha = float(alpha)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"alpha must be a real number, got {alpha!r}") from exc
        if not np.isfinite(alpha):
            raise ValueError(f"alpha must be finite, got {alpha}")
        if alpha == 0.0:
            return self._solver(False), ()
        return self._solver(True), (alpha,)

    def christoffel(self, x, alpha=0.0):
        """Christoffel symbols ``[..., k, i, j] = Γ^k_ij`` of the α-connection (α = 0:
        Levi-Civita), shape (..., n, n, n).
        """
        # the point first: a bad one is refused without compiling the solver
        x = self.validate(x)
        solver, params = self._solver_for(alpha)
        return self._checked("christoffel_alpha" if params else "christoffel", solver.christoffel(x, *params),
                             x, "the Christoffel symbols", 3, params)

    @functools.cached_property
    def _density_kernels(self):
        model = self.manifold.model
        data = tuple(model.space.variables)
        logp = self._subs(model.log_density)
        if logp.has(sp.binomial, sp.factorial):
            logp = logp.rewrite(sp.gamma)  # printed through math.lgamma after expand_log
            logp = sp.expand_log(logp, force=True).replace(
                lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.gamma),
                lambda e: sp.loggamma(e.args[0].args[0]))
        # quotients such as (x - mu)**2 / sigma**2 as powers of ratios, so that a tiny scale
        # gives the finite value (or -inf) instead of 0 * inf = nan; the score is the
        # derivative of that form (a Student t score formed from (x - mu)**2 expanded lost
        # every digit at mu = 1e10)
        logp = rewrite_quotients(logp)
        score = sp.Matrix([rewrite_quotients(sp.diff(logp, c)) for c in self.coordinates])
        return data, compile_kernels(self.coordinates + data, {
            "log_density": logp, "score": score})

    def _density_args(self, x, data):
        """``(args, inside)``: x and data broadcast and joined, shape (..., n + d), and
        whether each observation lies in the sample space, shape (...).
        """
        names, _ = self._density_kernels
        x = self.validate(x)
        d = _real_array(data, "data")
        if len(names) == 1 and (d.ndim == 0 or d.shape[-1] != 1):
            d = d[..., None]  # scalar observations may come without their trailing axis
        if d.shape[-1] != len(names):
            raise ValueError(f"data must have shape (..., {len(names)}) (observations "
                             f"{', '.join(map(str, names))}), got shape {d.shape}")
        d = as_array("data", d)
        batch = np.broadcast_shapes(x.shape[:-1], d.shape[:-1])
        args = np.concatenate([np.broadcast_to(x, batch + x.shape[-1:]),
                               np.broadcast_to(d, batch + d.shape[-1:])], axis=-1)
        inside = self.manifold.model.space.contains(args[..., self.dim:], self._constants)
        return args, inside

    def _on_support(self, what, args, inside, fill):
        """The kernel ``what`` at the rows of ``args`` whose observation is in the sample
        space; ``fill`` elsewhere (the kernel is not evaluated there: a logarithm of a
        negative observation would be NaN).
        """
        kernel = self._density_kernels[1][what]
        if inside.all():
            return kernel(args)
        out = np.full(inside.shape + kernel.shape, fill)
        if inside.any():
            out[inside] = kernel(args[inside])
        return out[()] if out.ndim == 0 else out

    def log_density(self, x, data):
        """``log p(data; x)``, batched over x and data (broadcast), shape (...).

        An observation outside the sample space (``M.model.space.describe()``; intervals are
        open, integers integral) has density zero: its log-density is ``-inf``.

        Raises
        ------
        TypeError
            ``x`` or ``data`` not an array of real numbers.
        ValueError
            shapes that do not match the coordinates or the observation variables.
        DomainError
            ``x`` outside the domain, NaN or infinite entries in ``x`` or ``data``.

        Examples
        --------
        >>> from manifolds import Normal, Poisson
        >>> round(float(Normal().numeric.log_density([0.0, 1.0], 0.0)), 12)  # -log(2 pi)/2
        -0.918938533205
        >>> round(float(Normal().numeric.log_density([0.0, 1e-170], 0.0)), 9)  # no overflow
        390.520527276
        >>> float(Normal().numeric.log_density([0.0, 1e-170], 1.0))   # -1e340/2 overflows
        -inf
        >>> Poisson().numeric.log_density([2.0], [[1.0], [2.5], [-1.0]]).tolist()  # off the support
        [-1.3068528194400546, -inf, -inf]

        Notes
        -----
        Quotients are evaluated as powers of ratios
        (:func:`numeric.compile.printer.rewrite_quotients`), so a tiny or huge scale gives the
        finite value, or ``±inf`` where the value itself is beyond the float64 range. Where
        an intermediate overflows so that no value can be given,
        :class:`symbolic.errors.DomainError` names the point and the observation.
        """
        args, inside = self._density_args(x, data)
        value = self._on_support("log_density", args, inside, -np.inf)
        return _no_nan(value, args, "the log-density", 0, self._density_labels)

    def score(self, x, data):
        """``∂ log p(data; x) / ∂x``, shape (..., n); ``±inf`` and errors as
        :meth:`log_density`.

        Raises
        ------
        DomainError
            also for an observation outside the sample space, where the log-density is
            ``-inf`` for every ``x`` and the score is undefined; the message names ``data``
            and the sample space.

        Examples
        --------
        >>> from manifolds import Poisson
        >>> Poisson().numeric.score([2.0], [[1.0], [3.0]]).tolist()   # x / lam - 1
        [[-0.5], [0.5]]
        >>> Poisson().numeric.score([2.0], 2.5)
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: data must lie in the sample space of Poisson, x in {0, 1, ..., oo}; data[()] = [2.5] does not (the score is undefined where the density is zero)
        """
        args, inside = self._density_args(x, data)
        if not inside.all():
            index = tuple(int(i) for i in np.argwhere(~inside)[0])
            raise DomainError(
                f"data must lie in the sample space of {self.manifold.name}, "
                f"{self.manifold.model.space.describe()}; data[{', '.join(map(str, index)) or '()'}] = "
                f"{args[index][self.dim:].tolist()} does not (the score is undefined where the "
                f"density is zero)")
        value = self._density_kernels[1]["score"](args)[..., 0]
        return _no_nan(value, args, "the score", 1, self._density_labels)

    def divergence(self, kind, x, y, *, alpha=None, method="auto", dps=30):
        """A divergence between the points ``x`` and ``y`` (each of shape ``(n,)``) as a float.

        ``method="closed_form"`` evaluates ``M.divergence(kind, alpha)`` with ``dps`` digits;
        ``"quadrature"`` integrates the definition with mpmath
        (:func:`symbolic.divergences.divergence_by_quadrature`, one-variable sample spaces);
        ``"auto"`` takes the closed form and falls back on quadrature where there is none.

        Examples
        --------
        >>> from manifolds import Cauchy, StudentT
        >>> round(Cauchy().numeric.divergence("kl", [0.0, 1.0], [1.0, 1.0]), 12)       # log(5/4)
        0.223143551314
        >>> round(StudentT(3).numeric.divergence("kl", [0.0, 1.0], [0.0, 2.0]), 6)    # no closed form
        0.209086
        """
        from symbolic.divergences import divergence_by_quadrature

        if method not in ("auto", "closed_form", "quadrature"):
            raise ValueError(f"method must be 'auto', 'closed_form' or 'quadrature', got {method!r}")
        model = self.manifold.model
        px, py = model.validate(x), model.validate(y)
        if method != "quadrature":
            try:
                expr = self.manifold.divergence(kind, alpha)
            except NotClosedFormError:
                if method == "closed_form":
                    raise
            else:
                at = {c: sp.Rational(v) for c, v in zip(model.coordinates, px, strict=True)}
                at |= {c: sp.Rational(v) for c, v in zip(model.second_point(), py, strict=True)}
                value = complex(sp.N(expr.subs(model.constants).subs(at), dps))
                if value.imag != 0 or not math.isfinite(value.real):
                    raise DomainError(f"the {kind} divergence between {px} and {py} is not finite ({value})")
                return value.real
        return float(divergence_by_quadrature(model, kind, px, py, alpha=alpha, dps=dps))

    @property
    def _density_labels(self):
        return [str(c) for c in self.coordinates + self._density_kernels[0]]

    # -- geodesics ---------------------------------------------------------------------------
    def geodesic(self, x0, v0, t1=1.0, *, alpha=0.0, t_eval=None, rtol=1e-10, atol=0.0,
                 max_steps=100_000, throw=False, backend="cpu"):
        """Geodesics of the α-connection through ``x0`` with velocity ``v0`` (batched).

        Parameters
        ----------
        x0, v0 : array_like, shape (..., n)
        t1 : float
        alpha : float
            0 (default) for the Fisher-Rao (Levi-Civita) geodesics; 1 for e-, -1 for
            m-geodesics.

        Other Parameters
        ----------------
        t_eval, rtol, atol, max_steps, throw
            As for :class:`numeric.geodesics.integrate.GeodesicSolver`.
        backend : {"cpu", "cuda"}
            Where the integrations run: numba threads, or one CUDA thread per geodesic
            (the same generated integrator compiled for the device; a GPU, or numba's
            simulator with ``NUMBA_ENABLE_CUDASIM=1``). The same status codes either way.

        Returns
        -------
        numeric.geodesics.integrate.Solution
            ``x``, ``v`` of shape (..., m, n); ``status`` says where a geodesic left the
            domain.
        """
        solver, params = self._solver_for(alpha)
        return solver.on(backend)(self.validate(x0, "x0"), v0, t1, t_eval=t_eval, params=params,
                                  rtol=rtol, atol=atol, max_steps=max_steps, throw=throw)

    def exp(self, x, v, *, alpha=0.0, rtol=1e-12, atol=0.0, backend="cpu"):
        """The exp map ``exp_x(v)``, shape (..., n); raises if a geodesic leaves the domain
        before t = 1 (:class:`numeric.geodesics.integrate.IntegrationError`).

        ``rtol`` is the relative accuracy of every coordinate per step, however small the
        coordinate (``atol``, default 0, an absolute floor); see docs/conventions.md,
        "Tolerances". ``backend``: as for :meth:`geodesic`.
        """
        sol = self.geodesic(x, v, 1.0, alpha=alpha, rtol=rtol, atol=atol, throw=True,
                            backend=backend)
        return sol.x[..., -1, :]

    def log(self, x, y, *, alpha=0.0, full_output=False, throw=True, tol=1e-11, rtol=1e-12,
            atol=0.0, backend="cpu", **options):
        """The log map ``log_x(y)``: the initial velocity of the α-geodesic from x to y.

        By shooting (:func:`numeric.geodesics.shooting.shoot`): Newton's method on the exp map with
        continuation.

        Parameters
        ----------
        x, y : array_like, shape (..., n)
        alpha : float
            0 (default) for the Fisher-Rao (Levi-Civita) geodesics; 1 for e-, -1 for
            m-geodesics; any α shoots the geodesics of the α-connection with the same method.
        full_output : bool
            Return the :class:`numeric.geodesics.shooting.ShootingResult` (status, residual, ...).
        throw : bool
            Raise :class:`numeric.geodesics.shooting.ShootingError` if a pair does not converge; with
            ``throw=False`` the failed rows of the returned array are NaN (use
            ``full_output`` to see why).

        tol : float
            Relative residual ``max_k |exp_x(v)_k - y_k| / max(|x_k|, |y_k|)`` to reach, at
            least ``MIN_LOG_TOL = 1e-15``.
        rtol, atol : float
            Accuracy of the integrator (see :func:`numeric.geodesics.shooting.shoot`).
        backend : {"cpu", "cuda"}
            Where Newton's method runs (see :meth:`geodesic`): with ``"cuda"`` one GPU
            thread per pair runs the whole Newton stage (integrations, n x n solves, steps);
            pairs that need continuation go on on the host, their integrations on the GPU.
            The same results and statuses either way.

        Returns
        -------
        ndarray, shape (..., n), or ShootingResult

        Raises
        ------
        DomainError
            A point outside the domain, or ``tol`` not finite or below ``MIN_LOG_TOL``.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().numeric.log([0.0, 1.0], [0.0, 2.0], tol=1e-300)
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: tol must be >= 1e-15 (a few float64 epsilons of relative residual), got 1e-300...
        """
        # tol first and up front: a tol below what float64 can resolve is never met, and
        # Newton's method would spend every round (tens of seconds) finding that out
        tol = positive("tol", tol)
        if tol < MIN_LOG_TOL:
            raise DomainError(
                f"tol must be >= {MIN_LOG_TOL:g} (a few float64 epsilons of relative residual), got "
                f"{tol!r}: the endpoint exp_x(v) carries a rounding error of a few eps = 2.2e-16 "
                f"relative however accurate the integration, so a smaller tol is met by chance or never")
        x = self.validate(x, "x")
        y = self.nearest_copy(x, self.validate(y, "y"))
        result = self._shoot(x, y, alpha=alpha, backend=backend, tol=tol, rtol=rtol, atol=atol,
                             throw=throw, **options)
        if full_output:
            return result
        v = np.array(result.v)
        v[result.status != ShootingStatus.SUCCESS] = np.nan
        return v

    @functools.cached_property
    def _shooting_chart(self):
        """The NumericManifold of the chart the family declares for shooting
        (``StatisticalManifold.shooting_chart``), or None.
        """
        name = self.manifold.shooting_chart
        return None if name is None else self.manifold.in_chart(name).numeric

    def _shoot(self, x, y, *, alpha=0.0, backend="cpu", **options):
        """:func:`numeric.geodesics.shooting.shoot` for valid points, in the family's shooting
        chart if it declares one (:func:`numeric.geodesics.shooting.shoot_in_chart`).
        """
        chart = self._shooting_chart
        host = self if chart is None else chart
        solver, params = host._solver_for(alpha)
        options.setdefault("bounds", host._bounds)
        name = self.manifold.shooting_chart
        guess = self.manifold.shooting_guess
        if guess is not None and float(alpha) == 0.0 and options.get("v0") is None:
            # the family's first guess (in its own coordinates; in the chart's, through the
            # chart's Jacobian): a start for Newton's method, certified like any other
            x, y = np.broadcast_arrays(x, y)
            with np.errstate(invalid="ignore", over="ignore"):
                v0 = np.asarray(guess(x.reshape(-1, self.dim), y.reshape(-1, self.dim)), dtype=np.float64)
                if chart is not None:
                    v0 = np.einsum("mij,mj->mi", self._dual_kernels[name + "_jacobian"](
                        x.reshape(-1, self.dim)), v0)
            options["v0"] = v0.reshape(x.shape)
        if chart is None and self.dim == 1 and float(alpha) == 0.0:
            # a curve: the log map from the arc length, Newton's method with the exact
            # derivative s(x) / s(exp_x(v)) (no variational equations to compile)
            return shoot_line(solver.on(backend), self._speed, x, y, params=params, **options)
        if chart is None:
            return shoot(solver.on(backend), x, y, params=params, **options)
        return shoot_in_chart(solver.on(backend), getattr(self, name),
                              self._dual_kernels[name + "_jacobian"], x, y, params=params, **options)

    def _speed(self, z):
        """``sqrt(g(z))`` of a one-coordinate family at points of shape (m, 1), shape (m,)."""
        g = self._metric_kernels["metric"](z)
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.asarray(g, dtype=np.float64).reshape(z.shape[0]))

    # -- distances ---------------------------------------------------------------------------
    @functools.cached_property
    def closed_form_distance(self):
        """The family's declared closed-form distance ``f(x, y)``, or None.

        A family declares it in the catalog (``closed_forms["distance"]``, see
        :class:`numeric.geodesics.distances.ClosedFormDistance`); a reparametrised chart
        declares none, so it is shot numerically. ``f`` checks its points as
        :meth:`distance` does (a point outside the domain, NaN or of the wrong shape raises
        rather than giving NaN); ``f.unchecked`` is the bare formula, for points already
        checked.

        Examples
        --------
        >>> from manifolds import Normal
        >>> f = Normal().numeric.closed_form_distance
        >>> float(f([0.0, 1.0], [0.0, 2.0]))   # sqrt(2) log 2
        0.980258143468547...
        >>> f([0.0, 1.0], [0.0, -2.0])
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: y: sigma must be > 0, got -2.0

        Raises
        ------
        ValueError
            The declared formula is the distance of another metric than the family's Fisher
            metric (checked symbolically, before the family's constants are substituted).
        """
        declared = self.manifold.model.closed_forms.get("distance")
        if declared is None:
            return None
        g = self.manifold.fisher_metric()
        assumed = declared.metric(self.coordinates)
        if g.shape != assumed.shape or sp.simplify(g - assumed) != sp.zeros(*g.shape):
            raise ValueError(
                f"{self.manifold.name} declares the closed-form distance {declared!r}, the distance "
                f"of the metric {assumed.tolist()}, but its Fisher metric is {g.tolist()}; correct "
                f"the declaration in manifolds/catalog.py")
        unchecked = declared.bind(self._constants)
        validate = self.validate

        def checked(x, y):
            return unchecked(validate(x, "x"), validate(y, "y"))

        checked.__name__ = checked.__qualname__ = unchecked.__name__
        checked.__doc__ = unchecked.__doc__
        checked.unchecked = unchecked
        return checked

    def distance(self, x, y, *, method="auto", **options):
        """Fisher-Rao distance, shape (...).

        Parameters
        ----------
        x, y : array_like, shape (..., n)
        method : {"auto", "closed_form", "numerical"}
            ``auto`` uses the closed form where the family has one, else shooting:
            ``sqrt(g_x(v, v))`` with ``v = log_x(y)``.
        **options
            Passed to :meth:`log` (``tol``, ``rtol``, ``throw``, ``backend``, ...). A closed
            form is exact to rounding, so it meets every admissible ``tol`` (still checked) and
            never fails (``throw`` has nothing to raise); it is evaluated with numpy whatever
            the backend. An option that :meth:`log` does not take, or ``full_output`` (there
            is no shooting result), is an error on both routes.

        Examples
        --------
        >>> from manifolds import Normal
        >>> float(Normal().numeric.distance([0.0, 1.0], [0.0, 2.0]))   # sqrt(2) log 2
        0.980258143468547...
        >>> Normal().numeric.distance([0.0, 1.0], [0.0, 2.0], tolerance=1e-6)
        Traceback (most recent call last):
        ...
        TypeError: distance() got unexpected options ['tolerance']; ...
        """
        if method not in ("auto", "closed_form", "numerical"):
            raise ValueError(f"method must be 'auto', 'closed_form' or 'numerical', got {method!r}")
        x = self.validate(x, "x")
        y = self.validate(y, "y")
        # the declaration is not consulted (nor checked) on the numerical route
        f = None if method == "numerical" else self.closed_form_distance
        if method == "closed_form" and f is None:
            raise ValueError(f"{self.manifold.name} has no closed-form distance; use "
                             f"method='numerical'")
        if f is not None and method != "numerical":
            unknown = sorted(set(options) - _LOG_OPTIONS)
            if unknown:
                raise TypeError(f"distance() got unexpected options {unknown}; the options are "
                                f"{sorted(_LOG_OPTIONS)} (those of log)")
            if options.get("full_output"):
                raise ValueError("full_output=True returns the shooting result of the numerical "
                                 "route; pass method='numerical' to get one")
            if "tol" in options:
                tol = positive("tol", options["tol"])
                if tol < MIN_LOG_TOL:
                    raise DomainError(f"tol must be >= {MIN_LOG_TOL:g}, got {tol!r}")
            return f.unchecked(x, y)
        x, y = np.broadcast_arrays(x, y)
        v = self.log(x, y, **options)
        g = self._metric_kernels["metric"](x)
        return np.sqrt(np.einsum("...i,...ij,...j->...", v, g, v))

    def pairwise_distances(self, X, Y=None, *, chunk=16384, progress=False, client=None,
                           backend="cpu", method="auto", tol=1e-11, rtol=1e-12, atol=0.0):
        """Fisher-Rao distances between all rows of ``X`` and ``Y`` (of ``X`` if ``Y`` is None).

        Chunked over the pairs (:func:`numeric.geodesics.pairwise.pairwise`), so that memory
        stays the output plus one chunk; with ``Y = None`` each pair ``i < j`` is computed
        once and mirrored. Each pair is what :meth:`distance` gives (the closed form where the
        family declares one, else shooting, numba threads over the rows of a chunk); a pair
        whose log map fails is reported in the result's status, its distance NaN.

        Parameters
        ----------
        X : array_like or dask array, shape (N, n)
        Y : array_like or dask array, shape (M, n), optional

        Other Parameters
        ----------------
        chunk : int
            Pairs per batch, and per task on a Dask cluster.
        progress : bool or callable
            Print progress to stderr, or call ``progress(done, total)`` after each chunk.
        client : dask.distributed.Client, optional
            Compute the chunks on this cluster (``pip install 'dask[distributed]'``); with
            dask arrays and no client, the default client if there is one.
        backend : {"cpu", "cuda"}
            Where the integrations of the shooting run (see :meth:`log`).
        method : {"auto", "closed_form", "numerical"}
            As for :meth:`distance`.
        tol, rtol, atol : float
            As for :meth:`log`.

        Returns
        -------
        numeric.geodesics.pairwise.PairwiseResult
            ``distances`` (N, M), ``status`` (N, M) (:class:`numeric.geodesics.shooting.ShootingStatus`
            codes, plus 3 where a closed form is not finite), ``converged`` (fraction),
            ``failed`` (index pairs), ``message``.

        Examples
        --------
        >>> from manifolds import Normal
        >>> r = Normal().numeric.pairwise_distances([[0.0, 1.0], [0.0, 2.0], [1.0, 1.0]])
        >>> r.distances.round(6).tolist(), r.converged   # sqrt(2) log 2 = 0.980258 twice
        ([[0.0, 0.980258, 0.980258], [0.980258, 0.0, 1.189381], [0.980258, 1.189381, 0.0]], 1.0)
        """
        from numeric.distributed import as_numpy, require_distributed
        from numeric.geodesics.pairwise import pairwise

        dask_input = any(hasattr(a, "dask") for a in (X, Y))
        X = self.validate(as_numpy(X), "X")
        Y = None if Y is None else self.validate(as_numpy(Y), "Y")
        if X.ndim != 2 or (Y is not None and Y.ndim != 2):
            raise ValueError(f"X and Y must have shape (N, {self.dim}), got {X.shape}"
                             + ("" if Y is None else f" and {Y.shape}"))
        if method not in ("auto", "closed_form", "numerical"):
            raise ValueError(f"method must be 'auto', 'closed_form' or 'numerical', got {method!r}")
        closed = None if method == "numerical" else self.closed_form_distance
        if method == "closed_form" and closed is None:
            raise ValueError(f"{self.manifold.name} has no closed-form distance; use "
                             f"method='numerical'")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        tol = positive("tol", tol)
        if tol < MIN_LOG_TOL:
            raise DomainError(f"tol must be >= {MIN_LOG_TOL:g} (a few float64 epsilons of "
                              f"relative residual), got {tol!r}")
        if client is None and dask_input:
            try:
                client = require_distributed().default_client()
            except ValueError:
                client = None  # no cluster: dask arrays are only the input's container
        if closed is None:
            # derived here, so that the workers receive the derivation
            (self._shooting_chart or self)._solver(False)
        pair = _PairDistance(self, closed is not None, dict(tol=tol, rtol=rtol, atol=atol), backend)
        return pairwise(pair, X, Y, chunk=chunk, progress=progress, client=client,
                        messages=PAIR_MESSAGES)

    def reference(self, dps=30):
        """High-precision geodesics, log map and distance (:mod:`numeric.geodesics.reference`), to
        certify the compiled path; slow.
        """
        from numeric.geodesics.reference import ReferenceGeodesics

        return ReferenceGeodesics(self.coordinates, self._subs(self.manifold.christoffel(kind=2)),
                                  self._subs(self.manifold.fisher_metric()), dps=dps)

    # -- exponential families: e- and m-geodesics ----------------------------------------------
    @functools.cached_property
    def _dual_kernels(self):
        M = self.manifold
        if not M.is_exponential_family:
            raise ValueError(f"{M.name} is not an exponential family: it has no natural or "
                             f"expectation parameters")
        theta = self._subs(sp.Matrix(M.natural_parameters()))
        eta = self._subs(sp.Matrix(M.expectation_parameters()))
        c = sp.Matrix(self.coordinates)
        return compile_kernels(self.coordinates, {
            "natural": theta, "natural_jacobian": theta.jacobian(c),
            "expectation": eta, "expectation_jacobian": eta.jacobian(c)})

    def natural(self, x):
        """Natural parameters θ(x), shape (..., n); ``±inf`` and errors as :meth:`metric`."""
        x = self.validate(x)
        return self._checked("natural", self._dual_kernels["natural"](x)[..., 0], x,
                             "the natural parameters", 1)

    def expectation(self, x):
        """Expectation parameters η(x), shape (..., n); ``±inf`` and errors as :meth:`metric`."""
        x = self.validate(x)
        return self._checked("expectation", self._dual_kernels["expectation"](x)[..., 0], x,
                       "the expectation parameters", 1)

    def _straight(self, which, x0, v0, t):
        x0 = self.validate(x0, "x0")
        v0 = np.asarray(v0, dtype=np.float64)
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        k = self._dual_kernels
        start = k[which](x0)[..., 0]
        velocity = np.einsum("...ij,...j->...i", k[which + "_jacobian"](x0), v0)
        return start[..., None, :] + t[:, None] * velocity[..., None, :]

    def e_geodesic(self, x0, v0, t):
        """The e-geodesic (α = 1) through x0 with velocity v0, in natural parameters:
        ``θ(t) = θ(x0) + t ∂θ/∂x v0``, shape (..., len(t), n).
        """
        return self._straight("natural", x0, v0, t)

    def m_geodesic(self, x0, v0, t):
        """The m-geodesic (α = -1), in expectation parameters: ``η(x0) + t ∂η/∂x v0``."""
        return self._straight("expectation", x0, v0, t)

    # -- transport, Jacobi fields and means (manifolds.means, numeric.geodesics.transport) --------
    @functools.cached_property
    def _transport_solver(self):
        from numeric.geodesics.transport import compile_transport

        a = self._alpha_symbol
        names = {s.name for s in self.coordinates} | {str(s) for s in self._constants} | {a.name}
        b = a.name + "_transport"
        while b in names:
            b += "_"
        b = sp.Symbol(b, real=True)
        gamma = sp.Array(self._subs(self.manifold.alpha_connection(a, kind=2)))
        return compile_transport(self.coordinates, gamma, gamma.subs(a, b), self.domain,
                                 params=(a, b))

    def parallel_transport(self, x, v, w, *, alpha=0.0, geodesic_alpha=0.0, t=1.0,
                           full_output=False, rtol=1e-12, atol=0.0, max_steps=100_000):
        """Parallel transport of ``w`` along the geodesic from ``x`` with velocity ``v``.

        Solves ``∇^(α)_{γ'} W = 0`` (``W^k' = -Γ^(α)k_ij γ'^i W^j``) along the geodesic ``γ`` of
        the ``geodesic_alpha``-connection (the Fisher-Rao geodesic by default), integrated
        together with the geodesic (:mod:`numeric.geodesics.transport`).

        Parameters
        ----------
        x, v, w : array_like, shape (..., n)
            Start point, initial velocity of the geodesic, vector to transport (broadcast).
        alpha : float
            The connection that transports: 0 (Levi-Civita: lengths and angles are kept),
            1 (e-), -1 (m-), any real α.
        geodesic_alpha : float
            The connection whose geodesic is the curve (0: Fisher-Rao). The transports by
            ∇^(α) and ∇^(-α) along one curve are dual: ``<P^α w1, P^-α w2> = <w1, w2>``.
        t : float
            Where to stop on the geodesic (``γ(t)``; 1: at ``exp_x(v)``).
        full_output : bool
            Return the :class:`numeric.geodesics.transport.TransportSolution` (``x``, ``v``,
            ``w`` at ``t = 0`` and ``t``, status) instead of raising on a failure.

        Other Parameters
        ----------------
        rtol, atol, max_steps
            As for :meth:`geodesic`.

        Returns
        -------
        ndarray, shape (..., n)
            The transported vector at ``γ(t)``, in the coordinate basis there.

        Raises
        ------
        numeric.geodesics.integrate.IntegrationError
            The geodesic left the domain before ``t`` (unless ``full_output``).

        Examples
        --------
        Along the vertical geodesic ``(0, e^(t/sqrt 2))`` of the Normal family a parallel
        vector's coordinates grow like sigma:

        >>> import numpy as np
        >>> from manifolds import Normal
        >>> K = Normal().numeric
        >>> w = K.parallel_transport([0.0, 1.0], [0.0, 1.0], [1.0, 0.0])
        >>> bool(np.allclose(w, [np.e, 0.0], rtol=1e-10))
        True
        """
        x = self.validate(x, "x")
        alpha, geodesic_alpha = _alpha_value("alpha", alpha), _alpha_value("geodesic_alpha", geodesic_alpha)
        solution = self._transport_solver(x, v, w, t, params=(geodesic_alpha, alpha), rtol=rtol,
                                          atol=atol, max_steps=max_steps, throw=not full_output)
        return solution if full_output else solution.w[..., -1, :]

    def jacobi_field(self, x, v, w, t=1.0, *, alpha=0.0, t_eval=None, rtol=1e-12, atol=0.0,
                     max_steps=100_000):
        """The Jacobi field ``J`` along the geodesic from ``x`` with velocity ``v`` with
        ``J(0) = 0`` and ``J'(0) = w``: ``J(t) = d/ds exp_x(t (v + s w))`` at ``s = 0``.

        It is integrated with the geodesic from the variational equations (the columns of
        ``∂x(t)/∂v0``, the Jacobian that shooting uses), so ``J(1)`` is the derivative of the
        exp map at ``v`` in the direction ``w``.

        Parameters
        ----------
        x, v, w : array_like, shape (..., n)
        t : float
            End time.
        alpha : float
            The connection whose geodesics vary (0: Fisher-Rao).
        t_eval : None, int or array_like
            Output times, as for :meth:`geodesic`; ``None`` returns ``J(t)`` alone.

        Returns
        -------
        ndarray, shape (..., n), or (..., m, n) with ``t_eval``

        Examples
        --------
        On the Normal family (curvature -1/2), a Jacobi field orthogonal to a unit-speed
        geodesic grows like ``sqrt(2) sinh(t / sqrt(2)) |w|``:

        >>> import numpy as np
        >>> from manifolds import Normal
        >>> K = Normal().numeric
        >>> J = K.jacobi_field([0.0, 1.0], [0.0, 2 ** -0.5], [1.0, 0.0], t=2.0)
        >>> bool(np.isclose(np.sqrt(J @ K.metric(K.exp([0.0, 1.0], [0.0, 2 ** 0.5])) @ J),
        ...                 np.sqrt(2) * np.sinh(2 / np.sqrt(2)), rtol=1e-9))
        True
        """
        solver, params = self._solver_for(alpha)
        x = self.validate(x, "x")
        w = as_array("w", w)
        if w.ndim == 0 or w.shape[-1] != self.dim:
            raise ValueError(f"w must have shape (..., {self.dim}), got shape {w.shape}")
        t = real("t", t)
        times = [0.0, t] if t_eval is None else t_eval
        sol = solver.variational(x, v, t, t_eval=times, params=params, rtol=rtol, atol=atol,
                                 max_steps=max_steps, throw=True)
        J = np.einsum("...km,...m->...k", sol.dx_dv0, np.asarray(w, dtype=np.float64)[..., None, :])
        return J[..., -1, :] if t_eval is None else J

    def frechet_mean(self, points, weights=None, *, x0=None, tol=1e-10, max_iterations=100,
                     step=1.0, log_tol=1e-12, throw=False):
        """Weighted Fréchet (Karcher) mean: the minimiser of ``Σ w_i d(m, p_i)²`` for the
        Fisher-Rao distance ``d``.

        Karcher's iteration ``m ← exp_m(s Σ w_i log_m(p_i))`` on the batched log and exp
        maps (:func:`numeric.geodesics.means.karcher_mean`), with Barzilai-Borwein step
        lengths ``s`` halved whenever the sum of squared distances does not decrease.

        Parameters
        ----------
        points : array_like, shape (m, n)
        weights : array_like, shape (m,), optional
            Non-negative, normalised to sum 1 (uniform by default).
        x0 : array_like, shape (n,), optional
            First iterate (default: the weighted coordinate average where it lies in the
            domain, else the heaviest point).

        Other Parameters
        ----------------
        tol : float
            Stop when ``|Σ w_i log_m(p_i)|_g`` (the gradient's Riemannian norm, a length
            free of units and chart) is at most ``tol``.
        max_iterations : int
        step : float
            First step length in (0, 1] (later ones: Barzilai-Borwein).
        log_tol : float
            ``tol`` of the log maps (:meth:`log`).
        throw : bool
            Raise :class:`symbolic.errors.OptimizationError` when not converged.

        Returns
        -------
        numeric.geodesics.means.MeanResult
            ``x`` (the mean), ``status`` (:class:`numeric.geodesics.means.MeanStatus`),
            ``gradient_norm``, ``objective`` (``½ Σ w_i d²``), ``iterations``.

        Examples
        --------
        The Fréchet mean of N(0, 1) and N(0, 4) is N(0, 2) (the geodesic midpoint):

        >>> from manifolds import Normal
        >>> r = Normal().numeric.frechet_mean([[0.0, 1.0], [0.0, 4.0]])
        >>> r.status.name, [round(float(c), 10) for c in r.x]
        ('SUCCESS', [0.0, 2.0])
        """
        from .means import frechet_mean

        return frechet_mean(self, points, weights, x0=x0, tol=tol, max_iterations=max_iterations,
                            step=step, log_tol=log_tol, throw=throw)

    def interpolate(self, x, y, t, *, alpha=0.0, **options):
        """Points ``γ(t) = exp_x(t log_x(y))`` of the geodesic from ``x`` (t = 0) to ``y``
        (t = 1); ``t`` outside [0, 1] extrapolates.

        Parameters
        ----------
        x, y : array_like, shape (..., n)
        t : float or array_like, shape (m,)
        alpha : float
            The connection whose geodesic joins them (0, the default: Fisher-Rao; 1: the
            e-geodesic, -1: the m-geodesic).
        **options
            Passed to :meth:`log` (``tol``, ``rtol``, ...).

        Returns
        -------
        ndarray, shape (..., n) for a scalar ``t``, (..., m, n) for an array

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().numeric.interpolate([0.0, 1.0], [0.0, 4.0], [0.0, 0.5]).round(10).tolist()
        [[0.0, 1.0], [0.0, 2.0]]
        """
        from .means import interpolate

        return interpolate(self, x, y, t, alpha=alpha, **options)

    def bregman_centroid(self, points, weights=None, side="right"):
        """Sided KL (Bregman) centroid of points of an exponential family, in closed form.

        - ``side="right"``: ``argmin_c Σ w_i KL(p_i || c)``, the weighted mean of the
          expectation parameters η (moment matching);
        - ``side="left"``: ``argmin_c Σ w_i KL(c || p_i)``, the weighted mean of the natural
          parameters θ.

        (``KL(p_θ || p_θ') = B_F(θ', θ)``, so the right-sided KL centroid is the left-type
        Bregman centroid of F in θ: Nielsen and Nock 2009, Section 4; see
        :mod:`manifolds.means`.) Where η has no declared inverse, θ is found by Newton's
        method on ``∇F(θ) = η`` (:func:`numeric.optim.gradient_methods.legendre_inverse`).

        Parameters
        ----------
        points : array_like, shape (m, n)
        weights : array_like, shape (m,), optional
        side : {"right", "left"}

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValueError
            Not an exponential family, or an unknown side.

        Examples
        --------
        N(0, 1) and N(2, 1): the right centroid matches the moments (mean 1, variance 2),
        the left one averages θ = (mu / sigma², -1 / (2 sigma²)):

        >>> from manifolds import Normal
        >>> K = Normal().numeric
        >>> K.bregman_centroid([[0.0, 1.0], [2.0, 1.0]], side="right").round(12).tolist()
        [1.0, 1.414213562373]
        >>> K.bregman_centroid([[0.0, 1.0], [2.0, 1.0]], side="left").round(12).tolist()
        [1.0, 1.0]
        """
        from .means import bregman_centroid

        return bregman_centroid(self, points, weights, side)


def _alpha_value(name, alpha):
    """``alpha`` as a finite float; ValueError naming ``name`` otherwise (as :meth:`NumericManifold._solver_for`)."""
    try:
        alpha = float(alpha)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number, got {alpha!r}") from exc
    if not np.isfinite(alpha):
        raise ValueError(f"{name} must be finite, got {alpha}")
    return alpha


# (token of a NumericManifold and its copies, with_alpha) -> the solver built in this process
_PROCESS_SOLVERS = {}

#: Status code of a pair whose closed-form distance is not a finite number.
CLOSED_FORM_NOT_FINITE = 3

#: Explanations of the status codes of :meth:`NumericManifold.pairwise_distances`.
PAIR_MESSAGES = {
    int(ShootingStatus.NOT_CONVERGED): "the log map did not converge (ShootingStatus.NOT_CONVERGED: "
                                       "see numeric.geodesics.shooting)",
    int(ShootingStatus.UNREACHABLE): "every geodesic tried left the domain (ShootingStatus.UNREACHABLE)",
    CLOSED_FORM_NOT_FINITE: "the closed-form distance is not a finite number (an intermediate "
                            "overflowed)",
}


class _PairDistance:
    """The batched pair function of :meth:`NumericManifold.pairwise_distances`: the
    distances and status codes of the pairs ``(xs[k], ys[k])``. Pickles with the manifold
    (so a Dask worker receives the derivations and loads the kernels from its disk cache).
    """

    def __init__(self, numeric, closed, options, backend="cpu"):
        self.numeric = numeric
        self.closed = closed
        self.options = options
        self.backend = backend

    def __call__(self, xs, ys):
        nm = self.numeric
        if self.closed:
            with np.errstate(all="ignore"):
                # the rows were checked by pairwise_distances
                d = np.asarray(nm.closed_form_distance.unchecked(xs, ys), dtype=np.float64)
            status = np.where(np.isfinite(d), 0, CLOSED_FORM_NOT_FINITE)
            d = np.where(status == 0, d, np.nan)
            return d, status
        result = nm._shoot(xs, ys, backend=self.backend, throw=False, **self.options)
        ok = result.status == ShootingStatus.SUCCESS
        v = np.where(ok[:, None], result.v, 0.0)
        g = nm._metric_kernels["metric"](xs)
        d = np.sqrt(np.einsum("...i,...ij,...j->...", v, g, v))
        return np.where(ok, d, np.nan), result.status


def _polygamma(m, x):
    """The polygamma ``mpmath.psi(m, x)``, shifted once by the recurrence
    psi^(m)(x) = psi^(m)(x + 1) - (-1)^m m! / x^(m+1) (DLMF 5.15.5) for 0 < x < 1: mpmath's
    own evaluation at a tiny argument and a high precision is slow (psi(0, 5e-324) at 726
    digits: 1.4 s against 0.08 s shifted), and the exact path meets such points.
    """
    if isinstance(x, mpmath.mpf) and 0 < x < 1 and int(m) == m >= 0:
        m = int(m)
        return mpmath.psi(m, x + 1) - (-1) ** m * mpmath.factorial(m) / x ** (m + 1)
    return mpmath.psi(m, x)


def _to_float64(entries, shape):
    """Values from mpmath rounded to float64 (``±inf`` beyond its range, 0 or a subnormal below),
    NaN where a value is missing, not a number, or complex.
    """
    if entries is None:
        return np.full(shape, np.nan)
    out = []
    for v in (entries if isinstance(entries, (list, tuple)) else [entries]):
        v = mpmath.mpmathify(v)
        if isinstance(v, mpmath.mpc):
            # a rounding residue of a real value may come back as a complex number
            v = v.real if abs(v.imag) <= mpmath.mpf(10) ** -30 * max(1, abs(v.real)) else mpmath.nan
        if mpmath.isnan(v):
            out.append(np.nan)
        elif abs(v) > mpmath.mpf(np.finfo(np.float64).max):
            # mpmath's float() would round a value just past the range down to DBL_MAX
            out.append(np.copysign(np.inf, float(mpmath.sign(v))))
        else:
            out.append(float(v))
    return np.array(out, dtype=np.float64).reshape(shape)


def _real_array(x, name):
    """``x`` as a float64 array (any shape), or TypeError naming ``name`` when it does not hold
    real numbers: strings and object or string arrays are refused before numpy would parse
    them (``np.array(["1.0"]).astype(float)`` succeeds).
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__} {x!r:.60}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} must be a rectangular array of real numbers: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        what = "complex numbers" if arr.dtype.kind == "c" else f"dtype {arr.dtype}"
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__} of {what}")
    return as_array(name, arr, finite=False)


def _no_nan(value, points, what, core_ndim, labels=None):
    """``value`` (a kernel's output at ``points``, the last ``core_ndim`` axes per point), or
    DomainError naming the first point where it is NaN.
    """
    nan = np.isnan(value)
    if not nan.any():
        return value
    batch = np.asarray(value).shape[:np.ndim(value) - core_ndim]
    index = tuple(int(i) for i in np.argwhere(nan)[0][:len(batch)])
    point = np.asarray(points)[index]
    where = f"x[{', '.join(map(str, index))}]" if index else "x"
    if labels:
        shown = ", ".join(f"{name}={float(v)!r}" for name, v in zip(labels, point, strict=True))
    else:
        shown = repr(point.tolist())
    raise DomainError(
        f"{what} at {where} ({shown}) is not a number: an intermediate value overflowed or "
        f"underflowed (or an observation lies outside the support), so float64 cannot "
        f"represent the result there")
