"""Accuracy at the edges of family domains: determinants and inverse metrics of the Beta and
Dirichlet families at large or very unequal parameters (issue 10).

References are mpmath at 50 digits or more; the inverse metric is compared with mpmath's
inverse of the metric matrix, an evaluation independent of the symbolic inverse.
"""
import functools

import mpmath as mp
import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from numeric.compile import special as S
from numeric.compile.kernels import compile_kernels
from numeric.compile.printer import rewrite_polygamma_differences, trigamma_excess_difference
from tests.support import cuda_available, examples

REL_TOL = 1e-13

log_uniform = st.floats(-10.0, 10.0).map(lambda e: 10.0 ** e)


def relative_error(value, reference):
    return float(abs((mp.mpf(float(value)) - reference) / reference))


# ---- the excess difference e(x) - e(x + s), e(x) = x psi'(x) - 1 --------------------------
def reference_excess_difference(x, s):
    with mp.workdps(60):
        x, s = mp.mpf(x), mp.mpf(s)
        return x * mp.psi(1, x) - (x + s) * mp.psi(1, x + s)


@examples(80)
@given(x=log_uniform, s=log_uniform)
def test_trigamma_excess_difference_matches_mpmath_over_twenty_decades(x, s):
    ref = reference_excess_difference(x, s)
    assert ref > 0
    assert relative_error(S.trigamma_excess_difference(x, s), ref) <= REL_TOL


@examples(40)
@given(x=st.floats(0.05, 12.0), ratio=st.floats(1e-9, 3.0))
def test_trigamma_excess_difference_where_the_branches_meet(x, ratio):
    # x = 10 (asymptotic series / polygamma difference) and s = x (plain subtraction)
    s = x * ratio
    ref = reference_excess_difference(x, s)
    assert relative_error(S.trigamma_excess_difference(x, s), ref) <= REL_TOL


@examples(30)
@given(x=log_uniform, fraction=st.floats(1e-6, 0.999))
def test_trigamma_excess_difference_with_negative_increment(x, fraction):
    s = -x * fraction
    y = x + s   # documented: -(e(y) - e(y - s)) with y = x + s rounded once
    ref = -reference_excess_difference(y, -s)
    assert relative_error(S.trigamma_excess_difference(x, s), ref) <= REL_TOL


@examples(30)
@given(x=log_uniform, ratio=st.floats(1.0, 1e3))
def test_scaled_excess_decreases_as_the_plain_subtraction_bound_assumes(x, ratio):
    # the docstring's bound: t e(t) decreases, so e(x + s) <= e(x) / 2 for s >= x
    with mp.workdps(40):
        x, y = mp.mpf(x), mp.mpf(x) * mp.mpf(ratio)
        assert y * (y * mp.psi(1, y) - 1) <= x * (x * mp.psi(1, x) - 1)


def test_trigamma_excess_difference_limits():
    assert S.trigamma_excess_difference(2.0, 0.0) == 0.0
    assert np.isnan(S.trigamma_excess_difference(np.nan, 1.0))
    assert np.isnan(S.trigamma_excess_difference(1.0, np.nan))
    # e(inf) = 0: the excess itself
    assert S.trigamma_excess_difference(3.0, np.inf) == S.trigamma_excess(3.0)
    # e(x) - e(x + 1) = 1/x - psi'(x + 1) (recurrence, DLMF 5.15.5)
    for x in (1e-9, 0.3, 7.0):
        with mp.workdps(50):
            exact = 1 / mp.mpf(x) - mp.psi(1, mp.mpf(x) + 1)
        assert relative_error(S.trigamma_excess_difference(x, 1.0), exact) <= 1e-14


# ---- the rewrite of determinants -----------------------------------------------------------
a, b = sympy.symbols("a b", positive=True)


def p1(z):
    return sympy.polygamma(1, z)


BETA_DET = p1(a) * p1(b) - p1(a + b) * (p1(a) + p1(b))


def test_beta_determinant_becomes_a_sum_of_positive_terms():
    out = rewrite_polygamma_differences(BETA_DET)
    assert out.has(trigamma_excess_difference) and not out.has(sympy.polygamma)
    numerator, denominator = out.as_numer_denom()
    assert denominator == a * b * (a + b)
    assert all(term.as_coeff_Mul()[0] > 0 for term in sympy.Add.make_args(numerator))
    assert sympy.cancel(sympy.expand(out.rewrite(sympy.polygamma)) - sympy.expand(BETA_DET)) == 0


