"""numeric.geodesics.guesses: first guesses of log maps (no kernels compiled here).

Each guess is checked against something independent of its own formula: the half-plane log
map against an integration of the geodesic equation (scipy), the Calvo-Oller embedding's
isometry against the Fisher metric of the multivariate normal in closed form (Skovgaard
1984), and the fixed-mean case, where the guess is exact, against the affine-invariant
geodesic written out by hand for diagonal covariances; the von Mises radius against mpmath's
quadrature, and its guess, where exact, against the one-dimensional geodesic equation
integrated by scipy (the meridians through the uniform law) and, near the uniform law,
against the flat polar log map.
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from numeric.geodesics.guesses import (
    half_plane_log,
    normal_log_guess,
    von_mises_log_guess,
    von_mises_radius,
    von_mises_wrapped_normal_guess,
)

coordinate = st.floats(-5.0, 5.0)
height = st.floats(0.2, 5.0)


def half_plane_exp(p, v):
    """exp_p(v) of the half-plane (du² + dy²)/y², by integrating the geodesic equation
    u'' = 2 u' y' / y, y'' = (y'² - u'²) / y; also the speed |γ'| / y at the end.
    """
    def rhs(t, s):
        u, y, du, dy = s
        return [du, dy, 2 * du * dy / y, (dy * dy - du * du) / y]

    sol = solve_ivp(rhs, (0.0, 1.0), [p[0], p[1], v[0], v[1]], method="DOP853", rtol=1e-12, atol=1e-13)
    u, y, du, dy = sol.y[:, -1]
    return np.array([u, y]), np.hypot(du, dy) / y


@given(coordinate, height, coordinate, height)
def test_half_plane_log_reaches_the_target(u1, y1, u2, y2):
    p, q = np.array([u1, y1]), np.array([u2, y2])
    v = half_plane_log(p, q)
    end, speed = half_plane_exp(p, v)
    np.testing.assert_allclose(end, q, rtol=1e-8, atol=1e-8)
    # speed conservation, and the length is the half-plane distance
    distance = np.arccosh(1 + ((u2 - u1) ** 2 + (y2 - y1) ** 2) / (2 * y1 * y2))
    assert abs(np.hypot(*v) / y1 - speed) <= 1e-8 * (1 + speed)
    assert abs(np.hypot(*v) / y1 - distance) <= 1e-10 * (1 + distance)


def test_half_plane_log_batches_and_marks_what_it_cannot_guess():
    p = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, -1.0], [1.0, 2.0]])
    q = np.array([[0.0, np.e], [0.0, np.nan], [0.0, 1.0], [1.0, 2.0]])
    v = half_plane_log(p, q)
    np.testing.assert_allclose(v[0], [0.0, 1.0], atol=1e-15)
    assert np.isnan(v[1]).all() and np.isnan(v[2]).all()
    assert (v[3] == 0.0).all()


def test_von_mises_wrapped_normal_guess_is_the_normal_half_plane_under_sigma_squared_one_over_kappa():
    # (mu, kappa) -> (mu / sqrt 2, kappa^-1/2) is the half-plane; the guess is its log map
    # pushed back by the chart's Jacobian (checked here by finite differences of the chart)
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.uniform(-3, 3, 20), rng.uniform(0.5, 10, 20)])
    y = np.column_stack([rng.uniform(-3, 3, 20), rng.uniform(0.5, 10, 20)])
    v = von_mises_wrapped_normal_guess(x, y)

    def chart(z):
        return np.column_stack([z[:, 0] / np.sqrt(2), z[:, 1] ** -0.5])

    h = 1e-6
    pushed = (chart(x + h * v) - chart(x - h * v)) / (2 * h)
    np.testing.assert_allclose(pushed, half_plane_log(chart(x), chart(y)), rtol=1e-7, atol=1e-9)


def _a_prime(kappa):
    """A'(kappa) = 1 - A/kappa - A², A = I1/I0 (scipy; 1/2 at 0)."""
    from scipy.special import i0e, i1e

    a = i1e(kappa) / i0e(kappa)
    return 0.5 if kappa == 0 else 1.0 - a / kappa - a * a


