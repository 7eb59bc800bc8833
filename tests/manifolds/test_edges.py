"""Compiled numerics of the catalog at the edges of the float range (mpmath at 50 digits)."""
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manifolds import Beta, Dirichlet, Gamma, Normal
from symbolic.errors import DomainError
from tests.support import examples

log_uniform = st.floats(-10.0, 10.0).map(lambda e: 10.0 ** e)


def pg(n, x):
    return mp.polygamma(n, x)


def assert_close(value, reference, rtol):
    value = np.asarray(value, dtype=float)
    ref = np.array([[float(reference[i][j]) for j in range(len(reference[i]))]
                    for i in range(len(reference))])
    err = np.abs(value - ref) / np.abs(ref)
    assert err.max() <= rtol, (value, ref, err)


def beta_metric_reference(a, b):
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        c = pg(1, a + b)
        return [[pg(1, a) - c, -c], [-c, pg(1, b) - c]]


@pytest.mark.slow
@examples(40)
@given(a=log_uniform, b=log_uniform)
def test_beta_metric_matches_mpmath_over_twenty_decades(a, b):
    assert_close(Beta().numeric.metric([a, b]), beta_metric_reference(a, b), 1e-13)


def test_beta_metric_at_the_issue_points():
    K = Beta().numeric
    assert_close(K.metric([1e-8, 1e8]), beta_metric_reference(1e-8, 1e8), 1e-13)
    assert_close(K.metric([1e10, 1e-10]), beta_metric_reference(1e10, 1e-10), 1e-13)


@pytest.mark.slow
@examples(20)
@given(a=log_uniform, b=log_uniform)
def test_beta_inverse_metric_matches_mpmath(a, b):
    # det g = D_a D_b - psi'(a+b)^2 with exact differences D; for a, b both large the two
    # terms agree to leading order (1/(ab)) in any form, so the bound is 1e-14 times the
    # condition number of that last subtraction
    with mp.workdps(50):
        g = beta_metric_reference(a, b)
        ref = mp.matrix(g) ** -1
        ref = [[ref[i, j] for j in range(2)] for i in range(2)]
        kappa = (abs(g[0][0] * g[1][1]) + g[0][1] ** 2) / abs(g[0][0] * g[1][1] - g[0][1] ** 2)
    assert_close(Beta().numeric.inverse_metric([a, b]), ref, 1e-14 * float(kappa) + 1e-14)


def beta_christoffel_reference(a, b):
    """Gamma^k_ij = g^kl (d_i g_jl + d_j g_il - d_l g_ij) / 2 with d g from psi''."""
    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        g = mp.matrix(beta_metric_reference(a, b))
        gi = g ** -1
        c2 = pg(2, a + b)
        # dg[l][i][j] = d g_ij / d x_l
        dg = [[[pg(2, a) - c2, -c2], [-c2, -c2]],
              [[-c2, -c2], [-c2, pg(2, b) - c2]]]
        return [[[sum(gi[k, m] * (dg[i][j][m] + dg[j][i][m] - dg[m][i][j]) for m in range(2)) / 2
                  for j in range(2)] for i in range(2)] for k in range(2)]


@pytest.mark.slow
@examples(15)
@given(a=log_uniform, b=log_uniform)
def test_beta_christoffel_matches_mpmath(a, b):
    value = Beta().numeric.christoffel([a, b])
    ref = beta_christoffel_reference(a, b)
    for k in range(2):
        assert_close(value[k], ref[k], 1e-11)


@pytest.mark.slow
@examples(20)
@given(a=st.lists(log_uniform, min_size=3, max_size=3))
def test_dirichlet3_metric_matches_mpmath(a):
    with mp.workdps(50):
        x = [mp.mpf(v) for v in a]
        c = pg(1, sum(x))
        ref = [[(pg(1, x[i]) if i == j else 0) - c for j in range(3)] for i in range(3)]
    assert_close(Dirichlet(3).numeric.metric(a), ref, 1e-13)


@examples(20)
@given(k=log_uniform, rate=log_uniform)
def test_gamma_metric_unchanged_and_matches_mpmath(k, rate):
    # Gamma(a, b) in the catalog: g = [[psi'(a), -1/b], [-1/b, a/b^2]] (shape, rate)
    with mp.workdps(50):
        a, b = mp.mpf(k), mp.mpf(rate)
        ref = [[pg(1, a), -1 / b], [-1 / b, a / b ** 2]]
    assert_close(Gamma().numeric.metric([k, rate]), ref, 1e-13)


