r"""Closed-form Fisher-Rao distances.

Every function takes two batches of points ``x, y`` of shape ``(..., n)`` (coordinates in
the catalog's order, see docs/conventions.md) and returns the geodesic distance of the Fisher metric
(no factor 4), shape ``(...)``. Inputs are assumed valid (the caller,
:class:`manifolds.numerics.NumericManifold`, validates them). Tests compare each with the
numerical route (shooting on the geodesic equation) and with the mpmath reference geodesics.

Each function carries, as its ``metric`` attribute, the metric it is the distance of, written
with arithmetic only so that it takes sympy symbols: a family of the catalog declares its
distance as ``closed_forms={"distance": ClosedFormDistance(function, **arguments)}``, and
:class:`manifolds.numerics.NumericManifold` uses it only after checking symbolically that
the family's Fisher metric is that metric (a wrong declaration is refused, and a
reparametrised chart, whose metric differs, declares nothing and is shot numerically).

Derivations (``ds²`` the metric, ``d_H`` the Poincaré half-plane distance
:math:`\operatorname{arccosh}(1 + ((u_1-u_2)^2 + (y_1-y_2)^2) / (2 y_1 y_2))`):

- one-dimensional ``ds = \sqrt{g(p)}\,dp``: the distance is ``|Φ(p1) - Φ(p2)|`` with
  ``Φ' = \sqrt g``. Poisson ``g = 1/λ``: ``Φ = 2\sqrt λ``. Exponential (rate) ``g = 1/λ²``:
  ``Φ = \log λ``. Bernoulli ``g = 1/(p(1-p))``, with ``p = \sin^2 φ``: ``Φ = 2\arcsin\sqrt p``;
  Binomial(n) ``g = n/(p(1-p))``: ``\sqrt n`` times that. Geometric (failures before the
  first success) ``g = 1/(p^2(1-p))``, with ``s = \sqrt{1-p}``:
  ``\int dp/(p\sqrt{1-p}) = -2\int ds/(1-s^2)``, so ``Φ = 2\operatorname{artanh}\sqrt{1-p}``.
  NormalMean(σ), Laplace(b) ``g = 1/σ², 1/b²``: ``|Δμ|/σ``.
- location-scale families with ``ds² = (A dμ² + B dσ²)/σ²``: with ``u = μ\sqrt{A/B}``,
  ``ds² = B (du² + dσ²)/σ²``, so ``d = \sqrt B\, d_H``. Normal and LogNormal: ``A = 1,
  B = 2``; Cauchy: ``A = B = 1/2``; Student t(ν): ``A = (ν+1)/(ν+3)``, ``B = 2ν/(ν+3)``.
- InverseGaussian(μ, λ) ``ds² = λ dμ²/μ³ + dλ²/(2λ²)``: with ``u = μ^{-1/2}`` (``dμ²/μ³ =
  4du²``) and ``y = (2λ)^{-1/2}`` (``dλ²/(2λ²) = 2dy²/y²``, ``4λ = 2/y²``),
  ``ds² = 2(du² + dy²)/y²``, so ``d = \sqrt 2\, d_H((u_1, y_1), (u_2, y_2))``.
- Categorical(k): ``p ↦ 2\sqrt p`` maps the simplex isometrically onto the positive part of
  the sphere of radius 2, so ``d = 2\arccos \sum_i \sqrt{p_i q_i}`` [1]_.

References
----------
.. [1] S. Amari and H. Nagaoka, *Methods of Information Geometry*, AMS (2000), Section 2.5.
.. [2] S. I. R. Costa, S. A. Santos and J. E. Strapasson, "Fisher information distance: a
   geometrical reading", *Discrete Applied Mathematics* 197 (2015) 59-69 (the Normal and
   location-scale cases).
"""
import numpy as np
import sympy as sp

__all__ = [
    "ClosedFormDistance",
    "bernoulli_distance",
    "categorical_distance",
    "exponential_distance",
    "geometric_distance",
    "half_plane_distance",
    "inverse_gaussian_distance",
    "location_distance",
    "location_scale_distance",
    "poisson_distance",
]


