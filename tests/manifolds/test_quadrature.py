"""The numeric route of a manifold (manifolds.quadrature): geodesics, distances and the
optimisers run unchanged on metrics and Christoffel symbols computed by quadrature.
"""
import numpy as np
import pytest

from manifolds import Normal, Poisson
from manifolds.numerics import NumericManifold
from manifolds.quadrature import QuadratureManifold


def test_method_selects_the_route():
    M = Normal()
    assert type(M.numeric_geometry("exact")) is NumericManifold
    assert type(M.numeric_geometry("auto")) is NumericManifold   # the exact metric exists
    K = M.numeric_geometry("numeric", tol=1e-10)
    assert isinstance(K, QuadratureManifold) and K.tol == 1e-10
    assert M.numeric_geometry("numeric", tol=1e-10) is K


@pytest.mark.slow
def test_normal_distance_and_geodesic_by_quadrature():
    # independent reference: the closed-form Fisher-Rao distance of the Normal family
    # (Atkinson & Mitchell 1981, Sankhya A 43, eq. 3.9; manifolds.catalog declares it)
    M = Normal()
    K = M.numeric_geometry("numeric")
    x = np.array([[0.0, 1.0], [0.5, 2.0]])
    y = np.array([[1.0, 2.0], [-1.0, 0.7]])
    exact = M.numeric.distance(x, y, method="closed_form")
    assert np.allclose(K.distance(x, y), exact, rtol=1e-9, atol=0)
    # the speed g(v, v) is conserved along a geodesic of the Levi-Civita connection
    sol = K.geodesic([0.0, 1.0], [0.7, -0.4], 1.0, t_eval=5)
    speeds = np.einsum("ti,tij,tj->t", sol.v, K.metric(sol.x), sol.v)
    assert np.ptp(speeds) <= 1e-9 * speeds[0]


def test_fisher_scoring_on_the_numeric_route():
    # the maximum-likelihood estimate of a Poisson mean is the sample mean
    K = Poisson().numeric_geometry("numeric")
    result = K.fisher_scoring([[1.0], [2.0], [6.0]], [1.0])
    assert abs(result.x[0] - 3.0) < 1e-9


def test_natural_gradient_on_the_numeric_route():
    # loss (lam - 2)^2: the natural-gradient step is g^-1 grad = lam (2 (lam - 2)), so with
    # lr 1/4 from lam = 1: lam_1 = 1 - (1/4) * 1 * 2 * (1 - 2) = 1.5 (the metric is 1/lam)
    K = Poisson().numeric_geometry("numeric")
    path = K.natural_gradient_descent(lambda x: 2 * (x - 2.0), [1.0], 0.25, 1)
    assert abs(path.x[0] - 1.5) < 1e-11