def test_von_mises_radius_is_the_distance_from_the_uniform_law():
    # s(kappa) = ∫_0^kappa sqrt(A'(t)) dt by mpmath's quadrature at 30 digits, across the
    # small-kappa nodes, the log-kappa nodes and the asymptotic series of A' (kappa >= 100)
    import mpmath

    with mpmath.workdps(30):  # and back to the caller's precision, whatever it was
        def integrand(t):
            a = mpmath.besseli(1, t) / mpmath.besseli(0, t)
            return mpmath.sqrt(1 - a / t - a * a) if t else mpmath.sqrt(mpmath.mpf(1) / 2)

        kappas = [1e-6, 0.3, 4.0, 9.5, 150.0, 1e6]
        for kappa in kappas:
            cuts = [0] + [c for c in (1, 4, 16, 64, 256, 1e3, 1e4, 1e5) if c < kappa] + [kappa]
            exact = float(mpmath.quad(integrand, cuts))
            assert abs(von_mises_radius(kappa) - exact) <= 1e-12 * exact, kappa
    assert np.isnan(von_mises_radius([-1.0, np.nan, np.inf])).all()


def _meridian_end(kappa, ds):
    """Signed kappa reached at t = 1 along the meridian (the line through the uniform law,
    u = ±kappa) from kappa at s-speed ds: u' = ds / sqrt(A'(|u|)) (scipy).
    """
    sol = solve_ivp(lambda t, u: [ds / np.sqrt(_a_prime(abs(u[0])))], (0.0, 1.0), [kappa],
                    method="DOP853", rtol=1e-12, atol=1e-14)
    return sol.y[0, -1]


concentration = st.floats(0.05, 30.0)
angle = st.floats(-3.0, 3.0)


@given(angle, concentration, concentration)
def test_von_mises_guess_is_exact_along_meridians(mu, k1, k2):
    # equal means: kappa moves along the meridian; opposite means: the geodesic runs through
    # the uniform law (the meridian mu, mu + pi), s(k1) + s(k2) long. The guess reaches the
    # target of the one-dimensional geodesic equation, integrated independently
    v = von_mises_log_guess([mu, k1], [mu, k2])
    assert v[0] == 0.0
    ds = v[1] * np.sqrt(_a_prime(k1))
    assert abs(_meridian_end(k1, ds) - k2) <= 1e-9 * k2
    w = von_mises_log_guess([mu, k1], [mu + np.pi, k2])
    assert abs(w[0]) <= 1e-9 * abs(w[1]) / k1 and w[1] < 0
    assert abs(_meridian_end(k1, w[1] * np.sqrt(_a_prime(k1))) + k2) <= 1e-9 * k2


@given(angle, st.floats(0.2, 1.0), angle, st.floats(0.2, 1.0))
def test_von_mises_guess_tends_to_the_flat_log_map_near_the_uniform_law(mu1, k1, mu2, k2):
    # near kappa = 0 the metric is (dkappa² + kappa² dmu²)/2 (A ~ kappa/2), the Euclidean plane
    # in polar coordinates: the log map is the difference of theta = kappa (cos mu, sin mu)
    # in the polar frame at x. The curvature is -kappa²/16 + O(kappa⁴), so at scale eps the
    # guess is off by O(eps²) relative
    eps = 1e-4
    x, y = np.array([mu1, eps * k1]), np.array([mu2, eps * k2])
    dtheta = y[1] * np.array([np.cos(y[0]), np.sin(y[0])]) - x[1] * np.array([np.cos(x[0]), np.sin(x[0])])
    radial = np.array([np.cos(mu1), np.sin(mu1)])
    flat = np.array([dtheta @ [-radial[1], radial[0]] / x[1], dtheta @ radial])
    v = von_mises_log_guess(x, y)
    norm = np.sqrt(flat[1] ** 2 + (x[1] * flat[0]) ** 2)
    assert np.sqrt((v[1] - flat[1]) ** 2 + (x[1] * (v[0] - flat[0])) ** 2) <= 1e-6 * norm


