r"""The activations and noise models of every network module: names, scalar numba cores.

The names, ranges and sympy forms are the table of :mod:`symbolic.activations` (re-exported
here as :data:`ACTIVATIONS` and :data:`NOISES`); this module adds the numeric side: integer
codes and scalar cores of :math:`f`, :math:`f'`, :math:`f''` and :math:`\nu`, shared by the
CPU and the GPU kernels. The tests check every core against the sympy form of its row.

Every function here is a lazily typed ``@njit(cache=True)`` function of scalars. The CPU
kernels (:mod:`numeric.nn._cpu`, numba ``prange``) call them, and so do the ``numba.cuda``
kernels (:mod:`numeric.nn.cuda`): numba-cuda compiles a CPU dispatcher called from a kernel for
the CUDA target from its Python source (numba-cuda's own test
``test_device_func.py::test_cpu_dispatcher``). This works only for dispatchers without an
explicit signature, so none is given here. Under ``NUMBA_ENABLE_CUDASIM=1`` the simulated
kernels call the CPU-compiled functions, so both paths run the same machine code for ``nu``.

Activations and noise models are passed as small integer codes (``ACT_*``, ``NOISE_*``) so
that one compiled function serves all of them; the public layer (:mod:`numeric.nn.blocks`)
translates names to codes and rejects combinations that make no sense, so the kernels stay
lean and return NaN for a code they do not know.

The coefficient :math:`\nu` of the RFIM of one neuron [1]_, :math:`g(w) = E_x[\nu(w^\top\tilde
x)\,\tilde x\tilde x^\top]`, is :math:`E_y[(\partial_h \log p(y\mid h))^2]` with
:math:`h = w^\top\tilde x`:

* Gaussian output :math:`y\sim N(f(h),\sigma^2)`: the score is :math:`(y-f)f'/\sigma^2`, so
  :math:`\nu = f'^2/\sigma^2`;
* Bernoulli output :math:`y\in\{0,1\}` with mean :math:`f\in(0,1)`: the score is
  :math:`f'(y-f)/(f(1-f))`, so :math:`\nu = f'^2/(f(1-f))`; for the sigmoid
  :math:`f'=f(1-f)` and :math:`\nu = f(1-f)`;
* symmetric output :math:`y\in\{-1,+1\}` with mean :math:`f\in(-1,1)`, :math:`P(y=1)=(1+f)/2`:
  the score is :math:`f'/(1+f)` or :math:`-f'/(1-f)`, so :math:`\nu = f'^2/(1-f^2)`; for tanh
  :math:`f' = 1-f^2` and :math:`\nu = \operatorname{sech}^2 h`, the value of [1]_ sec. 3.1.

References
----------
.. [1] K. Sun and F. Nielsen, "Relative Fisher information and natural gradient for learning
   large modular models", ICML 2017, sec. 3.1.
"""
import math

from numba import njit

from symbolic.activations import ACTIVATIONS, NOISES, check_activation, check_noise, check_pair
from symbolic.validation import in_interval, positive

# numba must be able to cache the cores below: numeric.compile.cache checks that at import
# (and points NUMBA_CACHE_DIR at a temporary folder when the package folder is read-only)
from ..compile import cache as _numba_cache_check  # noqa: F401

__all__ = [
    "ACTIVATIONS",
    "NOISES",
    "sigmoid",
    "sech2",
    "activation",
    "activation_derivative",
    "activation_second_derivative",
    "nu",
    "activation_code",
    "codes",
]

ACT_LINEAR = 0
ACT_TANH = 1
ACT_SIGMOID = 2
ACT_RELU = 3
ACT_PRELU = 4
ACT_ELU = 5
ACT_SOFTPLUS = 6

NOISE_GAUSSIAN = 0
NOISE_BERNOULLI = 1
NOISE_SYMMETRIC = 2


@njit(cache=True)
def sigmoid(h):
    """Logistic function, evaluated without overflow for large ``|h|``."""
    if h >= 0.0:
        return 1.0 / (1.0 + math.exp(-h))
    z = math.exp(h)
    return z / (1.0 + z)


@njit(cache=True)
def sech2(h):
    """sech(h)**2; ``1 - tanh(h)**2`` would lose every digit once tanh(h) rounds to 1."""
    c = math.cosh(h)  # overflows to inf for |h| > 710, giving the correct limit 0
    return 1.0 / (c * c)


@njit(cache=True)
def activation(h, act, param):
    """f(h) for activation code ``act``; ``param`` is the PReLU slope or the ELU alpha.

    The piecewise activations take the ``h > 0`` branch only for positive ``h`` (the derivative
    at the kink is the left one, as in the autodiff frameworks).
    """
    if act == ACT_LINEAR:
        return h
    if act == ACT_TANH:
        return math.tanh(h)
    if act == ACT_SIGMOID:
        return sigmoid(h)
    if act == ACT_RELU:
        return h if h > 0.0 else 0.0
    if act == ACT_PRELU:
        return h if h > 0.0 else param * h
    if act == ACT_ELU:
        return h if h > 0.0 else param * math.expm1(h)
    if act == ACT_SOFTPLUS:
        # log(1 + e^h) = max(h, 0) + log1p(e^-|h|): no overflow, no cancellation
        return max(h, 0.0) + math.log1p(math.exp(-abs(h)))
    return math.nan


