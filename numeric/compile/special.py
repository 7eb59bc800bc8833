"""Scalar special functions compiled with numba, for use inside generated kernels.

Every function here is a plain scalar ``@njit(cache=True)`` function of float64 arguments:
no array is allocated and no exception is raised (invalid input gives NaN, a pole gives
``inf`` or NaN as documented per function), so the same functions can be called from other
``njit`` code, from the kernels that :mod:`numeric.compile.kernels` generates, and from
``numba.cuda`` device code.

Accuracy, measured against mpmath at 30 digits by ``tests/test_special.py`` (maximum relative
error over dense log-spaced grids and random points; the measured maxima are all below
1.5e-15, the bound asserted is 1e-14):

===============================  ==============================  ==================
function                         domain tested                   relative error
===============================  ==============================  ==================
lgamma (wraps the C library)     x in (1e-8, 1e6)                <= 1e-14
digamma, trigamma                x in (1e-8, 1e6)                <= 1e-14
polygamma(n, x), 1 <= n <= 20    x in (1e-8, 1e6)                <= 1e-14
polygamma_difference(n, x, s)    x, s in (1e-10, 1e10), n <= 4   <= 1e-13 (50 digits;
                                                                 measured < 1e-15)
polygamma_difference_upto2/3/4   x, s in (1e-10, 1e10)           <= 1e-13 (50 digits;
                                                                 measured < 5e-15)
bessel_i0, bessel_i1             abs(x) <= 1e3 where finite      <= 1e-14
bessel_i0e, bessel_i1e           abs(x) <= 1e6                   <= 1e-14
bessel_in, bessel_ine, n <= 10   abs(x) <= 1e3 (ine: 1e6)        <= 1e-14
bessel_i1_over_i0                abs(x) <= 1e6                   <= 1e-14
bessel_i1_over_i0_d1, _d2        abs(x) in (1e-6, 1e10)          <= 1e-14 (measured
                                                                 < 4e-15)
log_bessel_i0                    abs(x) <= 1e6                   <= 1e-14
trigamma_excess_difference       x, s in (1e-10, 1e10)           <= 1e-13 (50 digits;
                                                                 measured < 1e-14)
log1p_square_ratio               abs(a), abs(b) in (1e-300,      <= 1e-15
                                 1e300)
===============================  ==============================  ==================

For negative non-integer ``x`` the gamma family is computed through the reflection or
recurrence formulas; there the relative error grows near the zeros of the function
(cancellation is unavoidable when the input is rounded), so only absolute accuracy is
promised close to those zeros.

Examples
--------
>>> from numeric.compile.special import digamma, trigamma, bessel_i1_over_i0
>>> round(digamma(1.0), 15)            # -EulerGamma
-0.577215664901533
>>> round(trigamma(1.0), 15)           # pi**2/6
1.644934066848226
>>> round(bessel_i1_over_i0(1e6), 12)  # I1/I0 stays finite where I0 overflows
0.9999995
"""
import math
from fractions import Fraction

import numpy as np
from numba import njit

__all__ = [
    "lgamma",
    "digamma",
    "trigamma",
    "polygamma",
    "polygamma_difference",
    "trigamma_excess",
    "trigamma_excess_difference",
    "polygamma_upto2",
    "polygamma_upto3",
    "polygamma_upto4",
    "polygamma_difference_upto2",
    "polygamma_difference_upto3",
    "polygamma_difference_upto4",
    "bessel_i0",
    "bessel_i1",
    "bessel_i0e",
    "bessel_i1e",
    "bessel_in",
    "bessel_ine",
    "bessel_i1_over_i0",
    "bessel_i1_over_i0_d1",
    "bessel_i1_over_i0_d2",
    "log_bessel_i0",
    "log1p_square_ratio",
]

# The numpy error model keeps division by zero from raising (CUDA has no exceptions) and
# lets poles come out as inf, as the docstrings promise.
_jit = njit(cache=True, error_model="numpy")


