r"""The one table of neuron activations and output-noise models.

Every network module reads this table: :mod:`symbolic.neuron` builds its sympy activations from
:data:`SYMPY_FORMS`, and :mod:`numeric.nn.activations` maps the same names to the integer codes
of its numba cores (it may import ``symbolic``; ``symbolic`` never imports ``numeric``). One
name per activation (``"linear"``, not ``"identity"``; no aliases).

=============  ====================================  ================================
name           :math:`f(t)`                          range
=============  ====================================  ================================
``linear``     :math:`t`                             :math:`(-\infty, \infty)`
``tanh``       :math:`\tanh t`                       :math:`(-1, 1)`
``sigmoid``    :math:`1/(1 + e^{-t})`                :math:`(0, 1)`
``relu``       :math:`t` if :math:`t > 0`, else 0    :math:`[0, \infty)`
``prelu``      :math:`t` if :math:`t > 0`, else      :math:`(-\infty, \infty)`, or
               :math:`\iota t` (``slope``)           :math:`[0, \infty)` if :math:`\iota = 0`
``elu``        :math:`t` if :math:`t > 0`, else      :math:`(-\alpha, \infty)`
               :math:`\alpha (e^t - 1)` (``alpha``)
``softplus``   :math:`\log(1 + e^t)`                 :math:`(0, \infty)`
=============  ====================================  ================================

The piecewise activations take the :math:`t > 0` branch only for positive :math:`t`, so the
derivative at the kink is the left one (``relu'(0) = 0``, as in the autodiff frameworks).

Noise models of a neuron with mean :math:`\mu = f(h)`: ``"gaussian"``
:math:`y \sim N(\mu, \sigma^2)`; ``"bernoulli"`` :math:`y \in \{0, 1\}`, :math:`P(y=1) = \mu`,
needs :math:`\mu \in (0, 1)`; ``"symmetric"`` :math:`y \in \{-1, +1\}`,
:math:`P(y=1) = (1 + \mu)/2`, needs :math:`\mu \in (-1, 1)`.

Examples
--------
>>> ACTIVATIONS
('linear', 'tanh', 'sigmoid', 'relu', 'prelu', 'elu', 'softplus')
>>> import sympy as sp
>>> t = sp.Symbol("t", real=True)
>>> SYMPY_FORMS["elu"](t, slope=sp.Rational(1, 4), alpha=2)
Piecewise((t, t > 0), (2*exp(t) - 2, True))
>>> activation_range("elu", alpha=2.0)
(-2.0, inf)
>>> check_pair("relu", "bernoulli")
Traceback (most recent call last):
...
symbolic.errors.DomainError: noise='bernoulli' needs a mean in (0, 1), but activation='relu' takes values in (0, inf); use noise='gaussian' or an activation such as sigmoid
"""
from __future__ import annotations

import math

import sympy as sp

from .errors import DomainError
from .validation import choice

__all__ = [
    "ACTIVATIONS",
    "NOISES",
    "SYMPY_FORMS",
    "NOISE_MEAN_DOMAIN",
    "activation_range",
    "check_activation",
    "check_noise",
    "check_pair",
]


def _piecewise(t, negative):
    return sp.Piecewise((t, t > 0), (negative, True))


# name -> f(t, slope, alpha) as a sympy expression; slope and alpha are used by prelu and elu.
SYMPY_FORMS = {
    "linear": lambda t, slope=None, alpha=None: t,
    "tanh": lambda t, slope=None, alpha=None: sp.tanh(t),
    "sigmoid": lambda t, slope=None, alpha=None: 1 / (1 + sp.exp(-t)),
    "relu": lambda t, slope=None, alpha=None: _piecewise(t, sp.Integer(0)),
    "prelu": lambda t, slope=None, alpha=None: _piecewise(t, slope * t),
    "elu": lambda t, slope=None, alpha=None: _piecewise(t, alpha * (sp.exp(t) - 1)),
    "softplus": lambda t, slope=None, alpha=None: sp.log(1 + sp.exp(t)),
}
"""Activation name -> ``f(t, slope=..., alpha=...)`` returning the sympy expression."""

ACTIVATIONS = tuple(SYMPY_FORMS)
"""Names of the elementwise activations, in the order of the numeric codes."""

NOISE_MEAN_DOMAIN = {
    "gaussian": (-math.inf, math.inf),
    "bernoulli": (0.0, 1.0),
    "symmetric": (-1.0, 1.0),
}
"""Noise name -> the open interval its mean must lie in."""

NOISES = tuple(NOISE_MEAN_DOMAIN)
"""Names of the output-noise models, in the order of the numeric codes."""

_FIXED_RANGE = {
    "linear": (-math.inf, math.inf),
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "relu": (0.0, math.inf),
    "softplus": (0.0, math.inf),
}


def _number(value):
    """``float(value)``, or None for a symbol (a symbolic parameter has no fixed range)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def check_activation(name):
    """``name`` if it is one of :data:`ACTIVATIONS`, else ``ValueError`` listing them."""
    return choice("activation", name, ACTIVATIONS)


def check_noise(name):
    """``name`` if it is one of :data:`NOISES`, else ``ValueError`` listing them."""
    return choice("noise", name, NOISES)


def activation_range(name, slope=0.25, alpha=1.0):
    """The interval ``(lo, hi)`` that activation ``name`` takes values in.

    ``slope`` (PReLU) and ``alpha`` (ELU) may be sympy symbols; a symbolic parameter gives
    the widest range it allows.
    """
    check_activation(name)
    if name == "prelu":
        s = _number(slope)
        return (0.0 if s == 0.0 else -math.inf, math.inf)
    if name == "elu":
        a = _number(alpha)
        return (-math.inf if a is None else -a, math.inf)
    return _FIXED_RANGE[name]


def check_pair(activation, noise, slope=0.25, alpha=1.0):
    """Raise :class:`DomainError` unless the activation's range fits the noise model's mean."""
    check_noise(noise)
    lo, hi = activation_range(activation, slope, alpha)
    dlo, dhi = NOISE_MEAN_DOMAIN[noise]
    if lo < dlo or hi > dhi:
        raise DomainError(
            f"noise={noise!r} needs a mean in ({dlo:g}, {dhi:g}), but activation={activation!r} "
            f"takes values in ({lo:g}, {hi:g}); use noise='gaussian' or an activation such as "
            f"{'sigmoid' if noise == 'bernoulli' else 'tanh'}"
        )