def test_sums_that_do_not_cancel_keep_the_difference_form():
    # a metric entry and a determinant with both signs but no trigamma group: unchanged forms
    assert rewrite_polygamma_differences(p1(a) - p1(a + b)).func.__name__ == "polygamma_difference"
    kept = p1(a) * p1(b) - p1(a + 1) * p1(b + 1)   # no argument exceeds both others
    assert not rewrite_polygamma_differences(kept).has(trigamma_excess_difference)


def dirichlet_metric(symbols):
    total = sum(symbols)
    k = len(symbols)
    return sympy.Matrix(k, k, lambda i, j: (p1(symbols[i]) if i == j else 0) - p1(total))


@functools.lru_cache(maxsize=None)
def kernels(k):
    symbols = sympy.symbols(f"a1:{k + 1}", positive=True)
    g = dirichlet_metric(symbols)
    return compile_kernels(symbols, {"det": g.det(method="berkowitz"), "inverse": g.inv()})


def reference(point):
    with mp.workdps(60):
        xs = [mp.mpf(v) for v in point]
        total = sum(xs)
        g = mp.matrix(len(xs), len(xs))
        for i in range(len(xs)):
            for j in range(len(xs)):
                g[i, j] = (mp.psi(1, xs[i]) if i == j else 0) - mp.psi(1, total)
        return mp.det(g), g ** -1


def assert_accurate(point, tol=REL_TOL):
    K = kernels(len(point))
    det, inverse = reference(point)
    assert relative_error(K["det"](point), det) <= tol, point
    got = K["inverse"](point)
    for i in range(len(point)):
        for j in range(len(point)):
            assert relative_error(got[i, j], inverse[i, j]) <= tol, (point, i, j)


@pytest.mark.parametrize("point", [
    [1e8, 1e8],            # the point: 5e-8 relative error before
    [1e10, 1e10], [1e10, 3e9], [1e10, 1e-10], [1e-10, 1e10], [1e-8, 1e8],
    [1e5, 3.0], [1e-9, 1e-9], [0.5, 2.5], [9.5, 10.5], [1e3, 1e-3],
])
def test_beta_determinant_and_inverse_metric_keep_every_digit(point):
    assert_accurate(point)


@examples(40)
@given(x=log_uniform, y=log_uniform)
def test_beta_determinant_and_inverse_metric_over_twenty_decades(x, y):
    assert_accurate([x, y])


@pytest.mark.slow
@examples(25)
@given(x=log_uniform, y=log_uniform, z=log_uniform)
def test_dirichlet_determinant_and_inverse_metric_over_twenty_decades(x, y, z):
    assert_accurate([x, y, z])


def test_dirichlet_at_large_and_unequal_parameters():
    for point in ([1e8, 1e8, 1.7e8], [1e10, 1e10, 1e-10], [1e8, 1e-8, 1.0], [7.0, 9.0, 11.9]):
        assert_accurate(point)


# ---- the von Mises family: A = I1/I0 and its derivatives ------------------------------------
def reference_ratio(x):
    """A, A', A'' at x, from mpmath's Bessel functions with digits to spare for the
    cancellation of the textbook formulas (A' ~ 1/(2x^2) from terms near 1).
    """
    with mp.workdps(60 + 3 * max(0, int(mp.log10(abs(x) + 1)))):
        x = mp.mpf(x)
        ratio = mp.besseli(1, x) / mp.besseli(0, x)
        d1 = 1 - ratio ** 2 - ratio / x
        d2 = ratio / x ** 2 - d1 / x - 2 * ratio * d1
        return ratio, d1, d2


@examples(60)
@given(x=st.floats(-6.0, 10.0).map(lambda e: 10.0 ** e))
def test_bessel_ratio_derivatives_match_mpmath_over_sixteen_decades(x):
    _, d1, d2 = reference_ratio(x)
    assert relative_error(S.bessel_i1_over_i0_d1(x), d1) <= 1e-14
    assert relative_error(S.bessel_i1_over_i0_d2(x), d2) <= 1e-14


@examples(40)
@given(x=st.floats(15.0, 35.0))
def test_bessel_ratio_derivatives_where_the_series_meet(x):
    _, d1, d2 = reference_ratio(x)   # power series below 25, asymptotic series above
    assert relative_error(S.bessel_i1_over_i0_d1(x), d1) <= 1e-14
    assert relative_error(S.bessel_i1_over_i0_d2(x), d2) <= 1e-14