def _bernoulli_even(kmax):
    """Exact B_0, B_2, ..., B_{2 kmax} by the Akiyama-Tanigawa algorithm (B_1 = +1/2)."""
    n_max = 2 * kmax
    row = [Fraction(0)] * (n_max + 1)
    numbers = []
    for m in range(n_max + 1):
        row[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        numbers.append(row[0])
    return numbers[0::2]


_B2K = _bernoulli_even(30)
# digamma: psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k)   (DLMF 5.11.2)
_DIGAMMA_ASYMPTOTIC = np.array([float(_B2K[k] / (2 * k)) for k in range(1, 11)])
# Euler-Maclaurin tail of the Hurwitz zeta function: coefficients B_2k / (2k)!  (DLMF 25.11.43)
_B2K_OVER_FACTORIAL = np.array(
    [float(_B2K[k] / math.factorial(2 * k)) for k in range(1, 31)]
)
# Fused polygammas: the Euler-Maclaurin tail of each order n, bracket 1 + n/(2a) +
# sum_k c_nk / a^2k with c_nk = B_2k/(2k)! (n)_2k (rising factorial), is summed with
# _FUSED_TERMS terms at a >= _TAYLOR_HI (polygamma_upto2/3) or, after shifting x,
# a >= _FUSED_A_MIN_4 (polygamma_upto4); the first omitted term is below 2e-18 for every
# such n and a (tests/test_special.py checks).
_FUSED_A_MIN_4 = 14.0
_FUSED_TERMS = 11


def _fused_tail_coefficients(n, terms):
    out = []
    rising = Fraction(1)
    for k in range(1, terms + 1):
        rising *= (n + 2 * k - 2) * (n + 2 * k - 1)
        out.append(float(_B2K[k] / math.factorial(2 * k) * rising))
    return np.array(out[::-1])  # highest power first, for Horner's rule


_TAIL1, _TAIL2, _TAIL3, _TAIL4 = (_fused_tail_coefficients(n, _FUSED_TERMS)
                                  for n in (1, 2, 3, 4))
# polygamma_upto2/3 on [1, 13): Taylor series of psi' about the centre x0 of the grid cell
# holding x, |x - x0| <= 1/16, from a table built at import. With a_k = psi^(1+k)(x0)/k! =
# (-1)^k (k+1) zeta(k+2, x0) the terms fall like (1/16 x0)^k, so _TAYLOR_TERMS terms reach
# double precision on the whole range (tests/test_special.py compares with mpmath); psi''
# and psi''' are the derivative series. No division, about half the cost of the shifted
# Euler-Maclaurin sum. Below 1 one step of the recurrence, from 13 on the asymptotic tail.
_TAYLOR_LO = 1.0
_TAYLOR_HI = 13.0
_TAYLOR_CELLS_PER_UNIT = 8
_TAYLOR_TERMS = 15  # _taylor is written out for this many


def _hurwitz_zeta_table(s, x):
    """zeta(s, x) for integer s >= 2 and an array x >= 1, in float64 (for building tables):
    the direct sum up to x + m >= 30 + s, then the Euler-Maclaurin tail (DLMF 25.11.43).
    """
    x = np.asarray(x, dtype=np.float64)
    m = int(math.ceil(30 + s))
    acc = np.zeros_like(x)
    for i in range(m):
        acc += (x + i) ** -float(s)
    a = x + m
    tail = a ** (1.0 - s) / (s - 1) + 0.5 * a ** -float(s)
    rising = 1.0
    for k in range(1, 20):
        rising *= (s + 2 * k - 3) * (s + 2 * k - 2) if k > 1 else s
        tail = tail + float(_B2K[k]) / math.factorial(2 * k) * rising * a ** (-s - 2.0 * k + 1)
    return acc + tail


def _taylor_tables():
    cells = int((_TAYLOR_HI - _TAYLOR_LO) * _TAYLOR_CELLS_PER_UNIT)
    centres = _TAYLOR_LO + (np.arange(cells) + 0.5) / _TAYLOR_CELLS_PER_UNIT
    n = _TAYLOR_TERMS + 2
    a = np.array([(-1) ** k * (k + 1) * _hurwitz_zeta_table(k + 2, centres) for k in range(n)]).T
    k = np.arange(_TAYLOR_TERMS)
    t1 = a[:, :_TAYLOR_TERMS]
    t2 = (k + 1) * a[:, 1:_TAYLOR_TERMS + 1]
    t3 = (k + 1) * (k + 2) * a[:, 2:_TAYLOR_TERMS + 2]
    # highest power first, for Horner's rule
    return tuple(np.ascontiguousarray(t[:, ::-1]) for t in (t1, t2, t3)), centres


(_TAYLOR1, _TAYLOR2, _TAYLOR3), _TAYLOR_CENTRES = _taylor_tables()
# n! is exact in binary64 up to 22!, and correctly rounded beyond; 171! overflows.
_FACTORIAL = np.array([float(math.factorial(k)) for k in range(171)])

# Positive zero of digamma, split into a head and a tail so that x - root is accurate to
# full relative precision near the zero:
#   import mpmath as mp; mp.mp.dps = 50; r = mp.findroot(mp.digamma, 1.46)
#   hi = float(r); lo = float(r - hi)
_DIGAMMA_ROOT_HI = 1.4616321449683622
_DIGAMMA_ROOT_LO = 9.549995429965697e-17
# Taylor coefficients of psi about its root r: psi(r + h) = sum_{k>=1} c_k h^k with
# c_k = (-1)^(k+1) zeta(k+1, r). 41 terms reach 1e-17 relative on the whole of [1, 2]:
#   [float((-1)**(k+1) * mp.zeta(k+1, r)) for k in range(1, 42)]
_DIGAMMA_TAYLOR = np.array([
    0.9676722454476212, -0.4427631689835921, 0.258499760955651, -0.16394270544240652,
    0.10782405069126237, -0.07219956125645471, 0.04880428816414311, -0.03316112647484736,
    0.022597648232218104, -0.01542476590494896, 0.010538791616612175,
    -0.007204534386356869, 0.004926781395729853, -0.003369801655439328,
    0.002305126326734928, -0.0015769367714301972, 0.0010788252019162967,
    -0.0007380709389960052, 0.000504953265834602, -0.0003454680251063077,
    0.00023635601564027053, -0.00016170622091974803, 0.0001106337276874741,
    -7.569179582195066e-05, 5.178575795222081e-05, -3.5430070947659604e-05,
    2.424006611860132e-05, -1.6584242271854135e-05, 1.134638458466385e-05,
    -7.762817668462094e-06, 5.3110609208898636e-06, -3.6336507898010456e-06,
    2.486022733129538e-06, -1.7008538854332607e-06, 1.1636675363548843e-06,
    -7.96142543124197e-07, 5.446941930669446e-07, -3.7266161283438227e-07,
    2.549626552021554e-07, -1.7443695117727745e-07, 1.1934394829830244e-07,
])

# Series terms are summed until they fall below this fraction of the partial sum.
_SERIES_TOL = 1e-17
# Below this |x| the Bessel power series is used, above it the Hankel asymptotic series
# (whose smallest term, ~exp(-2|x|), is then below 1e-17).
_BESSEL_SERIES_MAX = 20.0
_TWO_PI = 2.0 * math.pi


# ----------------------------------------------------------------------------------------
# Gamma family
# ----------------------------------------------------------------------------------------
@_jit
def lgamma(x):
    """Logarithm of the absolute value of the gamma function.

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``log|Gamma(x)|``; ``inf`` at the poles ``x = 0, -1, -2, ...``.

    Notes
    -----
    Wraps ``math.lgamma`` (the C library's ``lgamma`` on the CPU, libdevice's on CUDA),
    which is accurate to a few ulp, including next to the zeros at 1 and 2.

    Examples
    --------
    >>> round(lgamma(0.5), 15)     # log(sqrt(pi))
    0.5723649429247
    """
    return math.lgamma(x)


@_jit
def _digamma_taylor(x):
    # psi on [1, 2] by its Taylor series about the root, so the zero keeps full relative
    # accuracy (the recurrence alone would leave an absolute error of ~1e-16 there).
    h = (x - _DIGAMMA_ROOT_HI) - _DIGAMMA_ROOT_LO
    c = _DIGAMMA_TAYLOR
    acc = c[c.shape[0] - 1]
    for k in range(c.shape[0] - 2, -1, -1):
        acc = acc * h + c[k]
    return acc * h


@_jit
def _digamma_asymptotic(x):
    z = 1.0 / (x * x)
    c = _DIGAMMA_ASYMPTOTIC
    acc = c[c.shape[0] - 1]
    for k in range(c.shape[0] - 2, -1, -1):
        acc = acc * z + c[k]
    return (math.log(x) - 0.5 / x) - acc * z


@_jit
def _digamma_positive(x):
    if x >= 10.0:
        return _digamma_asymptotic(x)
    if x < 1.0:
        # psi(x) = psi(x + 1) - 1/x; for x < 1 the pole term dominates, no cancellation.
        return _digamma_taylor(x + 1.0) - 1.0 / x
    # Step down to [1, 2): psi(x) = psi(x - m) + sum 1/(x - j). x - j is exact here, and for
    # x >= 2 the result is >= 0.42 while every term is <= 1, so little is cancelled.
    acc = 0.0
    while x >= 2.0:
        x -= 1.0
        acc += 1.0 / x
    return _digamma_taylor(x) + acc


@_jit
def digamma(x):
    """Digamma function psi(x) = d/dx log Gamma(x).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``psi(x)``; NaN at the poles ``x = 0, -1, -2, ...`` (the two one-sided limits
        differ in sign).

    Notes
    -----
    For ``x >= 10`` the asymptotic series [1]_ (5.11.2) with ten Bernoulli terms; below, the
    recurrence ``psi(x + 1) = psi(x) + 1/x`` maps ``x`` to [1, 2], where a 41-term Taylor
    series about the positive zero ``x0 = 1.46163...`` keeps full relative accuracy even
    next to the zero. Negative ``x`` uses the reflection formula
    ``psi(x) = psi(1 - x) - pi cot(pi x)`` [1]_ (5.5.4), with the argument of ``cot``
    reduced exactly; near the negative zeros of psi only the absolute error is small.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/5

    Examples
    --------
    >>> round(digamma(0.5), 14)    # -EulerGamma - 2 log 2
    -1.96351002602142
    """
    if x > 0.0:
        return _digamma_positive(x)
    if x == math.floor(x) or x != x:
        return math.nan
    # cot has period 1, so reduce the argument exactly before multiplying by pi.
    r = x - math.floor(x + 0.5)
    return _digamma_positive(1.0 - x) - math.pi / math.tan(math.pi * r)


@_jit
def _scaled_power(n, a):
    # (n-1)! / a**n without spurious underflow: with a > n every factor j/a is < 1, so the
    # running product decreases monotonically and underflows only if the result does.
    if n <= 170 and n * math.log(a) < 700.0:
        return _FACTORIAL[n - 1] * math.pow(a, -float(n))
    acc = 1.0 / a
    for j in range(1, n):
        acc *= j / a
    return acc


@_jit
def _polygamma_sum(n, x):
    """N! zeta(n+1, x) = (-1)^(n+1) psi^(n)(x) for n >= 1 and any non-integer x.

    Direct sum of (x+i)^-(n+1) until x + m >= 10 + n, then the Euler-Maclaurin tail
    (n-1)!/a^n [1 + n/(2a) + sum_k B_2k/(2k)! (n)_2k / a^2k]   (DLMF 25.11.43 times n!).
    With a >= 10 + n the ratio of consecutive tail terms is below ((n+2k)/(2 pi a))^2, so
    about ten terms reach 1e-17 long before the series starts to diverge.
    """
    s = -float(n + 1)
    a_min = 10.0 + n
    acc = 0.0
    m = 0
    a = x
    while a < a_min:
        # x + m in one rounding, rather than accumulating a += 1
        if n <= 8:
            # low orders (the metrics' trigamma, polygamma(2), polygamma(3)) dominate geodesic
            # integration: a few multiplications are several times cheaper than math.pow, at
            # the same accuracy (n + 1 roundings, ~1e-15 relative in the sum)
            r = 1.0 / a
            p = r
            for _ in range(n):
                p *= r
            acc += p
        else:
            acc += math.pow(a, s)
        m += 1
        a = x + m
    inv_a2 = 1.0 / (a * a)
    tail = 1.0 + n / (2.0 * a)
    poch = 1.0
    c = _B2K_OVER_FACTORIAL
    for k in range(1, c.shape[0] + 1):
        poch *= (n + 2 * k - 2) * (n + 2 * k - 1) * inv_a2
        term = c[k - 1] * poch
        tail += term
        if abs(term) <= _SERIES_TOL * abs(tail):
            break
    tail *= _scaled_power(n, a)
    if acc == 0.0:
        return tail
    if n <= 170:
        return _FACTORIAL[n] * acc + tail
    # n! overflows: fold it into the sum through logarithms (loses ~log|result| ulp).
    return math.exp(math.lgamma(n + 1.0) + math.log(acc)) + tail


@_jit
def polygamma(n, x):
    """Polygamma function psi^(n)(x), the n-th derivative of digamma.

    Parameters
    ----------
    n : int
        Order, ``n >= 0``; ``n = 0`` is :func:`digamma`, ``n = 1`` :func:`trigamma`.
        Negative orders give NaN.
    x : float

    Returns
    -------
    float
        ``psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x)`` for ``n >= 1``. At the poles
        ``x = 0, -1, ...``: ``inf`` for odd ``n`` (both one-sided limits are ``+inf``), NaN
        for even ``n``. Values beyond the float range overflow to ``±inf``.

    Notes
    -----
    Recurrence upwards until ``x >= 10 + n``, then the Euler-Maclaurin expansion of the
    Hurwitz zeta function [1]_ (25.11.43), whose terms are all of one sign for ``x > 0``,
    so no cancellation occurs. Accurate to ~1e-15 relative for moderate orders (tested
    to ``n = 20``); for orders above ~30 the scaled products lose about ``n`` ulp.
    ``n = 1`` and negative ``x`` uses ``psi'(x) + psi'(1-x) = pi^2 / sin^2(pi x)``; other
    orders at negative ``x`` sum the recurrence up from ``x`` (cost grows with ``|x|``; for
    even ``n`` the terms alternate in sign, so only the absolute error is small near the
    zeros).

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/25.11

    Examples
    --------
    >>> round(polygamma(2, 1.0), 15)    # -2 zeta(3)
    -2.404113806319188
    """
    if n < 0 or x != x:
        return math.nan
    if n == 0:
        return digamma(x)
    sign = 1.0 if n % 2 == 1 else -1.0
    if x <= 0.0:
        if x == math.floor(x):
            return math.inf if n % 2 == 1 else math.nan
        if n == 1:
            r = x - math.floor(x + 0.5)
            s = math.sin(math.pi * r)
            return (math.pi * math.pi) / (s * s) - _polygamma_sum(1, 1.0 - x)
    return sign * _polygamma_sum(n, x)


@_jit
def trigamma(x):
    """Trigamma function psi'(x) = polygamma(1, x).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``psi'(x)``; ``inf`` at the poles ``x = 0, -1, -2, ...``.

    Examples
    --------
    >>> round(trigamma(0.5), 14)       # pi**2 / 2
    4.93480220054468
    """
    return polygamma(1, x)


# x psi'(x) - 1 = 1/(2x) + sum_k B_2k / x^(2k) (from the asymptotic series of psi'):
# B_2 .. B_20, used for x >= 10, where the omitted B_22 / x^22 is below 2e-17 of 1/(2x)
_EXCESS_BERNOULLI = np.array([float(_B2K[k]) for k in range(1, 11)])


@_jit
def trigamma_excess(x):
    """``x psi'(x) - 1``, without the cancellation of the subtraction for large ``x``.

    Below ``x = 10`` the direct formula loses under ``2x`` ulps (``x psi'(x)`` is
    ``1 + 1/(2x) + ...``); above, the asymptotic series ``1/(2x) + sum_k B_2k x^(-2k)``
    (Abramowitz & Stegun 6.4.12) to ``B_20``.

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``x psi'(x) - 1`` (positive for ``x > 0``); ``nan`` for NaN input.

    Examples
    --------
    >>> float(trigamma_excess(1.0))                # pi^2/6 - 1
    0.6449340668482264
    >>> float(trigamma_excess(1e8))                # 1/(2x) + 1/(6x^2) + ...
    5.000000016666667e-09
    """
    if not (x >= 10.0):
        return x * polygamma(1, x) - 1.0
    w = 1.0 / (x * x)
    total = 0.0
    for k in range(_EXCESS_BERNOULLI.size - 1, -1, -1):
        total = (total + _EXCESS_BERNOULLI[k]) * w
    return 0.5 / x + total


# the asymptotic series of trigamma_excess_difference: from x = 10, as trigamma_excess
_EXCESS_DIFFERENCE_X_MIN = 10.0


@_jit
def trigamma_excess_difference(x, s):
    """``e(x) - e(x + s)`` with ``e(x) = x psi'(x) - 1`` (:func:`trigamma_excess`), without
    the cancellation of subtracting two excesses.

    The determinant of the Beta and Dirichlet metrics is a sum of such differences times
    trigammas, all positive (see :func:`numeric.compile.printer.rewrite_polygamma_differences`);
    formed from trigammas it cancels to ``~ 1/min(a, b)`` of its terms (5e-8 relative error
    at ``a = b = 1e8``).

    Parameters
    ----------
    x : float
    s : float
        The increment of the second argument.

    Returns
    -------
    float
        The difference, positive for ``x > 0``, ``s > 0`` (``x psi'(x)`` decreases); ``0``
        for ``s = 0``; NaN for NaN input.

    Notes
    -----
    For ``x >= 10`` the asymptotic series of the excess [1]_ (5.15.8),
    ``e(x) = 1/(2x) + sum_k B_2k x^(-2k)``, is differenced term by term:
    ``x^-p - (x + s)^-p = x^-p delta_p(s/x)`` with ``delta_p(q) = 1 - (1 + q)^-p`` summed
    from positive numbers as in :func:`polygamma_difference`, so every term keeps its
    relative accuracy; the terms after the first are below ``(2/3)/x`` of it and alternate,
    so their sum cancels nothing. For ``0 < x < 10`` and ``s >= x`` the excesses are
    subtracted: ``t e(t)`` decreases, so ``e(x + s) <= e(x) / 2`` and the condition number
    is at most 3. For ``s < x`` it is ``x (psi'(x) - psi'(x + s)) - s psi'(x + s)`` with
    the difference of :func:`polygamma_difference`; its condition number grows from 3 at
    small ``x`` to about 40 at ``x = 10`` (measured relative error below 1e-14 against mpmath
    at 50 digits, ``tests/numeric/compile/test_special_edges.py``). A negative ``s`` (with
    ``x + s > 0``) gives ``-(e(y) - e(y - s))``, ``y = x + s`` rounded once.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/5.15

    Examples
    --------
    >>> float(trigamma_excess_difference(1e8, 1e8))   # ~ 1/(2x) - 1/(4x)
    2.5000000125e-09
    >>> round(trigamma_excess_difference(1.0, 1.0), 14)   # psi'(1) - 2 psi'(2) = 2 - pi^2/6
    0.35506593315177
    """
    if x != x or s != s:
        return math.nan
    if s == 0.0:
        return 0.0
    if s < 0.0:
        y = x + s
        if y > 0.0:
            return -trigamma_excess_difference(y, -s)
        return trigamma_excess(x) - trigamma_excess(y)
    if not (x > 0.0 and x < math.inf):
        return trigamma_excess(x) - trigamma_excess(x + s)
    if s == math.inf:
        return trigamma_excess(x)
    if x < _EXCESS_DIFFERENCE_X_MIN:
        if s >= x:
            return trigamma_excess(x) - trigamma_excess(x + s)
        return x * polygamma_difference(1, x, s) - s * polygamma(1, x + s)
    q = s / x
    r = 1.0 / (1.0 + q)
    d1 = q * r                    # delta_1 .. delta_2k, positive sums (see _difference_bracket)
    d2 = r * d1 + d1
    r2 = r * r
    w = 1.0 / (x * x)
    power = 1.0
    dp = d2
    total = 0.0
    for k in range(_EXCESS_BERNOULLI.size):
        power *= w
        if k > 0:
            dp = r2 * dp + d2
        term = _EXCESS_BERNOULLI[k] * power * dp
        total += term
        if abs(term) <= _SERIES_TOL * abs(total):
            break
    return 0.5 * d1 / x + total


@_jit
def _scaled(u, m, d):
    """Return d * u**-m for u > 0, d >= 0, through logarithms where u**-m alone would overflow or
    underflow although the product does not.
    """
    e = m * math.log(u)
    if abs(e) < 700.0:
        return d * math.pow(u, -float(m))
    if d == 0.0:
        return 0.0
    return math.exp(math.log(d) - e)


@_jit
def _difference_bracket(n, a, s):
    """a^n sum_{k>=0} f(a + k), f(t) = t^-(n+1) - (t + s)^-(n+1) (for n = 0 the digamma
    form, see _polygamma_difference_positive), by the Euler-Maclaurin expansion; a >= 10 + n.
    """
    m = n + 1
    # bracket = a^n * [integral of f from a + f(a)/2 - sum_j B_2j/(2j)! f^(2j-1)(a)], each
    # term carrying delta_p(q), q = s/a. delta_{p+1} = r delta_p + delta_1 with
    # r = 1/(1+q), delta_1 = q/(1+q): sums of positive numbers, so each delta keeps its
    # relative accuracy (about p roundings) without an expm1 per term
    q = s / a
    r = 1.0 / (1.0 + q)
    d1 = q * r
    if n == 0:
        bracket = math.log1p(q)
        dm = d1
    else:
        if n <= 8:
            d = d1
            for _ in range(n - 1):
                d = r * d + d1
        else:
            d = -math.expm1(-n * math.log1p(q))
        bracket = d / n
        dm = r * d + d1
    bracket += dm / (2.0 * a)
    dp = r * dm + d1  # delta_{m+1}, then delta_{m+3}, ...
    r2 = r * r
    d2 = r * d1 + d1
    inv_a2 = 1.0 / (a * a)
    poch = m * inv_a2  # (m)_{2j-1} / a^2j, rising factorial
    c = _B2K_OVER_FACTORIAL
    for j in range(1, c.shape[0] + 1):
        if j > 1:
            poch *= (m + 2 * j - 3) * (m + 2 * j - 2) * inv_a2
            dp = r2 * dp + d2
        term = c[j - 1] * poch * dp
        bracket += term
        if abs(term) <= _SERIES_TOL * bracket:
            break
    return bracket


@_jit
def _polygamma_difference_positive(n, x, s):
    """psi^(n)(x) - psi^(n)(x + s) for x > 0, s > 0, as (-1)^(n+1) n! sum_k f(x + k) with
    f(t) = t^-m - (t + s)^-m, m = n + 1 (digamma: m = 1, and the sum runs over
    1/(t+s) - 1/t instead, which is the same with the opposite sign).

    Each f(t) = t^-m delta_m(s/t) with delta_p(q) = 1 - (1 + q)^-p = -expm1(-p log1p(q)) is
    evaluated without cancellation, for s/t tiny or huge alike. The direct sum runs until
    a = x + K >= 10 + n; the rest is the Euler-Maclaurin expansion of sum_{k>=0} f(a + k)
    (DLMF 2.10.1 with DLMF 25.11.43's integrals and derivatives of t^-m, applied to both
    halves of f): each term of the Hurwitz zeta tail times the delta_p of its power p, so
    every term keeps its own relative accuracy and no difference of large numbers is formed.
    """
    m = n + 1
    a_min = 10.0 + n
    acc = 0.0
    k = 0
    a = x
    while a < a_min:
        if a > 1e-30:
            # a^-m - v^-m = s sum_{i<m} a^-(m-i) v^-(i+1), v = a + s: positive terms only,
            # and v enters only through its reciprocal, so its rounding costs one ulp
            ra = 1.0 / a
            rv = 1.0 / (a + s)
            inner = 0.0
            pa = 1.0
            for _ in range(m):
                pa *= ra
                inner = inner * rv + pa
            acc += s * rv * inner
        else:  # ra**m would overflow although the term need not
            acc += _scaled(a, m, -math.expm1(-m * math.log1p(s / a)))
        k += 1
        a = x + k  # one rounding, rather than accumulating a += 1
    bracket = _difference_bracket(n, a, s)
    total = acc + (bracket if n == 0 else _scaled(a, n, bracket))
    if n == 0:
        return -total
    if n <= 170:
        scale = _FACTORIAL[n]
        value = total * scale
        if value == math.inf:  # n! overflows before the product does
            value = math.exp(math.lgamma(n + 1.0) + math.log(total))
    else:
        value = math.exp(math.lgamma(n + 1.0) + math.log(total))
    return value if n % 2 == 1 else -value


@_jit
def polygamma_difference(n, x, s):
    """``psi^(n)(x) - psi^(n)(x + s)`` without cancellation, for ``n >= 0``.

    Fisher metrics of the Beta and Dirichlet families are such differences
    (``trigamma(a) - trigamma(a + b)``), and subtracting two separately rounded values loses
    every digit when ``s`` is small next to ``x`` (at ``a = 1e10, b = 1e-10`` the true value
    is 1e-30 and the naive difference 0). The increment ``s`` is passed on its own, so
    ``x + s`` need not even be representable apart from ``x``.

    Parameters
    ----------
    n : int
        Order, ``n >= 0`` (``0``: digamma, ``1``: trigamma); negative orders give NaN.
    x : float
    s : float
        The increment of the second argument.

    Returns
    -------
    float
        The difference; ``0`` for ``s = 0``; NaN for NaN input.

    Notes
    -----
    For ``x > 0`` and ``x + s > 0`` every digit is kept: with ``s > 0`` the difference is
    ``(-1)^(n+1) n! sum_k [(x+k)^-(n+1) - (x+k+s)^-(n+1)]`` and each bracket is computed as
    ``(x+k)^-(n+1) (-expm1(-(n+1) log1p(s/(x+k))))``, a sum of terms of one sign; the tail
    beyond ``x + k >= 10 + n`` is the Euler-Maclaurin expansion of the same bracket [1]_
    (2.10.1, 25.11.43). Where ``s >= x`` and ``n >= 1`` they are subtracted directly: by the
    duplication formula ``|psi^(n)(x + s)| <= |psi^(n)(2x)| <= 2^-n |psi^(n)(x)|`` [1]_
    (5.15.7), so the condition number of the subtraction is at most 3.
    A negative ``s`` (with ``x + s > 0``) uses ``-(psi^(n)(x + s) - psi^(n)(x))``, so ``x + s``
    is then rounded once. Measured against mpmath at 50 digits over log-uniform ``x, s`` in
    ``[1e-10, 1e10]`` and ``n <= 4`` (``tests/numeric/compile/test_special_edges.py``): relative
    error below 1e-13. Outside ``x > 0, x + s > 0`` (poles, negative arguments) it returns
    the plain difference of :func:`polygamma`.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/

    Examples
    --------
    >>> polygamma_difference(1, 1e10, 1e-10)   # ~ -s psi''(x) = 1e-10 (1/x^2 + 1/x^3)
    1.0000000001e-30
    >>> round(polygamma_difference(1, 1.0, 1.0), 15)  # psi'(1) - psi'(2) = 1
    1.0
    """
    if n < 0 or x != x or s != s:
        return math.nan
    if s == 0.0:
        return 0.0
    y = x + s
    if not (x > 0.0 and y > 0.0 and x < math.inf and y < math.inf):
        return polygamma(n, x) - polygamma(n, y)
    if s < 0.0:
        if -s >= y and n >= 1:
            return polygamma(n, x) - polygamma(n, y)
        return -_polygamma_difference_positive(n, y, -s)
    if s >= x and n >= 1:
        return polygamma(n, x) - polygamma(n, y)
    return _polygamma_difference_positive(n, x, s)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _horner(c, z):
    """sum_k c[k] z^(K-k) for k < K = len(c): a polynomial without constant term."""
    acc = 0.0
    for k in range(c.shape[0]):
        acc = acc * z + c[k]
    return acc * z


@_jit
def _shift_sums(x, a_min):
    """(a, s1, s2, s3, s4): a = x + m >= a_min and s_n = sum_{i<m} (x+i)^-(n+1)."""
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    m = 0
    a = x
    while a < a_min:
        r = 1.0 / a
        r2 = r * r
        r3 = r2 * r
        r4 = r3 * r
        s1 += r2
        s2 += r3
        s3 += r4
        s4 += r4 * r
        m += 1
        a = x + m  # one rounding, rather than accumulating a += 1
    return a, s1, s2, s3, s4


@_jit
def _fused_tails(a, orders):
    """The Euler-Maclaurin tails (n-1)!/a^n [1 + n/(2a) + sum_k c_nk / a^2k] of
    n! zeta(n+1, a) (DLMF 25.11.43 times n!) for n = 1 .. orders (higher entries 0).
    """
    t = 1.0 / a
    z = t * t
    tail1 = t * (1.0 + 0.5 * t + _horner(_TAIL1, z))
    tail2 = z * (1.0 + t + _horner(_TAIL2, z))
    tail3 = 0.0
    tail4 = 0.0
    if orders >= 3:
        tail3 = 2.0 * z * t * (1.0 + 1.5 * t + _horner(_TAIL3, z))
        if orders >= 4:
            tail4 = 6.0 * z * z * (1.0 + 2.0 * t + _horner(_TAIL4, z))
    return tail1, tail2, tail3, tail4


@_jit
def _taylor_cell(x):
    """Cell j of the Taylor tables holding x in [1, 13), and x minus the cell's centre."""
    j = int((x - _TAYLOR_LO) * _TAYLOR_CELLS_PER_UNIT)
    return j, x - (_TAYLOR_LO + (j + 0.5) / _TAYLOR_CELLS_PER_UNIT)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _taylor(c, j, h):
    """sum_k c[j, 14-k] h^k: row j of a Taylor table (15 terms, highest power first) at h.

    Estrin's scheme: the integrator evaluates one right-hand side after another, so the
    latency of this polynomial matters more than its operation count (depth 4 instead of
    Horner's 14). ``fastmath={"contract"}`` lets the compiler use fused multiply-adds.
    """
    h2 = h * h
    h4 = h2 * h2
    h8 = h4 * h4
    q0 = (c[j, 14] + c[j, 13] * h) + (c[j, 12] + c[j, 11] * h) * h2
    q1 = (c[j, 10] + c[j, 9] * h) + (c[j, 8] + c[j, 7] * h) * h2
    q2 = (c[j, 6] + c[j, 5] * h) + (c[j, 4] + c[j, 3] * h) * h2
    q3 = (c[j, 2] + c[j, 1] * h) + c[j, 0] * h2
    return (q0 + q1 * h4) + (q2 + q3 * h4) * h8


@_jit
def polygamma_upto2(x):
    """``(psi'(x), psi''(x))`` in one pass, at about the cost of one :func:`polygamma` call:
    what a Christoffel symbol of the Beta or Gamma family needs.

    On ``[1, 13)`` both come from Taylor series about the nearest of 96 tabulated points
    (no division); below 1 one step of the recurrence leads there, from 13 on the
    Euler-Maclaurin tails are fixed-length polynomials in ``1/x^2``. Same accuracy as
    :func:`polygamma` (tested against mpmath to 1e-14 relative); for ``x <= 0``, ``inf`` or
    NaN it returns the separate calls.

    Examples
    --------
    >>> t, q = polygamma_upto2(1.0)
    >>> round(t, 14), round(q, 14)     # pi**2/6, -2 zeta(3)
    (1.64493406684823, -2.40411380631919)
    """
    if not (x > 0.0 and x < math.inf):
        return polygamma(1, x), polygamma(2, x)
    e1 = 0.0
    e2 = 0.0
    if x < _TAYLOR_LO:  # psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n+1) n! / x^(n+1)
        r = 1.0 / x
        e1 = r * r
        e2 = -2.0 * e1 * r
        x = x + 1.0
    if x < _TAYLOR_HI:
        j, h = _taylor_cell(x)
        return e1 + _taylor(_TAYLOR1, j, h), e2 + _taylor(_TAYLOR2, j, h)
    tail1, tail2, tail3, tail4 = _fused_tails(x, 2)
    return e1 + tail1, e2 - tail2


@_jit
def polygamma_upto3(x):
    """``psi^(n)(x)`` for ``n = 1, 2, 3`` in one pass (see :func:`polygamma_upto2`): what the
    variational equations of Beta, Gamma and Dirichlet geodesics need.

    Examples
    --------
    >>> [round(v, 12) for v in polygamma_upto3(1.0)]    # pi^2/6, -2 zeta(3), pi^4/15
    [1.644934066848, -2.404113806319, 6.493939402267]
    """
    if not (x > 0.0 and x < math.inf):
        return polygamma(1, x), polygamma(2, x), polygamma(3, x)
    e1 = 0.0
    e2 = 0.0
    e3 = 0.0
    if x < _TAYLOR_LO:
        r = 1.0 / x
        e1 = r * r
        e2 = -2.0 * e1 * r
        e3 = -3.0 * e2 * r
        x = x + 1.0
    if x < _TAYLOR_HI:
        j, h = _taylor_cell(x)
        return (e1 + _taylor(_TAYLOR1, j, h), e2 + _taylor(_TAYLOR2, j, h),
                e3 + _taylor(_TAYLOR3, j, h))
    tail1, tail2, tail3, tail4 = _fused_tails(x, 3)
    return e1 + tail1, e2 - tail2, e3 + tail3


@_jit
def polygamma_upto4(x):
    """``psi^(n)(x)`` for ``n = 1, 2, 3, 4`` in one pass (see :func:`polygamma_upto2`).

    Examples
    --------
    >>> round(polygamma_upto4(1.0)[3], 12)    # -24 zeta(5)
    -24.886266123441
    """
    if not (x > 0.0 and x < math.inf):
        return polygamma(1, x), polygamma(2, x), polygamma(3, x), polygamma(4, x)
    a, s1, s2, s3, s4 = _shift_sums(x, _FUSED_A_MIN_4)
    tail1, tail2, tail3, tail4 = _fused_tails(a, 4)
    return s1 + tail1, -(2.0 * s2 + tail2), 6.0 * s3 + tail3, -(24.0 * s4 + tail4)


# ----------------------------------------------------------------------------------------
# Fused polygamma differences
# ----------------------------------------------------------------------------------------
# Where s >= _PLAIN_DIFFERENCE_MIN * x the fused differences subtract fused values: the
# subtraction then has condition number <= 17 (n = 1; <= 9 for n >= 2), proof in
# polygamma_difference_upto2.
_PLAIN_DIFFERENCE_MIN = 0.125
# Below this x the careful fused sum would overflow in (1/x)^5; polygamma_difference takes over.
_DIFFERENCE_X_MIN = 1e-30


@_jit
def _scaled_tail(n, a, bracket):
    """Return bracket * a^-n, the power directly while it cannot underflow (a^-4 >= 1e-120)."""
    if a < 1e30:
        r = 1.0 / a
        p = bracket
        for _ in range(n):
            p *= r
        return p
    return _scaled(a, n, bracket)


@_jit
def _difference_brackets(a, s, orders):
    """_difference_bracket(n, a, s) for n = 1 .. orders (higher entries undefined) in one
    pass: the orders share q, r and the deltas, and their series run side by side (four
    independent chains, so the loop costs about what one order's does) until every used
    order's term is below _SERIES_TOL of its sum.
    """
    q = s / a
    r = 1.0 / (1.0 + q)
    d1 = q * r
    d2 = r * d1 + d1  # delta_2 .. delta_6, sums of positive numbers as in _difference_bracket
    d3 = r * d2 + d1
    d4 = r * d3 + d1
    d5 = r * d4 + d1
    d6 = r * d5 + d1
    h = 0.5 / a
    b1 = d1 + d2 * h
    b2 = d2 / 2.0 + d3 * h
    b3 = d3 / 3.0 + d4 * h
    b4 = d4 / 4.0 + d5 * h
    # order n: terms c_j (n+1)_{2j-1} / a^2j delta_{n+2j}
    p1 = d3
    p2 = d4
    p3 = d5
    p4 = d6
    inv_a2 = 1.0 / (a * a)
    c1 = 2.0 * inv_a2
    c2 = 3.0 * inv_a2
    c3 = 4.0 * inv_a2
    c4 = 5.0 * inv_a2
    r2 = r * r
    c = _B2K_OVER_FACTORIAL
    for j in range(1, c.shape[0] + 1):
        if j > 1:
            c1 *= (2 * j - 1) * (2 * j) * inv_a2
            c2 *= (2 * j) * (2 * j + 1) * inv_a2
            c3 *= (2 * j + 1) * (2 * j + 2) * inv_a2
            c4 *= (2 * j + 2) * (2 * j + 3) * inv_a2
            p1 = r2 * p1 + d2
            p2 = r2 * p2 + d2
            p3 = r2 * p3 + d2
            p4 = r2 * p4 + d2
        cj = c[j - 1]
        t1 = cj * c1 * p1
        t2 = cj * c2 * p2
        t3 = cj * c3 * p3
        t4 = cj * c4 * p4
        b1 += t1
        b2 += t2
        b3 += t3
        b4 += t4
        if (abs(t1) <= _SERIES_TOL * b1 and abs(t2) <= _SERIES_TOL * b2
                and (orders < 3 or abs(t3) <= _SERIES_TOL * b3)
                and (orders < 4 or abs(t4) <= _SERIES_TOL * b4)):
            break
    return b1, b2, b3, b4


@_jit
def _difference_jet(x, s, orders):
    """psi^(n)(x) - psi^(n)(x + s), n = 1 .. orders (higher entries 0), for x > 1e-30 and
    s > 0, without cancellation: the direct terms of all orders share the reciprocals of
    x + k and x + k + s, through (x+k)^-m - (x+k+s)^-m = s P_m with P_1 = 1/((x+k)(x+k+s)),
    P_{m+1} = (P_m + (x+k)^-(m+1)) / (x+k+s), sums of positive numbers; the tails beyond
    x + K >= 10 + orders are those of _polygamma_difference_positive, all orders in one pass.
    """
    a_min = 10.0 + orders
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    k = 0
    a = x
    while a < a_min:
        ra = 1.0 / a
        rv = 1.0 / (a + s)
        ra2 = ra * ra
        p = rv * (ra * rv + ra2)
        s1 += p
        ra3 = ra2 * ra
        p = rv * (p + ra3)
        s2 += p
        if orders >= 3:
            ra4 = ra3 * ra
            p = rv * (p + ra4)
            s3 += p
            if orders >= 4:
                s4 += rv * (p + ra4 * ra)
        k += 1
        a = x + k  # one rounding, rather than accumulating a += 1
    b1, b2, b3, b4 = _difference_brackets(a, s, orders)
    d1 = s * s1 + _scaled_tail(1, a, b1)
    d2 = -2.0 * (s * s2 + _scaled_tail(2, a, b2))
    d3 = 0.0
    d4 = 0.0
    if orders >= 3:
        d3 = 6.0 * (s * s3 + _scaled_tail(3, a, b3))
        if orders >= 4:
            d4 = -24.0 * (s * s4 + _scaled_tail(4, a, b4))
    return d1, d2, d3, d4


@_jit
def polygamma_difference_upto2(x, s, y1, y2):
    """``psi^(n)(x) - psi^(n)(x + s)`` for ``n = 1, 2`` in one pass, given the values at
    ``x + s``: what the Christoffel symbols of the Beta family need.

    A kernel computes the polygammas of ``y = x + s`` anyway (the reference of
    :func:`numeric.compile.printer.rewrite_polygamma_differences`), with
    :func:`polygamma_upto2`; this takes them as ``y1, y2``, so that where the subtraction is
    well conditioned it costs one fused evaluation at ``x``.

    Parameters
    ----------
    x, s : float
        The difference is taken between ``x`` and ``x + s``.
    y1, y2 : float
        ``polygamma_upto2(x + s)``, with ``x + s`` rounded as in floating point. They are
        used only where ``s >= x / 8``.

    Returns
    -------
    (float, float)
        The two differences, each as accurate as :func:`polygamma_difference`.

    Notes
    -----
    Where ``x > 0`` and ``s >= x / 8`` the result is ``polygamma_upto2(x) - (y1, y2)``. By
    [1]_ (5.15.1), ``t^n |psi^(n)(t)| = int_0^inf v^n e^-v w / (v (1 - e^-w)) dv`` with
    ``w = v / t``; ``w / (1 - e^-w)`` increases with ``w``, so ``t^n |psi^(n)(t)|`` decreases
    in ``t`` and ``|psi^(n)(x + s)| <= rho |psi^(n)(x)|`` with ``rho = (1 + s/x)^-n <=
    (8/9)^n``. The two terms have one sign, so the condition number of the subtraction,
    ``(1 + rho) / (1 - rho)``, is at most 17 for ``n = 1`` and 8.5 for ``n >= 2``; the
    rounding of ``x + s`` (relative ``u``) moves ``psi^(n)(x + s)`` by at most
    ``(n + 1) u`` relative (``t |psi^(n+1)(t)| <= (n + 1) |psi^(n)(t)|``, termwise from the
    series), at most ``8 (n + 1) u`` of the difference. With fused values accurate to
    1.5e-15 the result is within 17 * 1.5e-15 + 16 u < 3e-14 relative (measured: below
    5e-15). For ``s < x / 8`` (and ``x > 1e-30``, ``s`` finite) every order is summed without
    cancellation as in :func:`polygamma_difference`, the direct terms of both orders
    sharing the reciprocals of ``x + k`` and ``x + k + s``; any other input (``s <= 0``,
    ``x <= 0``, NaN, ``inf``) gives the separate :func:`polygamma_difference` calls.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/5.15

    Examples
    --------
    >>> d1, d2 = polygamma_difference_upto2(1.0, 1.0, *polygamma_upto2(2.0))
    >>> round(d1, 14), round(d2, 14)      # 1/x^2 and -2/x^3 at x = 1 (recurrence)
    (1.0, -2.0)
    """
    y = x + s
    if x > 0.0 and s >= _PLAIN_DIFFERENCE_MIN * x and y < math.inf:
        p1, p2 = polygamma_upto2(x)
        return p1 - y1, p2 - y2
    if x > _DIFFERENCE_X_MIN and x < math.inf and s > 0.0 and s < math.inf:
        d1, d2, d3, d4 = _difference_jet(x, s, 2)
        return d1, d2
    return polygamma_difference(1, x, s), polygamma_difference(2, x, s)


@_jit
def polygamma_difference_upto3(x, s, y1, y2, y3):
    """``psi^(n)(x) - psi^(n)(x + s)`` for ``n = 1, 2, 3``, given ``y1, y2, y3 =
    polygamma_upto3(x + s)`` (see :func:`polygamma_difference_upto2`).

    Examples
    --------
    >>> s = 1e-9    # the difference is ~ -s psi^(n+1)(2): 2 zeta(3) - 2, 6 - 6 zeta(4), ...
    >>> d = polygamma_difference_upto3(2.0, s, *polygamma_upto3(2.0 + s))
    >>> [round(v / s, 6) for v in d]
    [0.404114, -0.493939, 0.886266]
    """
    y = x + s
    if x > 0.0 and s >= _PLAIN_DIFFERENCE_MIN * x and y < math.inf:
        p1, p2, p3 = polygamma_upto3(x)
        return p1 - y1, p2 - y2, p3 - y3
    if x > _DIFFERENCE_X_MIN and x < math.inf and s > 0.0 and s < math.inf:
        d1, d2, d3, d4 = _difference_jet(x, s, 3)
        return d1, d2, d3
    return (polygamma_difference(1, x, s), polygamma_difference(2, x, s),
            polygamma_difference(3, x, s))


@_jit
def polygamma_difference_upto4(x, s, y1, y2, y3, y4):
    """``psi^(n)(x) - psi^(n)(x + s)`` for ``n = 1 .. 4``, given ``y1 .. y4 =
    polygamma_upto4(x + s)`` (see :func:`polygamma_difference_upto2`).

    Examples
    --------
    >>> d = polygamma_difference_upto4(1.0, 1.0, *polygamma_upto4(2.0))
    >>> [round(v, 12) for v in d]       # (-1)^(n+1) n! / x^(n+1) at x = 1
    [1.0, -2.0, 6.0, -24.0]
    """
    y = x + s
    if x > 0.0 and s >= _PLAIN_DIFFERENCE_MIN * x and y < math.inf:
        p1, p2, p3, p4 = polygamma_upto4(x)
        return p1 - y1, p2 - y2, p3 - y3, p4 - y4
    if x > _DIFFERENCE_X_MIN and x < math.inf and s > 0.0 and s < math.inf:
        return _difference_jet(x, s, 4)
    return (polygamma_difference(1, x, s), polygamma_difference(2, x, s),
            polygamma_difference(3, x, s), polygamma_difference(4, x, s))


# ----------------------------------------------------------------------------------------
# Modified Bessel functions of the first kind
# ----------------------------------------------------------------------------------------
@_jit
def _i0_series_minus_one(q):
    # I0(x) - 1 = sum_{k>=1} q^k / (k!)^2, q = x^2/4 (DLMF 10.25.2); every term positive.
    term = 1.0
    acc = 0.0
    for k in range(1, 1000):
        term *= q / (k * k)
        acc += term
        if term <= _SERIES_TOL * acc:
            break
    return acc


@_jit
def _in_series(n, q):
    # sum_{k>=0} q^k n! / (k! (n+k)!), the power series of I_n(x) / ((x/2)^n / n!).
    term = 1.0
    acc = 1.0
    for k in range(1, 1000):
        term *= q / (k * (n + k))
        acc += term
        if term <= _SERIES_TOL * acc:
            break
    return acc


@_jit
def _hankel_minus_one(nu, x):
    """sqrt(2 pi x) exp(-x) I_nu(x) - 1 by the asymptotic series (DLMF 10.40.1), x >= 20.

    Terms: t_k = t_{k-1} ((2k-1)^2 - 4 nu^2) / (8 k x). The smallest term (~exp(-2x)) is far
    below 1e-17 for x >= 20, and the exponentially small companion series (relative size
    exp(-2x)) is negligible likewise.
    """
    mu = 4.0 * nu * nu
    term = 1.0
    acc = 0.0
    for k in range(1, 200):
        j = 2.0 * k - 1.0
        term *= (j * j - mu) / (8.0 * k * x)
        acc += term
        if abs(term) <= _SERIES_TOL * abs(1.0 + acc):
            break
    return acc


@_jit
def _i0_positive(x, scaled):
    if x <= _BESSEL_SERIES_MAX:
        v = 1.0 + _i0_series_minus_one(0.25 * x * x)
        return v * math.exp(-x) if scaled else v
    if x == math.inf:
        return 0.0 if scaled else math.inf
    v = (1.0 + _hankel_minus_one(0.0, x)) / math.sqrt(_TWO_PI * x)
    if scaled:
        return v
    # Split exp(x) so that exp(x)/sqrt(2 pi x) stays finite up to where I0 itself overflows.
    e = math.exp(0.5 * x)
    return (v * e) * e


@_jit
def _i1_positive(x, scaled):
    if x <= _BESSEL_SERIES_MAX:
        v = 0.5 * x * _in_series(1, 0.25 * x * x)
        return v * math.exp(-x) if scaled else v
    if x == math.inf:
        return 0.0 if scaled else math.inf
    v = (1.0 + _hankel_minus_one(1.0, x)) / math.sqrt(_TWO_PI * x)
    if scaled:
        return v
    e = math.exp(0.5 * x)
    return (v * e) * e


@_jit
def bessel_i0(x):
    """Modified Bessel function of the first kind of order 0, I0(x).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``I0(x)``, even in ``x``; overflows to ``inf`` for ``|x| > 713.98``.

    Notes
    -----
    Power series [1]_ (10.25.2) for ``|x| <= 20`` (positive terms, no cancellation), Hankel's
    asymptotic expansion [1]_ (10.40.1) beyond.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/10

    Examples
    --------
    >>> round(bessel_i0(1.0), 15)
    1.266065877752008
    """
    return _i0_positive(abs(x), False)


@_jit
def bessel_i1(x):
    """Modified Bessel function of the first kind of order 1, I1(x).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``I1(x)``, odd in ``x``; overflows to ``±inf`` for ``|x| > 713.98``.

    Examples
    --------
    >>> round(bessel_i1(1.0), 15)
    0.565159103992485
    """
    v = _i1_positive(abs(x), False)
    return -v if x < 0.0 else v


@_jit
def bessel_i0e(x):
    """Exponentially scaled I0: ``exp(-|x|) I0(x)``, finite for every finite ``x``.

    Examples
    --------
    >>> round(bessel_i0e(1000.0), 12)
    0.012617240456
    """
    return _i0_positive(abs(x), True)


@_jit
def bessel_i1e(x):
    """Exponentially scaled I1: ``exp(-|x|) I1(x)``, finite for every finite ``x``.

    Examples
    --------
    >>> round(bessel_i1e(1000.0), 12)
    0.012610930257
    """
    v = _i1_positive(abs(x), True)
    return -v if x < 0.0 else v


@_jit
def _in_positive(n, x, scaled):
    if n == 0:
        return _i0_positive(x, scaled)
    if n == 1:
        return _i1_positive(x, scaled)
    if x == 0.0:
        return 0.0
    if x <= _BESSEL_SERIES_MAX:
        if n <= 170:
            prefactor = math.pow(0.5 * x, n) / _FACTORIAL[n]
        else:
            prefactor = math.exp(n * math.log(0.5 * x) - math.lgamma(n + 1.0))
        v = prefactor * _in_series(n, 0.25 * x * x)
        return v * math.exp(-x) if scaled else v
    if x == math.inf:
        return 0.0 if scaled else math.inf
    if x >= float(n) * float(n):
        # Hankel's expansion: for x >= n^2 every ratio of consecutive terms up to k = n is
        # below 1/(2k) and the smallest term is ~exp(-2x); within 3e-16 of mpmath for n <= 40
        # (tests/test_special.py). Miller's recurrence below costs sqrt(40 x) steps: 6e6 at
        # x = 1e12, reached by a von Mises geodesic running out to large kappa (one
        # integration of 85 steps took 1.7 s).
        v = (1.0 + _hankel_minus_one(float(n), x)) / math.sqrt(_TWO_PI * x)
        if scaled:
            return v
        e = math.exp(0.5 * x)
        return (v * e) * e
    # Miller's backward recurrence I_{k-1} = I_{k+1} + (2k/x) I_k, which is stable downwards
    # (I_k is the minimal solution), normalised by I0. Starting at N with
    # N^2 - n^2 > 40 x makes the relative truncation error ~exp(-(N^2 - n^2)/x) < 1e-17.
    big = int(math.sqrt(n * n + 40.0 * x)) + 10
    two_over_x = 2.0 / x
    above = 0.0
    current = 1.0
    at_n = 0.0
    for k in range(big, 0, -1):
        below = above + (k * two_over_x) * current
        above = current
        current = below
        if k - 1 == n:
            at_n = current
        if current > 1e250:
            # rescale to stay finite; only the ratio at_n / I_0 matters
            above *= 1e-250
            current *= 1e-250
            at_n *= 1e-250
    return _i0_positive(x, scaled) * (at_n / current)


@_jit
def bessel_in(n, x):
    """Modified Bessel function of the first kind of integer order, I_n(x).

    Parameters
    ----------
    n : int
        Order; ``I_{-n} = I_n``.
    x : float

    Returns
    -------
    float
        ``I_n(x)``, with ``I_n(-x) = (-1)^n I_n(x)``.

    Notes
    -----
    Power series [1]_ (10.25.2) for ``|x| <= 20``; beyond, Miller's backward recurrence
    normalised by :func:`bessel_i0`. Forward recurrence from I0 and I1 would cancel
    catastrophically for ``x < n``, which is why it is not used.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/10

    Examples
    --------
    >>> round(bessel_in(2, 1.0), 15)
    0.135747669767038
    """
    n = abs(n)
    v = _in_positive(n, abs(x), False)
    return -v if (x < 0.0 and n % 2 == 1) else v


@_jit
def bessel_ine(n, x):
    """Exponentially scaled I_n: ``exp(-|x|) I_n(x)`` for integer ``n``.

    Examples
    --------
    >>> round(bessel_ine(3, 500.0), 12)
    0.017685656692
    """
    n = abs(n)
    v = _in_positive(n, abs(x), True)
    return -v if (x < 0.0 and n % 2 == 1) else v


@_jit
def bessel_i1_over_i0(x):
    """The ratio I1(x)/I0(x), finite and accurate for every real ``x``.

    This is the mean resultant length ``A(kappa)`` of the von Mises distribution; computing it
    as a ratio of :func:`bessel_i1` and :func:`bessel_i0` would give ``inf/inf`` for
    ``|x| > 713``.

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``I1(x)/I0(x)``, odd in ``x``, in ``(-1, 1)``.

    Examples
    --------
    >>> round(bessel_i1_over_i0(2.0), 15)
    0.697774657964008
    """
    ax = abs(x)
    if ax <= _BESSEL_SERIES_MAX:
        q = 0.25 * ax * ax
        v = 0.5 * ax * _in_series(1, q) / (1.0 + _i0_series_minus_one(q))
    elif ax == math.inf:
        v = 1.0
    else:
        v = (1.0 + _hankel_minus_one(1.0, ax)) / (1.0 + _hankel_minus_one(0.0, ax))
    return -v if x < 0.0 else v


# Derivatives of A = I1/I0. Asymptotic series A ~ sum_k c_k x^-k: A solves the Riccati equation
# A' = 1 - A^2 - A/x, so c_0 = 1 and c_n = ((n - 2) c_(n-1) - sum_(0<i<n) c_i c_(n-i)) / 2 (all
# negative for n >= 1); used from x = 25, where the terms of A' fall below 1e-18 of the first
# by k = 36 and the exponentially small part of A (exp(-2x)) is below 1e-19 of A'.
_RATIO_ASYMPTOTIC_MIN = 25.0


def _ratio_asymptotic(terms):
    c = [Fraction(1)]
    for n in range(1, terms):
        c.append(((n - 2) * c[n - 1] - sum(c[i] * c[n - i] for i in range(1, n))) / 2)
    return np.array([float(v) for v in c])


def _ratio_second_series(terms):
    """Taylor coefficients g_k of G(x) = -A''(x) I0(x)^3 = sum_k g_k x^(2k+1), all positive.

    G = 2 F I1 - F' I0 with F = A' I0^2 (see bessel_i1_over_i0_d1), from the power series of
    I0, I1 [1] (10.25.2) and F in exact integer arithmetic: a coefficient p_i of x^i is kept
    as the integer P_i = i! 2^i p_i (binom(2k, k) for I0, binom(2k+1, k) for I1, Catalan_k^2 / 2
    for F), so that a product's coefficient is sum_i binom(m, i) P_i Q_(m-i) / (m! 2^m).
    """
    size = 2 * terms + 2
    i0 = [0] * size
    i1 = [0] * size
    f2 = [0] * (size + 1)  # 2 P_i of F
    for k in range(terms + 1):
        i0[2 * k] = math.comb(2 * k, k)
        i1[2 * k + 1] = math.comb(2 * k + 1, k)
        f2[2 * k] = (math.comb(2 * k, k) // (k + 1)) ** 2
    out = []
    for k in range(terms):
        m = 2 * k + 1
        f_i1 = sum(math.comb(m, i) * f2[i] * i1[m - i] for i in range(m + 1))
        df_i0 = sum(math.comb(m, i) * f2[i + 1] * i0[m - i] for i in range(m + 1))
        out.append((4 * f_i1 - df_i0) / (4 * math.factorial(m) * 2 ** m))
    return np.array(out)


_RATIO_C = _ratio_asymptotic(48)
_RATIO_G = _ratio_second_series(84)


@_jit
def bessel_i1_over_i0_d1(x):
    """``A'(x)`` for ``A = I1/I0`` (:func:`bessel_i1_over_i0`): ``1 - A^2 - A/x`` without its
    cancellation.

    The Fisher metric of the von Mises family in ``kappa`` is ``A'(kappa) ~ 1/(2 kappa^2)``;
    from ``1 - A^2 - A/kappa``, terms near 1, it keeps about ``eps kappa^2`` relative
    accuracy (nothing at ``kappa = 1e8``).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``A'(x)``, even in ``x``, in ``(0, 1/2]``; ``0`` at ``±inf``; NaN for NaN.

    Notes
    -----
    ``A' I0^2 = I0^2 - I1^2 - I0 I1 / x = (1/2) sum_n (2n)! / (n!^2 (n+1)!^2) (x/2)^(2n)``,
    a series of positive terms (from the product formula of Bessel series [1]_ (10.8.3,
    10.25.2)), divided by ``I0(x)^2`` for ``|x| < 25``; beyond, the asymptotic series of
    ``A`` (from [1]_ 10.40.1; its coefficients from the Riccati equation
    ``A' = 1 - A^2 - A/x``), differentiated term by term, all terms positive.

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, https://dlmf.nist.gov/10

    Examples
    --------
    >>> bessel_i1_over_i0_d1(0.0)
    0.5
    >>> round(bessel_i1_over_i0_d1(1e8) * 1e16, 12)   # 1/(2x^2) + 1/(4x^3) + ...
    0.5000000025
    """
    ax = abs(x)
    if ax != ax:
        return math.nan
    if ax < _RATIO_ASYMPTOTIC_MIN:
        q = 0.25 * ax * ax
        term = 1.0
        acc = 1.0
        for n in range(1, 400):
            term *= 2.0 * (2 * n - 1) / (n * (n + 1.0) * (n + 1.0)) * q
            acc += term
            if term <= _SERIES_TOL * acc:
                break
        i0 = _i0_positive(ax, False)
        return 0.5 * acc / (i0 * i0)
    if ax == math.inf:
        return 0.0
    w = 1.0 / ax
    power = w
    acc = 0.0
    for k in range(1, _RATIO_C.size):
        power *= w
        term = -k * _RATIO_C[k] * power
        acc += term
        if term <= _SERIES_TOL * acc:
            break
    return acc


@_jit
def bessel_i1_over_i0_d2(x):
    """``A''(x)`` for ``A = I1/I0``, without the cancellation of ``A/x^2 - A'/x - 2 A A'``.

    The Christoffel symbol ``Gamma^kappa_kappa,kappa = A''/(2 A')`` of the von Mises family.

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``A''(x)``, odd in ``x``, negative for ``x > 0``; ``0`` at ``0`` and ``±inf``; NaN for
        NaN.

    Notes
    -----
    ``-A'' I0^3 = 2 F I1 - F' I0`` (``F = A' I0^2``) has a Taylor series of positive
    coefficients, tabulated at import in exact arithmetic, used for ``|x| < 25``; beyond,
    the asymptotic series of :func:`bessel_i1_over_i0_d1` differentiated once more.

    Examples
    --------
    >>> round(bessel_i1_over_i0_d2(1e-3) / 1e-3, 9)    # A ~ x/2 - x^3/16: A'' ~ -3x/8
    -0.374999792
    >>> round(bessel_i1_over_i0_d2(1e8) * 1e24, 12)     # -1/x^3 - 3/(4x^4) - ...
    -1.0000000075
    """
    ax = abs(x)
    if ax != ax:
        return math.nan
    if ax < _RATIO_ASYMPTOTIC_MIN:
        z = ax * ax
        acc = 0.0
        for k in range(_RATIO_G.size - 1, -1, -1):
            acc = acc * z + _RATIO_G[k]
        i0 = _i0_positive(ax, False)
        v = -(acc * ax) / (i0 * i0 * i0)
    elif ax == math.inf:
        v = -0.0
    else:
        w = 1.0 / ax
        power = w * w
        acc = 0.0
        for k in range(1, _RATIO_C.size):
            power *= w
            term = k * (k + 1.0) * _RATIO_C[k] * power
            acc += term
            if -term <= _SERIES_TOL * -acc:
                break
        v = acc
    return -v if x < 0.0 else v


@_jit
def log_bessel_i0(x):
    """Log I0(x), accurate for small ``x`` (where it is ~x^2/4) and finite for large ``x``.

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``log I0(x)``, even in ``x``.

    Examples
    --------
    >>> round(log_bessel_i0(1e-4), 25)      # x**2/4 - x**4/64
    2.4999999984375e-09
    >>> round(log_bessel_i0(1e6), 6)        # no overflow
    999992.173306
    """
    ax = abs(x)
    if ax <= _BESSEL_SERIES_MAX:
        # log1p of (I0 - 1) keeps relative accuracy where I0 is close to 1.
        return math.log1p(_i0_series_minus_one(0.25 * ax * ax))
    if ax == math.inf:
        return math.inf
    return (ax - 0.5 * math.log(_TWO_PI * ax)) + math.log1p(_hankel_minus_one(0.0, ax))


@_jit
def log1p_square_ratio(a, b):
    """``log(1 + (a/b)^2)``, without overflow of the square and without losing a small value.

    Student's t and Cauchy log-densities hold ``log(1 + z^2)`` with ``z = (x - mu)/sigma``;
    ``z^2`` overflows for ``|z| > 1.3e154`` although the logarithm is moderate, and
    ``a/b`` itself overflows for ``a = 1e300, b = 1e-300``.

    Parameters
    ----------
    a, b : float

    Returns
    -------
    float
        ``log1p((a/b)^2)`` for ``|a| <= |b|``; ``2 log|a/b| + log1p((b/a)^2)`` beyond, with
        ``log|a| - log|b|`` where ``a/b`` overflows. ``inf`` for ``b = 0 != a``; NaN for
        ``a = b = 0``, NaN or infinite input.

    Examples
    --------
    >>> round(log1p_square_ratio(1.0, 1.0), 15)        # log 2
    0.693147180559945
    >>> round(log1p_square_ratio(1e300, 1e-300), 6)    # 2 log(1e600)
    2763.102112
    """
    a = abs(a)
    b = abs(b)
    if not (a < math.inf and b < math.inf):
        return math.nan
    if a <= b:
        if b == 0.0:
            return math.nan
        r = a / b
        return math.log1p(r * r)
    r = b / a
    q = a / b
    if q < math.inf:
        return 2.0 * math.log(q) + math.log1p(r * r)
    return 2.0 * (math.log(a) - math.log(b)) + math.log1p(r * r)
