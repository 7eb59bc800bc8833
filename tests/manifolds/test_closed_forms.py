"""Closed forms from the literature, and the behaviour on bad input.

References
----------
[AN] Amari & Nagaoka, Methods of Information Geometry, AMS 2000 (sec. 2.3, 3.5).
[A16] Amari, Information Geometry and Its Applications, Springer 2016 (ch. 2, 4).
[CSS] Costa, Santos & Strapasson, "Fisher information distance: a geometrical reading",
      Discrete Appl. Math. 197 (2015): Normal metric diag(1/s^2, 2/s^2), K = -1/2.
[AKR] Arwini & Dodson, Information Geometry: Near Randomness and Near Independence,
      Springer LNM 1953 (2008): Gamma metric and curvature (ch. 3), Beta (ch. 3.6).
[LLT] Lange, Little & Taylor, JASA 84 (1989): Student-t Fisher information.
[M]   Mardia & Jupp, Directional Statistics (2000): von Mises information A(k) = I1/I0.
"""
import numpy as np
import pytest
import sympy as sp

from manifolds import (
    AnswerError,
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    DomainError,
    Exponential,
    Gamma,
    Geometric,
    InverseGaussian,
    Laplace,
    MultivariateNormal,
    Normal,
    Poisson,
    StudentT,
    VonMises,
)
from symbolic import christoffel_2nd_to_riemann, ricci_to_scalar, riemann_to_ricci

alpha = sp.Symbol("alpha")


def same(a, b):
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def same_matrix(a, b):
    # Flat iteration cannot tell a 2x2 from a 4x1 matrix: compare the shapes first.
    A, B = sp.Matrix(a), sp.Matrix(b)
    return A.shape == B.shape and all(same(x, y) for x, y in zip(A, B, strict=True))


def test_normal_curvature_and_alpha_curvature():
    """[AN] ex. 2.x / [A16] sec 4: the Normal manifold has K = -1/2 (R = -1) and
    alpha-scalar curvature -(1 - alpha^2), i.e. alpha-Gaussian curvature -(1 - alpha^2)/2.
    """
    M = Normal()
    mu, s = M.coordinates
    assert same_matrix(M.fisher_metric(), sp.diag(1 / s**2, 2 / s**2))
    assert M.scalar_curvature() == -1
    assert M.gaussian_curvature() == sp.Rational(-1, 2)
    assert same(M.scalar_curvature(alpha=alpha), -(1 - alpha**2))
    assert same(M.gaussian_curvature(alpha=alpha), -(1 - alpha**2) / 2)
    # the e- and m-connections are flat
    assert M.scalar_curvature(alpha=1) == 0 and M.scalar_curvature(alpha=-1) == 0


def test_categorical3_is_a_sphere_of_radius_two():
    """[A16] sec 2.x: the probability simplex with the Fisher metric is a piece of the sphere
    of radius 2, Gaussian curvature 1/4.
    """
    M = Categorical(3)
    assert M.gaussian_curvature() == sp.Rational(1, 4)


@pytest.mark.parametrize("cls, expected", [
    (Poisson, lambda lam: 1 / lam),
    (Exponential, lambda lam: 1 / lam**2),
    (Bernoulli, lambda p: 1 / (p * (1 - p))),
    (Geometric, lambda p: 1 / (p**2 * (1 - p))),
])
def test_one_parameter_metrics(cls, expected):
    """Textbook one-parameter Fisher informations ([A16] ch. 2 exercises)."""
    M = cls()
    (x,) = M.coordinates
    assert same(M.fisher_metric()[0, 0], expected(x))


def test_binomial_metric():
    M = Binomial()
    (p,) = M.coordinates
    n = [s for s in M.model.log_density.free_symbols if s.name == "n"][0]
    assert same(M.fisher_metric()[0, 0], n / (p * (1 - p)))
    assert same(Binomial(5).fisher_metric()[0, 0], 5 / (p * (1 - p)))