# ---- tiny scales: no ZeroDivisionError, SystemError or silent NaN --------------------------
def test_normal_metric_at_tiny_sigma_is_inf_not_an_exception():
    K = Normal().numeric
    np.testing.assert_array_equal(K.metric([0.0, 1e-170]), [[np.inf, 0.0], [0.0, np.inf]])
    batch = K.metric([[0.0, 1e-170], [0.0, 1e-170], [0.0, 2.0]])   # the prange path
    np.testing.assert_array_equal(batch[:2], [[[np.inf, 0.0], [0.0, np.inf]]] * 2)
    np.testing.assert_allclose(batch[2], [[0.25, 0.0], [0.0, 0.5]], rtol=1e-15)
    np.testing.assert_array_equal(K.inverse_metric([0.0, 1e-170]), [[0.0, 0.0], [0.0, 0.0]])


def test_normal_christoffel_at_tiny_sigma_is_exact():
    # Gamma^mu_{mu sigma} = -1/sigma, Gamma^sigma_{mu mu} = 1/(2 sigma), Gamma^sigma_{ss} = -1/sigma
    sigma = 1e-170
    G = Normal().numeric.christoffel([0.0, sigma])
    assert G[0, 0, 1] == pytest.approx(-1 / sigma, rel=1e-15)
    assert G[1, 0, 0] == pytest.approx(0.5 / sigma, rel=1e-15)
    assert G[1, 1, 1] == pytest.approx(-1 / sigma, rel=1e-15)


def normal_logpdf(mu, sigma, x):
    with mp.workdps(50):
        mu, sigma, x = map(mp.mpf, (mu, sigma, x))
        return -mp.log(sigma) - mp.log(2 * mp.pi) / 2 - ((x - mu) / sigma) ** 2 / 2


@examples(30)
@given(e=st.floats(-300.0, 300.0), z=st.floats(-30.0, 30.0), mu=st.floats(-1e3, 1e3))
def test_normal_log_density_and_score_over_the_float_range(e, z, mu):
    sigma = 10.0 ** e
    x = mu + z * sigma
    K = Normal().numeric
    ref = normal_logpdf(mu, sigma, x)
    value = float(K.log_density([mu, sigma], x))
    assert abs(value - float(ref)) <= 1e-12 * max(1.0, abs(float(ref)))
    with mp.workdps(50):
        m, s_, y = map(mp.mpf, (mu, sigma, x))
        score = [(y - m) / s_ ** 2, -1 / s_ + (y - m) ** 2 / s_ ** 3]
    got = K.score([mu, sigma], x)
    for g, r in zip(got, score, strict=True):
        r = float(r)
        if np.isfinite(r):
            assert abs(g - r) <= 1e-9 * max(abs(r), 1e-300), (g, r)
        else:
            assert g == r


def test_normal_log_density_issue_point():
    K = Normal().numeric
    assert float(K.log_density([0.0, 1e-170], 0.0)) == pytest.approx(
        float(normal_logpdf(0.0, 1e-170, 0.0)), rel=1e-15)
    assert float(K.log_density([0.0, 1e-170], 1.0)) == -np.inf   # -5e339 overflows
    np.testing.assert_array_equal(K.score([0.0, 1e-170], 0.0), [0.0, -1e170])


def test_data_outside_the_support_has_log_density_minus_infinity_and_no_score():
    # Beta's density is zero off (0, 1): log p = -inf exactly (not NaN from log(1 - x));
    # the score is undefined there and is refused naming data and the sample space
    K = Beta().numeric
    got = K.log_density([[2.0, 3.0], [2.0, 3.0]], [0.5, 2.0])
    assert got[1] == -np.inf
    with mp.workdps(30):
        ref = mp.log(mp.mpf(0.5) ** 1 * mp.mpf(0.5) ** 2 / mp.beta(2, 3))
    assert abs(got[0] - float(ref)) <= 1e-14
    with pytest.raises(DomainError, match=r"data must lie in the sample space of Beta.*data\[1\]"):
        K.score([[2.0, 3.0], [2.0, 3.0]], [0.5, 2.0])

# -- issue 10, long fuzz run: finite but wrong compiled values at extreme coordinates ------------
def _vonmises_reference(kappa):
    # g = diag(kappa A, A') with A = I1/I0 and A' = 1 - A/kappa - A^2 (Mardia & Jupp 2000, 3.5.4)
    with mp.workdps(60):
        k = mp.mpf(kappa)
        A = mp.besseli(1, k) / mp.besseli(0, k)
        return [[k * A, 0], [0, 1 - A / k - A**2]]


