r"""Scalar cores of the network-scale Fisher blocks, shared by the CPU and the GPU kernels.

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

from symbolic.errors import DomainError
from symbolic.validation import positive

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


# ---------------------------------------------------------------------------------------------
# names -> codes, checked (kernels take the integer codes)

_ACT_CODES = {
    "linear": ACT_LINEAR,
    "tanh": ACT_TANH,
    "sigmoid": ACT_SIGMOID,
    "relu": ACT_RELU,
    "prelu": ACT_PRELU,
    "elu": ACT_ELU,
    "softplus": ACT_SOFTPLUS,
}
ACTIVATIONS = tuple(_ACT_CODES)
"""Names of the elementwise activations."""

# Range of each activation (PReLU and ELU: see _act_range), checked against the mean domain of
# the noise model: the Bernoulli and symmetric likelihoods are only defined for means inside
# (0, 1) and (-1, 1).
_ACT_RANGE = {
    "linear": (-math.inf, math.inf),
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "relu": (0.0, math.inf),
    "softplus": (0.0, math.inf),
}
_NOISE_CODES = {
    "gaussian": NOISE_GAUSSIAN,
    "bernoulli": NOISE_BERNOULLI,
    "symmetric": NOISE_SYMMETRIC,
}
_NOISE_MEAN_DOMAIN = {
    "gaussian": (-math.inf, math.inf),
    "bernoulli": (0.0, 1.0),
    "symmetric": (-1.0, 1.0),
}
NOISES = tuple(_NOISE_CODES)
"""Names of the output-noise models of a neuron."""


def codes(activation, noise, slope, alpha):
    """(activation code, noise code, kernel parameter) after checking names and domains."""
    if activation not in _ACT_CODES:
        raise DomainError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if noise not in _NOISE_CODES:
        raise DomainError(f"noise must be one of {NOISES}, got {noise!r}")
    param = 0.0
    lo, hi = _ACT_RANGE.get(activation, (-math.inf, math.inf))
    if activation == "prelu":
        param = float(slope)
        if not (0.0 <= param < 1.0):
            raise DomainError(f"slope must be in [0, 1), got {slope!r}")
        lo = 0.0 if param == 0.0 else -math.inf
    elif activation == "elu":
        param = positive("alpha", alpha)
        lo = -param
    dlo, dhi = _NOISE_MEAN_DOMAIN[noise]
    if lo < dlo or hi > dhi:
        raise DomainError(
            f"noise={noise!r} needs a mean in ({dlo:g}, {dhi:g}), but activation={activation!r} "
            f"takes values in ({lo:g}, {hi:g}); use noise='gaussian' or an activation such as "
            f"{'sigmoid' if noise == 'bernoulli' else 'tanh'}"
        )
    return _ACT_CODES[activation], _NOISE_CODES[noise], param