def test_bessel_ratio_derivatives_symmetry_and_limits():
    for x in (1e-3, 2.5, 30.0, 1e6):
        assert S.bessel_i1_over_i0_d1(-x) == S.bessel_i1_over_i0_d1(x)      # A' even
        assert S.bessel_i1_over_i0_d2(-x) == -S.bessel_i1_over_i0_d2(x)     # A'' odd
        assert S.bessel_i1_over_i0_d2(x) < 0 < S.bessel_i1_over_i0_d1(x)
    assert S.bessel_i1_over_i0_d1(0.0) == 0.5 and S.bessel_i1_over_i0_d2(0.0) == 0.0
    assert S.bessel_i1_over_i0_d1(np.inf) == 0.0 and S.bessel_i1_over_i0_d2(np.inf) == 0.0
    assert np.isnan(S.bessel_i1_over_i0_d1(np.nan)) and np.isnan(S.bessel_i1_over_i0_d2(np.nan))


def test_ratio_derivative_series_coefficients_are_exact():
    # the tabulated Taylor coefficients of -A'' I0^3 against mpmath's Taylor expansion
    with mp.workdps(40):
        def g(x):
            return -mp.diff(lambda t: mp.besseli(1, t) / mp.besseli(0, t), x, 2) * mp.besseli(0, x) ** 3
        series = mp.taylor(g, 0, 9)
    for k in range(4):
        assert abs(S._RATIO_G[k] - series[2 * k + 1]) <= 1e-15 * series[2 * k + 1]
        assert abs(series[2 * k]) < 1e-25


@functools.lru_cache(maxsize=None)
def von_mises_kernels():
    from manifolds import VonMises

    M = VonMises()
    alpha = sympy.Symbol("alpha", real=True)
    return compile_kernels(M.coordinates, {
        "metric": M.fisher_metric(), "inverse": M.inverse_metric(),
        "christoffel": sympy.Array(M.christoffel(kind=2)),
        "alpha_christoffel": sympy.Array(M.alpha_connection(alpha, kind=2))}, params=(alpha,))


def test_von_mises_kernels_use_the_ratio_functions():
    source = von_mises_kernels()["metric"].source
    for name in ("bessel_i1_over_i0_d1", "bessel_i1_over_i0_d2"):
        assert f"_sp_{name}(" in source
    assert "_sp_bessel_i0e(" not in source.split("def christoffel_core")[1].split("def ")[0]


@pytest.mark.parametrize("kappa", [1e-6, 1e-2, 0.7, 3.0, 24.0, 26.0, 1e3, 1e4, 1e6, 1e8, 1e10])
def test_von_mises_metric_and_christoffel_symbols_keep_every_digit(kappa):
    # g = diag(kappa A, A'), Gamma^mu_mu,kappa = (A' + A/kappa)/(2A),
    # Gamma^kappa_mu,mu = -(kappa A' + A)/(2A'), Gamma^kappa_kappa,kappa = A''/(2A')
    # (Amari & Nagaoka 2000, the von Mises family; A = I1/I0)
    K = von_mises_kernels()
    ratio, d1, d2 = reference_ratio(kappa)
    with mp.workdps(60):
        expected_metric = [kappa * ratio, d1]
        expected_gamma = {(0, 0, 1): (d1 + ratio / kappa) / (2 * ratio),
                          (1, 0, 0): -(kappa * d1 + ratio) / (2 * d1),
                          (1, 1, 1): d2 / (2 * d1)}
    point = [0.3, kappa]
    g = K["metric"](point, 0.0)
    gi = K["inverse"](point, 0.0)
    for i in range(2):
        assert relative_error(g[i, i], expected_metric[i]) <= REL_TOL
        assert relative_error(gi[i, i], 1 / expected_metric[i]) <= REL_TOL
    gamma = K["christoffel"](point, 0.0)
    for index, expected in expected_gamma.items():
        assert relative_error(gamma[index], expected) <= REL_TOL, index
    # the alpha-connection at alpha = 0 is the Levi-Civita one; at alpha = 1 its
    # kappa-kappa-kappa symbol vanishes (the e-connection is flat in natural coordinates
    # only, so only this component's factor (1 - alpha) is checked)
    np.testing.assert_allclose(K["alpha_christoffel"](point, 0.0), gamma, rtol=1e-14, atol=0)
    assert K["alpha_christoffel"](point, 1.0)[1, 1, 1] == 0.0


