r"""Stochastic neurons and layers: exact relative Fisher information metrics (RFIM) [1]_.

A stochastic neuron with weights :math:`w = (w_1, \dots, w_d)`, bias :math:`b` and input
:math:`x` (the fixed *reference* of the RFIM) emits a random output :math:`y` whose mean is
:math:`f(h)`, :math:`h = w^\top x + b = (w, b)^\top \tilde x`, :math:`\tilde x = (x, 1)`.
The noise models are

* ``"bernoulli"``: :math:`y \in \{0, 1\}`, :math:`P(y = 1) = f(h)`, needs :math:`f \in (0, 1)`;
* ``"symmetric"``: :math:`y \in \{-1, +1\}`, :math:`P(y = 1) = (1 + f(h))/2`, needs
  :math:`f \in (-1, 1)`;
* ``"gaussian"``: :math:`y \sim N(f(h), \sigma^2)`.

Since the log-likelihood depends on :math:`(w, b)` only through :math:`h`, the score is
:math:`\partial_h \log p(y\mid h)\, \tilde x` and the RFIM is
:math:`g_y(w \mid x) = \nu_f(h)\, \tilde x \tilde x^\top` with
:math:`\nu_f(h) = E_y[(\partial_h \log p)^2] = f'(h)^2\, I(f(h))`, where :math:`I(\mu)` is the
Fisher information of the noise model in its mean (derived here from the noise model by
:func:`symbolic.fisher.fisher_metric`): :math:`1/\sigma^2`, :math:`1/(\mu(1-\mu))` and
:math:`1/(1-\mu^2)`. So

=============  ==========================  ====================================
noise          :math:`\nu_f(h)`            tanh / sigmoid
=============  ==========================  ====================================
gaussian       :math:`f'^2/\sigma^2`       sech^4/sigma^2, s^2 (1-s)^2/sigma^2
bernoulli      :math:`f'^2/(f(1-f))`       (invalid), s (1-s)
symmetric      :math:`f'^2/(1-f^2)`        sech^2, s^2 (1-s)/(1+s)
=============  ==========================  ====================================

[1]_'s table (sec. 3.1) mixes these: its tanh line :math:`\operatorname{sech}^2` is the
symmetric one, its sigmoid line :math:`s(1-s)` the Bernoulli one, its ELU line the Gaussian
one with :math:`\sigma = 1`, and its (P)ReLU line is the Gaussian one with :math:`\sigma = 1`
for the smooth activation :math:`f_\omega(t) = \iota t + \omega\log(1 + e^{(1-\iota)t/\omega})`,
whose derivative :math:`\iota + (1-\iota)\operatorname{sigm}((1-\iota)t/\omega)` smooths the
step of the PReLU derivative; it tends to the exact PReLU value only as :math:`\omega\to 0`.
See :func:`rfim_table`.

Layers (sec. 3.2) and the two-layer block (sec. 3.3) are built from :math:`\nu`. Weights are
ordered neuron by neuron, each neuron's weights then its bias (the order of
``W.ravel()`` in :mod:`numeric.nn.blocks`, where row ``i`` of ``W`` is :math:`(w_i, b_i)`).

Corrections to [1]_ made here: the linear Gaussian layer has blocks
:math:`\tilde x\tilde x^\top/\sigma^2` (the paper drops :math:`1/\sigma^2`, i.e. takes
:math:`\sigma = 1`); the two-layer block is
:math:`G_{ij} = \sum_l c_{il} c_{jl}\, \nu_{f}(c_l, h)\, f'(w_i^\top\tilde x) f'(w_j^\top\tilde x)\,
\tilde x\tilde x^\top` with the derivatives :math:`f'`, not :math:`\nu_f(w_i, x)\nu_f(w_j, x)`
as printed (the score of :math:`w_i` carries one factor :math:`f'(w_i^\top\tilde x)`).

References
----------
.. [1] K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for learning
   large modular models", ICML 2017, sections 3.1-3.3.
"""
from __future__ import annotations

import math
from collections import namedtuple

import sympy as sp

from .activations import ACTIVATIONS, NOISE_MEAN_DOMAIN, NOISES, SYMPY_FORMS, activation_range, check_pair
from .errors import AnswerError, DomainError
from .fisher import fisher_metric
from .model import SampleSpace, StatisticalModel, parameter
from .parsing import to_sympy
from .validation import integer

__all__ = [
    "ACTIVATIONS",
    "NOISES",
    "activation",
    "noise_model",
    "noise_information",
    "activation_to_nu",
    "neuron_nu",
    "neuron_model",
    "typical_constants",
    "NeuronRFIM",
    "neuron_rfim",
    "empirical_rfim",
    "TableRow",
    "rfim_table",
    "linear_layer_rfim",
    "layer_rfim",
    "softmax_model",
    "softmax_rfim",
    "two_layer_rfim",
]

# ACTIVATIONS and NOISES are the one table of symbolic.activations (shared with numeric.nn);
# any sympy expression of one symbol is accepted as an activation too.

T = sp.Symbol("t", real=True)
"""The argument of an activation :math:`f(t)`."""

