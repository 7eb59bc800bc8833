"""Cancellation-free polygamma differences and IEEE behaviour of generated kernels.

References are mpmath at 50 digits; rewrites are checked by exact symbolic identities.
"""
import mpmath as mp
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from numeric.compile import special as S
from numeric.compile.kernels import compile_kernel
from numeric.compile.printer import (
    polygamma_difference,
    ratio_power,
    rewrite_polygamma_differences,
    rewrite_quotients,
    trigamma_excess_difference,
)
from tests.support import examples

REL_TOL = 1e-13

log_uniform = st.floats(-10.0, 10.0).map(lambda e: 10.0 ** e)


def reference_difference(n, x, s):
    with mp.workdps(50):
        x, s = mp.mpf(x), mp.mpf(s)
        return mp.polygamma(n, x) - mp.polygamma(n, x + s)


def relative_error(value, reference):
    return float(abs((mp.mpf(value) - reference) / reference))


@examples(60)
@given(n=st.integers(0, 4), x=log_uniform, s=log_uniform)
def test_polygamma_difference_matches_mpmath_over_twenty_decades(n, x, s):
    ref = reference_difference(n, x, s)
    assert relative_error(S.polygamma_difference(n, x, s), ref) <= REL_TOL


@examples(30)
@given(n=st.integers(0, 3), x=log_uniform, fraction=st.floats(1e-6, 0.999))
def test_polygamma_difference_with_negative_increment(n, x, fraction):
    s = -x * fraction
    # documented: a negative increment is psi(x) - psi(x + s) = -(psi(y) - psi(y - s)) with
    # y = x + s rounded once, so the reference takes that y and the exact -s
    y = x + s
    ref = -reference_difference(n, y, -s)
    assert relative_error(S.polygamma_difference(n, x, s), ref) <= REL_TOL


def test_polygamma_difference_issue_values():
    # the two points of the issue: naive trigamma differences gave 1.65e-24 and 0
    assert relative_error(S.polygamma_difference(1, 1e8, 1e-8),
                          reference_difference(1, 1e8, 1e-8)) <= REL_TOL
    assert relative_error(S.polygamma_difference(1, 1e10, 1e-10),
                          reference_difference(1, 1e10, 1e-10)) <= REL_TOL


def test_polygamma_difference_limits():
    assert S.polygamma_difference(1, 2.0, 0.0) == 0.0
    assert np.isnan(S.polygamma_difference(1, np.nan, 1.0))
    assert np.isnan(S.polygamma_difference(-1, 1.0, 1.0))
    # psi'(x) - psi'(x + 1) = 1/x^2 exactly (recurrence, DLMF 5.15.5)
    for x in (1e-9, 0.3, 7.0, 1e9):
        assert S.polygamma_difference(1, x, 1.0) == pytest.approx(1.0 / x ** 2, rel=1e-15)


# ---- the rewrite ---------------------------------------------------------------------------
a, b, c = sympy.symbols("a b c", positive=True)


def back(expr):
    return expr.rewrite(sympy.polygamma)


@pytest.mark.parametrize("expr", [
    sympy.polygamma(1, a) - sympy.polygamma(1, a + b),
    sympy.polygamma(1, a) * sympy.polygamma(1, b)
    - sympy.polygamma(1, a + b) * (sympy.polygamma(1, a) + sympy.polygamma(1, b)),
    (sympy.polygamma(2, a) - sympy.polygamma(2, a + b + c)) / sympy.polygamma(1, a + b + c),
])
def test_rewrite_is_an_identity_and_removes_the_cancelling_terms(expr):
    out = rewrite_polygamma_differences(expr)
    assert out.has(polygamma_difference) or out.has(trigamma_excess_difference)
    assert sympy.cancel(sympy.expand(back(out)) - sympy.expand(expr)) == 0


def test_rewrite_leaves_unrelated_arguments_alone():
    expr = sympy.polygamma(1, a) - sympy.polygamma(1, b)  # neither exceeds the other
    assert rewrite_polygamma_differences(expr) == expr