def test_gamma_metric_and_curvature_trigamma_form():
    """[AKR] ch. 3: g = [[psi1(a), -1/b], [-1/b, a/b^2]],
    K = (psi1(a) + a psi2(a)) / (4 (a psi1(a) - 1)^2).
    """
    M = Gamma()
    a, b = M.coordinates
    assert same_matrix(M.fisher_metric(), [[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    K = (sp.polygamma(1, a) + a * sp.polygamma(2, a)) / (4 * (a * sp.polygamma(1, a) - 1) ** 2)
    assert same(M.gaussian_curvature(), K)


def test_beta_metric_trigamma_form():
    """[AKR] ch. 3.6: g_ij = psi1(a_i) delta_ij - psi1(a + b)."""
    M = Beta()
    a, b = M.coordinates
    t = sp.polygamma(1, a + b)
    assert same_matrix(M.fisher_metric(), [[sp.polygamma(1, a) - t, -t], [-t, sp.polygamma(1, b) - t]])


@pytest.mark.slow
def test_inverse_gaussian_and_cauchy_are_hyperbolic():
    """IG: diag(lam/mu^3, 1/(2 lam^2)), K = -1/2; Cauchy: I/(2 gamma^2), K = -2."""
    M = InverseGaussian()
    mu, lam = M.coordinates
    assert same_matrix(M.fisher_metric(), sp.diag(lam / mu**3, 1 / (2 * lam**2)))
    assert M.gaussian_curvature() == sp.Rational(-1, 2)
    C = Cauchy()
    x0, g = C.coordinates
    assert same_matrix(C.fisher_metric(), sp.eye(2) / (2 * g**2))
    assert C.gaussian_curvature() == -2
    # the Cauchy family has vanishing skewness: every alpha-connection is Levi-Civita
    assert all(v == 0 for v in sp.flatten(C.amari_chentsov().tolist()))


def test_student_t_limits():
    """[LLT]: g = diag((nu+1)/((nu+3) s^2), 2 nu/((nu+3) s^2)); nu = 1 is Cauchy."""
    M = StudentT()
    mu, s = M.coordinates
    nu = [v for v in M.model.log_density.free_symbols if v.name == "nu"][0]
    assert same(M.gaussian_curvature(), -(nu + 3) / (2 * nu))
    assert same(sp.limit(M.gaussian_curvature(), nu, sp.oo), sp.Rational(-1, 2))
    assert StudentT(1).gaussian_curvature() == -2


def test_laplace_metric():
    M = Laplace()
    b = [v for v in M.model.log_density.free_symbols if v.name == "b"][0]
    assert same(M.fisher_metric()[0, 0], 1 / b**2)


def test_von_mises_metric():
    """[M]: g = diag(k A(k), 1 - A(k)/k - A(k)^2), A = I1/I0."""
    M = VonMises()
    mu, k = M.coordinates
    A = sp.besseli(1, k) / sp.besseli(0, k)
    assert M.check("fisher_metric", sp.diag(k * A, 1 - A / k - A**2))


@pytest.mark.slow
def test_mvn_curvature_against_plain_sympy():
    """Independent route for MultivariateNormal(2): plain sympy diff of the unsimplified
    Christoffel symbols, evaluated at a random point, gives the same scalar curvature.
    """
    M = MultivariateNormal(2)
    g = M.fisher_metric()
    x = M.coordinates
    n = len(x)
    ginv = g.inv()
    G = sp.MutableDenseNDimArray.zeros(n, n, n)
    for k in range(n):
        for i in range(n):
            for j in range(n):
                G[k, i, j] = sum(ginv[k, l] * (sp.diff(g[j, l], x[i]) + sp.diff(g[i, l], x[j]) - sp.diff(g[i, j], x[l]))
                                 for l in range(n)) / 2
    point = dict(zip(x, M.random_point(5), strict=True))
    R = 0
    for j in range(n):
        for l in range(n):
            Ric = 0
            for i in range(n):
                Ric += (sp.diff(G[i, l, j], x[i]) - sp.diff(G[i, i, j], x[l])
                        + sum(G[i, i, m] * G[m, l, j] - G[i, l, m] * G[m, i, j] for m in range(n)))
            R += ginv[j, l].subs(point) * Ric.subs(point)
    assert abs(float(R) - float(M.scalar_curvature())) < 1e-9


def test_generic_riemann_functions_agree_with_chain():
    M = Gamma()
    R = christoffel_2nd_to_riemann(M.christoffel(), M.coordinates)
    ric = riemann_to_ricci(R, M.coordinates)
    assert same(ricci_to_scalar(ric, M.fisher_metric(), M.coordinates), M.scalar_curvature())


def test_reparametrisation_invariance_of_curvature():
    """Scalar curvature is a scalar: the Normal in (mu, log sigma) still has R = -1, and its
    metric is J^T G J.
    """
    M = Normal()
    mu, sigma = M.coordinates
    s = sp.Symbol("s", real=True)
    N = M.reparametrize({mu: mu, sigma: sp.exp(s)}, [mu, s], new_in_old=[mu, sp.log(sigma)])
    assert same_matrix(N.fisher_metric(), sp.diag(sp.exp(-2 * s), 2))
    assert N.scalar_curvature() == -1
    point = N.random_point(0)
    assert point[1] == pytest.approx(float(np.log(M.random_point(0)[1])))


# -- the exercise verifier ---------------------------------------------------------------

def test_check_accepts_equivalent_forms_and_shows_difference():
    M = Normal()
    assert M.check("fisher_metric", "Matrix([[sigma**-2, 0], [0, 2/sigma**2]])")
    assert M.check("scalar_curvature", "-1")
    wrong = M.check("fisher_metric", "Matrix([[1/sigma**2, 0], [0, 1/sigma**2]])", feedback="difference")
    assert not wrong
    assert "difference" in repr(wrong) and "sigma" in repr(wrong)
    a, b = Beta().coordinates
    # a polygamma identity the normal form does not know: psi1(a+1) = psi1(a) - 1/a^2
    Bm = Beta()
    ans = Bm.fisher_metric()[0, 0].subs(sp.polygamma(1, a), sp.polygamma(1, a + 1) + 1 / a**2)
    verdict = Bm.check(lambda M: M.fisher_metric()[0, 0], ans)
    assert verdict and verdict.how.startswith("numeric at")


@pytest.mark.parametrize("answer, message", [
    ("Matrix([[1/sigma**2, 0], [0, 2/sigma**2]", "could not read"),
    ("1/s**2", "does not know"),
    ("Matrix([[1, 0, 0]])", "shape"),
])
def test_check_malformed_answers(answer, message):
    with pytest.raises(AnswerError, match=message):
        Normal().check("fisher_metric", answer)


def test_unknown_quantity():
    with pytest.raises(ValueError, match="unknown quantity"):
        Normal().check("fisher", "1")


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("M, point, message", [
    (Normal(), (0.0, -1.0), "sigma must be > 0, got -1.0"),
    (Normal(), (0.0, float("nan")), "sigma must be finite, got nan"),
    (Bernoulli(), (1.5,), r"p must be in \(0, 1\), got 1.5"),
    (Categorical(3), (0.6, 0.6), "violates the constraint p3 = 1 - p1 - ... - p2 > 0"),
    (MultivariateNormal(2), (0, 0, 1.0, 2.0, 1.0), "leading 2x2 minor"),
])
def test_points_outside_the_domain(M, point, message):
    with pytest.raises(DomainError, match=message):
        M.validate(point)


def test_a_point_of_the_wrong_length_is_a_shape_error():
    # docs/errors.md: a bad shape is a ValueError (not a value outside the domain)
    with pytest.raises(ValueError, match="has 2 coordinates") as info:
        Normal().validate((1.0,))
    assert not isinstance(info.value, DomainError)


def test_bad_family_arguments():
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        Categorical(1)
    with pytest.raises(ValueError, match="d must be a positive integer"):
        MultivariateNormal(0)


def test_latex_and_repr():
    M = Normal()
    assert r"\frac{1}{\sigma^{2}}" in M.latex("fisher_metric")
    assert M._repr_latex_().startswith("$")
    assert "Normal" in repr(M)


def test_same_matrix_refuses_a_shape_mismatch():
    # The four entries agree in flat order; only the shapes differ.
    assert same_matrix([[1, 0], [0, 1]], sp.eye(2))
    assert not same_matrix([[1, 0], [0, 1]], [1, 0, 0, 1])
    assert not same_matrix([[1, 0], [0, 1]], [[1, 0, 0, 1]])