H = sp.Symbol("h", real=True)
"""The pre-activation :math:`h = w^\\top\\tilde x`."""

_MU = sp.Symbol("mu", real=True)
_Y_DISCRETE = sp.Symbol("y", integer=True)
_Y_REAL = sp.Symbol("y", real=True)

_MEAN_DOMAIN = NOISE_MEAN_DOMAIN


# ---------------------------------------------------------------------------------------------
# input checks


def _check_noise(noise):
    if noise not in NOISES:
        raise ValueError(f"noise must be one of {NOISES}, got {noise!r}")
    return noise


def _check_dim(value, name):
    return integer(name, value, minimum=1)


def _number_or_symbol(value, name, lower=None, upper=None, closed_lower=False):
    """A sympy number (checked against its domain) or a symbol (kept as given).

    A string is read by the safe parser (``"1/4"``, ``"iota"``); ``None``, booleans, lists and
    other objects are a TypeError.
    """
    if isinstance(value, complex):
        raise TypeError(f"{name} must be a real number or a sympy Symbol, got complex {value!r}")
    v = to_sympy(value, name)
    if isinstance(v, sp.Symbol):
        return v
    if not isinstance(v, sp.Expr):
        # "x," reads as a tuple and "[1]" as a list: a string that is not one expression
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        if isinstance(value, str):
            raise AnswerError(f"{name}: {shown} is not a single number or symbol "
                              f"(it reads as a {type(v).__name__})")
        raise TypeError(f"{name} must be a real number or a sympy Symbol, got {type(value).__name__} {shown}")
    if not v.is_number or not v.is_real or not v.is_finite:
        raise DomainError(f"{name} must be a finite real number or a sympy Symbol, got {value!r}")
    ok_low = lower is None or (v >= lower if closed_lower else v > lower)
    ok_up = upper is None or v < upper
    if not (ok_low and ok_up):
        lo = "" if lower is None else (f">= {lower}" if closed_lower else f"> {lower}")
        hi = "" if upper is None else f"< {upper}"
        raise DomainError(f"{name} must be {' and '.join(s for s in (lo, hi) if s)}, got {value!r}")
    return sp.nsimplify(v) if isinstance(value, float) else v


def _check_sigma(noise, sigma):
    """The Gaussian scale: a positive number, or the positive symbol ``sigma`` when omitted."""
    if noise != "gaussian":
        if sigma is not None:
            raise ValueError(f"sigma applies only to noise='gaussian', got sigma={sigma!r} with noise={noise!r}")
        return None
    if sigma is None:
        return sp.Symbol("sigma", positive=True)
    return _number_or_symbol(sigma, "sigma", lower=0)


def _check_inputs(x, d, name="x"):
    """The symbols ``x1..xd`` (unbound: no default values) or the given numbers."""
    if x is None:
        return list(sp.symbols(f"x1:{d + 1}", real=True))
    values = list(x)
    if len(values) != d:
        raise DomainError(f"{name} must hold d = {d} inputs, got {len(values)}")
    return [_number_or_symbol(v, f"{name}[{k}]") for k, v in enumerate(values)]


def typical_constants(d, noise="gaussian"):
    r"""Typical values for the symbolic constants of a neuron with ``d`` inputs: the input
    :math:`x_k = (-1)^{k-1} k/2` (``x1 = 1/2``, ``x2 = -1``, ``x3 = 3/2``, ...) and, for Gaussian
    noise, :math:`\sigma = 1`.

    Nothing applies them silently (issue 11: symbolic constructor arguments are carried into
    the numeric layer or refused there); tests, examples and benchmarks that need numbers bind
    them explicitly, ``Neuron(..., d=d).with_constants(**typical_constants(d, noise))``.
    The same table serves :func:`softmax_model` (its inputs only).

    Parameters
    ----------
    d : int
        Number of inputs, >= 1.
    noise : {"bernoulli", "symmetric", "gaussian"} or None
        ``None`` for the inputs only.

    Returns
    -------
    dict
        ``{name: Rational}``, ready for ``with_constants(**...)``.

    Examples
    --------
    >>> typical_constants(3, "gaussian")
    {'x1': 1/2, 'x2': -1, 'x3': 3/2, 'sigma': 1}
    >>> typical_constants(1, "symmetric")
    {'x1': 1/2}
    """
    d = _check_dim(d, "d")
    if noise is not None:
        _check_noise(noise)
    values = {f"x{k + 1}": sp.Rational((-1) ** k * (k + 1), 2) for k in range(d)}
    if noise == "gaussian":
        values["sigma"] = sp.Integer(1)
    return values


# ---------------------------------------------------------------------------------------------
# activations and noise models


