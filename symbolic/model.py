r"""Model types: parameters with domains, sample spaces, statistical models and exponential
families. Derivations take these as input; the catalog in ``manifolds`` declares instances.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import sympy as sp

from .conventions import EXPECTATION_PREFIX, NATURAL_PREFIX, SECOND_POINT_SUFFIX
from .errors import DomainError
from .parsing import to_sympy
from .validation import real

__all__ = [
    "Parameter",
    "parameter",
    "SampleSpace",
    "StatisticalModel",
    "ExponentialFamily",
    "Constraint",
]


@dataclass(frozen=True)
class Parameter:
    """A coordinate with its domain: the open interval ``(lower, upper)``.

    Parameters
    ----------
    symbol : Symbol
        The sympy symbol, carrying assumptions (``positive=True`` etc.) that match the domain.
    lower, upper : float or None
        Open bounds of the domain; ``None`` means unbounded.
    typical : (float, float)
        A range of typical values, used to draw random test points.
    period : float or None
        The period of an angle (von Mises' ``mu``: ``2*pi``): coordinates that differ by a
        multiple of it are the same distribution, and the log map and the distance go to the
        nearest copy (see ``docs/conventions.md``, "Angles").
    """

    symbol: sp.Symbol
    lower: float | None = None
    upper: float | None = None
    typical: tuple = (-2.0, 2.0)
    period: float | None = None

    @property
    def name(self):
        """The symbol's name."""
        return self.symbol.name

    def domain_text(self):
        """The domain in words (``"> 0"``, ``"in (0, 1)"``, ``"real"``), for error messages."""
        lo, hi = self.lower, self.upper
        if lo is None and hi is None:
            return "real"
        if hi is None:
            return f"> {lo:g}"
        if lo is None:
            return f"< {hi:g}"
        return f"in ({lo:g}, {hi:g})"

    def check(self, value):
        """``value`` as a float inside the domain.

        Raises ``TypeError`` for a value that is not a real number (a string, ``None``, a
        complex number, a sympy symbol) and :class:`DomainError` for NaN, infinity or a value
        outside the domain; both messages name the parameter.

        Examples
        --------
        >>> p = parameter("sigma", lower=0)
        >>> p.check(2)
        2.0
        >>> p.check(-1.0)
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: sigma must be > 0, got -1.0
        >>> p.check("2")
        Traceback (most recent call last):
        ...
        TypeError: sigma must be a real number, got str '2'
        """
        v = real(self.name, value)
        if (self.lower is not None and not v > self.lower) or (self.upper is not None and not v < self.upper):
            raise DomainError(f"{self.name} must be {self.domain_text()}, got {value!r}")
        return v


def parameter(name, lower=None, upper=None, typical=None, *, period=None, **assumptions):
    """Declare a parameter; the symbol's assumptions follow from the domain. ``period``
    declares an angle (see :class:`Parameter`).

    Examples
    --------
    >>> p = parameter("sigma", lower=0, typical=(0.5, 2))
    >>> p.symbol.is_positive, p.domain_text()
    (True, '> 0')
    >>> parameter("mu", period=2*sp.pi).period
    6.283185307179586
    """
    if period is not None:
        period = float(period)
        if not (math.isfinite(period) and period > 0):
            raise DomainError(f"period must be a finite number > 0, got {period!r}")
    if not assumptions:
        if lower is not None and lower >= 0:
            assumptions = {"positive": True}
        elif upper is not None and upper <= 0:
            assumptions = {"negative": True}
        else:
            assumptions = {"real": True}
    if typical is None:
        lo = -2.0 if lower is None else lower + 0.25
        hi = 2.0 if upper is None else upper - 0.25
        if lower is not None and upper is None:
            hi = lo + 3.0
        if upper is not None and lower is None:
            lo = hi - 3.0
        typical = (lo, hi)
    return Parameter(sp.Symbol(name, **assumptions), lower, upper, tuple(typical), period)


@dataclass(frozen=True)
class Constraint:
    """A joint condition ``expr > 0`` on the coordinates, with its description."""

    expr: sp.Expr
    text: str


@dataclass(frozen=True)
class SampleSpace:
    """Where the observation lives, and how expectations over it are taken.

    ``kind`` is one of ``finite`` (``values`` lists the points), ``integers`` (``lower``
    to ``upper`` inclusive, ``upper`` may be ``oo``), ``interval`` (``lower`` to ``upper``, the
    real line when both are infinite), ``simplex`` (the variables are barycentric coordinates
    summing to one; expectations integrate over all but the last) and ``product`` (each
    variable over ``(lower, upper)``).
    """

    kind: str
    variables: tuple
    lower: sp.Expr = -sp.oo
    upper: sp.Expr = sp.oo
    values: tuple = ()

    @classmethod
    def finite(cls, x, values):
        """A finite sample space: ``x`` takes one of ``values``."""
        return cls("finite", (x,), values=tuple(values))

    @classmethod
    def integers(cls, x, lower=0, upper=sp.oo):
        """The integers from ``lower`` to ``upper`` inclusive (``upper`` may be ``oo``)."""
        return cls("integers", (x,), to_sympy(lower, "lower"), to_sympy(upper, "upper"))

    @classmethod
    def interval(cls, x, lower=-sp.oo, upper=sp.oo):
        """The interval ``(lower, upper)``, the real line by default."""
        return cls("interval", (x,), to_sympy(lower, "lower"), to_sympy(upper, "upper"))

    @classmethod
    def simplex(cls, xs):
        """The simplex of barycentric coordinates ``xs`` summing to one."""
        return cls("simplex", tuple(xs), sp.Integer(0), sp.Integer(1))

    @classmethod
    def product(cls, xs, lower=-sp.oo, upper=sp.oo):
        """The box ``(lower, upper)^d``, one factor per variable of ``xs``."""
        return cls("product", tuple(xs), to_sympy(lower, "lower"), to_sympy(upper, "upper"))

    def describe(self):
        """The sample space in words, as the catalog's descriptions print it."""
        x = ", ".join(v.name for v in self.variables)
        if self.kind == "finite":
            return f"{x} in {{{', '.join(map(str, self.values))}}}"
        if self.kind == "integers":
            return f"{x} in {{{self.lower}, {self.lower + 1}, ..., {self.upper}}}"
        if self.kind == "simplex":
            return f"({x}) in the simplex"
        return f"{x} in ({self.lower}, {self.upper})" + ("^d" if self.kind == "product" else "")

    def contains(self, values, constants=None):
        """Which observations lie in the sample space.

        Parameters
        ----------
        values : ndarray, shape (..., d)
            Finite observations, the last axis holding :attr:`variables` in order.
        constants : mapping, optional
            Values of the symbols the bounds depend on (``n`` of a Binomial).

        Returns
        -------
        ndarray of bool, shape (...)
            Intervals and boxes are open (as :meth:`describe` prints them); integers must be
            integral and within the inclusive bounds; barycentric coordinates must be inside
            ``(0, 1)`` and sum to one up to rounding (``1e-9`` per coordinate).

        Examples
        --------
        >>> x = sp.Symbol("x", real=True)
        >>> SampleSpace.integers(x, 0, 3).contains(np.array([[0.0], [2.5], [3.0], [-1.0]])).tolist()
        [True, False, True, False]
        >>> SampleSpace.interval(x, 0, sp.oo).contains(np.array([1e300, 0.0])[:, None]).tolist()
        [True, False]
        """
        X = np.asarray(values, dtype=np.float64)
        if X.ndim == 0 or X.shape[-1] != len(self.variables):
            raise ValueError(f"values must have shape (..., {len(self.variables)}) (observations "
                             f"{', '.join(v.name for v in self.variables)}), got shape {X.shape}")
        consts = {k: sp.sympify(v, strict=True) for k, v in (constants or {}).items()}

        def number(v):
            return float(sp.sympify(v, strict=True).xreplace(consts))

        if self.kind == "finite":
            return np.isin(X[..., 0], [number(v) for v in self.values])
        lo, hi = number(self.lower), number(self.upper)
        if self.kind == "integers":
            x = X[..., 0]
            return (x == np.round(x)) & (x >= lo) & (x <= hi)
        inner = np.all((X > lo) & (X < hi), axis=-1)
        if self.kind == "simplex":
            # barycentric coordinates sum to one only up to the rounding of the data
            return inner & (np.abs(X.sum(axis=-1) - 1.0) <= 1e-9 * X.shape[-1])
        return inner


def _names(parameters, space):
    """The names a declaration written as strings may use: coordinates and sample variables."""
    names = {v.name: v for v in getattr(space, "variables", ())}
    names.update({p.symbol.name: p.symbol for p in parameters})
    return names


def _symbols_like(params, suffix):
    return [sp.Symbol(p.name + suffix, **p.symbol.assumptions0) for p in params]


class StatisticalModel:
    r"""A parametric family of densities :math:`p(x; \xi)` given by its log-density.

    Parameters
    ----------
    name : str
    parameters : sequence of Parameter
        The coordinates :math:`\xi`, in order.
    space : SampleSpace
    log_density : Expr
        :math:`\log p(x; \xi)` with respect to the counting or Lebesgue measure.
    constraints : sequence of Constraint
        Joint conditions on the coordinates beyond the per-parameter domains.
    location_scale : (Expr, Expr) or None
        A hint for exact integration: the observation is ``location + scale * u`` with a
        parameter-free law of ``u``; integrals are taken over ``u``.
    closed_forms : mapping
        Optional known results (``"fisher_metric"``, ...) that derivations use instead of the
        generic route; tests compare them with the generic route. ``"distance"`` holds the
        closed-form Fisher-Rao distance (``numeric.geodesics.distances.ClosedFormDistance``),
        which the numeric layer uses after checking its metric; an exponential family may give
        ``"log_partition_at_coordinates"``, :math:`F(\theta(\xi))` in the coordinates; a
        reparametrised model keeps none of them. A value may be a function of no arguments,
        called when the result is first asked for.
    constants : mapping
        Fixed values of symbols that are not coordinates (``n`` of a Binomial, ...), for
        display and numerics.
    """

    def __init__(self, name, parameters, space, log_density, constraints=(), location_scale=None,
                 closed_forms=None, constants=None, description=""):
        self.name = name
        self.parameters = tuple(parameters)
        self.space = space
        self.log_density = to_sympy(log_density, "log_density", _names(self.parameters, space))
        self.constraints = tuple(constraints)
        self.location_scale = location_scale
        self.closed_forms = dict(closed_forms or {})
        self.constants = dict(constants or {})
        self.description = description

    # -- coordinates ---------------------------------------------------------------------
    @property
    def coordinates(self):
        """The coordinate symbols, in declaration order."""
        return tuple(p.symbol for p in self.parameters)

    @property
    def dim(self):
        """The number of coordinates."""
        return len(self.parameters)

    def second_point(self):
        """Coordinates of a second point, named with the suffix ``_2``."""
        return tuple(_symbols_like(self.parameters, SECOND_POINT_SUFFIX))

    def validate(self, point):
        """Check a point against the domain; return it as a tuple of floats.

        ``point`` is a sequence of the coordinates in declaration order (a scalar for a
        one-dimensional model) or a mapping from parameter (symbol or name) to value.

        Raises
        ------
        TypeError
            a coordinate that is not a real number (a string, ``None``, a complex number, a
            symbol), a numpy array of a non-numeric dtype, or a mapping with unknown or
            missing parameters.
        ValueError
            a sequence of the wrong length.
        DomainError
            NaN, infinity, or a value outside the domain, naming the offending parameter (or
            constraint) and its domain.

        Examples
        --------
        >>> from manifolds import Normal
        >>> Normal().model.validate([0, 2])
        (0.0, 2.0)
        >>> Normal().model.validate({"mu": 0.0, "sigma": -1.0})
        Traceback (most recent call last):
        ...
        symbolic.errors.DomainError: sigma must be > 0, got -1.0
        >>> Normal().model.validate(["0", "1"])
        Traceback (most recent call last):
        ...
        TypeError: mu must be a real number, got str '0'
        """
        values = self._as_values(point)
        out = tuple(p.check(v) for p, v in zip(self.parameters, values, strict=True))
        subs = dict(zip(self.coordinates, out, strict=True))
        for c in self.constraints:
            val = float(c.expr.subs(subs))
            if not val > 0:
                raise DomainError(f"the point {out} violates the constraint {c.text}")
        return out

    def _as_values(self, point):
        names = ", ".join(p.name for p in self.parameters)
        if isinstance(point, Mapping):
            known = {p.symbol for p in self.parameters} | {p.name for p in self.parameters}
            unknown = [k for k in point if k not in known]
            # like a call with a wrong or missing keyword argument: a TypeError
            if unknown:
                raise TypeError(f"a point of {self.name} maps its parameters ({names}) to values; "
                                f"got unknown key(s) {', '.join(map(repr, unknown))}")
            missing = [p.name for p in self.parameters if p.symbol not in point and p.name not in point]
            if missing:
                raise TypeError(f"a point of {self.name} needs a value for {', '.join(missing)}")
            return [point[p.symbol] if p.symbol in point else point[p.name] for p in self.parameters]
        if isinstance(point, (str, bytes)):
            raise TypeError(f"a point of {self.name} is a sequence of real numbers ({names}), "
                            f"got {type(point).__name__} {point!r:.60}")
        if isinstance(point, np.ndarray) and point.dtype.kind not in "biuf":
            raise TypeError(f"a point of {self.name} ({names}) must be an array of real numbers, "
                            f"got dtype {point.dtype}")
        try:
            values = list(np.atleast_1d(np.asarray(point, dtype=object)).ravel())
        except (TypeError, ValueError) as exc:  # ragged nesting
            raise ValueError(f"a point of {self.name} is a flat sequence of its coordinates ({names}): "
                             f"{exc}") from exc
        # every entry's type first: a complex entry is a TypeError even in a list too long
        labels = [p.name for p in self.parameters]
        for k, v in enumerate(values):
            real(labels[k] if k < len(labels) else f"point[{k}]", v, finite=False)
        if len(values) != self.dim:
            raise ValueError(f"a point of {self.name} has {self.dim} coordinates ({names}), got {len(values)}")
        return values

    def random_point(self, rng=None):
        """A random point in the typical range of every parameter that meets the constraints."""
        rng = np.random.default_rng(rng)
        for _ in range(1000):
            point = [rng.uniform(*p.typical) for p in self.parameters]
            try:
                return self.validate(point)
            except DomainError:
                continue
        raise RuntimeError(f"could not draw a point of {self.name} inside its constraints")

    def substitutions(self, point):
        """``{symbol: value}`` for a point (validated) plus the model's constants."""
        return {**dict(zip(self.coordinates, self.validate(point), strict=True)), **self.constants}

    def unbound_constants(self):
        """The symbols of the declaration that have no value: neither coordinates, nor
        variables of the sample space, nor keys of :attr:`constants` (``n`` of ``Binomial()``).

        The symbolic layer keeps them; the numeric layer refuses a model that has one.

        Examples
        --------
        >>> mu, x, s = parameter("mu"), sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
        >>> logp = -(x - mu.symbol)**2 / (2*s**2) - sp.log(s) - sp.log(2*sp.pi) / 2
        >>> StatisticalModel("N(mu, s)", [mu], SampleSpace.interval(x), logp).unbound_constants()
        (s,)
        """
        free = set(self.log_density.free_symbols)
        for bound in (self.space.lower, self.space.upper):
            free |= set(sp.sympify(bound, strict=True).free_symbols)
        for c in self.constraints:
            free |= set(c.expr.free_symbols)
        free -= set(self.coordinates) | set(self.space.variables) | set(self.constants)
        return tuple(sorted(free, key=sp.default_sort_key))

    def __repr__(self):
        coords = ", ".join(p.name for p in self.parameters)
        return f"{type(self).__name__}({self.name}; {coords})"


class ExponentialFamily(StatisticalModel):
    r"""An exponential family
    :math:`\log p(x;\xi) = \theta(\xi)\cdot T(x) - F(\theta(\xi)) + \log h(x)`.

    Parameters
    ----------
    statistics : sequence of Expr
        Sufficient statistics :math:`T(x)`.
    natural : sequence of Expr
        Natural parameters :math:`\theta(\xi)` as expressions of the coordinates.
    log_partition : callable or Expr
        :math:`F` as a function of the list of natural-parameter symbols
        (``theta1, theta2, ...``), or an expression in those symbols.
    log_base : Expr
        :math:`\log h(x)`.
    from_natural, from_expectation : sequence of Expr, optional
        The coordinates as expressions of ``theta1, ...`` or ``eta1, ...``, where a closed
        form exists. Tests check that they invert the forward maps.
    theta : sequence of Symbol, optional
        The natural-parameter symbols (by default ``theta1, ...`` with a sign inferred from
        :math:`\theta(\xi)`).
    """

    def __init__(self, name, parameters, space, statistics, natural, log_partition, log_base=0,
                 from_natural=None, from_expectation=None, theta=None, **kwargs):
        self.parameters = tuple(parameters)
        names = _names(self.parameters, space)
        self.statistics = tuple(to_sympy(t, f"statistics[{k}]", names) for k, t in enumerate(statistics))
        self.natural = tuple(to_sympy(t, f"natural[{k}]", names) for k, t in enumerate(natural))
        m = len(self.natural)
        self.theta = tuple(theta) if theta is not None else tuple(
            self._dual_symbol(NATURAL_PREFIX, a, e) for a, e in enumerate(self.natural))
        names.update({s.name: s for s in self.theta})
        F = (sp.sympify(log_partition(list(self.theta)), strict=True) if callable(log_partition)
             else to_sympy(log_partition, "log_partition", names))
        self.log_partition = F
        self.log_base = to_sympy(log_base, "log_base", names)
        self.from_natural = None if from_natural is None else tuple(
            to_sympy(e, f"from_natural[{k}]", names) for k, e in enumerate(from_natural))
        self.from_expectation = None if from_expectation is None else tuple(
            to_sympy(e, f"from_expectation[{k}]", names) for k, e in enumerate(from_expectation))
        # the declaration's own eta symbols (with their assumptions) are the family's
        declared = {s.name: s for e in (self.from_expectation or ()) for s in e.free_symbols}
        self.eta = tuple(declared.get(f"{EXPECTATION_PREFIX}{a + 1}", sp.Symbol(f"{EXPECTATION_PREFIX}{a + 1}", real=True))
                         for a in range(m))
        self.closed_forms = dict(kwargs.get("closed_forms") or {})
        log_density = sum(t * s for t, s in zip(self.natural, self.statistics, strict=True)) - self.log_partition_at_coordinates() + self.log_base
        super().__init__(name, parameters, space, log_density, **kwargs)

    @staticmethod
    def _dual_symbol(prefix, a, expr):
        if expr.is_positive:
            return sp.Symbol(f"{prefix}{a + 1}", positive=True)
        if expr.is_negative:
            return sp.Symbol(f"{prefix}{a + 1}", negative=True)
        return sp.Symbol(f"{prefix}{a + 1}", real=True)

    def at_coordinates(self, expr):
        r"""An expression of the natural parameters evaluated at :math:`\theta(\xi)`, in
        canonical form. Roots of the natural parameters (the von Mises
        :math:`\sqrt{\theta_1^2+\theta_2^2}`) are simplified once each and cached, which is
        far cheaper than simplifying every expression they appear in.
        """
        from .algebra import canonical_functions

        roots = self.__dict__.setdefault("_roots_at_coordinates", {})
        at = dict(zip(self.theta, self.natural, strict=True))

        def root_value(e):
            root = sp.Pow(e.base, sp.Rational(1, e.exp.q))
            if root not in roots:
                roots[root] = canonical_functions(root.subs(at, simultaneous=True))
            return roots[root] ** e.exp.p

        expr = sp.sympify(expr, strict=True).replace(
            lambda e: e.is_Pow and e.exp.is_Rational and not e.exp.is_Integer and e.base.has(*self.theta),
            root_value)
        return canonical_functions(expr.subs(at, simultaneous=True))

    def log_partition_at_coordinates(self):
        r""":math:`F(\theta(\xi))` as an expression of the coordinates."""
        from .algebra import simplify_entries

        if "_F_at_coordinates" not in self.__dict__:
            # a declared closed form (the normal family's matrix form) spares substituting
            # theta(xi) into F, whose expansion is exponential in the dimension
            closed = self.__dict__.get("closed_forms", {}).get("log_partition_at_coordinates")
            F = self.at_coordinates(self.log_partition) if closed is None else sp.sympify(closed, strict=True)
            # a cancelled form keeps its derivatives small
            self._F_at_coordinates = simplify_entries([sp.expand(F)], self.coordinates, factor=False)[0]
        return self._F_at_coordinates

    def statistic_symbols(self):
        """Symbols ``t1, t2, ...`` standing for the sufficient statistics in moment algebra."""
        return tuple(sp.Symbol(f"t{a + 1}", real=True) for a in range(len(self.statistics)))

    def log_density_in_statistics(self):
        r""":math:`\theta(\xi)\cdot t - F(\theta(\xi))`: the log-density up to
        :math:`\log h`, as a polynomial in the statistic symbols.
        """
        t = self.statistic_symbols()
        return sum(th * ts for th, ts in zip(self.natural, t, strict=True)) - self.log_partition_at_coordinates()
