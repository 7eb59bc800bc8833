"""numeric.compile.special against mpmath at 30 significant digits.

Each function is checked on a dense log-spaced grid over its documented domain (plus a
linear grid where the algorithm switches branches) and on random points drawn by hypothesis.
"""
import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numeric.compile import special as S
from tests.support import examples

REL_TOL = 1e-14
mp.mp.dps = 30


def worst_relative_error(f, reference, xs, dps=30):
    """Largest |f(x) - ref(x)| / |ref(x)| over xs, with the x where it occurs."""
    worst, where = 0.0, None
    with mp.workdps(dps):
        for x in xs:
            x = float(x)
            ref = reference(mp.mpf(x))
            err = float(abs((mp.mpf(f(x)) - ref) / ref))
            if not err <= worst:  # also catches NaN
                worst, where = err, x
    return worst, where


def assert_relative(f, reference, xs, tol=REL_TOL, dps=30):
    worst, where = worst_relative_error(f, reference, xs, dps)
    assert worst <= tol, f"relative error {worst:.3g} at x = {where!r}"


GAMMA_GRID = np.concatenate([
    np.logspace(-8, 6, 600),
    np.linspace(0.05, 12.0, 300),   # the branch changes at 1, 2 and 10
    1.4616321449683622 + np.linspace(-0.05, 0.05, 41),  # zero of digamma
])
BESSEL_GRID = np.concatenate([
    np.logspace(-8, 3, 400),
    np.linspace(0.2, 40.0, 200),    # series / asymptotic switch at 20
])  # x = 0 (where I1 = 0) is checked exactly in test_bessel_symmetry_and_limits
BESSEL_GRID_FINITE = BESSEL_GRID[BESSEL_GRID < 713.0]
WIDE_GRID = np.concatenate([BESSEL_GRID, np.logspace(3, 6, 100)])


# ---- gamma family -------------------------------------------------------------------------
def test_lgamma_matches_mpmath():
    grid = GAMMA_GRID[(GAMMA_GRID != 1.0) & (GAMMA_GRID != 2.0)]
    assert_relative(S.lgamma, mp.loggamma, grid)


def test_digamma_matches_mpmath():
    assert_relative(S.digamma, mp.digamma, GAMMA_GRID)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 12, 20])
def test_polygamma_matches_mpmath(n):
    assert_relative(lambda x: S.polygamma(n, x), lambda x: mp.polygamma(n, x), GAMMA_GRID[::2])


def test_trigamma_is_polygamma_1():
    assert_relative(S.trigamma, lambda x: mp.polygamma(1, x), GAMMA_GRID[1::2])


def test_polygamma_order_zero_is_digamma():
    for x in (1e-3, 0.7, 3.3, 1e4):
        assert S.polygamma(0, x) == S.digamma(x)


def test_digamma_keeps_relative_accuracy_at_its_zero():
    # at its own precision: another test (in random order) may have left mp.dps lower, and
    # psi(x) ~ 1e-16 next to the root needs the 30 digits
    with mp.workdps(30):
        root = mp.findroot(mp.digamma, 1.46)
        for k in range(-20, 21):
            x = float(root) + k * 2.0 ** -52
            ref = mp.digamma(mp.mpf(x))
            if ref != 0:
                assert abs((S.digamma(x) - ref) / ref) <= REL_TOL


@examples(150)
@given(st.floats(min_value=1e-8, max_value=1e6))
def test_digamma_property(x):
    assert_relative(S.digamma, mp.digamma, [x])


@examples(150)
@given(st.integers(min_value=1, max_value=8), st.floats(min_value=1e-8, max_value=1e6))
def test_polygamma_property(n, x):
    assert_relative(lambda t: S.polygamma(n, t), lambda t: mp.polygamma(n, t), [x])


NEGATIVE = -np.linspace(0.013, 39.9, 400)  # avoiding the poles at -1, -2, ...


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_gamma_family_at_negative_x(n):
    # Near the zeros of psi^(n) at negative x the rounding of x itself limits relative
    # accuracy, so the bound is absolute on the scale of the function's size (|ref| + 1).
    for x in NEGATIVE:
        ref = mp.polygamma(n, mp.mpf(float(x)))
        got = S.polygamma(n, float(x))
        assert abs(got - ref) <= REL_TOL * (abs(ref) + 1), (n, x, got, ref)


def test_gamma_family_poles_and_special_values():
    assert math.isnan(S.digamma(0.0)) and math.isnan(S.digamma(-3.0))
    assert S.trigamma(0.0) == math.inf and S.trigamma(-2.0) == math.inf
    assert math.isnan(S.polygamma(2, -1.0))
    assert math.isnan(S.polygamma(-1, 1.0))
    assert S.digamma(math.inf) == math.inf
    assert S.polygamma(3, math.inf) == 0.0
    for f in (S.digamma, S.trigamma, S.lgamma):
        assert math.isnan(f(math.nan))
    assert S.polygamma(170, 0.5) == -math.inf  # the true value overflows