def activation(spec, *, slope=sp.Rational(1, 4), alpha=1, omega=None):
    r"""An activation :math:`f` as a sympy ``Lambda`` of one variable.

    Parameters
    ----------
    spec : str, Expr, Lambda or callable
        One of :data:`ACTIVATIONS`, a sympy expression of exactly one symbol, a one-argument
        ``Lambda``, or a Python function mapping a sympy symbol to an expression.

    Other Parameters
    ----------------
    slope : number or Symbol
        PReLU slope :math:`\iota` for :math:`t \le 0`, in [0, 1).
    alpha : number or Symbol
        ELU scale :math:`\alpha > 0` (:math:`f(t) = \alpha(e^t - 1)` for :math:`t \le 0`).
    omega : number or Symbol, optional
        PReLU/ReLU only: use [1]_'s smooth approximation
        :math:`f_\omega(t) = \iota t + \omega \log(1 + e^{(1-\iota)t/\omega})`, :math:`\omega > 0`.

    Piecewise activations take the :math:`t > 0` branch only for positive :math:`t`, so the
    derivative at the kink is the left one (as in :mod:`numeric.nn.blocks` and autodiff).

    Examples
    --------
    >>> activation("sigmoid")
    Lambda(t, 1/(1 + exp(-t)))
    >>> activation("relu")
    Lambda(t, Piecewise((t, t > 0), (0, True)))
    >>> activation("prelu", slope=0, omega=1)
    Lambda(t, log(exp(t) + 1))
    >>> import sympy as sp
    >>> u = sp.Symbol("u")
    >>> activation(u**3)
    Lambda(t, t**3)
    """
    if omega is not None and spec not in ("prelu", "relu"):
        raise ValueError(f"omega (the smooth approximation) applies only to 'prelu' and 'relu', got {spec!r}")
    if isinstance(spec, str):
        t = T
        if spec not in SYMPY_FORMS:
            raise ValueError(f"activation must be one of {ACTIVATIONS} or a sympy expression of one "
                             f"symbol, got {spec!r}")
        iota = a = None
        if spec == "prelu":
            iota = _number_or_symbol(slope, "slope", lower=0, upper=1, closed_lower=True)
        elif spec == "elu":
            a = _number_or_symbol(alpha, "alpha", lower=0)
        if omega is not None:
            iota = 0 if spec == "relu" else iota
            om = _number_or_symbol(omega, "omega", lower=0)
            f = iota * t + om * sp.log(1 + sp.exp((1 - iota) * t / om))
        else:
            f = SYMPY_FORMS[spec](t, slope=iota, alpha=a)
        return sp.Lambda(t, f)
    if isinstance(spec, sp.Lambda):
        if len(spec.variables) != 1:
            raise ValueError(f"activation must be a Lambda of one variable, got {spec}")
        return sp.Lambda(T, spec(T))
    if isinstance(spec, sp.Expr):
        free = spec.free_symbols
        if len(free) != 1:
            raise ValueError(f"activation must be an expression of exactly one symbol, got {spec} "
                             f"with symbols {sorted(map(str, free))}")
        return sp.Lambda(T, spec.subs(free.pop(), T))
    if callable(spec):
        return activation(sp.sympify(spec(T), strict=True))
    raise ValueError(f"activation must be one of {ACTIVATIONS} or a sympy expression of one symbol, got {spec!r}")


def _range(spec, slope, alpha):
    if not isinstance(spec, str):
        return None  # unknown: a user expression is trusted
    return activation_range(spec, to_sympy(slope, "slope"), to_sympy(alpha, "alpha"))


def _check_pair(spec, noise, slope, alpha):
    """DomainError (a ValueError) when the activation's range does not fit the noise's mean."""
    if isinstance(spec, str):  # a user expression is trusted
        check_pair(spec, noise, slope, alpha)


def _log_likelihood(noise, mean, y, sigma):
    if noise == "bernoulli":
        return y * sp.log(mean) + (1 - y) * sp.log(1 - mean)
    if noise == "symmetric":
        return (1 + y) / 2 * sp.log((1 + mean) / 2) + (1 - y) / 2 * sp.log((1 - mean) / 2)
    return -(y - mean) ** 2 / (2 * sigma**2) - sp.log(sigma * sp.sqrt(2 * sp.pi))


def _space(noise):
    if noise == "bernoulli":
        return SampleSpace.finite(_Y_DISCRETE, [0, 1]), _Y_DISCRETE
    if noise == "symmetric":
        return SampleSpace.finite(_Y_DISCRETE, [-1, 1]), _Y_DISCRETE
    return SampleSpace.interval(_Y_REAL), _Y_REAL


def noise_model(noise, sigma=None):
    r"""The output law of a neuron as a model in its mean :math:`\mu` (one coordinate ``mu``).

    Examples
    --------
    >>> noise_model("symmetric")
    StatisticalModel(symmetric noise; mu)
    """
    _check_noise(noise)
    sigma = _check_sigma(noise, sigma)
    lo, hi = _MEAN_DOMAIN[noise]
    mu = parameter("mu", None if math.isinf(lo) else lo, None if math.isinf(hi) else hi, real=True)
    space, y = _space(noise)
    return StatisticalModel(
        f"{noise} noise", [mu], space, _log_likelihood(noise, mu.symbol, y, sigma),
        location_scale=(mu.symbol, sigma) if noise == "gaussian" else None)