def test_beta_inverse_metric_determinant_loses_nothing():
    # det g of Beta = D_a D_b - psi'(a+b)^2; at a = 1e10, b = 1e-10 the textbook form
    # psi'(a) psi'(b) - psi'(a+b) (psi'(a) + psi'(b)) cancels to noise
    det = (sympy.polygamma(1, a) * sympy.polygamma(1, b)
           - sympy.polygamma(1, a + b) * (sympy.polygamma(1, a) + sympy.polygamma(1, b)))
    K = compile_kernel([a, b], det, name="beta_det")
    for point in ([1e10, 1e-10], [1e-8, 1e8], [3.0, 1e-9], [0.5, 2.5]):
        with mp.workdps(50):
            x, y = map(mp.mpf, point)
            ref = (mp.polygamma(1, x) * mp.polygamma(1, y)
                   - mp.polygamma(1, x + y) * (mp.polygamma(1, x) + mp.polygamma(1, y)))
        assert relative_error(K(point), ref) <= REL_TOL, point


def test_trigamma_excess_rewrite_is_an_identity():
    from numeric.compile.printer import trigamma_excess

    bg = sympy.Symbol("b", positive=True)
    inverse = sympy.Matrix([[a, bg], [bg, bg ** 2 * sympy.polygamma(1, a)]]) / (
        a * sympy.polygamma(1, a) - 1)            # the Gamma family's inverse metric
    for expr in (a * sympy.polygamma(1, a) - 1, 3 - 3 * a * sympy.polygamma(1, a),
                 *inverse):
        out = rewrite_polygamma_differences(expr)
        assert out.has(trigamma_excess)
        assert sympy.simplify(back(out) - expr) == 0
    # only the exact pattern: a constant that is not -c stays a plain subtraction
    assert not rewrite_polygamma_differences(a * sympy.polygamma(1, a) - 2).has(trigamma_excess)
    assert sympy.diff(trigamma_excess(a), a) == sympy.diff(back(trigamma_excess(a)), a)


def test_digamma_differences_are_rewritten_only_where_the_reference_cancels():
    psi = lambda z: sympy.polygamma(0, z)  # noqa: E731
    assert rewrite_polygamma_differences(psi(a) - psi(a + b)) == polygamma_difference(0, a, b)
    # psi(a + b) would stay (as D + psi(a + b) it could cancel where psi(a) does not)
    kept = 2 * psi(a) + psi(a + b)
    assert rewrite_polygamma_differences(kept) == kept
    mixed = psi(a) - psi(a + b) + sympy.polygamma(1, a) - sympy.polygamma(1, a + b)
    out = rewrite_polygamma_differences(mixed)
    assert sympy.expand(back(out) - mixed) == 0 and not out.has(psi(a + b))


def test_beta_expectation_parameters_keep_every_digit():
    # eta = (psi(a) - psi(a + b), psi(b) - psi(a + b)): at a = 1e10, b = 1e-10 the first is
    # -1.00000000005e-20, which the plain subtraction of two digammas of 23.03 gives as 0
    eta = compile_kernel([a, b], sympy.Matrix([psi0 for psi0 in (
        sympy.polygamma(0, a) - sympy.polygamma(0, a + b),
        sympy.polygamma(0, b) - sympy.polygamma(0, a + b))]), name="beta_eta")
    for point in ([1e10, 1e-10], [1e8, 1.0], [3.0, 4.0], [1e-8, 1e-8]):
        got = np.asarray(eta(point)).ravel()
        with mp.workdps(50):
            x, y = map(mp.mpf, point)
            ref = [mp.digamma(x) - mp.digamma(x + y), mp.digamma(y) - mp.digamma(x + y)]
        for g, r in zip(got, ref, strict=True):
            assert relative_error(g, r) <= REL_TOL, point


def test_gamma_inverse_metric_at_large_shape_loses_nothing():
    # (a psi'(a) - 1) ~ 1/(2a): formed by subtraction it kept only 1e-8 relative at a = 1e8
    bg = sympy.Symbol("b", positive=True)
    entry = a / (a * sympy.polygamma(1, a) - 1)
    K = compile_kernel([a, bg], entry, name="gamma_inverse_aa")
    for shape in (1e2, 1e5, 1e8, 1e12):
        with mp.workdps(60):
            x = mp.mpf(shape)
            ref = x / (x * mp.polygamma(1, x) - 1)
        assert relative_error(K([shape, 2.0]), ref) <= REL_TOL, shape