def test_polygamma_large_order_stays_accurate():
    for n, x in [(30, 0.5), (30, 1e6), (50, 300.0), (100, 3.0), (150, 200.0)]:
        ref = mp.polygamma(n, x)
        assert abs((S.polygamma(n, x) - ref) / ref) <= REL_TOL, (n, x)


FUSED = [(2, S.polygamma_upto2), (3, S.polygamma_upto3), (4, S.polygamma_upto4)]


@pytest.mark.parametrize("orders, fused", FUSED)
def test_fused_polygammas_match_mpmath(orders, fused):
    for n in range(1, orders + 1):
        assert_relative(lambda x, n=n: fused(x)[n - 1], lambda x, n=n: mp.polygamma(n, x),
                        GAMMA_GRID[::2])


@pytest.mark.slow
def test_fused_polygammas_over_the_taylor_tables():
    # every cell of the tables on [1, 13), edges and centres included, plus random points
    cells = np.arange(S._TAYLOR_LO, S._TAYLOR_HI, 1.0 / S._TAYLOR_CELLS_PER_UNIT)
    xs = np.concatenate([cells, cells + 0.5 / S._TAYLOR_CELLS_PER_UNIT,
                         np.nextafter(cells[1:], 0.0), [np.nextafter(S._TAYLOR_HI, 0.0)],
                         np.random.default_rng(5).uniform(0.5, 14.0, 300)])
    for n in (1, 2, 3):
        assert_relative(lambda x, n=n: S.polygamma_upto3(x)[n - 1], lambda x, n=n: mp.polygamma(n, x), xs)
    for n in (1, 2):
        assert_relative(lambda x, n=n: S.polygamma_upto2(x)[n - 1], lambda x, n=n: mp.polygamma(n, x), xs)


def test_taylor_tables_match_mpmath():
    # a_k = psi^(1+k)(x0)/k! at a few cell centres, in the order Horner's rule reads them
    for j in (0, 7, 48, len(S._TAYLOR_CENTRES) - 1):
        x0 = S._TAYLOR_CENTRES[j]
        for k in range(S._TAYLOR_TERMS):
            ref = mp.polygamma(1 + k, x0) / mp.factorial(k)
            assert abs((S._TAYLOR1[j, -1 - k] - ref) / ref) <= 4e-15, (j, k)


@examples(100)
@given(st.floats(min_value=1e-8, max_value=1e6))
def test_fused_polygammas_property(x):
    for orders, fused in FUSED:
        for n in range(1, orders + 1):
            assert_relative(lambda t, fused=fused, n=n: fused(t)[n - 1], lambda t, n=n: mp.polygamma(n, t), [x])


@pytest.mark.parametrize("orders, fused", FUSED)
def test_fused_polygammas_outside_positive_axis_are_the_separate_calls(orders, fused):
    for x in (-2.5, -0.3, 0.0, -3.0, math.inf, math.nan):
        for n, value in enumerate(fused(x), start=1):
            expected = S.polygamma(n, x)
            assert value == expected or (math.isnan(value) and math.isnan(expected)), (n, x)


def test_fused_tail_truncation_is_below_double_precision():
    # the first omitted Euler-Maclaurin term, B_2K/(2K)! (n)_2K / a^2K with K = terms + 1,
    # at the smallest a the fused functions use, for every order they return (DLMF 25.11.43)
    for orders, a_min in ((2, S._TAYLOR_HI), (3, S._TAYLOR_HI), (4, S._FUSED_A_MIN_4)):
        k = S._FUSED_TERMS + 1
        for n in range(1, orders + 1):
            term = abs(mp.bernoulli(2 * k) / mp.factorial(2 * k) * mp.rf(n, 2 * k)) / a_min ** (2 * k)
            assert term < 2e-18, (orders, n, term)


# ---- modified Bessel functions ------------------------------------------------------------
def test_bessel_i0_i1_match_mpmath():
    assert_relative(S.bessel_i0, lambda x: mp.besseli(0, x), BESSEL_GRID_FINITE)
    assert_relative(S.bessel_i1, lambda x: mp.besseli(1, x), BESSEL_GRID_FINITE)


def test_scaled_bessel_match_mpmath():
    assert_relative(S.bessel_i0e, lambda x: mp.besseli(0, x) * mp.exp(-x), WIDE_GRID)
    assert_relative(S.bessel_i1e, lambda x: mp.besseli(1, x) * mp.exp(-x), WIDE_GRID)


def test_bessel_ratio_and_log_match_mpmath():
    assert_relative(S.bessel_i1_over_i0, lambda x: mp.besseli(1, x) / mp.besseli(0, x),
                    WIDE_GRID)
    # log I0(x) ~ x^2/4 for small x: the reference needs the extra digits.
    assert_relative(S.log_bessel_i0, lambda x: mp.log(mp.besseli(0, x)), WIDE_GRID, dps=60)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_bessel_in_matches_mpmath(n):
    grid = BESSEL_GRID_FINITE[::2]
    assert_relative(lambda x: S.bessel_in(n, x), lambda x: mp.besseli(n, x), grid)
    assert_relative(lambda x: S.bessel_ine(n, x), lambda x: mp.besseli(n, x) * mp.exp(-x),
                    WIDE_GRID[::3])