def noise_information(noise, sigma=None):
    r"""Fisher information :math:`I(\mu)` of the noise model in its mean, derived exactly.

    Returns an expression in the symbol ``mu``.

    Examples
    --------
    >>> noise_information("bernoulli")
    -1/(mu*(mu - 1))
    >>> noise_information("symmetric")
    -1/((mu - 1)*(mu + 1))
    >>> noise_information("gaussian", sigma=2)
    1/4
    """
    model = noise_model(noise, sigma)
    return fisher_metric(model, method="score")[0, 0].subs(model.coordinates[0], _MU)


def activation_to_nu(f, information):
    r""":math:`\nu(h) = f'(h)^2\, I(f(h))` from an activation ``Lambda`` and :math:`I(\mu)`.

    The chain rule: the neuron is the noise model with mean :math:`\mu = f(h)`.

    Examples
    --------
    >>> activation_to_nu(activation("tanh"), noise_information("symmetric"))
    1 - tanh(h)**2
    """
    df = sp.diff(f(H), H)
    nu = (df**2 * information.subs(_MU, f(H)))
    return _tidy(nu)


def _tidy(expr):
    """A short form of a nu coefficient (Piecewise branches simplified one by one)."""
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(_tidy(e), c) for e, c in expr.args])
    out = sp.factor(sp.cancel(expr))
    if out.has(sp.tanh):
        # sympy keeps tanh; 1 - tanh^2 factors as -(tanh - 1)(tanh + 1)
        out = sp.expand(out)
    return out


def neuron_nu(activation_spec, noise, sigma=None, *, slope=sp.Rational(1, 4), alpha=1, omega=None, h=H):
    r"""The RFIM coefficient :math:`\nu_f(h)` of one neuron [1]_ (sec. 3.1), as an expression of ``h``.

    Parameters
    ----------
    activation_spec : str, Expr, Lambda or callable
        See :func:`activation`.
    noise : {"bernoulli", "symmetric", "gaussian"}
    sigma : positive number or Symbol, optional
        Gaussian noise only; the symbol ``sigma`` when omitted.

    Other Parameters
    ----------------
    slope, alpha, omega
        See :func:`activation`.
    h : Symbol or Expr
        Where to evaluate :math:`\nu`.

    Examples
    --------
    >>> neuron_nu("sigmoid", "bernoulli")
    exp(h)/(exp(h) + 1)**2
    >>> neuron_nu("tanh", "gaussian")
    (1 - tanh(h)**2)**2/sigma**2
    >>> neuron_nu("elu", "gaussian", sigma=1)
    Piecewise((1, h > 0), (exp(2*h), True))
    """
    _check_noise(noise)
    sigma = _check_sigma(noise, sigma)
    f = activation(activation_spec, slope=slope, alpha=alpha, omega=omega)
    _check_pair(activation_spec, noise, slope, alpha)
    nu = activation_to_nu(f, noise_information(noise, sigma))
    if nu.has(sp.tanh):
        nu = _tanh_form(nu)
    return nu.subs(H, h) if h is not H else nu


def _tanh_form(expr):
    """Write the factors (tanh - 1)(tanh + 1) as 1 - tanh^2 (sympy's derivative of tanh)."""
    s = sp.Dummy("s")
    e = sp.factor(expr.subs(sp.tanh(H), s))
    num, den = sp.fraction(e)
    k = 0
    while sp.rem(num, 1 - s**2, s) == 0 and num.has(s):
        num, k = sp.factor(sp.quo(num, 1 - s**2, s)), k + 1
    return (num * (1 - s**2) ** k / den).subs(s, sp.tanh(H))


# ---------------------------------------------------------------------------------------------
# one neuron


def _weights(d):
    return [parameter(f"w{k + 1}") for k in range(d)] + [parameter("b")]