@functools.lru_cache(maxsize=None)
def von_mises_natural_chart():
    from manifolds import VonMises

    C = VonMises().in_chart("natural")
    return C, compile_kernels(C.coordinates, {
        "metric": C.fisher_metric(), "christoffel": sympy.Array(C.christoffel(kind=2))})


def natural_chart_reference(theta):
    """Metric and Christoffel symbols ``[k, i, j]`` of the von Mises natural chart, F(theta) =
    log I0(r), r = |theta|, n = theta/r, P = 1 - n n^T (a Hessian metric: Gamma_ij,k =
    F_ijk / 2): g = A' n n^T + (A/r) P and F_ijk = A'' n_i n_j n_k + (A'/r - A/r^2)
    (P_ij n_k + P_ik n_j + P_jk n_i), with A, A', A'' from mpmath (reference_ratio).
    """
    with mp.workdps(60):
        t = [mp.mpf(float(c)) for c in theta]
        r = mp.sqrt(t[0] ** 2 + t[1] ** 2)
        n = [c / r for c in t]
        ratio, d1, d2 = reference_ratio(r)

        def proj(i, j):
            return (1 if i == j else 0) - n[i] * n[j]

        g = mp.matrix([[d1 * n[i] * n[j] + ratio / r * proj(i, j) for j in range(2)]
                       for i in range(2)])
        c = d1 / r - ratio / r ** 2
        third = [[[d2 * n[i] * n[j] * n[k] + c * (proj(i, j) * n[k] + proj(i, k) * n[j]
                                                  + proj(j, k) * n[i]) for k in range(2)]
                  for j in range(2)] for i in range(2)]
        gi = g ** -1
        gamma = [[[sum(gi[k, m] * third[i][j][m] for m in range(2)) / 2 for j in range(2)]
                  for i in range(2)] for k in range(2)]
        return g, gamma


def test_von_mises_natural_chart_reference_is_the_hessian_of_the_log_partition():
    # the closed forms above against mpmath's numerical derivatives of log I0(|theta|)
    theta = (3.1, -2.2)
    g, gamma = natural_chart_reference(theta)
    with mp.workdps(30):
        def f(a, b):
            return mp.log(mp.besseli(0, mp.sqrt(a * a + b * b)))

        def partial(*indices):
            return mp.diff(f, theta, (indices.count(0), indices.count(1)))

        h = mp.matrix([[partial(i, j) for j in range(2)] for i in range(2)])
        hi = h ** -1
        assert mp.mnorm(g - h, 1) < 1e-20
        for k, i, j in np.ndindex(2, 2, 2):
            expected = sum(hi[k, m] * partial(i, j, m) for m in range(2)) / 2
            assert abs(gamma[k][i][j] - expected) < 1e-20


@pytest.mark.parametrize("r", [1.0, 3.0, 10.0, 31.6, 100.0, 1e3, 1e4, 1e6, 1e8])
def test_von_mises_natural_chart_keeps_every_digit_at_large_kappa(r):
    # the chart the log map shoots in (VonMises.shooting_chart): r = kappa. Its metric and
    # Christoffel symbols cancelled like those in (mu, kappa) did (Christoffel symbols 6e-12
    # relative at r = 100, 6e-8 at 1e4, 20 at 1e8; metric 2e-12 at 100), until rewrite_bessel
    # took the ratio form of a radius sqrt(theta1**2 + theta2**2) too
    C, K = von_mises_natural_chart()
    for angle in (0.0, 0.3, np.pi / 2, 2.5, -1.2, np.pi - 1e-7):
        theta = [r * np.cos(angle), r * np.sin(angle)]
        g_ref, gamma_ref = natural_chart_reference(theta)
        g = K["metric"](theta)
        for i, j in np.ndindex(2, 2):
            if g_ref[i, j] != 0:
                assert relative_error(g[i, j], g_ref[i, j]) <= REL_TOL, (angle, i, j)
        gamma = K["christoffel"](theta)
        largest = max(abs(gamma_ref[k][i][j]) for k, i, j in np.ndindex(2, 2, 2))
        for k, i, j in np.ndindex(2, 2, 2):
            expected = gamma_ref[k][i][j]
            error = abs(gamma[k, i, j] - expected)
            assert error <= 1e-14 * largest, (angle, k, i, j)
            if abs(expected) > 1e-3 * largest:
                assert error <= REL_TOL * abs(expected), (angle, k, i, j)