@njit(cache=True)
def activation_derivative(h, act, param):
    """f'(h) for activation code ``act`` (see :func:`activation`)."""
    if act == ACT_LINEAR:
        return 1.0
    if act == ACT_TANH:
        return sech2(h)
    if act == ACT_SIGMOID:
        return sigmoid(h) * sigmoid(-h)  # s(1-s) without the cancellation in 1 - s
    if act == ACT_RELU:
        return 1.0 if h > 0.0 else 0.0
    if act == ACT_PRELU:
        return 1.0 if h > 0.0 else param
    if act == ACT_ELU:
        return 1.0 if h > 0.0 else param * math.exp(h)
    if act == ACT_SOFTPLUS:
        return sigmoid(h)
    return math.nan


# error_model="numpy": sigma**2 underflows to 0 for sigma < 1.5e-162, and the quotient must
# then be inf (as on the GPU) rather than a ZeroDivisionError from the CPU and simulator paths
@njit(cache=True, error_model="numpy")
def nu(h, act, noise, sigma, param):
    """RFIM coefficient nu(h) of one neuron (module docstring); NaN for an invalid pair."""
    if noise == NOISE_GAUSSIAN:
        d = activation_derivative(h, act, param)
        return d * d / (sigma * sigma)
    if noise == NOISE_BERNOULLI:
        if act == ACT_SIGMOID:
            return sigmoid(h) * sigmoid(-h)
        return math.nan
    if noise == NOISE_SYMMETRIC:
        if act == ACT_TANH:
            return sech2(h)
        if act == ACT_SIGMOID:
            # f'^2 / (1 - f^2) = s^2 (1 - s)^2 / ((1 - s)(1 + s)) = s^2 (1 - s) / (1 + s)
            s = sigmoid(h)
            return s * s * sigmoid(-h) / (1.0 + s)
        return math.nan
    return math.nan


@njit(cache=True)
def activation_second_derivative(h, act, param):
    """f''(h) for activation code ``act`` (0 away from the kinks of the piecewise-linear ones)."""
    if act == ACT_LINEAR or act == ACT_RELU or act == ACT_PRELU:
        return 0.0
    if act == ACT_TANH:
        return -2.0 * math.tanh(h) * sech2(h)
    if act == ACT_SIGMOID or act == ACT_SOFTPLUS:
        s, c = sigmoid(h), sigmoid(-h)
        if act == ACT_SIGMOID:
            return s * c * (c - s)  # s(1-s)(1-2s), with 1 - 2s = (1-s) - s
        return s * c
    if act == ACT_ELU:
        return 0.0 if h > 0.0 else param * math.exp(h)
    return math.nan


# ---------------------------------------------------------------------------------------------
# names -> codes, checked (kernels take the integer codes). The names, ranges and sympy forms
# live in symbolic.activations so that the symbolic neuron reads the same table.

_ACT_CODES = {name: code for code, name in enumerate(ACTIVATIONS)}
_NOISE_CODES = {name: code for code, name in enumerate(NOISES)}
# The kernels branch on the constants above; the table's order must agree with them.
assert [_ACT_CODES[n] for n in ("linear", "tanh", "sigmoid", "relu", "prelu", "elu", "softplus")] == [
    ACT_LINEAR, ACT_TANH, ACT_SIGMOID, ACT_RELU, ACT_PRELU, ACT_ELU, ACT_SOFTPLUS]
assert [_NOISE_CODES[n] for n in ("gaussian", "bernoulli", "symmetric")] == [
    NOISE_GAUSSIAN, NOISE_BERNOULLI, NOISE_SYMMETRIC]


def activation_code(activation, slope=0.25, alpha=1.0):
    """(activation code, kernel parameter) after checking the name and its parameter.

    ``ValueError`` for an unknown name, :class:`~symbolic.errors.DomainError` for a PReLU
    ``slope`` outside [0, 1) or an ELU ``alpha <= 0``.

    Examples
    --------
    >>> activation_code("elu", alpha=2.0)
    (5, 2.0)
    >>> activation_code("identity")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of ('linear', 'tanh', 'sigmoid', 'relu', 'prelu', 'elu', 'softplus'), got 'identity'
    """
    check_activation(activation)
    param = 0.0
    if activation == "prelu":
        param = in_interval("slope", slope, 0.0, 1.0, closed=(True, False))
    elif activation == "elu":
        param = positive("alpha", alpha)
    return _ACT_CODES[activation], param


def codes(activation, noise, slope, alpha):
    """(activation code, noise code, kernel parameter) after checking names, domains and that
    the activation's range fits the noise model (:func:`symbolic.activations.check_pair`).
    """
    act, param = activation_code(activation, slope, alpha)
    check_noise(noise)
    check_pair(activation, noise, slope, alpha)
    return act, _NOISE_CODES[noise], param