def neuron_model(activation_spec, noise, d, x=None, sigma=None, *, slope=sp.Rational(1, 4), alpha=1,
                 omega=None):
    r"""A stochastic neuron as a :class:`StatisticalModel`: coordinates ``w1..wd`` then ``b``.

    The input :math:`x` is the fixed reference of the RFIM: the numbers given, or the symbols
    ``x1..xd`` when omitted. Symbols (``x1..xd``, and ``sigma`` when omitted for Gaussian noise)
    stay unbound: the model's ``constants`` is empty, so the symbolic layer keeps them and the
    numeric layer refuses the model until they have values (pass them here, or bind them with
    ``Neuron(...).with_constants(x1=..., sigma=...)``; :func:`typical_constants` holds typical
    ones). Nothing is replaced by a default. The model declares
    its metric :math:`\nu_f(h)\tilde x\tilde x^\top` (:func:`neuron_rfim`) as a closed form;
    ``fisher_metric(model, method="score")`` derives it from the log-density instead.

    Parameters
    ----------
    activation_spec : str, Expr, Lambda or callable
        See :func:`activation`.
    noise : {"bernoulli", "symmetric", "gaussian"}
    d : int
        Number of inputs, >= 1.
    x : sequence of numbers or Symbols, optional
        The input (length ``d``); the symbols ``x1..xd`` when omitted.
    sigma : positive number or Symbol, optional
        Gaussian noise only; the symbol ``sigma`` when omitted.

    Other Parameters
    ----------------
    slope, alpha, omega
        See :func:`activation`.

    Examples
    --------
    >>> neuron_model("tanh", "gaussian", d=2).unbound_constants()
    (sigma, x1, x2)
    >>> neuron_model("tanh", "gaussian", d=2, x=[1, 2], sigma=3).unbound_constants()
    ()
    >>> from symbolic.fisher import fisher_metric
    >>> m = neuron_model("sigmoid", "bernoulli", d=1, x=[2])
    >>> m.coordinates
    (w1, b)
    >>> g = fisher_metric(m, method="score")
    >>> import sympy as sp
    >>> sp.simplify(g - m.closed_forms["fisher_metric"])
    Matrix([
    [0, 0],
    [0, 0]])
    """
    d = _check_dim(d, "d")
    rfim = neuron_rfim(activation_spec, noise, d, x, sigma, slope=slope, alpha=alpha, omega=omega)
    sigma = _check_sigma(noise, sigma)
    xs = _check_inputs(x, d)
    params = _weights(d)
    f = activation(activation_spec, slope=slope, alpha=alpha, omega=omega)
    mean = f(rfim.preactivation)
    space, y = _space(noise)
    name = activation_spec if isinstance(activation_spec, str) else str(f(T))
    return StatisticalModel(
        f"Neuron({name}, {noise})", params, space, _log_likelihood(noise, mean, y, sigma),
        location_scale=(mean, sigma) if noise == "gaussian" else None,
        closed_forms={"fisher_metric": rfim.metric},
        description=f"stochastic {name} neuron with {noise} output noise, input {tuple(xs)}")


NeuronRFIM = namedtuple("NeuronRFIM", "nu metric preactivation augmented_input coordinates")
NeuronRFIM.__doc__ = """RFIM of one neuron (:func:`neuron_rfim`).

nu : Expr, the coefficient nu_f(w, x)
metric : Matrix, nu * x~ x~^T, shape (d + 1, d + 1)
preactivation : Expr, h = w.x + b
augmented_input : Matrix, x~ = (x, 1), shape (d + 1, 1)
coordinates : tuple of Symbol, (w1, ..., wd, b)
"""


def neuron_rfim(activation_spec, noise, d, x=None, sigma=None, *, slope=sp.Rational(1, 4), alpha=1,
                omega=None):
    r"""The RFIM of one neuron, :math:`g_y(w\mid x) = \nu_f(w, x)\,\tilde x\tilde x^\top` [1]_ (sec. 3.1).

    Arguments as :func:`neuron_model`. Returns a :class:`NeuronRFIM`.

    Examples
    --------
    >>> r = neuron_rfim("linear", "gaussian", d=1)
    >>> r.nu
    sigma**(-2)
    >>> r.metric
    Matrix([
    [x1**2/sigma**2, x1/sigma**2],
    [   x1/sigma**2,  sigma**(-2)]])
    >>> neuron_rfim("tanh", "symmetric", d=2).nu
    1 - tanh(b + w1*x1 + w2*x2)**2

    The metric has rank one: a single reference input only measures the direction
    :math:`\tilde x`, so Christoffel symbols and curvature do not exist for it. Averaging over
    several inputs (:func:`empirical_rfim`) gives a full-rank metric.
    """
    d = _check_dim(d, "d")
    _check_noise(noise)
    xs = _check_inputs(x, d)
    params = _weights(d)
    coords = tuple(p.symbol for p in params)
    xt = sp.Matrix(xs + [1])
    h = sum(w * xi for w, xi in zip(coords, xs, strict=False)) + coords[-1]
    nu = neuron_nu(activation_spec, noise, sigma, slope=slope, alpha=alpha, omega=omega, h=h)
    return NeuronRFIM(nu, nu * xt * xt.T, h, xt, coords)


def empirical_rfim(activation_spec, noise, X, sigma=None, *, slope=sp.Rational(1, 4), alpha=1, omega=None):
    r"""The neuron RFIM averaged over reference inputs: :math:`\frac1N\sum_n \nu_f(w^\top\tilde x_n)
    \tilde x_n\tilde x_n^\top` [1]_ (sec. 5.1), in the coordinates ``w1..wd``, ``b``.

    ``X`` holds ``N`` inputs of length ``d`` (rows). The metric is positive definite when the
    augmented inputs span :math:`\mathbb{R}^{d+1}` and :math:`\nu > 0`.

    Examples
    --------
    >>> empirical_rfim("linear", "gaussian", [[1], [-1]], sigma=1)
    Matrix([
    [1, 0],
    [0, 1]])
    """
    rows = [list(r) for r in X]
    if not rows:
        raise DomainError("X must hold at least one input, got none")
    d = len(rows[0])
    total = sp.zeros(d + 1, d + 1)
    for n, row in enumerate(rows):
        if len(row) != d:
            raise DomainError(f"every input in X must have length {d}, row {n} has {len(row)}")
        total += neuron_rfim(activation_spec, noise, d, row, sigma, slope=slope, alpha=alpha, omega=omega).metric
    return total / len(rows)