# ---- IEEE behaviour of generated kernels ---------------------------------------------------
s = sympy.Symbol("sigma", positive=True)


@pytest.mark.parametrize("power", [2, 3, 7])
def test_negative_powers_give_inf_not_zero_division(power):
    K = compile_kernel([s], s ** -power, name=f"inverse_power_{power}")
    assert K([0.0]) == np.inf
    assert K([1e-170]) == np.inf                         # overflow, as IEEE rounds it
    np.testing.assert_array_equal(K([[1e-170], [0.0]]), [np.inf, np.inf])  # batch path
    assert K([1e-20]) == pytest.approx(10.0 ** (20 * power), rel=1e-15)


def test_ratio_power_keeps_tiny_scales_finite():
    x, mu = sympy.symbols("x mu", real=True)
    logp = mu * x / s ** 2 - x ** 2 / (2 * s ** 2) - mu ** 2 / (2 * s ** 2) - sympy.log(s)
    out = rewrite_quotients(logp)
    assert out.has(ratio_power)
    assert sympy.simplify(out.rewrite(sympy.Pow) - logp) == 0
    K = compile_kernel([mu, s, x], out, name="normal_logp_stable")
    with mp.workdps(50):
        ref = -mp.log(mp.mpf(1e-170)) - ((mp.mpf(3e-171)) / mp.mpf(1e-170)) ** 2 / 2
    assert relative_error(K([0.0, 1e-170, 3e-171]), ref) <= 1e-15
    assert K([0.0, 1e-170, 1.0]) == -np.inf


MIXTURE_SCORES = {}


def _mixture_score_kernel():
    # the score in m and its derivative in m of log((1 - w) e^{-u^2/2} + w e^{-(u - m)^2/2}),
    # rewritten as the engine of the numeric route rewrites them
    if not MIXTURE_SCORES:
        w, m, u = sympy.symbols("w m u", real=True)
        logp = sympy.log((1 - w) * sympy.exp(-u**2 / 2) + w * sympy.exp(-(u - m) ** 2 / 2))
        exprs = [rewrite_quotients(sympy.diff(logp, m)), rewrite_quotients(sympy.diff(logp, m, 2))]
        MIXTURE_SCORES["kernel"] = compile_kernel([w, m, u], sympy.Matrix(exprs), name="mixture_scores")
    return MIXTURE_SCORES["kernel"]


@examples(40)
@given(w=st.floats(0.05, 0.95), m=st.floats(-2.0, 2.0), u=st.floats(20.0, 37.0),
       sign=st.sampled_from([-1.0, 1.0]))
def test_quotients_of_exponentials_stay_finite_in_the_tails(w, m, u, sign):
    # put over a common denominator, exp(-(u - m)^2/2) / (...) became exp(u^2) / (...
    # exp(u^2/2) ...): inf/inf beyond |u| = 27, where the density is still 1e-158 (the
    # numeric route then flagged every point of a two-component mixture NON_FINITE)
    u *= sign
    values = np.asarray(_mixture_score_kernel()([w, m, u])).reshape(-1)
    with mp.workdps(60):
        W, Mu, U = mp.mpf(w), mp.mpf(m), mp.mpf(u)
        a, b = (1 - W) * mp.exp(-U**2 / 2), W * mp.exp(-(U - Mu) ** 2 / 2)
        s1 = b * (U - Mu) / (a + b)
        s2 = b * ((U - Mu) ** 2 - 1) / (a + b) - s1**2
    assert np.isfinite(values).all()
    assert abs(mp.mpf(float(values[0])) - s1) <= 1e-12 * max(abs(s1), 1)
    # the second derivative's expanded numerator multiplies two exponentials: beyond |u| =
    # 26 their product is subnormal and loses digits (where the density is below 1e-150,
    # so no expectation sees it), but it stays finite
    if abs(u) <= 26.0:
        assert abs(mp.mpf(float(values[1])) - s2) <= 1e-12 * max(abs(s2), 1)


# ---- fused differences (one call per argument pair, all orders) ----------------------------
FUSED_DIFFERENCES = {2: (S.polygamma_difference_upto2, S.polygamma_upto2),
                     3: (S.polygamma_difference_upto3, S.polygamma_upto3),
                     4: (S.polygamma_difference_upto4, S.polygamma_upto4)}