def test_radius_ratio_form_is_the_bessel_form_on_both_branches():
    # the rewrite is an identity: its ratio branch (r >= 1) against the Bessel expression at
    # 50 digits, above and below the switch, and the Bessel branch is the expression itself
    from numeric.compile import printer as P

    C, _ = von_mises_natural_chart()
    t1, t2 = C.coordinates
    expr = C.christoffel(kind=2)[1, 0, 1]
    rewritten = P.rewrite_bessel(expr)
    assert isinstance(rewritten, sympy.Piecewise)
    (ratio_form, condition), (bessel_form, _) = rewritten.args
    assert condition == (sympy.sqrt(t1 ** 2 + t2 ** 2) >= 1)
    assert not ratio_form.has(P.besseli_scaled) and ratio_form.has(P.bessel_i1_over_i0_d2)
    functions = {"bessel_i1_over_i0": lambda x: mp.besseli(1, x) / mp.besseli(0, x),
                 "bessel_i1_over_i0_d1": lambda x: reference_ratio(x)[1],
                 "bessel_i1_over_i0_d2": lambda x: reference_ratio(x)[2],
                 "besseli_scaled": lambda nu, x: mp.besseli(nu, x) * mp.exp(-abs(x)),
                 "besseli": mp.besseli}
    with mp.workdps(50):
        for point in ((0.3, 0.5), (2.0, -0.7), (-30.0, 41.0)):
            values = [mp.mpf(c) for c in point]
            reference = sympy.lambdify((t1, t2), expr, modules=[functions, "mpmath"])(*values)
            for branch in (ratio_form, bessel_form):
                value = sympy.lambdify((t1, t2), branch, modules=[functions, "mpmath"])(*values)
                assert abs(value - reference) <= mp.mpf(10) ** -40 * abs(reference)


# ---- Student's t and Cauchy at tiny and huge scales ----------------------------------------
def reference_log1p_square(a, b):
    with mp.workdps(60):
        return mp.log1p((mp.mpf(a) / mp.mpf(b)) ** 2)


@examples(60)
@given(a=st.floats(-300.0, 300.0).map(lambda e: 10.0 ** e),
       b=st.floats(-300.0, 300.0).map(lambda e: 10.0 ** e))
def test_log1p_square_ratio_matches_mpmath_over_the_float_range(a, b):
    ref = reference_log1p_square(a, b)
    value = S.log1p_square_ratio(a, b)
    if ref < 1e-300:  # (a/b)^2 below the float range: the result underflows with it
        assert 0.0 <= value <= 1e-290
    else:
        assert relative_error(value, ref) <= 1e-15
    assert S.log1p_square_ratio(-a, b) == value == S.log1p_square_ratio(a, -b)


def test_log1p_square_ratio_limits():
    assert S.log1p_square_ratio(1.0, 0.0) == np.inf
    assert np.isnan(S.log1p_square_ratio(0.0, 0.0))
    assert np.isnan(S.log1p_square_ratio(np.inf, 1.0)) and np.isnan(S.log1p_square_ratio(1.0, np.nan))
    assert S.log1p_square_ratio(0.0, 1e-300) == 0.0


@functools.lru_cache(maxsize=None)
def density_kernels(name):
    from manifolds import Cauchy, StudentT

    M = {"Cauchy": Cauchy, "StudentT(3)": lambda: StudentT(3)}[name]()
    return M, M.numeric


def reference_density(M, point, x):
    """The log-density and score at 80 digits from the declared (unrewritten) formula."""
    import sympy as sp

    names = list(M.coordinates) + list(M.model.space.variables)
    logp = M.numeric._subs(M.model.log_density)
    with mp.workdps(80):
        args = [mp.mpf(v) for v in (*point, x)]
        value = sp.lambdify(names, logp, "mpmath")(*args)
        score = [sp.lambdify(names, sp.diff(logp, c), "mpmath")(*args) for c in M.coordinates]
    return value, score