# ---------------------------------------------------------------------------------------------
# the table of sec. 3.1

TableRow = namedtuple("TableRow", "activation noise nu paper matches note")
TableRow.__doc__ = """One line of :func:`rfim_table`.

activation, noise : str
nu : Expr in h, derived
paper : str or None, the line of [1]_ sec. 3.1 this row is compared with
matches : bool or None, whether nu equals the paper's value (for h != 0), None if no line applies
note : str
"""

_IOTA = sp.Symbol("iota", nonnegative=True)
_OMEGA = sp.Symbol("omega", positive=True)
_ALPHA = sp.Symbol("alpha", positive=True)


def _sigm(z):
    return 1 / (1 + sp.exp(-z))


def _paper_lines():
    """[1]_ sec. 3.1, transcribed: (activation -> (text, nu(h)))."""
    h = H
    return {
        "tanh": ("tanh: nu = sech(h)^2", sp.sech(h) ** 2),
        "sigmoid": ("sigm: nu = sigm(h) (1 - sigm(h))", _sigm(h) * (1 - _sigm(h))),
        "prelu": ("PReLU: nu = [iota + (1 - iota) sigm((1 - iota) h / omega)]^2",
                  (_IOTA + (1 - _IOTA) * _sigm((1 - _IOTA) * h / _OMEGA)) ** 2),
        "relu": ("PReLU with iota = 0 (ReLU): nu = sigm(h / omega)^2", _sigm(h / _OMEGA) ** 2),
        "elu": ("ELU: nu = 1 (h >= 0), alpha^2 exp(2 h) (h < 0)",
                sp.Piecewise((1, h >= 0), (_ALPHA**2 * sp.exp(2 * h), True))),
    }


def _equal_off_zero(a, b):
    """Whether two functions of ``h`` agree for h > 0 and for h < 0 (a kink at 0 aside)."""
    p = sp.Symbol("p", positive=True)
    for side in (p, -p):
        diff = sp.piecewise_fold((a - b).subs(H, side))
        diff = sp.simplify(diff.rewrite(sp.exp))
        if diff != 0:
            return False
    return True


def rfim_table(sigma=1):
    r"""[1]_'s single-neuron table (sec. 3.1), re-derived for every activation and noise model.

    For each built-in activation and each noise model its range allows, the derived
    :math:`\nu(h)` and the line of the paper's table it is compared with. PReLU and ELU keep
    their parameters symbolic (``iota``, ``alpha``); ReLU and PReLU appear twice, exactly and
    with the paper's smooth approximation (``omega``).

    Parameters
    ----------
    sigma : positive number or Symbol
        Scale of the Gaussian noise (the paper's lines assume 1).

    Returns
    -------
    list of TableRow

    Examples
    --------
    >>> rows = rfim_table()
    >>> [(r.activation, r.noise) for r in rows if r.matches]
    [('tanh', 'symmetric'), ('sigmoid', 'bernoulli'), ('relu (smooth)', 'gaussian'), ('prelu (smooth)', 'gaussian'), ('elu', 'gaussian')]
    """
    sigma = _number_or_symbol(sigma, "sigma", lower=0)
    lines = _paper_lines()
    rows = []
    specs = [("linear", {}), ("tanh", {}), ("sigmoid", {}), ("relu", {}), ("relu (smooth)", {"omega": _OMEGA}),
             ("prelu", {"slope": _IOTA}), ("prelu (smooth)", {"slope": _IOTA, "omega": _OMEGA}),
             ("elu", {"alpha": _ALPHA}), ("softplus", {})]
    for label, options in specs:
        name = label.split()[0]
        for noise in NOISES:
            try:
                _check_pair(name, noise, options.get("slope", sp.Rational(1, 4)), options.get("alpha", 1))
            except ValueError:
                continue
            nu = neuron_nu(name, noise, sigma if noise == "gaussian" else None, **options)
            paper, matches = None, None
            if name in lines:
                paper, value = lines[name]
                matches = _equal_off_zero(nu, value)
            rows.append(TableRow(label, noise, nu, paper, matches, _note(label, noise, matches, sigma)))
    return rows


def _note(label, noise, matches, sigma):
    if matches:
        return "matches" + (" (sigma = 1)" if noise == "gaussian" else "")
    if matches is None:
        return "no line in the paper"
    if label in ("relu", "prelu") and noise == "gaussian":
        return "exact step in f'; the paper's smooth value tends to it as omega -> 0"
    if noise == "gaussian" and sigma != 1:
        return "the paper's line assumes sigma = 1"
    return "the paper's line is another noise model"


# ---------------------------------------------------------------------------------------------
# layers (sec. 3.2)


def _layer_weights(d_in, d_out, prefix="w", bias="b"):
    """Symbols neuron by neuron: ``w{i}_{j}`` then ``b{i}``."""
    return [[sp.Symbol(f"{prefix}{i + 1}_{j + 1}", real=True) for j in range(d_in)]
            + [sp.Symbol(f"{bias}{i + 1}", real=True)] for i in range(d_out)]


