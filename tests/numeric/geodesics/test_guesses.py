"""numeric.geodesics.guesses: first guesses of log maps (no kernels compiled here).

Each guess is checked against something independent of its own formula: the half-plane log
map against an integration of the geodesic equation (scipy), the Calvo-Oller embedding's
isometry against the Fisher metric of the multivariate normal in closed form (Skovgaard
1984), and the fixed-mean case, where the guess is exact, against the affine-invariant
geodesic written out by hand for diagonal covariances.
"""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from numeric.geodesics.guesses import half_plane_log, normal_log_guess, von_mises_log_guess

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


def test_von_mises_guess_is_the_normal_half_plane_under_sigma_squared_one_over_kappa():
    # (mu, kappa) -> (mu / sqrt 2, kappa^-1/2) is the half-plane; the guess is its log map
    # pushed back by the chart's Jacobian (checked here by finite differences of the chart)
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.uniform(-3, 3, 20), rng.uniform(0.5, 10, 20)])
    y = np.column_stack([rng.uniform(-3, 3, 20), rng.uniform(0.5, 10, 20)])
    v = von_mises_log_guess(x, y)

    def chart(z):
        return np.column_stack([z[:, 0] / np.sqrt(2), z[:, 1] ** -0.5])

    h = 1e-6
    pushed = (chart(x + h * v) - chart(x - h * v)) / (2 * h)
    np.testing.assert_allclose(pushed, half_plane_log(chart(x), chart(y)), rtol=1e-7, atol=1e-9)


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