@pytest.mark.parametrize("family, x, reference", [
    # Gamma(shape a, rate b): a / b**2 through a subnormal b**2 kept five digits (1.000011e308)
    (Gamma, [1e-12, 1e-160], lambda a, b: [[pg(1, mp.mpf(a)), -1 / mp.mpf(b)],
                                            [-1 / mp.mpf(b), mp.mpf(a) / mp.mpf(b) ** 2]]),
    # inverse Gaussian: lam / mu**3 overflowed mu**3 and gave 0 for 1e-150
    ("InverseGaussian", [1e150, 1e300], lambda mu, lam: [[mp.mpf(lam) / mp.mpf(mu) ** 3, 0],
                                                         [0, 1 / (2 * mp.mpf(lam) ** 2)]]),
    # von Mises at a subnormal kappa: A / kappa with A = kappa / 2 rounded gave 1 for 1/2
    ("VonMises", [1e8, 5e-324], lambda mu, kappa: _vonmises_reference(kappa)),
    ("VonMises", [0.3, 1e-80], lambda mu, kappa: _vonmises_reference(kappa)),
])
def test_metric_at_extreme_coordinates_is_exact(family, x, reference):
    import manifolds

    M = getattr(manifolds, family)() if isinstance(family, str) else family()
    value = M.numeric.metric(np.array(x))
    with mp.workdps(60):
        ref = reference(*x)
        ref = np.array([[float(e) for e in row] for row in ref])
    np.testing.assert_allclose(value, ref, rtol=1e-14, atol=0)


def test_extreme_points_in_a_batch_are_routed_alone():
    # the exact evaluation serves only the point with an extreme coordinate; the others keep
    # the compiled values (equal to the one-point calls)
    M = Gamma().numeric
    X = np.array([[1.5, 2.0], [1e-12, 1e-160], [3.0, 0.5]])
    batch = M.metric(X)
    for i in range(3):
        np.testing.assert_array_equal(batch[i], M.metric(X[i]))
    assert batch[1, 1, 1] == pytest.approx(1e308, rel=1e-14)


def test_multivariate_normal_christoffel_at_huge_entries_is_exact_or_refused():
    # the long fuzz run: -0.0 where the value is -0.77 (an overflowing intermediate)
    import manifolds

    M = manifolds.MultivariateNormal(2)
    x = np.array([-1.8656171296427582, -1.6148149057041161, 1.2984519810304154, -1e150, 1.7e308])
    try:
        value = M.numeric.christoffel(x)
    except DomainError as exc:
        assert "point" in str(exc) or "x" in str(exc)
        return
    f = M.numeric._exact_function("christoffel")
    with mp.workdps(400):
        ref = np.array([float(e) for e in f(*[mp.mpf(float(v)) for v in x])]).reshape(value.shape)
    np.testing.assert_allclose(value, ref, rtol=1e-13, atol=0)


@given(m=st.integers(0, 3), x=st.floats(1e-320, 0.999999, allow_subnormal=True) | st.floats(1.0, 50.0))
def test_exact_path_polygamma_is_mpmaths(m, x):
    """The exact path's polygamma (mpmath's psi shifted once by the recurrence of DLMF 5.15.5
    below 1, where mpmath is slow at high precision) equals mp.psi itself at 60 digits.
    """
    from manifolds.numerics import _polygamma

    with mp.workdps(60):
        mine, theirs = _polygamma(m, mp.mpf(x)), mp.psi(m, mp.mpf(x))
        assert abs(mine - theirs) <= mp.mpf(10) ** -55 * abs(theirs)


def test_constraint_that_overflows_in_float64_is_decided_exactly():
    # det = s11 s22 - s21^2 at entries near 1e200: inf - inf in float64 (NaN, refused with a
    # RuntimeWarning before); exactly, 1e400 (2e-10) > 0 inside and < 0 outside
    import warnings

    import manifolds

    K = manifolds.MultivariateNormal(2).numeric
    big = 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inside = K.validate([0.0, 0.0, big, big * (1 - 1e-10), big])
        assert inside.shape == (5,)
        with pytest.raises(DomainError, match="violates the constraint"):
            K.validate([0.0, 0.0, big, big * (1 + 1e-10), big])