class ClosedFormDistance:
    """A family's declared closed-form distance: a function of this module and its constants.

    Parameters
    ----------
    function : callable
        One of the distances of this module, ``function(x, y, **arguments)``.
    **arguments
        Its constant arguments (``A``, ``B``, ``n``, ``scale``); numbers or sympy expressions
        of the family's constants (``nu`` of ``StudentT()``), bound by :meth:`bind`.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, sigma = sp.symbols("mu sigma", positive=True)
    >>> d = ClosedFormDistance(location_scale_distance, A=1, B=2)
    >>> d
    ClosedFormDistance(location_scale_distance, A=1, B=2)
    >>> d.metric([mu, sigma])
    Matrix([
    [sigma**(-2),           0],
    [          0, 2/sigma**2]])
    >>> round(float(d.bind()([0.0, 1.0], [0.0, 2.0])), 12)   # sqrt(2) log 2
    0.980258143469
    """

    def __init__(self, function, **arguments):
        if not callable(getattr(function, "metric", None)):
            raise TypeError(f"function must be a distance of numeric.geodesics.distances (with the "
                            f"metric it assumes), got {function!r}")
        self.function = function
        self.arguments = dict(arguments)

    def __repr__(self):
        args = "".join(f", {k}={v}" for k, v in self.arguments.items())
        return f"{type(self).__name__}({self.function.__name__}{args})"

    def metric(self, coordinates):
        """The metric the formula is the distance of, at symbolic ``coordinates`` (sympy Matrix)."""
        return sp.Matrix(self.function.metric(*coordinates, **self.arguments))

    def bind(self, constants=None):
        """``f(x, y)`` with the arguments evaluated (``constants`` substituted) as floats.

        Raises
        ------
        ValueError
            An argument still holds a symbol after the substitution.
        """
        values = {}
        for name, value in self.arguments.items():
            value = sp.sympify(value, strict=True).subs(constants or {})
            if not value.is_number:
                raise ValueError(f"argument {name} = {value} of {self!r} is not a number; give "
                                 f"the values of its symbols in constants")
            values[name] = float(value)
        function = self.function

        def distance(x, y):
            return function(x, y, **values)

        distance.__name__ = distance.__qualname__ = function.__name__
        distance.__doc__ = function.__doc__
        return distance


def _assumes(metric):
    """Attach to a distance the metric it is the distance of (see the module docstring)."""
    def attach(function):
        function.metric = metric
        return function

    return attach


def _categorical_metric(*p):
    last = 1 - sum(p)
    return [[(1 / p[i] if i == j else 0) + 1 / last for j in range(len(p))] for i in range(len(p))]