def test_von_mises_guess_batches_wraps_and_marks_what_it_cannot_guess():
    x = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [0.3, 2.0], [0.3, 2.0]])
    y = np.array([[0.5, 3.0], [0.5, 3.0], [0.5, np.nan], [0.3, 2.0], [0.3 + 2 * np.pi, 2.0]])
    v = von_mises_log_guess(x, y)
    np.testing.assert_allclose(von_mises_log_guess(x[0], y[0] + [4 * np.pi, 0.0]), v[0], rtol=1e-13)
    assert np.isnan(v[1]).all() and np.isnan(v[2]).all()
    assert (v[3] == 0.0).all() and np.abs(v[4]).max() < 1e-12


def _mvn_fisher(mu, sigma, dmu, dsigma):
    """g(v, v) of N(mu, Sigma): dmuᵀ Σ⁻¹ dmu + ½ tr((Σ⁻¹ dΣ)²) (Skovgaard 1984)."""
    inv = np.linalg.inv(sigma)
    a = inv @ dsigma
    return dmu @ inv @ dmu + 0.5 * np.trace(a @ a)


@given(st.integers(0, 10_000))
def test_calvo_oller_embedding_is_an_isometry(seed):
    # the fact the guess rests on: ½ tr((P⁻¹ dP)²) of the embedding is the Fisher metric
    rng = np.random.default_rng(seed)
    d = 2
    mu, dmu = rng.normal(size=d), rng.normal(size=d)
    a = rng.normal(size=(d, d))
    sigma = a @ a.T + 0.3 * np.eye(d)
    dsigma = rng.normal(size=(d, d))
    dsigma = dsigma + dsigma.T

    def embed(m, s):
        return np.block([[s + np.outer(m, m), m[:, None]], [m[None, :], np.ones((1, 1))]])

    p = embed(mu, sigma)
    dp = np.block([[dsigma + np.outer(dmu, mu) + np.outer(mu, dmu), dmu[:, None]],
                   [dmu[None, :], np.zeros((1, 1))]])
    b = np.linalg.solve(p, dp)
    assert np.isclose(0.5 * np.trace(b @ b), _mvn_fisher(mu, sigma, dmu, dsigma), rtol=1e-10)


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.3, 4), st.floats(0.3, 4), st.floats(0.3, 4),
       st.floats(0.3, 4))
def test_normal_guess_is_exact_for_equal_means_and_diagonal_covariances(m1, m2, a1, a2, b1, b2):
    # at a fixed mean the family is the cone of covariances, a totally geodesic submanifold,
    # and for diagonal ones the geodesic is a_k(t) = a_k (b_k / a_k)^t in each variance
    x = np.array([m1, m2, a1, 0.0, a2])
    y = np.array([m1, m2, b1, 0.0, b2])
    v = normal_log_guess(x, y, 2)
    np.testing.assert_allclose(v, [0.0, 0.0, a1 * np.log(b1 / a1), 0.0, a2 * np.log(b2 / a2)],
                               atol=1e-12 * (1 + np.abs(v).max()))


def test_normal_guess_is_finite_and_batched():
    rng = np.random.default_rng(4)
    mu = rng.uniform(-3, 3, (10, 2))
    x = np.column_stack([mu, rng.uniform(1, 2.7, 10), rng.uniform(-0.5, 0.5, 10), rng.uniform(1, 2.7, 10)])
    y = np.column_stack([mu[::-1], rng.uniform(1, 2.7, 10), rng.uniform(-0.5, 0.5, 10), rng.uniform(1, 2.7, 10)])
    v = normal_log_guess(x, y, 2)
    assert v.shape == (10, 5) and np.isfinite(v).all()
    np.testing.assert_allclose(normal_log_guess(x[3], y[3], 2), v[3], rtol=1e-13)
    bad = x.copy()
    bad[0, 0] = np.nan
    bad[1, 2:] = [1e300, 0.0, 1e300]  # overflows in the embedding
    bad[2, 2:] = [1.0, 2.0, 1.0]      # not positive definite (never passed by M.numeric.log)
    v = normal_log_guess(bad, y, 2)
    assert np.isnan(v[:3]).all() and np.isfinite(v[3:]).all()