@pytest.mark.parametrize("n", [2, 7, 30])
def test_bessel_ine_on_both_sides_of_the_hankel_switch_and_far_out(n):
    # Miller's recurrence below x = n^2, Hankel's expansion (DLMF 10.40.1) from there on; far
    # out (a von Mises geodesic running to kappa ~ 1e14) the recurrence would take sqrt(40 x)
    # steps, the expansion a few terms
    switch = float(n * n)
    xs = [switch * (1 - 1e-12), switch, switch * (1 + 1e-12), 1.5 * switch, 1e8, 1e14]
    xs = [x for x in xs if x > S._BESSEL_SERIES_MAX]
    assert_relative(lambda x: S.bessel_ine(n, x), lambda x: mp.besseli(n, x) * mp.exp(-x), xs,
                    tol=5e-15)
    assert_relative(lambda x: S.bessel_in(n, x), lambda x: mp.besseli(n, x),
                    [x for x in xs if x < 700.0], tol=5e-15)


def test_bessel_in_low_orders_agree_with_dedicated_functions():
    for x in (0.3, 5.0, 25.0, 400.0):
        assert S.bessel_in(0, x) == S.bessel_i0(x)
        assert S.bessel_in(1, x) == S.bessel_i1(x)
        assert S.bessel_in(-3, x) == S.bessel_in(3, x)


@examples(150)
@given(st.floats(min_value=-700.0, max_value=700.0, allow_subnormal=False))
def test_bessel_property(x):
    i0 = mp.besseli(0, x)
    i1 = mp.besseli(1, x)
    assert abs(S.bessel_i0(x) - i0) <= REL_TOL * i0
    if x != 0:
        assert abs(S.bessel_i1(x) - i1) <= REL_TOL * abs(i1)
        assert abs(S.bessel_i1_over_i0(x) - i1 / i0) <= REL_TOL * abs(i1 / i0)


def test_bessel_symmetry_and_limits():
    for x in (1e-3, 0.7, 19.9, 20.1, 300.0, 5e5):
        assert S.bessel_i0(-x) == S.bessel_i0(x)
        assert S.bessel_i1(-x) == -S.bessel_i1(x)
        assert S.bessel_i1_over_i0(-x) == -S.bessel_i1_over_i0(x)
        assert S.log_bessel_i0(-x) == S.log_bessel_i0(x)
        assert S.bessel_in(2, -x) == S.bessel_in(2, x)
        assert S.bessel_in(3, -x) == -S.bessel_in(3, x)
    assert S.bessel_i0(0.0) == 1.0 and S.bessel_i1(0.0) == 0.0 and S.bessel_in(4, 0.0) == 0.0
    assert S.bessel_i0(714.0) == math.inf
    assert S.bessel_i1_over_i0(math.inf) == 1.0 and S.bessel_i1_over_i0(-math.inf) == -1.0
    assert S.log_bessel_i0(math.inf) == math.inf and S.bessel_i0e(math.inf) == 0.0
    for f in (S.bessel_i0, S.bessel_i1, S.bessel_i1_over_i0, S.log_bessel_i0):
        assert math.isnan(f(math.nan))


def test_special_functions_are_callable_from_njit():
    from numba import njit

    @njit
    def combined(x):
        return S.digamma(x) + S.polygamma(2, x) + S.bessel_i1_over_i0(x) + S.bessel_in(2, x)

    x = 2.5
    expected = S.digamma(x) + S.polygamma(2, x) + S.bessel_i1_over_i0(x) + S.bessel_in(2, x)
    assert combined(x) == expected


@examples(60)
@given(st.floats(-3.0, 15.0))
def test_trigamma_excess_keeps_every_digit(log10_x):
    # x psi'(x) - 1 ~ 1/(2x) loses ~log10(2x) digits when formed by subtraction; the
    # reference is mpmath at 40 digits plus the digits the subtraction cancels
    x = 10.0 ** log10_x
    with mp.workdps(40 + max(0, int(log10_x) + 2)):
        X = mp.mpf(x)
        ref = X * mp.polygamma(1, X) - 1
    got = S.trigamma_excess(x)
    assert got > 0.0
    assert abs(got / float(ref) - 1.0) < 8e-15 if x < 10.0 else abs(got / float(ref) - 1.0) < 1e-15


def test_trigamma_excess_special_values():
    # x psi'(x) - 1 at x = 1 is pi^2/6 - 1 (psi'(1) = zeta(2)); NaN stays NaN
    assert S.trigamma_excess(1.0) == pytest.approx(math.pi ** 2 / 6 - 1, rel=1e-15)
    assert math.isnan(S.trigamma_excess(math.nan))
    # both branches meet at x = 10 to double precision
    below, above = S.trigamma_excess(np.nextafter(10.0, 0.0)), S.trigamma_excess(10.0)
    assert abs(below / above - 1.0) < 1e-14