def _pair(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.broadcast_arrays(x, y)


@_assumes(lambda u, v: [[1 / v**2, 0], [0, 1 / v**2]])
def half_plane_distance(x, y):
    """Distance of the Poincaré half-plane ``(du² + dv²)/v²`` between ``(u, v)`` points.

    Written with ``arcsinh`` of half the chordal ratio, ``2 asinh(|p - q| / (2 sqrt(v1
    v2)))``, which is accurate for nearby points (``arccosh(1 + ε)`` loses half the digits).

    Examples
    --------
    >>> round(float(half_plane_distance([0.0, 1.0], [0.0, np.e])), 14)
    1.0
    """
    x, y = _pair(x, y)
    chord = np.hypot(x[..., 0] - y[..., 0], x[..., 1] - y[..., 1])
    return 2.0 * np.arcsinh(chord / (2.0 * np.sqrt(x[..., 1] * y[..., 1])))


@_assumes(lambda mu, sigma, A=1, B=2: [[A / sigma**2, 0], [0, B / sigma**2]])
def location_scale_distance(x, y, A=1.0, B=2.0):
    """Distance of ``(A dμ² + B dσ²)/σ²`` between ``(μ, σ)`` points (Normal: A=1, B=2).

    Examples
    --------
    >>> round(float(location_scale_distance([0.0, 1.0], [0.0, 2.0])), 12)  # sqrt(2) log 2
    0.980258143469
    """
    x, y = _pair(x, y)
    c = np.sqrt(A / B)
    u = np.stack([x[..., 0] * c, x[..., 1]], axis=-1)
    w = np.stack([y[..., 0] * c, y[..., 1]], axis=-1)
    return np.sqrt(B) * half_plane_distance(u, w)


@_assumes(lambda mu, scale=1: [[1 / scale**2]])
def location_distance(x, y, scale=1.0):
    """``|μ1 - μ2| / scale`` (NormalMean(σ) with scale σ, Laplace(b) with scale b)."""
    x, y = _pair(x, y)
    return np.abs(x[..., 0] - y[..., 0]) / scale


@_assumes(lambda lam: [[1 / lam]])
def poisson_distance(x, y):
    """``2 |sqrt(λ1) - sqrt(λ2)|``.

    >>> float(poisson_distance([1.0], [4.0]))
    2.0
    """
    x, y = _pair(x, y)
    return 2.0 * np.abs(np.sqrt(x[..., 0]) - np.sqrt(y[..., 0]))


@_assumes(lambda lam: [[1 / lam**2]])
def exponential_distance(x, y):
    """``|log(λ1/λ2)|`` (rate parametrisation; the same for the scale)."""
    x, y = _pair(x, y)
    return np.abs(np.log(x[..., 0] / y[..., 0]))


@_assumes(lambda p, n=1: [[n / (p * (1 - p))]])
def bernoulli_distance(x, y, n=1.0):
    """``2 sqrt(n) |arcsin sqrt(p1) - arcsin sqrt(p2)|`` (Binomial(n); n = 1 is Bernoulli).

    >>> round(float(bernoulli_distance([0.5], [1e-300])) / np.pi, 12)   # a quarter circle of radius 2
    0.5
    """
    x, y = _pair(x, y)
    return 2.0 * np.sqrt(n) * np.abs(np.arcsin(np.sqrt(x[..., 0])) - np.arcsin(np.sqrt(y[..., 0])))


@_assumes(lambda p: [[1 / (p**2 * (1 - p))]])
def geometric_distance(x, y):
    """``2 |artanh sqrt(1 - p1) - artanh sqrt(1 - p2)|`` (failures before the first success)."""
    x, y = _pair(x, y)
    return 2.0 * np.abs(np.arctanh(np.sqrt(1.0 - x[..., 0])) - np.arctanh(np.sqrt(1.0 - y[..., 0])))


@_assumes(_categorical_metric)
def categorical_distance(x, y):
    """``2 arccos(sum_i sqrt(p_i q_i))`` with the last probability ``1 - sum``.

    Written as ``4 arcsin(|sqrt p - sqrt q| / 2)`` (the chord of the sphere of radius 2),
    which keeps full relative accuracy for nearby points, unlike ``arccos`` near 1.

    >>> round(float(categorical_distance([0.5, 0.5], [0.5, 0.0])) * 3 / np.pi, 12)  # 2 arccos(1/2)
    2.0
    """
    x, y = _pair(x, y)
    p = np.concatenate([x, 1.0 - x.sum(axis=-1, keepdims=True)], axis=-1)
    q = np.concatenate([y, 1.0 - y.sum(axis=-1, keepdims=True)], axis=-1)
    chord = np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=-1))
    return 4.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))


@_assumes(lambda mu, lam: [[lam / mu**3, 0], [0, 1 / (2 * lam**2)]])
def inverse_gaussian_distance(x, y):
    """``sqrt(2) d_H((mu1^-1/2, (2 lam1)^-1/2), (mu2^-1/2, (2 lam2)^-1/2))``."""
    x, y = _pair(x, y)

    def chart(z):
        return np.stack([z[..., 0] ** -0.5, (2.0 * z[..., 1]) ** -0.5], axis=-1)

    return np.sqrt(2.0) * half_plane_distance(chart(x), chart(y))