def linear_layer_rfim(d_in, d_out, x=None, sigma=None):
    r"""RFIM of a linear Gaussian layer :math:`y \sim N(W^\top\tilde x, \sigma^2 I)` [1]_ (sec. 3.2).

    :math:`\operatorname{diag}[\tilde x\tilde x^\top, \dots]/\sigma^2` (the paper takes
    :math:`\sigma = 1`), in the coordinates ``w{i}_{j}``, ``b{i}`` neuron by neuron.

    Examples
    --------
    >>> linear_layer_rfim(1, 2, x=[3], sigma=1)
    Matrix([
    [9, 3, 0, 0],
    [3, 1, 0, 0],
    [0, 0, 9, 3],
    [0, 0, 3, 1]])
    """
    d_in, d_out = _check_dim(d_in, "d_in"), _check_dim(d_out, "d_out")
    sigma = _check_sigma("gaussian", sigma)
    xs = _check_inputs(x, d_in)
    xt = sp.Matrix(xs + [1])
    return sp.diag(*[xt * xt.T / sigma**2 for _ in range(d_out)])


def layer_rfim(activation_spec, noise, d_in, d_out, x=None, sigma=None, *, slope=sp.Rational(1, 4),
               alpha=1, omega=None):
    r"""RFIM of a layer of independent stochastic neurons: block diagonal [1]_ (eq. 2).

    :math:`\operatorname{diag}[\nu_f(w_1, x)\tilde x\tilde x^\top, \dots,
    \nu_f(w_m, x)\tilde x\tilde x^\top]` in the coordinates ``w{i}_{j}``, ``b{i}`` neuron by neuron.

    Examples
    --------
    >>> G = layer_rfim("sigmoid", "bernoulli", 1, 2, x=[0])
    >>> G[:2, :2]
    Matrix([
    [0,                           0],
    [0, exp(b1)/(exp(b1) + 1)**2]])
    >>> G[:2, 2:] == sp.zeros(2, 2)
    True
    """
    d_in, d_out = _check_dim(d_in, "d_in"), _check_dim(d_out, "d_out")
    _check_noise(noise)
    xs = _check_inputs(x, d_in)
    xt = sp.Matrix(xs + [1])
    nu = neuron_nu(activation_spec, noise, sigma, slope=slope, alpha=alpha, omega=omega)
    blocks = []
    for row in _layer_weights(d_in, d_out):
        h = sum(w * xi for w, xi in zip(row, xs + [1], strict=False))
        blocks.append(nu.subs(H, h) * xt * xt.T)
    return sp.diag(*blocks)


def softmax_model(m, d_in, x=None):
    r"""A softmax layer :math:`P(y = k) = \eta_k = e^{w_k^\top\tilde x}/\sum_i e^{w_i^\top\tilde x}`,
    :math:`y \in \{1, \dots, m\}`, as a :class:`StatisticalModel` (coordinates ``w{k}_{j}``, ``b{k}``).

    All :math:`m` weight vectors are coordinates, so the metric is singular along
    :math:`(1, \dots, 1)\otimes v` (adding a vector to every :math:`w_k` changes nothing).
    An omitted input is the unbound symbols ``x1..x{d_in}`` (no default values; see
    :func:`neuron_model`).

    Examples
    --------
    >>> softmax_model(2, 1, x=[1]).coordinates
    (w1_1, b1, w2_1, b2)
    >>> softmax_model(2, 2).unbound_constants()
    (x1, x2)
    """
    m, d_in = _check_dim(m, "m"), _check_dim(d_in, "d_in")
    xs = _check_inputs(x, d_in)
    rows = _layer_weights(d_in, m)
    z = [sum(w * xi for w, xi in zip(row, xs + [1], strict=False)) for row in rows]
    y = _Y_DISCRETE
    log_p = sum(sp.KroneckerDelta(y, k + 1) * z[k] for k in range(m)) - sp.log(sum(sp.exp(zk) for zk in z))
    params = [parameter(s.name) for row in rows for s in row]
    return StatisticalModel(f"Softmax({m})", params, SampleSpace.finite(y, range(1, m + 1)), log_p)


def softmax_rfim(m, d_in, x=None):
    r"""RFIM of a softmax layer [1]_ (sec. 3.2): dense, blocks
    :math:`G_{ik} = (\delta_{ik}\eta_i - \eta_i\eta_k)\,\tilde x\tilde x^\top`.

    The score of :math:`w_i` is :math:`(\delta_{iy} - \eta_i)\tilde x`, and the covariance of the
    one-hot vector is :math:`\operatorname{diag}\eta - \eta\eta^\top`.

    Returns
    -------
    Matrix, shape (m (d_in + 1), m (d_in + 1)), in the coordinates of :func:`softmax_model`.

    Examples
    --------
    >>> G = softmax_rfim(2, 1, x=[0])
    >>> sp.simplify(G[1, 1] + G[1, 3])          # each row of blocks sums to zero
    0
    """
    m, d_in = _check_dim(m, "m"), _check_dim(d_in, "d_in")
    xs = _check_inputs(x, d_in)
    xt = sp.Matrix(xs + [1])
    rows = _layer_weights(d_in, m)
    e = [sp.exp(sum(w * xi for w, xi in zip(row, xs + [1], strict=False))) for row in rows]
    eta = [ek / sum(e) for ek in e]
    D = d_in + 1
    G = sp.zeros(m * D, m * D)
    for i in range(m):
        for k in range(m):
            G[i * D:(i + 1) * D, k * D:(k + 1) * D] = ((eta[i] if i == k else 0) - eta[i] * eta[k]) * xt * xt.T
    return G