@pytest.mark.parametrize("name", ["Cauchy", "StudentT(3)"])
@pytest.mark.parametrize("scale, z", [
    (1e-300, 0.0), (1e-300, 3.0), (1e-300, 1e200), (1e-150, 1e-5), (1e-20, 1e300),
    (1.0, 1e160), (1e150, 1e10), (1e300, 1e-3), (1e300, 3.0),
])
def test_location_scale_log_density_and_score_over_the_float_range(name, scale, z):
    # before: +inf at a scale of 1e-300 (the true value is near 690), -inf where z^2
    # overflowed, inf or NaN scores
    M, N = density_kernels(name)
    point, x = [0.5 * scale, scale], 0.5 * scale + z * scale
    value, score = reference_density(M, point, x)
    assert relative_error(N.log_density(point, x), value) <= 1e-14
    got = N.score(point, x)
    for g, r in zip(got, score, strict=True):
        if r == 0:
            assert g == 0
        else:
            assert relative_error(g, r) <= 1e-14, (g, r)


@pytest.mark.parametrize("name", ["Cauchy", "StudentT(3)"])
def test_score_near_a_large_location_keeps_its_digits(name):
    # the Student t score formed from an expanded (x - mu)^2 returned 3.5e13 for 1286.5
    M, N = density_kernels(name)
    for point, x in (([1e10, 1e-3], 1e10 + 2e-3), ([-3e8, 2.0], -3e8 + 1.0)):
        value, score = reference_density(M, point, x)
        assert relative_error(N.log_density(point, x), value) <= 1e-14
        for g, r in zip(N.score(point, x), score, strict=True):
            assert relative_error(g, r) <= 1e-14  # x - mu of the two floats is exact


@pytest.mark.parametrize("name", ["Cauchy", "StudentT(3)"])
@pytest.mark.parametrize("scale", [1e-150, 1e-20, 1.0, 1e20, 1e150])
def test_location_scale_metric_and_christoffel_symbols_scale_exactly(name, scale):
    # a location-scale family's metric is diag(A, B)/s^2 and its Christoffel symbols are
    # (numbers)/s: compare with the values at s = 1 rescaled (invariance under rescaling)
    M, N = density_kernels(name)
    g1, gamma1 = N.metric([0.0, 1.0]), N.christoffel([0.0, 1.0])
    with mp.workdps(30):
        expected_g = [[mp.mpf(float(v)) / mp.mpf(scale) ** 2 for v in row] for row in g1]
    g = N.metric([0.3 * scale, scale])
    for i in range(2):
        assert relative_error(g[i, i], expected_g[i][i]) <= 1e-15
    np.testing.assert_allclose(N.christoffel([0.3 * scale, scale]) * scale, gamma1, rtol=1e-15)


# ---- CUDA: the same scalar functions as device functions ----------------------------------
try:  # a module global: the simulator replaces the kernel's global ``cuda``
    from numba import cuda
except ImportError:  # pragma: no cover - numba without its CUDA target
    cuda = None


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available(), reason="no CUDA target (numba-cuda absent)")
def test_new_special_functions_run_as_cuda_device_functions():
    # under NUMBA_ENABLE_CUDASIM=1 (the root conftest) without a GPU: a handful of points
    @cuda.jit
    def kernel(x, s, out):
        i = cuda.grid(1)
        if i < x.shape[0]:
            out[i, 0] = S.trigamma_excess_difference(x[i], s[i])
            out[i, 1] = S.bessel_i1_over_i0_d1(x[i])
            out[i, 2] = S.bessel_i1_over_i0_d2(x[i])
            out[i, 3] = S.log1p_square_ratio(x[i], s[i])

    x = np.array([1e-8, 0.7, 12.0, 30.0, 1e8])
    s = np.array([3.0, 1e-9, 12.0, 1e4, 1e8])
    out = np.zeros((x.size, 4))
    kernel[1, 32](x, s, out)
    cpu = [[S.trigamma_excess_difference(a, b), S.bessel_i1_over_i0_d1(a),
            S.bessel_i1_over_i0_d2(a), S.log1p_square_ratio(a, b)] for a, b in zip(x, s, strict=True)]
    np.testing.assert_allclose(out, cpu, rtol=1e-15, atol=0)


def test_von_mises_metric_at_a_subnormal_concentration():
    # the long fuzz run's case: at kappa = 5e-324 the metric's A' came out 1.0 for 0.5
    K = von_mises_kernels()
    np.testing.assert_array_equal(K["metric"]([1e8, 5e-324], 0.0), [[0.0, 0.0], [0.0, 0.5]])
