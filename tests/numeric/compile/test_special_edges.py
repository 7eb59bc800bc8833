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
    assert out.has(polygamma_difference)
    assert sympy.expand(back(out) - expr) == 0
    # no reference polygamma is left to be subtracted from a larger one of its own order
    assert sympy.expand(back(out)) == sympy.expand(expr)


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