def fused_difference(orders, x, s):
    difference, jet = FUSED_DIFFERENCES[orders]
    return difference(x, s, *jet(x + s))


@examples(60)
@given(orders=st.integers(2, 4), x=log_uniform, s=log_uniform)
def test_fused_differences_match_mpmath_over_twenty_decades(orders, x, s):
    values = fused_difference(orders, x, s)
    assert len(values) == orders
    for n, value in enumerate(values, start=1):
        ref = reference_difference(n, x, s)
        assert relative_error(value, ref) <= REL_TOL, n


@examples(60)
@given(orders=st.integers(2, 4), x=log_uniform, ratio=st.floats(1 / 64, 1.0))
def test_fused_differences_on_both_sides_of_the_plain_subtraction_threshold(orders, x, ratio):
    # s = x/8 separates the plain subtraction of fused values (condition number up to 17)
    # from the cancellation-free sum; both must keep the accuracy of polygamma_difference
    s = x * ratio
    for n, value in enumerate(fused_difference(orders, x, s), start=1):
        assert relative_error(value, reference_difference(n, x, s)) <= REL_TOL, n


@examples(30)
@given(n=st.integers(1, 4), x=log_uniform, ratio=st.floats(1.0, 1e3))
def test_scaled_polygamma_decreases_as_the_plain_subtraction_bound_assumes(n, x, ratio):
    # the docstring's bound |psi^(n)(y)| <= (x/y)^n |psi^(n)(x)| for y > x > 0
    with mp.workdps(40):
        x, y = mp.mpf(x), mp.mpf(x) * mp.mpf(ratio)
        assert abs(mp.polygamma(n, y)) * y ** n <= abs(mp.polygamma(n, x)) * x ** n


@pytest.mark.parametrize("x, s", [
    (2.0, -0.5), (2.0, -1.9), (1e-40, 1e-42), (2.0, 0.0),
    (np.nan, 1.0), (2.0, np.nan), (-0.5, 1.0), (np.inf, 1.0), (1.0, np.inf),
])
def test_fused_differences_outside_the_fast_paths_are_the_separate_calls(x, s):
    for orders in (2, 3, 4):
        values = fused_difference(orders, x, s)
        expected = [S.polygamma_difference(n, x, s) for n in range(1, orders + 1)]
        np.testing.assert_array_equal(values, expected)


def test_fused_difference_recurrence_values():
    # psi^(n)(x) - psi^(n)(x + 1) = (-1)^(n+1) n! / x^(n+1)  (DLMF 5.15.5), on both paths
    for x in (1e-9, 0.3, 7.0, 20.0, 1e9):   # s = 1 >= x/8 up to x = 8, careful beyond
        values = fused_difference(4, x, 1.0)
        for n, value in enumerate(values, start=1):
            exact = (-1) ** (n + 1) * float(mp.factorial(n)) / mp.mpf(x) ** (n + 1)
            assert relative_error(value, exact) <= 1e-14, (x, n)


@pytest.mark.parametrize("expr, orders", [
    (sympy.polygamma(3, a) - sympy.polygamma(3, a + b + c), 3),       # the jet of a + b + c
    (sympy.polygamma(1, b) * sympy.polygamma(2, a) - sympy.polygamma(2, a + b), 2),
])
def test_kernels_hand_fused_differences_the_jet_of_the_larger_argument(expr, orders):
    K = compile_kernel([a, b, c], expr, name=f"fused_difference_{orders}")
    body = K.source.split("_core(x, p, out):")[1].split("def ")[0]
    assert f"_sp_polygamma_difference_upto{orders}(" in body
    assert "_sp_polygamma_difference(" not in body
    for point in ([1e10, 1e-10, 2e-10], [0.5, 2.0, 3.0], [1e-8, 1e8, 1.0], [3.0, 1e-9, 1e-9]):
        with mp.workdps(50):
            x, y, z = map(mp.mpf, point)
            ref = sympy.lambdify([a, b, c], expr, "mpmath")(x, y, z)
        assert relative_error(K(point), ref) <= REL_TOL, point