# ---------------------------------------------------------------------------------------------
# two layers (sec. 3.3)


def two_layer_rfim(activation_spec, noise, d_in, d_hidden, d_out, x=None, C=None, sigma=None, *,
                   output_activation=None, slope=sp.Rational(1, 4), alpha=1, omega=None):
    r"""RFIM of the first-layer weights of a two-layer block, relative to ``x`` and ``C`` [1]_ (sec. 3.3).

    The hidden layer :math:`h = f(W^\top\tilde x)` is deterministic; the outputs
    :math:`y_l` are independent with mean :math:`g(c_l^\top\tilde h)` under ``noise``
    (:math:`g` = ``output_activation``, by default :math:`f`). The blocks are

    .. math:: G_{ij} = \sum_l c_{il} c_{jl}\, \nu_g(c_l^\top\tilde h)\, f'(w_i^\top\tilde x)\,
              f'(w_j^\top\tilde x)\, \tilde x\tilde x^\top,

    the paper's formula with :math:`f'(w_i^\top\tilde x) f'(w_j^\top\tilde x)` in place of
    :math:`\nu_f(w_i, x)\nu_f(w_j, x)`: the score of :math:`w_i` is
    :math:`\sum_l \partial_{z_l}\log p(y_l)\, c_{il} f'(w_i^\top\tilde x)\tilde x`, and the
    scores of different outputs are uncorrelated.

    Parameters
    ----------
    activation_spec : str, Expr, Lambda or callable
        Hidden activation :math:`f`.
    noise : str
        Output noise model.
    d_in, d_hidden, d_out : int
    x : sequence, optional
        Input (symbols ``x1..`` when omitted).
    C : Matrix, shape (d_hidden + 1, d_out), optional
        Output weights, bias row last (symbols ``c{i}_{l}`` when omitted).
    sigma : optional
        Gaussian noise only.

    Other Parameters
    ----------------
    output_activation : optional
        :math:`g`; defaults to ``activation_spec``.
    slope, alpha, omega
        See :func:`activation`.

    Returns
    -------
    Matrix, shape (d_hidden (d_in + 1), d_hidden (d_in + 1)), in the coordinates ``w{i}_{j}``,
    ``b{i}`` hidden neuron by hidden neuron.

    Examples
    --------
    >>> G = two_layer_rfim("linear", "gaussian", 1, 2, 1, x=[0], C=sp.Matrix([2, 3, 0]), sigma=1)
    >>> G
    Matrix([
    [0, 0, 0, 0],
    [0, 4, 0, 6],
    [0, 0, 0, 0],
    [0, 6, 0, 9]])
    """
    d_in, d_hidden, d_out = (_check_dim(d_in, "d_in"), _check_dim(d_hidden, "d_hidden"),
                             _check_dim(d_out, "d_out"))
    _check_noise(noise)
    out_spec = activation_spec if output_activation is None else output_activation
    f = activation(activation_spec, slope=slope, alpha=alpha, omega=omega)
    nu_out = neuron_nu(out_spec, noise, sigma, slope=slope, alpha=alpha, omega=omega)
    xs = _check_inputs(x, d_in)
    xt = sp.Matrix(xs + [1])
    if C is None:
        C = sp.Matrix(d_hidden + 1, d_out, lambda i, l: sp.Symbol(f"c{i + 1}_{l + 1}", real=True))
    C = sp.Matrix(C)
    if C.shape != (d_hidden + 1, d_out):
        raise DomainError(f"C must have shape (d_hidden + 1, d_out) = {(d_hidden + 1, d_out)}, got {C.shape}")
    rows = _layer_weights(d_in, d_hidden)
    pre = [sum(w * xi for w, xi in zip(row, xs + [1], strict=False)) for row in rows]
    df = sp.diff(f(T), T)
    dfs = [df.subs(T, p) for p in pre]
    ht = sp.Matrix([f(p) for p in pre] + [1])
    nus = [nu_out.subs(H, (C[:, l].T * ht)[0, 0]) for l in range(d_out)]
    D = d_in + 1
    G = sp.zeros(d_hidden * D, d_hidden * D)
    for i in range(d_hidden):
        for j in range(d_hidden):
            coeff = sum(C[i, l] * C[j, l] * nus[l] for l in range(d_out)) * dfs[i] * dfs[j]
            G[i * D:(i + 1) * D, j * D:(j + 1) * D] = coeff * xt * xt.T
    return G
